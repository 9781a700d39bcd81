"""Large plain-text service logs for the text engine's benchmark and tests (rca/ingest/textengine.py).

One Python service's log, as `logging` and gunicorn print it: healthy INFO and DEBUG lines, access
lines (requests, which always reach Python), WARNING lines, and errors: single ERROR lines and
tracebacks printed after the ERROR line that announces them. Until `onset` (a share of the lines)
errors are rare (a timeout now and then); after it a new failure takes `error_share` of the lines
beyond and three in ten requests answer 500. Stamps rise by milliseconds and never step back.

    python benchmarks/textlogs.py OUT.log [--lines N] [--error-share 0.25] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta

START = datetime(2025, 9, 12, 14, 0, 0, tzinfo=UTC)
ROUTES = ("/orders", "/orders/{n}", "/items/{n}", "/health", "/cart/{n}/checkout")
TIMEOUT = [
    "Traceback (most recent call last):",
    '  File "/app/orders/api.py", line 88, in create_order',
    "    reply = payments.charge(order)",
    '  File "/app/orders/payments.py", line 41, in charge',
    "    return session.post(URL, json=body, timeout=5)",
    "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='pay.internal', port=443): Read timed out.",
]
CRASH = [
    "Traceback (most recent call last):",
    '  File "/app/orders/api.py", line 102, in get_order',
    "    row = db.fetch_order(order_id)",
    '  File "/app/orders/db.py", line 57, in fetch_order',
    "    return rows[0][\"total_cents\"]",
    "KeyError: 'total_cents'",
]


def _stamp(moment: datetime) -> str:
    """Python logging's default asctime (gunicorn's own stamp is to the second: it would step back)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"


def _healthy(rng: random.Random, stamp: str, n: int, late: bool) -> str:
    roll = rng.random()
    if roll < 0.12:  # after the onset some requests fail: the symptom users see
        route = rng.choice(ROUTES).format(n=n % 977)
        status = 500 if late and rng.random() < 0.3 else 200
        return f'{stamp} INFO uvicorn.access: 10.8.{n % 7}.{n % 251}:{40000 + n % 9999} - "GET {route} HTTP/1.1" {status}'
    if roll < 0.17:
        return f"{stamp} WARNING orders.cache: cache miss for order {n % 4099}, loading from the database"
    if roll < 0.35:
        return f"{stamp} DEBUG orders.db: query took {n % 97} ms (pool {n % 5}/10 in use)"
    return f"{stamp} INFO orders.api: handled order {n % 100_003} for customer c{n % 7919} in {n % 113} ms"


def _error(rng: random.Random, stamp: str, n: int, late: bool) -> list[str]:
    if not late:
        return [f"{stamp} ERROR orders.api: payment call failed for order {n % 100_003}", *TIMEOUT]
    if rng.random() < 0.3:
        return [f"{stamp} ERROR orders.db: could not read order {n % 100_003}: column total_cents is missing"]
    return [f"{stamp} ERROR orders.api: Exception on /orders/{n % 977} [GET]", *CRASH]


def write_text_log(path, lines: int, error_share: float = 0.25, seed: int = 1, onset: float = 0.4) -> int:
    """Write about `lines` lines (a traceback is not cut at the end); return how many were written."""
    rng = random.Random(seed)
    moment, written = START, 0
    late_share = min(1.0, max(0.0, (error_share - 0.004 * onset) / (1 - onset)))
    with open(path, "w", encoding="utf-8") as out:
        while written < lines:
            moment += timedelta(microseconds=rng.randrange(0, 4000))
            stamp = _stamp(moment)
            late = written >= lines * onset
            # an error unit is ~5 lines: start one often enough that `share` of the lines are errors
            if rng.random() < (late_share if late else 0.004) / 5:
                block = _error(rng, stamp, written, late)
            else:
                block = [_healthy(rng, stamp, written, late)]
            out.write("\n".join(block) + "\n")
            written += len(block)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--error-share", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(write_text_log(args.out, args.lines, args.error_share, args.seed))


if __name__ == "__main__":
    main()
