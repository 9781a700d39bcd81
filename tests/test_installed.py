"""The README's first command on an installed rca, not a checkout: the wheel must carry the rule packs,
the corpus and the templates, and rca must find them there. (The suite otherwise runs from the
checkout, whose folders win, so a wheel that lost them, or a lookup that only works in a checkout,
would pass every other test.)"""

import json
import os
import subprocess
import sys

from conftest import INCIDENT, ROOT


def test_an_installed_rca_finds_its_packs_corpus_and_templates(tmp_path):
    target = tmp_path / "site"
    built = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    assert (target / "rca" / "packs" / "missing_import.yaml").is_file()
    assert (target / "rca" / "report" / "templates" / "report.html.j2").is_file()
    env = {**os.environ, "PYTHONPATH": str(target), "RCA_CACHE_DIR": str(tmp_path / "cache")}
    where = subprocess.run([sys.executable, "-c", "import rca; print(rca.__file__)"], capture_output=True, text=True,
                           cwd=tmp_path, env=env)
    assert where.stdout.strip() == str(target / "rca" / "__init__.py")
    for output in ("json", "html"):
        done = subprocess.run([sys.executable, "-m", "rca", "analyze", str(INCIDENT / "logs.jsonl"), "--format", output,
                               "--model", "none"], capture_output=True, cwd=tmp_path, env=env, timeout=300)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
    report = json.loads(subprocess.run([sys.executable, "-m", "rca", "analyze", str(INCIDENT / "logs.jsonl"), "--format",
                                        "json", "--model", "none"], capture_output=True, cwd=tmp_path, env=env).stdout)
    assert report["incidents"][0]["root_cause"]["class"] == "missing_import"
    snippets = tmp_path / "snippets.jsonl"  # the default model is trained from the corpus the wheel carries
    snippets.write_text(json.dumps({"text": "NameError: name 'redis' is not defined"}) + "\n")
    classified = subprocess.run([sys.executable, "-m", "rca", "classify", "--snippets", str(snippets)],
                                capture_output=True, cwd=tmp_path, env=env, timeout=300)
    assert classified.returncode == 0 and b"missing_import" in classified.stdout, classified.stderr.decode()[-2000:]
