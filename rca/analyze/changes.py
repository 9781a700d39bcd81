"""Changes as evidence (issue 25): what changed in the window — deploys, Cloud Run job updates,
service configuration, secrets, IAM policies and keys, database restarts — each tied to the
service or resource it concerns. The decision scores a change that precedes a candidate it may
explain (rca.analyze.incidents), and the five whys cite it as the answer to "what changed?"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rca.analyze.groups import Deploy, Group
from rca.ingest.record import LogRecord
from rca.ingest.times import format_timestamp

MINUTE = 60.0
CHANGE_WINDOW = 30 * MINUTE  # a change this long before a failure's first event may explain it
STAMP_TOLERANCE = 10.0  # request logs are stamped when the request starts
# Which failure classes a change of a shared resource (no service of its own) can explain.
EXPLAINS = {
    "secret": {"auth_rejection", "config_error", "dependency_connection_failure", "db_session_failure"},
    "iam": {"auth_rejection"},
    "database": {"db_session_failure", "dependency_connection_failure", "timeout"},
}


@dataclass
class Change:
    kind: str  # deploy, job, config, secret, iam, database
    time: float
    service: str | None  # the service or job it concerns; None for a shared resource
    name: str  # the resource's short name: a secret, an instance, a project, a revision
    summary: str  # what changed, as a person says it: "version 3 of secret stripe-key disabled"
    principal: str | None
    method: str | None
    record: LogRecord

    def as_dict(self) -> dict:
        return {"kind": self.kind, "time": format_timestamp(self.time), "service": self.service, "resource": self.name,
                "summary": self.summary, "principal": self.principal, "method": self.method,
                "record": self.record.reference()}

    def sentence(self) -> str:
        """"version 3 of secret stripe-key disabled at 2025-…Z by deploy-bot@…"."""
        who = f" by {self.principal}" if self.principal else ""
        return f"{self.summary} at {format_timestamp(self.time)}{who}"


def collect_changes(records: Iterable[LogRecord], deploys: Iterable[Deploy]) -> list[Change]:
    """Every change, by time: the audit-logged ones (a job update is one of them) and the new revisions."""
    found = [_audited(record) for record in records if record.time is not None]
    named = {d.revision for d in deploys if d.service is not None}
    # a revision's audit entries may name no service: the revision is listed once, with its service
    found += [Change("deploy", d.time, d.service, d.revision, f"revision {d.revision} of {d.service or '?'} first seen",
                     None, None, d.record) for d in deploys
              if d.kind == "revision" and (d.service is not None or d.revision not in named)]
    return sorted(found, key=lambda c: (c.time, c.kind, c.summary))


def _audited(record: LogRecord) -> Change:
    change = record.extra["change"]
    return Change(change["kind"], record.time or 0.0, change.get("service") or record.service, change["name"],
                  change["summary"], change.get("principal"), change.get("method"), record)


def explains(change: Change, group: Group, service: str | None) -> bool:
    """The change may be behind the group's failure: it concerns the group's (or the incident's)
    service, the group's text names the changed resource, or it changed a shared resource of a
    kind that fails this way (a secret for a refused credential)."""
    if change.kind == "deploy":
        return False  # scored as the deploy already
    if change.service is not None:
        return change.service in (group.service, service)
    if change.name and len(change.name) > 3 and change.name in group.representative.text:
        return True
    return group.cls in EXPLAINS.get(change.kind, set())


def preceding(changes: list[Change], group: Group, service: str | None, moment: float) -> Change | None:
    """The latest change that may explain the group and came at most CHANGE_WINDOW before `moment`."""
    fitting = [c for c in changes if 0 <= moment + STAMP_TOLERANCE - c.time <= CHANGE_WINDOW + STAMP_TOLERANCE
               and explains(c, group, service)]
    return fitting[-1] if fitting else None
