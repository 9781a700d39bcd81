"""Start-up (issue 24: a small export within 5× the light-import floor): a run whose logs hold healthy
request logs but no error counts their requests without importing numpy (~0.09 CPU-s, a fifth of the
start-up), which is imported only when a group's rate is weighed against them."""

from __future__ import annotations

import json
import subprocess
import sys

from rca.analyze.exposure import Exposures
from rca.analyze.group_counts import SecondCounts

SCRIPT = ("import sys\nfrom rca.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
          "print('numpy' in sys.modules, file=sys.stderr)")


def request(second: int, status: int = 200) -> str:
    return json.dumps({"timestamp": f"2025-09-12T14:00:{second:02d}Z", "severity": "INFO", "insertId": f"r{second}",
                       "httpRequest": {"status": status, "requestMethod": "GET", "requestUrl": f"/items/{second}"},
                       "resource": {"type": "cloud_run_revision", "labels": {"service_name": "web", "revision_name": "web-1"}}})


def test_healthy_requests_are_counted_without_numpy(tmp_path):
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(request(second) + "\n" for second in range(50)))
    run = subprocess.run([sys.executable, "-c", SCRIPT, "analyze", str(path), "--format", "json"],
                         capture_output=True, text=True, check=True)
    assert json.loads(run.stdout)["groups"] == []
    assert run.stderr.strip().splitlines()[-1] == "False"


def test_a_tally_never_sorted_still_reads_and_merges_as_numpy_arrays():
    empty, some = SecondCounts(), SecondCounts()
    for second in (5, 5, 7):
        some.add(second, ("web", "web-1", False))
    assert dict(empty.items()) == {} and len(empty) == 0
    merged = empty.merged(some)
    assert dict(merged.items()) == {(5, "web", "web-1", False): 2, (7, "web", "web-1", False): 1}
    assert merged.keys.dtype.name == "int64"


def test_exposure_is_weighed_from_the_tally_when_first_asked():
    tally = SecondCounts()
    for second in range(1000, 1100):
        for _ in range(3):
            tally.add(second, ("web", "web-1", False))
    exposures = Exposures(tally, 1000.0, 1100.0)
    web = exposures.of("web")
    assert web is not exposures.time and web.seconds is not None and len(web.seconds) == 100
    assert web.amount(1000.0, 1050.0) >= 150 > web.amount(1000.0, 1010.0) * 2
    assert exposures.of("other") is exposures.time
