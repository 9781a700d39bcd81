"""Issue 28: classification that holds on sources the rules were not written from. One test per kind
of mistake the fresh corpus showed; each failed before the fix (rules alone, model=None, so that
what is tested is the rules' and the knowledge tables' own answer)."""

from pathlib import Path

import pytest
import yaml

from rca.classify.classes import KNOWN_CLASSES, SYMPTOM_CLASSES
from rca.classify.hybrid import classify_text, default_rules
from rca.classify.rules.conditions import counts
from rca.classify.signals import knowledge_dir


def rules_say(text: str):
    return classify_text(text, rules=default_rules(), model=None)


# ---- structure decides before words ---------------------------------------------------------------

LOCAL_NAME = ('Traceback (most recent call last):\n'
              '  File "/usr/local/lib/python3.8/dist-packages/turbinia/task_manager.py", line 807, in process_tasks\n'
              '    .format(celery_task.id, timeout))\n'
              "NameError: name 'celery_task' is not defined")


def test_a_local_variable_used_with_an_attribute_is_not_a_missing_import():
    # before: missing-import.name-used-as-module took `celery_task.id` for a module's use
    assert rules_say(LOCAL_NAME).cls == "unknown"


def test_a_known_module_or_alias_is_a_missing_import_with_or_without_its_use():
    used = ('Traceback (most recent call last):\n  File "/app/report.py", line 41, in build\n'
            "    frame = pd.DataFrame(rows)\nNameError: name 'pd' is not defined")
    assert rules_say(used).cls == "missing_import"
    # before: unknown (numpy is no standard module, and no line showed its use)
    assert rules_say("NameError: name 'numpy' is not defined").cls == "missing_import"
    # Python 2's wording: before, the structure reader did not see the name at all
    assert rules_say("NameError: global name 'json' is not defined").cls == "missing_import"


def test_a_status_inside_a_url_is_not_evidence():
    # before: rate.quota-or-throttle-exception read the 429 in the path as a throttle
    text = "requests.exceptions.HTTPError: 404 Client Error: Not Found for url: https://api.example.com/v1/errors/429"
    assert rules_say(text).cls == "unknown"


@pytest.mark.parametrize("text, start, end, expected", [
    ("unexpected keyword argument 'connect_timeout'", 37, 44, False),  # glued by an underscore
    ("for url: https://x.example/errors/429", 34, 37, False),  # inside a URL
    ("Read timed out. (read timeout=30)", 5, 10, True),
    ("429 Too Many Requests", 0, 3, True),
])
def test_which_spans_count(text, start, end, expected):
    assert text[start:end] in ("timeout", "429", "timed")
    assert counts(text, start, end) is expected


# ---- the innermost cause first, the symptom kept as a secondary finding ---------------------------

def test_a_cause_in_the_same_text_beats_the_symptom_it_caused():
    text = ('Traceback (most recent call last):\n  File "/app/config.py", line 4, in <module>\n'
            '    SECRET = os.environ["SECRET_KEY"]\nKeyError: \'SECRET_KEY\'\n'
            "[2024-01-01 10:00:01 +0000] [1] [INFO] Reason: Worker failed to boot.")
    decided = rules_say(text)
    # before: startup.gunicorn-worker-boot won
    assert decided.cls == "config_error"
    assert [s["class"] for s in decided.secondary] == ["startup_failure"]
    assert decided.as_dict()["secondary"][0]["rule"] == "startup.gunicorn-worker-boot"


def test_a_failed_probe_gives_way_to_the_error_behind_it():
    text = "Liveness probe failed: HTTP probe failed with statuscode: 500\nKeyError: 'SECRET_KEY'"
    assert rules_say(text).cls == "config_error"  # before: unavailable.health-probe-failed


def test_a_symptom_alone_stays_a_symptom_with_no_secondary():
    decided = rules_say("Readiness probe failed: HTTP probe failed with statuscode: 503")
    assert decided.cls == "service_unavailable" and decided.secondary == []
    assert "secondary" not in decided.as_dict()


# ---- time limits are timeouts, whatever library raised them ---------------------------------------

@pytest.mark.parametrize("text", [
    "redis.exceptions.TimeoutError: Timeout reading from socket",  # before: dependency.redis-connection
    "[HY000][3024] Query execution was interrupted, maximum statement execution time exceeded",  # before: unknown
    "DeadlineExceededError: The overall deadline for responding to the HTTP request was exceeded.",  # before: dependency
    "2024-03-01 10:00:00 UTC [77] ERROR:  canceling statement due to lock timeout",  # before: unknown (rules)
    'heroku[router]: at=error code=H12 desc="Request timeout" method=GET path="/" status=503',  # before: unknown (rules)
])
def test_time_limits_are_timeouts(text):
    assert rules_say(text).cls == "timeout"


def test_a_refused_connection_under_a_selection_time_out_is_the_database():
    text = ("pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused, "
            "Timeout: 30s, Topology Description: <TopologyDescription id: 1, topology_type: Unknown>")
    assert rules_say(text).cls == "db_session_failure"  # before: dependency.http-connect-failure


# ---- platform knowledge as data -------------------------------------------------------------------

def platform_entries() -> list[dict]:
    return yaml.safe_load((knowledge_dir() / "platforms.yaml").read_text(encoding="utf-8"))["platforms"]


@pytest.mark.parametrize("entry", platform_entries(), ids=lambda e: e["id"])
def test_every_platform_entry_is_sourced_and_its_example_takes_its_class(entry):
    assert entry["class"] in KNOWN_CLASSES
    assert entry["source"].startswith("https://")
    assert rules_say(entry["example"]).cls == entry["class"]


def test_a_platform_symptom_gives_way_to_a_cause_and_to_a_plain_bug():
    crashed = 'heroku[router]: at=error code=H10 desc="App crashed" method=GET path="/" status=503'
    assert rules_say(crashed).cls == "service_unavailable"  # before: unknown (rules)
    with_cause = "ModuleNotFoundError: No module named 'flask_cors'\n" + crashed
    assert rules_say(with_cause).cls == "missing_import"
    bug = ('Traceback (most recent call last):\n  File "/app/main.py", line 3, in <module>\n    total = int(count)\n'
           "ValueError: invalid literal for int() with base 10: 'abc'\nweb-1 exited with code 1")
    assert rules_say(bug).cls == "unknown"


def test_the_symptom_entries_are_the_symptom_classes_only_where_meant():
    symptoms = {e["id"] for e in platform_entries() if e["class"] in SYMPTOM_CLASSES}
    assert symptoms == {"heroku-h10-app-crashed", "heroku-h13-connection-closed", "heroku-h14-no-web-dynos",
                        "load-balancer-no-healthy-upstream", "uptime-monitor-down", "container-exit-nonzero",
                        # issue 28, third pass: platform symptoms read from new real texts
                        "heroku-dyno-crashed-on-start", "heroku-boot-timeout", "app-engine-server-error-page",
                        "nginx-own-error-page", "spring-boot-failed-to-start",
                        # issue 28, fourth pass: the service's own server pages
                        "nginx-own-error-page-as-text", "nginx-default-50x-page", "apache-own-503-page",
                        # issue 28, fifth pass: Heroku's and Cloud Run's own pages, the kubelet's liveness kill
                        "heroku-application-error-page", "cloud-run-no-available-instance", "kubernetes-liveness-kill",
                        "supervisord-gave-up", "systemd-start-limit", "uwsgi-no-app-loaded",
                        # issue 28, sixth pass: pm2 giving up, Render's and Fly's deploy checks, Fly's proxy
                        "pm2-unstable-restarts", "render-no-open-port", "fly-app-not-listening",
                        "fly-proxy-instance-refused", "azure-app-service-container-did-not-start",
                        # issue 28, other stacks: the kubelet's kill after a start-up probe that never passed
                        "kubernetes-startup-probe-kill", "passenger-could-not-spawn", "dokku-container-check-failed",
                        # issue 28, classify10: AWS's and Railway's words for a service not answering or stopped
                        "aws-elastic-beanstalk-requests-failing", "railway-application-failed-to-respond",
                        "aws-ecs-essential-container-exited", "iis-own-503-page", "browser-console-503"}


def test_the_module_table_names_no_common_local_variable():
    table = yaml.safe_load((Path(knowledge_dir()) / "modules.yaml").read_text(encoding="utf-8"))
    names = set(table["modules"]) | set(table["aliases"])
    assert not names & {"logger", "log", "data", "result", "client", "session", "celery_task", "item", "user"}
