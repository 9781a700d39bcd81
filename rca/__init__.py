"""rca: find the root cause of a service failure in its logs."""

import rca.analyze  # noqa: F401  the stage package, loaded before `analyze` below names the function
from rca.api import analyze, diff, iter_events, match_rule, parse_traceback, read_events, read_logs, relation, sql, verify
from rca.classify.hybrid import classify_text
from rca.classify.rules import Rule, RuleSet, write_pack
from rca.events.error_event import ErrorEvent
from rca.events.tracebacks import Traceback
from rca.ingest import InputError, iter_records
from rca.ingest.record import LogRecord
from rca.ingest.stats import ReadStats

__all__ = [
    "ErrorEvent", "InputError", "LogRecord", "ReadStats", "Rule", "RuleSet", "Traceback",
    "analyze", "classify_text", "diff", "match_rule", "iter_events", "iter_records", "parse_traceback", "read_events", "read_logs",
    "relation", "sql", "verify", "write_pack",
]
from importlib.metadata import version as _version

__version__ = _version("rca")
