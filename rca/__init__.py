"""rca: find the root cause of a service failure in its logs."""

from .api import analyze, iter_events, match_rule, read_events, read_logs
from .classify import classify_text
from .events import ErrorEvent
from .ingest import InputError, iter_records
from .record import LogRecord
from .rules import Rule, RuleSet, write_pack
from .stats import ReadStats
from .tracebacks import Traceback, parse_traceback

__all__ = [
    "ErrorEvent", "InputError", "LogRecord", "ReadStats", "Rule", "RuleSet", "Traceback",
    "analyze", "classify_text", "match_rule", "iter_events", "iter_records", "parse_traceback", "read_events", "read_logs",
    "write_pack",
]
from importlib.metadata import version as _version

__version__ = _version("rca")
