"""The five whys: from what users saw down to the root cause, each answer backed by log evidence;
then the whys that logs cannot answer, left as prompts from the root cause's rule.

An answer is a list of segments, plain text and moments (`At`), not a sentence with timestamps
written into it: each report shows a moment its own way (the JSON as an RFC 3339 stamp, Markdown
and HTML as a clock time in the zone asked for), and log text is never searched for stamps.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from rca.analyze.changes import Change
from rca.analyze.groups import Group
from rca.analyze.incidents import Incident, cascade_between
from rca.classify.rules import Cascade, fill_template
from rca.events.frames import application_location
from rca.events.redact import cut_between_words
from rca.ingest.times import format_timestamp, parse_timestamp

MAX_INSERT_IDS = 5
# A rule's question that asks whether something changed: the logs answer it when a change is on record.
ASKS_FOR_CHANGE = re.compile(r"(?i)\b(?:chang\w*|restart\w*|failover|maintenance|rotat\w*|updated)\b")
# What a prompt asks about, by its words, and the kinds of change on record (rca.ingest.audit) that can
# answer it: a password or a role is answered by an IAM or secret change, not by a new image; a database's
# restart or failover by a Cloud SQL operation or a redeploy, not by an IAM binding. A prompt that names
# none of these topics and asks whether something changed is answered by any change.
CHANGE_TOPICS: tuple[tuple[re.Pattern, frozenset[str]], ...] = (
    (re.compile(r"(?i)\b(?:restart\w*|failover|fail over|maintenance)\b"), frozenset({"database", "deploy", "config", "job"})),
    (re.compile(r"(?i)\b(?:credentials?|passwords?|grants?|roles?|bindings?|token'?s?|keys?|secrets?|permissions?)\b"),
     frozenset({"iam", "secret"})),
    (re.compile(r"(?i)\b(?:configuration|environment|deployment|image|dependency|code|wheel|python version|host|port|"
                r"address|dns|network)\b"), frozenset({"deploy", "config", "job", "secret"})),
)


def answers(change_kind: str, question: str) -> bool:
    """Whether a change of this kind answers a prompt: it asks what changed, and what it asks about
    (CHANGE_TOPICS) is something such a change can alter."""
    if not ASKS_FOR_CHANGE.search(question):
        return False
    kinds = [kinds for pattern, kinds in CHANGE_TOPICS if pattern.search(question)]
    return not kinds or any(change_kind in allowed for allowed in kinds)


@dataclass(frozen=True)
class At:
    """A moment in an answer, in epoch seconds. `written`: how the JSON writes it when the moment came
    written already (a commit's date as git gives it); else it is written as RFC 3339 UTC."""

    epoch: float | None
    written: str | None = None

    def stamp(self) -> str:
        return self.written or str(format_timestamp(self.epoch))


Segment = str | At


@dataclass
class Why:
    question: str
    parts: list[Segment]  # the answer: text and moments, in order
    evidence: list[dict] = field(default_factory=list)
    prompt: bool = False  # True when a person must answer it: the logs cannot

    @property
    def answer(self) -> str:
        """The answer as one sentence, its moments as RFC 3339 stamps: what the JSON report writes."""
        return "".join(part.stamp() if isinstance(part, At) else part for part in self.parts)

    def as_dict(self) -> dict:
        return {"question": self.question, "answer": self.answer, "evidence": [written(item) for item in self.evidence],
                "prompt": self.prompt}


def written(item: dict) -> dict:
    """A why's evidence as the JSON report has it: its moments (first and last seen) as stamps."""
    return {key: value.stamp() if isinstance(value, At) else value for key, value in item.items()}


def evidence(group: Group, project: str | None) -> dict:
    event = group.representative
    insert_ids = [r.insert_id for e in group.events[:MAX_INSERT_IDS] for r in e.records[:1] if r.insert_id]
    item = {
        "group": group.label, "count": group.count,
        "first_seen": At(group.first_seen), "last_seen": At(group.last_seen),
        "sample": event.text if len(event.text) < 4000 else cut_between_words(event.text, 4000) + "\n…",
        "insert_ids": insert_ids,
        "records": [r.reference() for r in event.records[:3]],
    }
    if project and insert_ids:
        item["link"] = explorer_link(insert_ids, group.first_seen, project)
    return item


def explorer_link(insert_ids: list[str], moment: float, project: str) -> str:
    """The Logs Explorer query that shows these entries, its cursor at `moment`."""
    query = " OR ".join(f'insertId="{i}"' for i in insert_ids)
    return (f"https://console.cloud.google.com/logs/query;query={quote(query)};"
            f"cursorTimestamp={format_timestamp(moment)}?project={project}")


def five_whys(incident: Incident, project: str | None, code=None, cascades: Sequence[Cascade] = ()) -> list[Why]:
    """`cascades` (the rule set's) say, in the why that links a symptom to what caused it, how one led to the other."""
    whys: list[Why] = []
    root = incident.root_cause
    # failed answers: 5xx, and 4xx that reached the users broadly (Group.failed_answer)
    unavailable = [g for g in incident.symptoms if g.cls == "service_unavailable" or g.failed_answer]
    startup = [g for g in incident.symptoms if g.cls == "startup_failure"]
    service = incident.service or "the service"
    if unavailable:
        total = sum(g.count for g in unavailable)
        statuses = sorted({s for g in unavailable for s in g.statuses})
        first = min(g.first_seen for g in unavailable)
        last = max(g.last_seen for g in unavailable)
        whys.append(Why(
            f"Why did requests to {service} fail?",
            [f"{total} requests answered HTTP {', '.join(map(str, statuses)) or '5xx'} from ", At(first), " to ", At(last),
             f", on {len(unavailable)} route(s)."],
            [evidence(g, project) for g in sorted(unavailable, key=lambda g: g.first_seen)[:1]],
        ))
    if startup:
        instances = {i for g in startup for i in g.instances}
        revisions = sorted({r for g in startup for r in g.revisions})
        whys.append(Why(
            f"Why could {service} not serve them?" if unavailable else f"Why did {service} stop?",
            [_because(startup[0], unavailable[:1], cascades, {"service": service}) +
             f"Its instances did not start: {len(instances) or 'several'} instance(s) of revision "
             f"{', '.join(revisions) or '?'} failed — " + "; ".join(f"{g.label} ×{g.count}" for g in startup) + "."],
            [evidence(g, project) for g in startup[:2]],
        ))
    if root is not None:
        because = _because(root, startup[:1] or unavailable[:1], cascades, {**root.classification.fields, "service": service})
        whys.append(_cause_why(root, incident, bool(startup), project, because))
        whys.extend(_rule_whys(root, incident, code, project, first_number=len(whys) + 1))
    else:
        whys.append(_no_cause_why(incident, service))
    if incident.onset_kind == "before-window":
        whys.append(Why(f"When did {service} start failing?",
                        ["Before these logs begin: it was already failing at the first record (", At(incident.onset),
                         "). Pull the hours before it to see the start and the deploy that began it, e.g. "
                         f"`rca pull --service {service} --since <earlier time>`."], [], prompt=True))
    return whys


def _no_cause_why(incident: Incident, service: str) -> Why:
    gone = [g.route for g in incident.symptoms if g.failed_answer and g.answer_status == 404]
    if gone and incident.deploy is not None and len(gone) == len(incident.symptoms):
        return Why(f"What made {service} fail?",  # a route the deploy dropped: no error names it
                   [f"Not named by any error: every call to {', '.join(gone)} answers 404 since revision "
                    f"{incident.deploy.revision} appeared at ", At(incident.deploy.time), ". Does the new "
                    "revision still serve that route (removed, renamed, or under another prefix)?"], [], prompt=True)
    shortlist = "; ".join(f"{c.group.label} ({c.score:.1f})" for c in incident.candidates[:3])
    answer = (f"Not named: {incident.verdict or 'no cause-class error changed near the onset'}."
              + (f" Candidates: {shortlist}." if shortlist else "")
              + " Look at logs the export did not include (other services, the platform).")
    return Why(f"What made {service} fail?", [answer], [], prompt=True)


def _because(cause: Group, symptoms: list[Group], cascades: Sequence[Cascade], fields: dict) -> str:
    """"Because <why>. ", from the cascade that links `cause` to the symptom above it; "" when none does."""
    cascade = cascade_between(cause, symptoms[0], cascades) if symptoms else None
    return f"Because {fill_template(cascade.why, fields)}. " if cascade and cascade.why else ""


def _cause_why(root: Group, incident: Incident, at_startup: bool, project: str | None, because: str = "") -> Why:
    classification = root.classification
    event = root.representative
    where = application_location(event.traceback.exceptions) if event.traceback else None
    revisions = ", ".join(root.revisions) or "?"
    question = f"Why did {incident.service or 'it'} fail to start?" if at_startup else f"Why did {incident.service or 'it'} fail?"
    explanation = classification.explanation or root.label
    answer: list[Segment] = [f"{because}{event.message}" + (f" at {where}" if where else "") +
              f" — {explanation}. Raised {root.count} time(s) on revision {revisions}, first at ", At(root.first_seen),
              ", last at ", At(root.last_seen),
              f" (rule {classification.rule.id}, confidence {classification.confidence:.2f})." if classification.rule else "."]
    return Why(question, answer, [evidence(root, project)])


def change_evidence(change: Change, project: str | None) -> dict:
    """A change as the evidence of a why: its audit entry, shaped as a group's evidence is (one record),
    with the change itself under `change`."""
    record = change.record
    item = {"group": f"{change.kind} change: {change.summary}", "count": 1,
            "first_seen": At(change.time), "last_seen": At(change.time),
            "sample": record.text, "insert_ids": [record.insert_id] if record.insert_id else [],
            "records": [record.reference()], "change": change.as_dict()}
    if project and record.insert_id:
        item["link"] = explorer_link([record.insert_id], change.time, project)
    return item


def _answered(prompts: list[Why], root: Group, incident: Incident, project: str | None) -> list[Why]:
    """The prompts, with the ones that ask whether something changed answered from the change the logs
    hold (issue 25: "yes: version 3 of secret stripe-key disabled at … by …"); when none asks, the change
    comes first as a why of its own."""
    change = incident.change
    if change is None:
        return prompts
    lead = root.first_seen - change.time
    who = f" by {change.principal}" if change.principal else ""  # Change.sentence(), its moment kept a moment
    answer: list[Segment] = [f"Yes: {change.summary} at ", At(change.time),
              f"{who}, {lead:.0f}s before the first {root.label.split(':')[0]} "
              f"({change.method or change.kind}; {change.record.source}:{change.record.position})."]
    item = change_evidence(change, project)
    asked = [why for why in prompts if answers(change.kind, why.question)]
    for why in asked:
        why.parts, why.evidence, why.prompt = list(answer), [item], False
    if asked:
        return prompts
    return [Why(f"What changed before {incident.service or 'it'} began to fail?", answer, [item]), *prompts]


def _rule_whys(root: Group, incident: Incident, code, project: str | None, first_number: int) -> list[Why]:
    """The root cause rule's prompts, numbered from `first_number`, once a change on record has answered
    the ones it answers (_answered). What the logs say is written under the first prompt still asked,
    and only there: the others point to it by its number, counted after the answering (a change may
    add a why before them, or answer the very prompt that would have held the facts). What --repo found
    goes with those facts; the rule's remedy ends the last why, answered or not."""
    rule = root.classification.rule
    whys = _answered(_prompts(root), root, incident, project)
    asked = [why for why in whys if why.prompt]
    if asked:
        held = first_number + whys.index(asked[0])
        asked[0].parts = ["To be answered from the code and its history. ", *_logs_say(root, incident)]
        for why in asked[1:]:
            why.parts = [f"To be answered from the code and its history; what the logs say is under why {held}."]
    if code is not None:  # the checkout answers the first prompt still asked, with evidence
        _from_checkout(asked[0] if asked else whys[0], code)
    if rule and rule.remedy:
        whys[-1].parts.append(f" Remedy: {fill_template(rule.remedy, root.classification.fields)}")
    return whys


def _prompts(root: Group) -> list[Why]:
    """The whys the logs cannot answer, from the root cause's rule (at most two), their answers to be
    written once it is known which of them a change answers (_rule_whys)."""
    rule = root.classification.rule
    questions = rule.questions if rule else ["Which change introduced this failure?", "Why was it not caught before it reached users?"]
    return [Why(fill_template(question, root.classification.fields), [], [], prompt=True) for question in questions[:2]]


def _logs_say(root: Group, incident: Incident) -> list[Segment]:
    """What the logs say about where the failure came from: written under the first prompt only."""
    said: list[Segment] = ["What the logs say: "]
    if incident.deploy is not None:
        deploy = incident.deploy
        said += [f"revision {deploy.revision} first appears at ", At(deploy.time),
                 f", {(root.first_seen - deploy.time):.1f}s before the first {root.label.split(':')[0]}; "]
    return said + ["the failure first appears at ", At(root.first_seen), "."]


def _from_checkout(why: Why, code) -> None:
    """What --repo found, put before the prompt's answer: the confirmation, and the suspect commit."""
    if code.confirmation:
        why.parts.insert(0, f"{code.confirmation[0].upper()}{code.confirmation[1:]}. ")
    if code.suspect is not None:
        suspect = code.suspect
        why.parts[:0] = [f"Suspect commit {suspect.commit[:10]} (", At(parse_timestamp(suspect.date), suspect.date),
                         f", {suspect.author}): \"{suspect.subject}\" — it {suspect.why}. "]
        why.evidence.append({"commit": suspect.commit, "date": suspect.date, "subject": suspect.subject})
    elif code.suspect_note:
        why.parts.append(f" ({code.suspect_note}.)")

