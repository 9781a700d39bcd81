"""`rca diff` on two deploys of a healthy backend that logs a cache time-out on 5% of its requests:
one keeps that rate, one doubles it. And the tests under it (rca.analyze.rates)."""

import json

import pytest
from conftest import run_rca

import rca
from rca.analyze.rates import exposure_needed, fall_p_value, judge_rise, power, rise_p_value

CACHE_LABEL_START = "cache read timed out after 2.0s for key thread:"


@pytest.fixture(scope="module")
def deploys(generator, tmp_path_factory):
    folder = tmp_path_factory.mktemp("deploys")
    paths = {}
    for name, share in (("healthy", 0.05), ("doubled", 0.10)):
        paths[name] = folder / f"{name}.jsonl"
        paths[name].write_text("".join(json.dumps(entry) + "\n" for entry in generator.deploy_check(share)))
    return paths


def diff_json(*args):
    result = run_rca("diff", *args, "--format", "json", "--model", "none")
    assert result.stdout, result.stderr
    return result, json.loads(result.stdout)


def cache_group(data):
    (group,) = [item for item in data["groups"] if item["label"].startswith(CACHE_LABEL_START)]
    return group


def test_a_healthy_deploy_is_no_change(deploys, generator):
    result, data = diff_json(str(deploys["healthy"]), "--from", generator.OLD_REVISION, "--to", generator.REVISION_B)
    assert (result.returncode, data["verdict"]) == (0, "no change"), data["reason"]
    assert data["before"]["revision"] == generator.OLD_REVISION and data["after"]["revision"] == generator.REVISION_B
    group = cache_group(data)
    assert not group["significant"] and group["p_adjusted"] > 0.05
    assert 0.03 < group["before"]["rate"] < 0.07 and 0.03 < group["after"]["rate"] < 0.07
    assert group["before"]["unit"] == "request" and group["before"]["exposure"] > 1000
    (backend,) = data["services"]  # a revision diff judges the traffic of the revisions' service only
    assert backend["service"] == generator.BACKEND and backend["enough"] and backend["power"] > 0.8


def test_a_deploy_that_doubles_an_error_is_raised_and_significant(deploys):
    result, data = diff_json(str(deploys["doubled"]), "--before", "..2025-09-12T14:30Z", "--after", "2025-09-12T14:30Z..")
    assert (result.returncode, data["verdict"], data["exit_code"]) == (1, "regressed", 1), data["reason"]
    group = cache_group(data)
    assert group["change"] == "raised" and group["significant"] and group["p_adjusted"] < 0.001
    assert 1.5 < group["ratio"] < 2.5
    assert group["after"]["count"] > group["before"]["count"] * 1.5
    # the auth service's 403s, unchanged across the windows, are compared too but not flagged
    (auth,) = [item for item in data["groups"] if item["label"] == "POST /auth/validate 403"]
    assert not auth["significant"]
    assert data["groups"][0] == group  # the significant change leads


def test_a_short_after_window_is_too_early(deploys, generator):
    result, data = diff_json(str(deploys["healthy"]), "--before", "..2025-09-12T14:30Z",
                             "--after", "2025-09-12T14:30Z..2025-09-12T14:30:30Z", "--service", generator.BACKEND)
    assert (result.returncode, data["verdict"]) == (3, "too early"), data["reason"]
    (backend,) = data["services"]
    assert backend["after"]["requests"] < 40 and not backend["enough"] and backend["requests_needed"] > 100


def test_markdown_names_the_raised_group_with_its_figures(deploys):
    result = run_rca("diff", str(deploys["doubled"]), "--before", "..2025-09-12T14:30Z", "--after", "2025-09-12T14:30Z..",
                     "--model", "none")
    text = result.stdout.decode()
    assert result.returncode == 1 and text.startswith("# rca diff: ❌ regressed (exit 1)")
    row = next(line for line in text.splitlines() if line.startswith("| raised |"))
    assert "cache read timed out" in row and " req |" in row


def test_the_api_compares_revisions(deploys, generator):
    found = rca.diff(deploys["doubled"], from_revision=generator.OLD_REVISION, to_revision=generator.REVISION_B, model=None)
    assert found.verdict == "regressed" and found.exit_code == 1
    assert [c.change for c in found.groups if c.significant] == ["raised"]


def test_bad_sides_are_one_line_and_exit_2(deploys):
    logs = str(deploys["healthy"])
    cases = {
        ("--from", "a-revision"): "compare either two revisions",
        ("--from", "x", "--to", "y", "--before", "..14:00Z", "--after", "14:00Z.."): "compare either two revisions",
        ("--before", "2025-09-12T14:30Z", "--after", "2025-09-12T14:30Z.."): "expected SINCE..UNTIL",
        ("--before", "yesterday..", "--after", "2025-09-12T14:30Z.."): "'yesterday' is neither a time",
        ("--before", "2025-09-12T14:30Z..2025-09-12T14:00Z", "--after", "2025-09-12T14:30Z.."): "must start before it ends",
        ("--from", "netra-backend-staging-00041-kx7", "--to", "no-such-revision"): "revision no-such-revision has no request",
    }
    for args, said in cases.items():
        result = run_rca("diff", logs, *args, "--model", "none")
        err = result.stderr.decode()
        assert result.returncode == 2 and said in err and "Traceback" not in err, (args, err)


def test_labels_are_escaped_in_markdown_and_html(tmp_path, generator):
    """A group's label is log text: it reaches both reports as text, never as markup."""
    entries = generator.deploy_check(0.05)
    hostile = "<script>alert(1)</script> | `x` token=ya29.a0AfH6SMBsecretsecretsecret"
    for entry in entries:
        if entry.get("jsonPayload", {}).get("logger") == "netra_backend.app.cache":
            entry["jsonPayload"]["message"] = hostile
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    sides = ("--before", "..2025-09-12T14:30Z", "--after", "2025-09-12T14:30Z..", "--model", "none")
    page = run_rca("diff", str(path), *sides, "--format", "html").stdout.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    markdown = run_rca("diff", str(path), *sides).stdout.decode()
    row = next(line for line in markdown.splitlines() if "alert(1)" in line)
    assert "&lt;script&gt;" in row and "\\|" in row and "\\`x\\`" in row
    assert "ya29.a0AfH6SMBsecret" not in page + markdown


def test_rise_and_fall_tests_against_known_values():
    # 30 events on each side of equal traffic: the after side's share is Binomial(60, 1/2); P(X >= 30) = 0.551
    assert rise_p_value(30, 1000, 30, 1000) == pytest.approx(0.5513, abs=1e-3)
    # a group seen only after, 5 times, with as much traffic before: (1/2)^5
    assert rise_p_value(0, 1000, 5, 1000) == pytest.approx(0.5 ** 5)
    assert fall_p_value(20, 1000, 2, 1000) < 1e-4 and rise_p_value(20, 1000, 2, 1000) > 0.99
    assert rise_p_value(0, 1000, 0, 1000) == 1.0 and rise_p_value(3, 0, 1, 10) == 1.0


def test_power_grows_with_traffic_and_says_what_is_needed():
    assert power(0, 700, 12, 0.01) < 0.2 < power(0, 700, 300, 0.01) < power(0, 700, 1000, 0.01)
    needed = exposure_needed(0, 700, 0.01)
    assert needed is not None and power(0, 700, needed, 0.01) >= 0.8 > power(0, 700, needed - 1, 0.01)
    rise = judge_rise(34, 690, 70, 700)
    assert rise.significant and rise.enough and rise.target == pytest.approx(2 * 34 / 690)
    assert exposure_needed(5, 0, 0.1) is None  # no before side: no amount of traffic after can tell


def test_the_readme_examples_run_as_written_with_their_exit_codes(tmp_path):
    """Every line of the README's `rca verify` / `rca diff` block, run from a copy of the fixtures' root,
    exits as its comment says."""
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    block = readme.split("## After the fix: `rca verify` and `rca diff`")[1].split("```")[1]
    lines = [line for line in block.splitlines() if line.startswith("rca ")]
    assert len(lines) == 6
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    for line in lines:
        command, _, comment = line.partition("#")
        expected = int(comment.split("exit ")[1][0]) if "exit " in comment else 0
        result = run_rca(*command.split()[1:], "--model", "none", cwd=tmp_path)
        assert result.returncode == expected, (line, result.stderr.decode()[-500:])


def test_the_doubled_deploy_read_backwards_is_improved(deploys, generator):
    """Rolled back from the doubled revision: the time-out's rate halves, significantly, and nothing rose."""
    found = rca.diff(deploys["doubled"], from_revision=generator.REVISION_B, to_revision=generator.OLD_REVISION, model=None)
    assert found.verdict == "improved" and found.exit_code == 0, found.reason
    (lowered,) = [c for c in found.groups if c.significant]
    assert lowered.change == "lowered" and lowered.ratio < 0.7 and "lowered 'cache read timed out" in found.reason


def test_two_workers_give_the_one_process_diff(deploys, generator, monkeypatch):
    """The requests are the map's own tally (one count, per part, merged), so that byte ranges read by
    two processes give the diff one process gives, read once."""
    from rca.analyze import mapping
    from rca.ingest.stats import ReadStats
    from rca.report.deploy_checks import diff_to_dict

    monkeypatch.setattr(mapping, "SPLIT_MIN_BYTES", 20_000)
    monkeypatch.setattr(mapping, "OVERLAP_BYTES", 50_000)
    path = deploys["doubled"]
    assert len(mapping.plan([str(path)], 2)) >= 3
    made = {}
    for workers in (1, 2):
        stats = ReadStats()
        found = rca.diff(path, from_revision=generator.OLD_REVISION, to_revision=generator.REVISION_B, model=None,
                         stats=stats, workers=workers)
        made[workers] = diff_to_dict(found, redacted=False)
        made[workers]["stats"].pop("seconds", None)
        assert stats.records == len(path.read_bytes().splitlines())  # each record counted once
        assert stats.sources == [str(path)]
    assert made[2] == made[1]
    group = cache_group(made[1])
    assert group["change"] == "raised" and group["before"]["exposure"] > 1000


def test_the_cli_diff_takes_workers(deploys, generator):
    sides = ("--from", generator.OLD_REVISION, "--to", generator.REVISION_B)
    one = diff_json(str(deploys["healthy"]), *sides, "--workers", "1")[1]
    two = diff_json(str(deploys["healthy"]), *sides, "--workers", "2")[1]
    one["stats"].pop("seconds", None)
    two["stats"].pop("seconds", None)
    assert one == two and one["verdict"] == "no change"
