"""Copies of an entry in a file DuckDB reads, counted once as the Python reader counts them.

The Python reader passes over a line with an insertId that repeats, byte for byte, a line begun
within DUPLICATE_WINDOW_BYTES before it (`unique.RecentKeys`: a re-delivered or retried write).
The engine finds the lines that could be such copies in SQL, where they cost one hash a line: those
with an insertId whose text's hash (`COPY_KEY`, a column of the judged table) repeats in the file.
In an export without copies there are none and nothing more is done. Otherwise Python reads those
lines again with where each begins and runs RecentKeys itself over them, in file order: only a line
equal to another can be a copy, so they alone decide, by the same rule and the same code, full texts
compared (two lines that share a hash decide nothing). The copies found are then marked in the
judged table, so that SQL counts, tallies and hands over none of them.
"""

from __future__ import annotations

from rca.ingest.unique import RecentKeys

INSERT_ID = '"insertId":"'  # as unique.py looks for it: a real key of a compact line
# A column of the judged table: the hash of a line that may be a copy (it has an insertId), else NULL.
COPY_KEY = f"CASE WHEN contains(raw, '{INSERT_ID}') THEN hash(raw) END AS copy_key"
# Rows whose line shares its hash with another line: every copy is among them.
SUSPECTS = """SELECT row FROM judged WHERE copy_key IN (
    SELECT copy_key FROM judged WHERE copy_key IS NOT NULL GROUP BY copy_key HAVING count(*) > 1) ORDER BY row"""
# A copy is neither counted, tallied nor handed to Python: a kind no other query asks for.
MARK = "UPDATE judged_rows SET kind = 3, replica_set = NULL WHERE rowid + 1 IN (SELECT unnest(?::BIGINT[]))"


def suspect_rows(connection) -> list[int]:
    """Row numbers (in order) of the lines that may be copies of another."""
    return [row for (row,) in connection.execute(SUSPECTS).fetchall()]


def copies_among(texts: dict[int, object], offsets: dict[int, int]) -> set[int]:
    """The line numbers among `texts` (line number -> its bytes as read again, newline included, or
    a marker for a line too long to check) that RecentKeys passes over as copies; `offsets` says
    where each line begins. Lines too long to check are passed on unchecked, as UniqueEntries passes them."""
    recent = RecentKeys()
    found: set[int] = set()
    for line in sorted(texts):
        text = texts[line]
        if not isinstance(text, bytes):
            continue
        if recent.empty_copies([text.removesuffix(b"\n")], offsets[line]):
            found.add(line)
    return found


def mark_copies(connection, rows: list[int]) -> None:
    """Take the rows that are copies out of every count, tally and hand-over of the judged table."""
    if rows:
        connection.execute(MARK, [rows])
