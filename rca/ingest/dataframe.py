"""LogRecords as a pandas DataFrame with dtypes a pandas user expects."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd

from rca.ingest.record import SEVERITIES, LogRecord

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


def records_from_frame(frame: pd.DataFrame) -> Iterator[LogRecord]:
    """LogRecords from a DataFrame of `records_frame`'s columns (a filtered `rca.read_logs` result)."""
    times = frame["timestamp"].map(lambda t: None if pd.isna(t) else t.timestamp()).tolist()
    columns = {name: frame[name].astype(object).where(frame[name].notna(), None).tolist()
               for name in COLUMNS if name not in ("time",) and name in frame}
    for index, time in enumerate(times):
        values = {name: column[index] for name, column in columns.items()}
        values["text"] = values.get("text") or ""
        values["source"] = str(values.get("source") or "dataframe")
        values["position"] = int(values.get("position") or index + 1)
        if values.get("http_status") is not None:
            values["http_status"] = int(values["http_status"])
        yield LogRecord(time=time, **values)
