"""Using rca changes nothing process-wide: a notebook or a service that imports it keeps its own
csv limit, environment and pickling rules."""

import copyreg
import csv
import os
import pickle
import subprocess
import sys

from conftest import INCIDENT

CHECK = """
import copyreg, csv, os, sys
csv_limit, environ = csv.field_size_limit(), dict(os.environ)
import rca
from rca.ingest.gcs import filesystem
from rca.ingest.record import LogRecord
list(rca.iter_records([sys.argv[1]]))
filesystem()
assert csv.field_size_limit() == csv_limit, ("csv limit", csv.field_size_limit(), csv_limit)
assert dict(os.environ) == environ, sorted(set(os.environ.items()) ^ set(environ.items()))
assert LogRecord not in copyreg.dispatch_table, "copyreg"
print("unchanged")
"""


def test_reading_a_csv_export_and_opening_a_bucket_change_nothing_global():
    done = subprocess.run([sys.executable, "-c", CHECK, str(INCIDENT / "downloaded-logs-20250912-142300.csv")],
                          capture_output=True, text=True, env={**os.environ, "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9"})
    assert done.returncode == 0 and done.stdout.strip() == "unchanged", done.stderr[-800:]


def test_a_record_still_pickles_as_its_values():
    from rca.ingest.record import LogRecord

    record = LogRecord(1757686800.5, "ERROR", "boom", "logs.jsonl", 7, service="api", extra={"status": 403})
    data = pickle.dumps(record)
    assert pickle.loads(data) == record and b"http_latency_ms" not in data  # no field names in the bytes
    assert copyreg.dispatch_table.get(LogRecord) is None and csv.field_size_limit() > 0
