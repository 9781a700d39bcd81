"""rca: find the root cause of a service failure in its logs."""

from .api import iter_events, read_events, read_logs
from .events import ErrorEvent
from .ingest import InputError, iter_records
from .record import LogRecord
from .stats import ReadStats
from .tracebacks import Traceback, parse_traceback

__all__ = [
    "ErrorEvent", "InputError", "LogRecord", "ReadStats", "Traceback",
    "iter_events", "iter_records", "parse_traceback", "read_events", "read_logs",
]
__version__ = "0.1.0"
