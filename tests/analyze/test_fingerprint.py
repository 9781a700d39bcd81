"""Grouping: pairs of failures that must share a group, and pairs that must not.

Each case writes two failures into a Python text log and asks whether rca gives them one key."""

import pytest

import rca
from rca.analyze.fingerprint import STRATEGY, fingerprint_of
from rca.events.frames import module_of


def traceback(path="/app/svc/orders.py", line=40, function="create", source="total = order['total']",
              exc="KeyError: 'total'", library_frames=()):
    frames = ['  File "/usr/local/lib/python3.11/site-packages/flask/app.py", line 1484, in full_dispatch_request\n'
              "    rv = self.dispatch_request()"]
    frames += [f'  File "{file}", line {number}, in {name}\n    {code}' for file, number, name, code in library_frames]
    frames.append(f'  File "{path}", line {line}, in {function}\n    {source}')
    return "Traceback (most recent call last):\n" + "\n".join(frames) + f"\n{exc}"


def keys(tmp_path, *failures):
    """The fingerprint key of each failure, read back through a text log as a user's would be."""
    lines = []
    for second, failure in enumerate(failures):
        stamp = f"2025-09-12 14:20:{second:02d},000 - svc - ERROR - "
        lines += [stamp + "request failed", failure] if failure.startswith("Traceback") else [stamp + failure]
    log = tmp_path / "app.log"
    log.write_text("\n".join(lines) + "\n")
    events = rca.read_events([log])
    assert len(events) == len(failures)
    return [fingerprint_of(e).key for e in events]


SAME_BUG = {
    "a line shift from an edit above": (traceback(line=40), traceback(line=47)),
    "two release directories": (traceback(path="/srv/app/releases/20250912-1420/svc/orders.py"),
                                traceback(path="/srv/app/releases/20250913-0900/svc/orders.py")),
    "two virtualenv installs": (traceback(path="/opt/venvs/a1b2c3d4e5/lib/python3.11/site-packages/svc/orders.py"),
                                traceback(path="/home/ci/.venv/lib/python3.11/site-packages/svc/orders.py")),
    "other ids in the message": (traceback(exc="KeyError: 'order_8f3a2b1'"), traceback(exc="KeyError: 'order_77c01de'")),
    "an extra library decorator": (traceback(), traceback(library_frames=[
        ("/usr/local/lib/python3.11/site-packages/tenacity/__init__.py", 382, "wrapped_f", "return self(f, *args, **kw)")])),
    "ids with prefixes in an ERROR line": ("payment failed for user_1842 in run_8f3a2b1",
                                           "payment failed for user_977 in run_0c1d2e3"),
    "upper- and mixed-case ids joined to a word": ("export failed for run_8F3A2B1 (session sess_AbC123xY)",
                                                   "export failed for run_0C1D2E3 (session sess_Zz9q8WkL)"),
    "ids joined to several words": ("sync_run_8f3a2b1 failed on batch-job_1c0ffee",
                                    "sync_run_77c01de failed on batch-job_9b8a7f6"),
    "pod names with a template hash and a suffix": ("worker checkout-5d8f7c9b4-x7k2p lost its lease",
                                                    "worker checkout-7f6b5c4d3-q2w9z lost its lease"),
    "ISO timestamps, durations and sizes": ("job stalled at 2025-09-12T14:20:03.123Z after 350ms holding 12 MB",
                                            "job stalled at 2025-09-13T09:01:59Z after 1.2s holding 640 KiB"),
}

TWO_BUGS = {
    "two lines of one function": (traceback(line=40, source="total = order['total']", exc="KeyError: 'total'"),
                                  traceback(line=52, source="rate = config['rate']", exc="KeyError: 'rate'")),
    "two exception types at one line": (traceback(exc="KeyError: 'total'"), traceback(exc="TypeError: 'NoneType' object is not subscriptable")),
    "two modules": (traceback(path="/app/svc/orders.py"), traceback(path="/app/svc/refunds.py")),
    "two messages without a traceback": ("payment failed for user_1842", "refund failed for user_1842"),
}


@pytest.mark.parametrize("case", SAME_BUG)
def test_the_same_bug_shares_a_group(tmp_path, case):
    first, second = keys(tmp_path, *SAME_BUG[case])
    assert first == second


@pytest.mark.parametrize("case", TWO_BUGS)
def test_two_bugs_get_two_groups(tmp_path, case):
    first, second = keys(tmp_path, *TWO_BUGS[case])
    assert first != second


def test_a_fingerprint_says_what_counted_and_why_the_rest_did_not(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("2025-09-12 14:20:00,000 - svc - ERROR - request failed\n" + traceback() + "\n")
    (event,) = rca.read_events([log])
    made = fingerprint_of(event).as_dict()
    assert made["strategy"] == STRATEGY and made["kind"] == "traceback"
    counted = [c for c in made["components"] if c["contributes"]]
    assert [c["id"] for c in counted] == ["type", "frame"]
    assert counted[1]["value"] == "svc.orders:create:total = order[<str>]"
    left_out = {c["reason"] for c in made["components"] if not c["contributes"]}
    assert left_out == {"library frame", "a traceback's frames identify the bug; its message carries ids"}


def test_groups_in_the_json_report_carry_their_components(tmp_path):
    from rca.report.markdown import to_dict

    log = tmp_path / "app.log"
    log.write_text("2025-09-12 14:20:00,000 - svc - ERROR - request failed\n" + traceback() + "\n")
    report = to_dict(rca.analyze([log], model=None).analysis)
    assert report["fingerprint_strategy"] == STRATEGY
    (group,) = report["groups"]
    assert group["fingerprint"]["components"][0] == {"id": "type", "value": "KeyError", "contributes": True}


@pytest.mark.parametrize("path, module", [
    ("/app/netra_backend/app/services/rate_limiter.py", "netra_backend.app.services.rate_limiter"),
    ("/srv/app/releases/20250912-1420/svc/api.py", "svc.api"),
    ("/workspace/deploy/3f2a9c1d/svc/api.py", "svc.api"),
    ("/usr/local/lib/python3.11/site-packages/redis/connection.py", "redis.connection"),
    ("/app/api/v1/users.py", "api.v1.users"),
    ("<frozen importlib._bootstrap>", "importlib._bootstrap"),
    ("/usr/lib/python3.11/asyncio/base_events.py", "asyncio.base_events"),
])
def test_module_paths_are_relative_to_the_application_root(path, module):
    assert module_of(path) == module


def test_a_rule_frame_module_reads_the_path_as_grouping_does():
    """One parser of module paths: a rule's `frame.module` used to read an install folder's path as
    `releases.20250912-1420.svc.api` while grouping read `svc.api`."""
    from rca.classify.rules import Rule, RuleSet
    from rca.classify.rules.snippets import event_from_example

    rule = Rule.from_yaml("""
id: team.api-handler
class: unknown
title: The API handler failed
confidence: 0.9
match:
  frame: {module: '^svc\\.api$'}
explanation: the API handler failed
questions: ["What did the handler look up?"]
remedy: Fix the handler.
examples:
  match: ["Traceback (most recent call last):\\n  File \\"/app/svc/api.py\\", line 9, in handle\\nKeyError: 'k'"]
  no_match: ["KeyError: 'k'"]
""")
    text = ('Traceback (most recent call last):\n  File "/srv/app/releases/20250912-1420/svc/api.py", line 9, in handle\n'
            '    return lookup(key)\nKeyError: \'k\'\n')
    assert RuleSet([rule], ()).classify(event_from_example(text)).rule is rule


@pytest.mark.parametrize("path, package", [
    ("/usr/local/lib/python3.11/site-packages/uvicorn/protocols/http/h11_impl.py", "uvicorn"),
    ("/usr/lib/python3.11/asyncio/base_events.py", "asyncio"),
    ("<frozen importlib._bootstrap>", "importlib"),
    ("/usr/local/bin/gunicorn", "gunicorn"),
])
def test_a_library_frame_is_named_by_its_package(path, package):
    from rca.events.frames import package_of

    assert package_of(path) == package
