"""Events: takes LogRecords (rca.ingest) and gives ErrorEvents: tracebacks stitched back together and
parsed, requests that failed, ERROR lines; with the masks and redaction every later stage shares.
May import: rca.ingest, rca.errors."""
