"""The notebook-first Python API: analyze from paths, DataFrames or records; DataFrames; display; plots."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import INCIDENT  # noqa: E402

import rca  # noqa: E402
from rca.analyze.groups import SAMPLE_EVENTS  # noqa: E402
from rca.ingest.dataframe import records_from_frame  # noqa: E402


@pytest.fixture(scope="module")
def logs():
    return rca.read_logs(INCIDENT / "logs.jsonl")


@pytest.fixture(scope="module")
def result(logs):
    return rca.analyze(logs)


def test_analyze_takes_a_dataframe_a_path_or_records(logs, result):
    from_path = rca.analyze(INCIDENT / "logs.jsonl")
    from_records = rca.analyze(list(records_from_frame(logs)))
    for other in (from_path, from_records):
        assert other.incidents[0].root_cause == result.incidents[0].root_cause
    assert result.stats.records == len(logs) == 5789


def test_a_filtered_dataframe_is_analysed_as_filtered(logs):
    backend = logs[logs["service"] == "netra-backend-staging"]
    result = rca.analyze(backend)
    assert set(result.events["service"].astype(str)) == {"netra-backend-staging"}
    assert result.incidents[0].ruled_out == []  # the auth service and the worker are not in this frame


def test_records_survive_the_round_trip_through_a_dataframe(logs):
    records = list(records_from_frame(logs.head(50)))
    frame = rca.ingest.dataframe.records_frame(records)
    pd.testing.assert_frame_equal(frame, logs.head(50).reset_index(drop=True), check_categorical=False)


def test_groups_and_events_have_useful_dtypes(result):
    assert str(result.groups["first_seen"].dtype) == "datetime64[ns, UTC]"
    assert result.groups["class"].dtype == "category"
    events = result.events
    assert str(events["time"].dtype) == "datetime64[ns, UTC]" and events["time"].is_monotonic_increasing
    assert events["service"].dtype == "category" and events["class"].dtype == "category"
    assert str(events["http_status"].dtype) == "Int64"
    assert events.groupby("group").size().max() == SAMPLE_EVENTS  # each group's earliest events, whole
    assert events.set_index("time").resample("10min").size().sum() == len(events)
    rates = result.rates  # every event counted, per minute
    assert str(rates["time"].dtype) == "datetime64[ns, UTC]" and rates["count"].sum() == 1684
    per_group = rates.groupby("label")["count"].sum()
    assert per_group["NameError: name 'redis' is not defined"] == 50
    unavailable = result.groups.loc[result.groups["class"] == "service_unavailable", "label"]
    assert per_group[list(unavailable)].sum() == 1030


def test_display_and_repr(result):
    assert repr(result).startswith("<rca analysis: 1 incident(s) (missing_import in netra-backend-staging), 11 groups")
    assert result._repr_markdown_().startswith("# Incident 1: netra-backend-staging")
    assert "<svg" in result._repr_html_() and "<html" not in result._repr_html_()
    incident = result.incidents[0]
    assert "NameError: name 'redis' is not defined" in repr(incident) and "Five whys" in incident._repr_markdown_()
    group = result.group("NameError: name 'redis' is not defined")
    assert repr(group) == "<group \"NameError: name 'redis' is not defined\": missing_import, 50 events>"
    assert "Traceback (most recent call last)" in group._repr_markdown_()


def test_plots_return_axes_with_the_data(result):
    from rca.report.html import COLOURS

    ax = result.plot_timeline()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "NameError: name 'redis' is not defined"  # the root cause on top, then symptoms, ruled out last
    assert labels[-2:] == ["POST /auth/validate 403", "sqlalchemy.exc.OperationalError…"]
    assert ax.get_title(loc="left") == "Incident 1: netra-backend-staging — events per minute by group"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == ["root cause", "symptom", "ruled out"] and any(t.startswith("deploy netra-backend") for t in legend)
    assert any(t.startswith("onset 14:20:02") for t in legend)
    bars = ax.patches
    assert len(bars) > 300
    red = [b for b in bars if matplotlib.colors.to_hex(b.get_facecolor()) == COLOURS["root-cause"]]
    assert sum(b.get_height() for b in red) > 0 and len(red) == 30  # one bar per minute with a NameError
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["14:00", "14:10", "14:20"]
    rate = result.plot_error_rate()
    assert {t.get_text() for t in rate.get_legend().get_texts()} >= {"netra-backend-staging", "netra-auth-service"}


def test_groups_frame_leads_with_label_and_class(result):
    columns = list(result.groups.columns)
    assert columns[:4] == ["label", "class", "role", "count"] and columns[-1] == "fingerprint"


def test_classification_repr_is_one_readable_line():
    result = rca.classify_text("Traceback (most recent call last):\n  File \"/app/svc/limiter.py\", line 22, in __init__\n"
                               "    self.redis = redis.Redis()\nNameError: name 'redis' is not defined")
    text = repr(result)
    assert "\n" not in text and len(text) < 300
    assert text.startswith("<Classification missing_import 0.95 by rule missing-import.name-used-as-module | "
                           "name='redis', at limiter.py:22")
    assert "also: " in text and "np.str_" not in text and "Rule(" not in text
    assert "<table>" in result._repr_html_() and "missing_import" in result._repr_html_()
    # no rule nor knowledge table knows the NATS client: the model decides
    by_model = repr(rca.classify_text("nats.errors.NoServersError: nats: no servers available for connection"))
    assert by_model.startswith("<Classification dependency_connection_failure ") and " by the model" in by_model


def test_classify_text():
    result = rca.classify_text("sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) could not connect to server")
    assert (result.cls, result.method) == ("db_session_failure", "rule")


def test_rule_from_yaml_refuses_a_bad_rule():
    with pytest.raises(rca.classify.rules.RuleError, match="field `class`: missing"):
        rca.Rule.from_yaml("id: x\nrole: cause\n")


def test_analyze_takes_a_generator_of_paths_or_of_records(logs):
    by_paths = rca.analyze(p for p in [INCIDENT / "logs.jsonl"])
    by_records = rca.analyze(r for r in records_from_frame(logs))
    assert by_paths.incidents[0].root_cause == by_records.incidents[0].root_cause


def test_the_api_takes_every_setting_the_cli_takes():
    """One way in: `rca analyze` builds a Settings and calls rca.analyze; the API takes mute, baseline
    and service_map too (it lacked them), alone or through the same Settings."""
    from rca.config import Settings
    from rca.ingest.times import parse_moment

    muted = rca.analyze(INCIDENT / "logs.jsonl", model=None, mute=["missing-import.name-used-as-module"])
    assert [g["class"] for g in muted.to_dict()["groups"] if g["muted"]] == ["missing_import"]
    during = ("2025-09-12T14:25:00Z", "2025-09-12T14:35:00Z")
    assert rca.analyze(INCIDENT / "logs.jsonl", model=None, baseline=during).to_dict()["incidents"] == []
    settings = Settings.build(None, mute=["missing-import.name-used-as-module"], since=parse_moment("2025-09-12T14:00Z"))
    through = rca.analyze(INCIDENT / "logs.jsonl", settings, model=None).to_dict()
    assert through["groups"] == muted.to_dict()["groups"] and through["filters"]["since"] is not None


def test_workers_given_to_the_api_win_over_the_settings(monkeypatch):
    """An argument given wins over `settings`, `workers=1` too (it was taken for "not given"); left out,
    the settings' number is used. The processes show in the parts planned for them."""
    from rca.analyze import analysis as analysis_module
    from rca.analyze import mapping
    from rca.config import Settings

    monkeypatch.setattr(mapping, "SPLIT_MIN_BYTES", 20_000)  # the seed is large enough to be cut in ranges
    planned: list[int] = []
    real_plan = analysis_module.plan
    monkeypatch.setattr(analysis_module, "plan", lambda files, workers: planned.append(workers) or real_plan(files, workers))
    settings = Settings.build(None, workers=2)
    one = rca.analyze(INCIDENT / "logs.jsonl", settings, model=None, workers=1).to_dict()
    assert planned == []  # one process reads the file whole
    two = rca.analyze(INCIDENT / "logs.jsonl", settings, model=None).to_dict()
    assert planned == [2]
    for made in (one, two):
        made.pop("run", None)
        made.pop("seconds", None)
        made.get("stats", {}).pop("seconds", None)
    assert one == two


def test_settings_take_the_file_then_the_flags(tmp_path):
    from rca.config import ConfigError, Settings, find_config

    (tmp_path / "rca.toml").write_text('mute = ["GET /healthz 401"]\npath_maps = ["/app=."]\nservice_map = ["lb-backend=web"]\n')
    config = find_config(tmp_path)
    assert Settings.build(config).path_maps == [("/app", ".")] and Settings.build(config).service_map == {"lb-backend": "web"}
    flagged = Settings.build(config, mute=["team.flaky"], path_maps=["/srv="])
    assert flagged.mute == ["team.flaky"] and flagged.path_maps == [("/srv", ".")] and flagged.service_map == {"lb-backend": "web"}
    with pytest.raises(ConfigError, match="--service-map 'web': expected FROM=TO"):
        Settings.build(config, service_map=["web"])
    with pytest.raises(ConfigError, match="--since must come before --until"):
        Settings.build(None, since=20.0, until=10.0)
