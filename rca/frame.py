"""LogRecords as a pandas DataFrame with dtypes a pandas user expects."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .record import SEVERITIES, LogRecord

# Column name -> LogRecord attribute; the README documents each column.
COLUMNS = (
    "time", "severity", "service", "revision", "instance", "resource_type", "log_name", "text",
    "http_method", "http_url", "http_status", "http_latency_ms", "trace", "insert_id", "source", "position",
)
CATEGORICAL = ("service", "revision", "instance", "resource_type", "log_name", "http_method", "source")


def records_frame(records: Iterable[LogRecord]) -> pd.DataFrame:
    columns: dict[str, list] = {name: [] for name in COLUMNS}
    appenders = [(columns[name].append, name) for name in COLUMNS]
    for record in records:
        for append, name in appenders:
            append(getattr(record, name))
    frame = pd.DataFrame(columns)
    # Epoch floats carry microseconds faithfully, not nanoseconds: round off the float noise.
    frame.insert(0, "timestamp", pd.to_datetime(frame.pop("time"), unit="s", utc=True).dt.round("us"))
    frame["severity"] = pd.Categorical(frame["severity"], categories=SEVERITIES, ordered=True)
    for name in CATEGORICAL:
        frame[name] = frame[name].astype("category")
    frame["http_status"] = frame["http_status"].astype("Int64")
    frame["http_latency_ms"] = frame["http_latency_ms"].astype("float64")
    frame["position"] = frame["position"].astype("int64")
    return frame
