"""A deterministic error-flood export: 1,000,000 log-sink entries (by default) around the seed
incident, with a quarter of them error entries of thousands of distinct kinds.

The story: an hour of healthy traffic on four services, then the seed incident (a new backend
revision that crash-loops on a missing `import redis`, fixtures/generate.py) and, from its deploy
on, a flood. Every service starts failing in its own ways: request logs with 5xx and 429 statuses on
hundreds of routes (ids in the paths), structured ERROR lines from hundreds of message templates
(ids, addresses, durations, UUIDs inside), tracebacks whole in `jsonPayload.stack_trace` (dozens of
exception types raised from dozens of application functions), and stderr tracebacks printed one
line per entry as Cloud Run writes them. Entries are written in time order, one compact LogEntry per
line, as a sink writes them.

    python benchmarks/flood.py OUT.jsonl [--entries N]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
from datetime import timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("rca_fixture_generate", ROOT / "fixtures" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SERVICES = ("netra-backend-staging", "netra-gateway", "netra-billing", "netra-search")
RESOURCES = ("users", "orders", "threads", "agents", "invoices", "documents", "sessions", "projects", "keys",
             "webhooks", "reports", "files")
SUBS = ("", "/items", "/history", "/run", "/export", "/members", "/settings", "/events")
EXCEPTIONS = (
    ("KeyError", "'{word}_{n}'"), ("ValueError", "invalid literal for int() with base 10: '{word}{n}'"),
    ("TypeError", "'NoneType' object is not subscriptable"), ("AttributeError", "'NoneType' object has no attribute '{word}'"),
    ("ZeroDivisionError", "division by zero"), ("IndexError", "list index out of range"),
    ("RuntimeError", "task {uuid} failed after {n} retries"), ("TimeoutError", "operation timed out after {n}s"),
    ("ConnectionResetError", "[Errno 104] Connection reset by peer"),
    ("httpx.ReadTimeout", "timed out reading from http://{ip}:8080/v1/{word}"),
    ("httpx.ConnectError", "[Errno 111] Connection refused"),
    ("sqlalchemy.exc.OperationalError", "(psycopg2.OperationalError) could not connect to server at {ip}"),
    ("sqlalchemy.exc.IntegrityError", "duplicate key value violates unique constraint \"{word}_pkey\" DETAIL: Key (id)=({n}) already exists."),
    ("redis.exceptions.ConnectionError", "Error 111 connecting to {ip}:6379. Connection refused."),
    ("redis.exceptions.TimeoutError", "Timeout reading from socket"),
    ("google.api_core.exceptions.ServiceUnavailable", "503 failed to connect to all addresses; last error: UNAVAILABLE: ipv4:{ip}:443"),
    ("google.api_core.exceptions.DeadlineExceeded", "504 Deadline Exceeded"),
    ("google.api_core.exceptions.PermissionDenied", "403 Permission 'storage.objects.get' denied on resource (or it may not exist)."),
    ("pydantic_core._pydantic_core.ValidationError", "1 validation error for {Word}Request\n{word}\n  Field required [type=missing, input_value={{}}, input_type=dict]"),
    ("json.decoder.JSONDecodeError", "Expecting value: line 1 column {n} (char {m})"),
    ("asyncio.exceptions.CancelledError", ""), ("MemoryError", ""),
    ("PermissionError", "[Errno 13] Permission denied: '/tmp/{word}/{n}.lock'"),
    ("FileNotFoundError", "[Errno 2] No such file or directory: '/data/{word}/{uuid}.json'"),
    ("stripe.error.RateLimitError", "Request req_{hex} rate limited: too many requests"),
    ("openai.RateLimitError", "Error code: 429 - {{'error': {{'message': 'Rate limit reached for requests', 'code': 'rate_limit_exceeded'}}}}"),
    ("botocore.exceptions.ClientError", "An error occurred (ThrottlingException) when calling the {Word} operation: Rate exceeded"),
    ("jwt.exceptions.ExpiredSignatureError", "Signature has expired"),
    ("ssl.SSLError", "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"),
    ("UnicodeDecodeError", "'utf-8' codec can't decode byte 0x{hex2} in position {n}: invalid start byte"),
)
WORDS = ("account", "order", "thread", "agent", "invoice", "token", "session", "quota", "cursor", "payload",
         "tenant", "billing", "search", "index", "shard", "report", "export", "member", "webhook", "profile")
MODULES = tuple(f"/app/netra_{area}/{part}.py" for area in ("backend", "gateway", "billing", "search")
                for part in ("api/routes", "services/orders", "services/agents", "db/repository", "clients/upstream",
                             "tasks/sync", "auth/tokens", "cache/store"))
FUNCTIONS = ("handle", "get_one", "list_all", "create", "update", "delete", "sync_batch", "fetch", "refresh",
             "validate", "render", "enqueue", "charge", "lookup")
MESSAGES = (
    "failed to fetch {word} {word}-{n} for user {n} from {ip}",
    "upstream {Word}Service returned {status} after {n}ms (request {uuid})",
    "retrying {word} sync for tenant {word}_{n}: attempt {small} of 5",
    "could not acquire lock {word}:{hex} within {n} ms",
    "dropping message {uuid} from queue {word}-events: handler raised",
    "payment {word} ch_{hex} declined by processor: code {n}",
    "cache miss storm on key {word}:{n}: {n} concurrent loads",
    "timeout after {n}s waiting for {word} worker {small}",
    "rejected batch of {n} {word}s: quota exceeded for project {word}-{n}",
    "websocket {uuid} closed abnormally (code 1011) after {n} messages",
    "job {word}-{hex} failed on host 10.{small}.{small}.{small}: exit status {small}",
    "slow query ({n} ms) on {word}s: SELECT * FROM {word}s WHERE id = {n}",
)
STATUSES = (500, 502, 503, 504, 429)
METHODS = ("GET", "POST", "PUT", "DELETE")


class Flood:
    """Builds error entries from a seeded generator: every choice, id and number reproducible."""

    def __init__(self, scenario, seed: int):
        self.s = scenario
        self.random = random.Random(seed)
        r = self.random
        # The kinds that can fail: a few thousand, each with its own wording or route.
        # Each route fails with two statuses; each template's words are its own (ids and numbers vary);
        # each raising function has its caller and raises one of three exceptions.
        self.routes = [(service, r.choice(METHODS), f"/api/v{r.choice((1, 2))}/{res}/{{id}}{sub}", r.sample(STATUSES, 2))
                       for service in SERVICES for res in RESOURCES for sub in SUBS]
        self.templates = [(service, _words(r, template)) for service in SERVICES for template in MESSAGES for _ in range(10)]
        self.raisers = [(service, r.choice(MODULES), r.choice(FUNCTIONS) + "_" + r.choice(WORDS), r.randint(12, 400),
                         (r.choice(MODULES), r.choice(FUNCTIONS), r.randint(12, 400)), r.sample(EXCEPTIONS, 3))
                        for service in SERVICES for _ in range(80)]
        self.instances = {service: ["00" + scenario.hex_id(30) for _ in range(3)] for service in SERVICES}

    def _fill(self, text: str, status: int = 503) -> str:
        r = self.random
        return (text.replace("{n}", str(r.randint(1, 99999)), 1).replace("{n}", str(r.randint(1, 9999)))
                .replace("{m}", str(r.randint(1, 9999))).replace("{small}", str(r.randint(1, 9)))
                .replace("{ip}", f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}")
                .replace("{uuid}", _uuid(r)).replace("{hex}", "%012x" % r.getrandbits(48)).replace("{hex2}", "%02x" % r.getrandbits(8))
                .replace("{word}", r.choice(WORDS)).replace("{Word}", r.choice(WORDS).title())
                .replace("{status}", str(status)).replace("{{", "{").replace("}}", "}"))

    def traceback(self) -> tuple[str, str, str]:
        """(service, instance, the text of a traceback): application frames, then the exception."""
        r = self.random
        service, module, function, line, outer, raised = r.choice(self.raisers)
        kind, message = r.choice(raised)
        lines = ["Traceback (most recent call last):",
                 '  File "/usr/local/lib/python3.12/site-packages/starlette/routing.py", line 74, in app',
                 "    response = await func(request)",
                 f'  File "{outer[0]}", line {outer[2]}, in {outer[1]}',
                 f"    return await {function}(request)",
                 f'  File "{module}", line {line}, in {function}',
                 f"    result = await self.{function.split('_')[0]}({function.split('_')[-1]}_id)"]
        text = self._fill(message)
        lines.append(f"{kind}: {text}" if text else kind)
        return service, r.choice(self.instances[service]), "\n".join(lines)

    def entries(self, moment) -> list[dict]:
        """The entries of one failure at `moment` (several for a traceback printed line by line)."""
        r, s = self.random, self.s
        pick = r.random()
        if pick < 0.36:
            service, method, route, statuses = r.choice(self.routes)
            route = route.replace("{id}", r.choice((f"u-{r.randint(1000, 99999)}", str(r.randint(1, 10**6)), _uuid(r))))
            entry = s.request(moment, service, _revision(service), r.choice(self.instances[service]), method,
                              route, r.choice(statuses), r.uniform(0.01, 30.0), "ERROR")
            return [entry]
        if pick < 0.68:
            service, template = r.choice(self.templates)
            return [s.entry(moment, service, _revision(service), "stdout", severity=r.choice(("ERROR", "ERROR", "CRITICAL")),
                            instance=r.choice(self.instances[service]),
                            jsonPayload={"message": self._fill(template), "logger": f"netra.{r.choice(WORDS)}"},
                            trace=f"projects/netra-staging/traces/{r.getrandbits(128):032x}")]
        service, instance, text = self.traceback()
        if pick < 0.92:
            return [s.entry(moment, service, _revision(service), "stdout", severity="ERROR", instance=instance,
                            jsonPayload={"message": "request failed", "logger": "netra.errors", "stack_trace": text},
                            trace=f"projects/netra-staging/traces/{r.getrandbits(128):032x}")]
        before = len(s.entries)
        s.print_lines(moment, service, _revision(service), instance, text)
        return s.entries[before:]


def _words(r: random.Random, template: str) -> str:
    while "{word}" in template or "{Word}" in template:
        template = template.replace("{word}", r.choice(WORDS), 1).replace("{Word}", r.choice(WORDS).title(), 1)
    return template


def _uuid(r: random.Random) -> str:
    h = "%032x" % r.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _revision(service: str) -> str:
    return {"netra-backend-staging": "netra-backend-staging-00042-q9m"}.get(service, f"{service}-00007-abc")


def write_flood(path: Path, entries: int = 1_000_000, seed: int = 15, error_share: float = 0.62) -> dict:
    """Write the flood export; returns its counts (entries, error entries, distinct error kinds)."""
    g = _generator()
    incident, _ = g.missing_import_incident()
    start, deploy, end = g.START - timedelta(minutes=40), g.DEPLOY, g.END + timedelta(minutes=10)
    s = g.Scenario(seed)
    instances = ["00" + s.hex_id(30) for _ in range(8)]
    templates = g._healthy_templates(s, instances)
    flood = Flood(s, seed)
    step = (end - start) / (entries - len(incident))
    pending = iter(incident)
    waiting = next(pending, None)
    written = errors = index = 0
    moment = start
    with open(path, "wb") as out:
        while written < entries:
            moment += step
            while waiting is not None and waiting["timestamp"] <= g.stamp(moment) and written < entries:
                out.write(orjson.dumps(waiting) + b"\n")
                written += 1
                errors += waiting.get("severity") in ("ERROR", "CRITICAL")
                waiting = next(pending, None)
            if written >= entries:
                break
            if moment >= deploy and flood.random.random() < error_share:
                made = flood.entries(moment)
                s.entries.clear()
                for entry in made[: entries - written]:
                    out.write(orjson.dumps(entry) + b"\n")
                    written += 1
                    errors += 1
                continue
            template = templates[index % len(templates)]
            index += 1
            out.write(template.replace(b"@TS@", g.stamp(moment).encode()) + b"\n")
            written += 1
    return {"entries": written, "error_entries": errors}


def write_healthy(path: Path, entries: int = 99, seed: int = 5) -> None:
    """A small export with no error at all: the start-up cost of a run that finds nothing."""
    g = _generator()
    s = g.Scenario(seed)
    templates = g._healthy_templates(s, ["00" + s.hex_id(30) for _ in range(8)])
    moment = g.START
    with open(path, "wb") as out:
        for index in range(entries):
            moment += timedelta(milliseconds=700)
            out.write(templates[index % len(templates)].replace(b"@TS@", g.stamp(moment).encode()) + b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    print(write_flood(args.out, args.entries))


if __name__ == "__main__":
    main()
