"""What a team sets once (rca.toml / [tool.rca]), the mute list, a baseline, and --fail-on-incident."""

import json

import pytest
from conftest import FIXTURES, INCIDENT, run_rca

from rca.analyze.analysis import analyze
from rca.config import ConfigError, find_config
from rca.ingest.times import parse_moment
from rca.report.markdown import to_dict

SEED = str(INCIDENT / "logs.jsonl")


def test_settings_are_found_upward_from_the_working_directory(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "svc"\n\n[tool.rca]\nrules = ["ops/rules"]\n'
                                             'mute = ["GET /healthz 401"]\nproject = "netra-staging"\n')
    deeper = tmp_path / "src" / "svc"
    deeper.mkdir(parents=True)
    config = find_config(deeper)
    assert config.source == tmp_path / "pyproject.toml"
    assert config.rules == [tmp_path / "ops/rules"] and config.mute == ["GET /healthz 401"]
    assert config.project == "netra-staging"


def test_a_pyproject_without_rca_settings_is_passed_over(tmp_path):
    (tmp_path / "rca.toml").write_text('mute = ["x"]\n')
    inner = tmp_path / "app"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "app"\n')
    assert find_config(inner).source == tmp_path / "rca.toml"


@pytest.mark.parametrize("text, problem", [('mute = "GET /x"\n', "mute must be a list of strings"),
                                           ('colour = true\n', "unknown key 'colour'"),
                                           ('mute = [\n', "not a TOML file")])
def test_a_bad_configuration_is_one_line_naming_the_file(tmp_path, text, problem):
    (tmp_path / "rca.toml").write_text(text)
    with pytest.raises(ConfigError, match=problem):
        find_config(tmp_path)
    result = run_rca("analyze", SEED, "--model", "none", cwd=tmp_path)
    assert result.returncode == 2 and b"rca.toml" in result.stderr and b"Traceback" not in result.stderr


def test_a_muted_root_cause_is_listed_but_roots_nothing():
    report = to_dict(analyze(SEED, model=None, mute=["missing-import.name-used-as-module"]))
    muted = [g for g in report["groups"] if g["muted"]]
    assert [g["class"] for g in muted] == ["missing_import"]
    # The outage is still an incident (its 503s did not go away): it only lacks a named cause now.
    (incident,) = report["incidents"]
    assert incident["service"] == "netra-backend-staging" and incident["root_cause"] is None
    assert incident["verdict"] == "no cause-class error changed near the onset"


def test_the_mute_list_comes_from_the_configuration_and_a_flag_overrides_it(tmp_path):
    (tmp_path / "rca.toml").write_text('mute = ["NameError"]\n')
    muted = run_rca("analyze", SEED, "--model", "none", "--format", "json", cwd=tmp_path)
    assert all(i["root_cause"] is None for i in json.loads(muted.stdout)["incidents"])
    flagged = run_rca("analyze", SEED, "--model", "none", "--format", "json", "--mute", "nothing-like-this", cwd=tmp_path)
    (incident,) = json.loads(flagged.stdout)["incidents"]
    assert incident["root_cause"]["class"] == "missing_import"


def test_a_baseline_where_the_failure_already_ran_makes_it_known_background():
    """Judged against a baseline taken inside the outage, the outage is the normal state: no onset."""
    during = (parse_moment("2025-09-12T14:25:00Z"), parse_moment("2025-09-12T14:35:00Z"))
    assert to_dict(analyze(SEED, model=None, baseline=during))["incidents"] == []
    before = (parse_moment("2025-09-12T14:00:00Z"), parse_moment("2025-09-12T14:15:00Z"))
    (incident,) = to_dict(analyze(SEED, model=None, baseline=before))["incidents"]
    assert incident["root_cause"]["class"] == "missing_import"


def test_fail_on_incident_sets_the_exit_status():
    assert run_rca("analyze", SEED, "--model", "none", "--fail-on-incident").returncode == 1
    healthy = str(FIXTURES / "incidents" / "healthy" / "logs.jsonl")
    assert run_rca("analyze", healthy, "--model", "none", "--fail-on-incident").returncode == 0
    assert run_rca("analyze", SEED, "--model", "none").returncode == 0
