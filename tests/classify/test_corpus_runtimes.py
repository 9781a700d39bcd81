"""Issue 28 (classify17): the generated training corpus holds other runtimes' and tools' wordings in their own
shapes, for every cause class and for as many plain bugs, and the default model is rebuilt when it changes.

Before, every generated row was Python-shaped: the model had never seen a Java `Caused by:`, a Go `panic:` or
`level=error msg=` line or a Node `at` frame around a configuration error, and ranked such causes `unknown`."""

import importlib.util
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"
CAUSES_FIRST = ("config_error", "startup_failure", "auth_rejection", "timeout", "service_unavailable",
                "dependency_connection_failure", "db_session_failure")
CLASS_WORDS = ("not found", "invalid", "denied", "config", "timeout", "refused", "undefined")


@pytest.fixture(scope="module")
def generator():
    """fixtures/corpus/generate.py under a name of its own (the scenario generator is imported as `generate`)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(CORPUS))
        spec = importlib.util.spec_from_file_location("corpus_generate", CORPUS / "generate.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(generator):
    return generator.build()


def read(name: str) -> list[dict]:
    return [json.loads(line) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_files_are_the_generators_output_and_python_rows_did_not_move(generator, built):
    train, holdout = built
    assert read("train.jsonl") == train and read("holdout.jsonl") == holdout
    python_train, python_holdout = generator.build(runtime_variants=0)  # the runtimes' rows draw from their own stream
    assert train[:len(python_train)] == python_train and holdout[:len(python_holdout)] == python_holdout
    assert len(train) > len(python_train) * 1.5


def test_every_cause_class_is_trained_on_several_other_runtimes(built):
    train, _ = built
    runtimes = {label: {row["runtime"] for row in train if row.get("runtime") and row["label"] == label}
                for label in CAUSES_FIRST}
    # Unavailability is told by what sits in front of the service (a proxy's, a platform's line), so two there.
    assert all(len(found) >= (2 if label == "service_unavailable" else 3) for label, found in runtimes.items()), runtimes
    assert {"java", "go", "node", "ruby", "dotnet", "php", "platform", "server"} <= runtimes["config_error"] | runtimes["startup_failure"]


def test_plain_bugs_from_other_runtimes_are_as_many_as_any_cause_and_carry_class_words(built):
    train, _ = built
    foreign = Counter(row["label"] for row in train if row.get("runtime"))
    assert foreign["unknown"] >= max(count for label, count in foreign.items() if label != "unknown")
    worded = {row["template"] for row in train if row.get("runtime") and row["label"] == "unknown"
              and any(word in row["text"].lower() for word in CLASS_WORDS)}
    assert len(worded) >= 20, sorted(worded)


@pytest.mark.parametrize("label", ["config_error", "unknown"])
def test_rows_come_in_each_runtimes_own_shapes(built, label):
    texts = [row["text"] for row in built[0] if row.get("runtime") and row["label"] == label]
    shapes = {
        "a JVM stack with Caused by": re.compile(r"^Caused by: \S+: .*\n\tat \S+\(\w+\.java:\d+\)", re.MULTILINE),
        "a Go panic": re.compile(r"^panic: .*\n\ngoroutine 1 \[running\]:", re.MULTILINE),
        "a Go logfmt line": re.compile(r'^time="[^"]+" level=(error|fatal) msg="'),
        "a Node stack": re.compile(r"^\w*Error\b.*\n    at .+\(/app/.+\.js:\d+:\d+\)", re.MULTILINE),
        "a Ruby raise": re.compile(r"^/app/\S+\.rb:\d+:in `[^']+': .* \([\w:]+\)$", re.MULTILINE),
        "a .NET stack": re.compile(r"^   at \S+\(.*\) in /src/\S+\.cs:line \d+$", re.MULTILINE),
        "a PHP fatal error": re.compile(r"^PHP Fatal error:  Uncaught .* in /var/www/\S+\.php:\d+\nStack trace:", re.MULTILINE),
    }
    missing = [name for name, pattern in shapes.items() if not any(pattern.search(text) for text in texts)]
    assert not missing


def test_held_out_runtime_libraries_are_held_out_whole(generator, built):
    train, holdout = built
    held = set(generator.runtime_templates.HOLDOUT.values())
    assert held <= {row["library"] for row in holdout}
    assert not held & {row["library"] for row in train}


def test_a_changed_corpus_is_a_new_default_model(tmp_path, monkeypatch):
    """The default model's cache file is named by a digest of the shipped corpus: regenerated rows must
    never be answered by a model cached from the old ones."""
    from rca.classify import model

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(model, "shipped_corpus_dir", lambda: corpus)
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path / "cache"))
    before = model.default_model_path()
    for name in model.CORPUS_FILES:
        original = (corpus / name).read_bytes()
        (corpus / name).write_bytes(original + b'{"text": "Error: listen EADDRINUSE", "label": "startup_failure"}\n')
        assert model.default_model_path() != before, name
        (corpus / name).write_bytes(original)
        assert model.default_model_path() == before
