"""Tracebacks exactly as CPython printed them, read back through `rca.read_events`.

`cpython_cases.py` raises real exceptions in generated modules on every Python 3.8+ found on this
machine (3.11 at least: the one running the tests), takes the truth from
`traceback.TracebackException` and writes four carriers per case; each carrier must give the
traceback event(s) with every exception's type, message (notes included), relation and frames.
Set RCA_TEST_PYTHONS to a comma-separated list of interpreters to choose others.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cpython_cases import CASES

from rca import read_events

GENERATOR = Path(__file__).resolve().parents[1] / "cpython_cases.py"
CARRIERS = [".log", ".split.jsonl", ".entry.jsonl", ".burst.jsonl", ".cloudrun.jsonl"]
# Where the carrier itself has lost what would tell the readings apart.
LOST_IN_CARRIER = {
    (case, ".cloudrun.jsonl"): "Cloud Run gives the `Traceback` line inside the message a severity of its own, "
                               "as it does to a new traceback printed in the same burst"
    for case in ("message_with_traceback", "traceback_in_cause_message")
}


def _interpreters() -> dict[str, str]:
    """Python version ("3.12") -> interpreter path, for every Python 3.8+ that runs."""
    chosen = os.environ.get("RCA_TEST_PYTHONS")
    candidates = chosen.split(",") if chosen else [
        sys.executable, *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python"))),
        *filter(None, (shutil.which(f"python3.{minor}") for minor in range(8, 16)))]
    found = {}
    for path in candidates:
        try:
            version = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                     capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if version and tuple(map(int, version.split("."))) >= (3, 8):
            found.setdefault(version, path)
    return dict(sorted(found.items(), key=lambda item: tuple(map(int, item[0].split(".")))))


PYTHONS = _interpreters()


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    made: dict[str, tuple[Path, dict]] = {}

    def generate(version: str) -> tuple[Path, dict]:
        if version not in made:
            out = tmp_path_factory.mktemp(f"cpython-{version}")
            subprocess.run([PYTHONS[version], str(GENERATOR), str(out)], check=True, timeout=300,
                           env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
            made[version] = out, json.loads((out / "truth.json").read_text(encoding="utf-8"))
        return made[version]

    return generate


def as_truth(event) -> list[dict]:
    return [{"type": e.type, "message": e.message, "relation": e.relation,
             "frames": [{"file": f.file, "line": f.line, "function": f.function} for f in e.frames]}
            for e in event.traceback.exceptions]


def without_empty_lines(message: str) -> str:
    first, *rest = message.split("\n")
    return "\n".join([first, *filter(None, rest)])


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("version", PYTHONS)
def test_every_exception_as_cpython_printed_it(request, generated, version, case, carrier):
    out, truth = generated(version)
    if case not in truth:
        pytest.skip(f"needs Python {'.'.join(map(str, CASES[case][0]))}")
    if (case, carrier) in LOST_IN_CARRIER:
        request.applymarker(pytest.mark.xfail(reason=LOST_IN_CARRIER[case, carrier], strict=True))
    events = [e for e in read_events(out / f"{case}{carrier}") if e.traceback is not None]
    expected = truth[case] if carrier != ".cloudrun.jsonl" else [
        {**exception, "message": without_empty_lines(exception["message"])} for exception in truth[case]]
    copies = 2 if carrier == ".burst.jsonl" else 1
    assert [as_truth(e) for e in events] == [expected] * copies
    assert not any(e.traceback.truncated for e in events)
