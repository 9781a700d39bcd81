"""One view of an analysis: the plain data that the Markdown report, the HTML page and the notebook
reprs all render, so that they show the same sections, the same limits and the same wording.

It is built from the Analysis itself (its groups, incidents, whys, changes and stats), not from the
JSON report; where both say the same thing they share a helper here (`instant`, `failure_of`). The
output's redaction (rca.events.redact.scrubber) runs once on the finished view, before the texts it
shows cut short are made. Nothing here is markup; every text is the log text, whole. Renderers cut
and escape it their own way (rca.report.escape for Markdown, jinja2's autoescape for HTML).

Times are kept as moments: a short clock time in the zone asked for, the exact timestamp (shown on
hover in HTML, beside the short one in Markdown prose) and, where it helps, a time relative to the
deploy or the onset ("+1.7 s after the deploy"). The whys' moments come typed (rca.analyze.whys.At).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from rca.analyze.analysis import Analysis
from rca.analyze.groups import MINUTE, Group
from rca.analyze.incidents import Incident, Onset
from rca.analyze.whys import At, Segment, Why, written
from rca.events.frames import chain_application_frame, is_library_frame, package_of
from rca.events.redact import unchanged
from rca.ingest.times import zone_name, zone_of
from rca.report.remedy import remedy_view

# The limits every rendering shares.
MAX_SYMPTOMS = 10
MAX_RULED_OUT = 10
MAX_CANDIDATES = 5
MAX_GROUPS_LISTED = 15  # the groups that no incident section shows already
MAX_TIMELINE_SYMPTOMS = 8
MAX_TIMELINE_RULED_OUT = 4
MAX_TIMELINE_GROUPS = 10  # with no incident: the largest groups
LABEL_CHARS = 44  # a timeline label, cut at a word boundary (the whole label on hover)
MAX_BINS = 180  # a timeline's bars per row: a minute each, or longer for long windows
STILL_FAILING = 2 * MINUTE  # a symptom seen this close to the end of the logs is still going on
FINDING_REASON = "changed with no user-visible symptom"  # what the JSON report's findings[] say too


# ---- time ---------------------------------------------------------------------------------------

def span_text(seconds: float) -> str:
    """A duration as a person says it: 1.7 s, 42 s, 12 min, 2 h 5 min."""
    seconds = abs(seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest} s" if minutes < 30 and rest else f"{round(seconds / 60)} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def relative_text(seconds: float, to: str) -> str:
    """"+1.7 s after the deploy", "12 min before the onset"."""
    if abs(seconds) < 0.05:
        return f"at the {to}"
    return f"+{span_text(seconds)} after the {to}" if seconds > 0 else f"{span_text(seconds)} before the {to}"


class Clock:
    """Turns epoch seconds into moments in one zone."""

    def __init__(self, tz=None):
        self.zone = zone_of(tz)
        self.name = zone_name(self.zone)

    def moment(self, epoch: float | None, relative: str = "") -> dict[str, Any] | None:
        if epoch is None:
            return None
        when = datetime.fromtimestamp(epoch, tz=self.zone)
        exact = when.isoformat(timespec="microseconds").replace("+00:00", "Z")
        return {"epoch": epoch, "short": when.strftime("%H:%M:%S"), "date": when.strftime("%Y-%m-%d"),
                "exact": exact, "relative": relative}


# ---- words --------------------------------------------------------------------------------------

def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis when cut."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-—") + "…"


def short_path(path: str) -> str:
    """The last two parts of a file path: …/tool_permissions/rate_limiter.py."""
    parts = [p for p in path.split("/") if p]
    return path if len(parts) <= 2 else "…/" + "/".join(parts[-2:])


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


# ---- the view -----------------------------------------------------------------------------------

def build_view(analysis: Analysis, *, tz=None, scrub: Callable = unchanged) -> dict:
    """The view of `analysis`, read from its objects. `scrub` is the output's redaction
    (rca.events.redact.scrubber, chosen where the report is written): it runs once, on the whole view,
    before anything is cut (short labels, the first lines of a sample, short paths)."""
    clock = Clock(tz)
    present = {g.key for g in analysis.groups}  # an incident may rule out a group the report leaves out (a 404 answer)
    code = analysis.code or [None] * len(analysis.incidents)
    remedies = analysis.remedies or [None] * len(analysis.incidents)
    incidents = [_incident(number, incident, whys, findings, remedy, analysis, present, clock) for number, (incident, whys, findings, remedy)
                 in enumerate(zip(analysis.incidents, analysis.whys, code, remedies), 1)]
    shown = {key for item in incidents for key in item["group_keys"]}
    others = [g for g in sorted(analysis.groups, key=lambda g: -g.count) if g.key not in shown]
    total = len(analysis.groups)
    view = {
        "project": analysis.project,
        "title": "rca report" + (f" — {analysis.project}" if analysis.project else ""),
        "zone": clock.name,
        "window": {"start": clock.moment(instant(analysis.start)), "end": clock.moment(instant(analysis.end))},
        "incidents": incidents,
        "no_incident": None if incidents else
        f"No failure started in these logs ({plural(total, 'error group')}, none with an onset).",
        "timeline": None if incidents else _timeline(analysis, [("other", g) for g in
                                                                sorted(analysis.groups, key=lambda g: -g.count)[:MAX_TIMELINE_GROUPS]],
                                                     clock, None, None, total),
        "findings": [{**_group_row(f.group, f.onset, clock), "reason": FINDING_REASON} for f in analysis.findings],
        "groups": {
            "total": total,
            "shown_above": total - len(others),
            "rows": [_group_row(g, analysis.onsets.get(g.key), clock) for g in others[:MAX_GROUPS_LISTED]],
            "more": max(0, len(others) - MAX_GROUPS_LISTED),
            "sentence": _groups_sentence(total, total - len(others)),
        },
        "footer": f"{analysis.stats.summary()}; {plural(total, 'group')}; {analysis.seconds:.2f}s. Written by rca.",
    }
    return _cut(scrub(view))


def _cut(view: dict) -> dict:
    """What the view shows cut short, made from its (redacted) whole texts: a cut never splits a secret."""
    for incident in view["incidents"]:
        _cut_timeline(incident["timeline"])
        if incident["root"] is not None and incident["root"]["where"] is not None:
            incident["root"]["where"]["short"] = short_path(incident["root"]["where"]["file"])
        incident["remedy"] = remedy_view(incident["remedy"])
        for why in incident["whys"]:
            for item in why["evidence"]:
                if "sample" in item:
                    item["sample_lines"] = "\n".join(item["sample"].splitlines()[:40])
    if view["timeline"] is not None:
        _cut_timeline(view["timeline"])
    return view


def _cut_timeline(timeline: dict) -> None:
    for row in timeline["rows"]:
        row["short"] = shorten(row["label"])


def instant(epoch: float | None) -> float | None:
    """`epoch` to the microsecond, as the JSON report writes every time (rca.ingest.times.format_timestamp):
    the moments the view shows, and the spans between them, are those the JSON report holds."""
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC).timestamp()


def failure_of(group: Group) -> tuple[Any, Any]:
    """The exception a group's representative event raised last (its traceback's root), and the
    application frame that failed: None each when its text holds no traceback."""
    tb = group.representative.traceback
    if tb is None:
        return None, None
    return (tb.root if tb.root is not None else None), chain_application_frame(tb.exceptions)


def _present(moment: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """A moment the report always has (every incident's onset and every group onset's time):
    without it the analysis is malformed, and a TypeError says so, as unpacking or indexing None did."""
    if moment is None:
        raise TypeError(f"the report has no {what}")
    return moment


def _groups_sentence(total: int, above: int) -> str:
    if not total:
        return "No error groups."
    if above == total:
        return f"All {plural(total, 'error group')} are shown above."
    if above:
        return f"{plural(total, 'error group')}: {above} shown above, the others here, largest first."
    return f"{plural(total, 'error group')}, largest first."


def _incident(number: int, incident: Incident, whys: list[Why], findings, remedy, analysis: Analysis, present: set[str],
              clock: Clock) -> dict:
    root = incident.root_cause
    onset_time, deploy = instant(incident.onset), incident.deploy
    deploy_time = instant(deploy.time) if deploy else None
    relative = _relative_to(deploy_time, onset_time)
    service = incident.service or "unknown service"
    symptoms = [g for g in incident.symptoms if g.key in present]
    view: dict[str, Any] = {
        "number": number,
        "service": service,
        "callers": [s for s in incident.services[1:] if s],
        "title": f"Incident {number}: {service} — " + (root.cls if root else "cause not found"),
        "root": None if root is None else _root(root, clock, relative),
        "verdict": None if root else (incident.verdict or "no cause-class error changed near the onset"),
        "onset": {**_present(clock.moment(onset_time, relative(onset_time) if deploy_time is not None else ""), "incident onset"),
                  "kind": incident.onset_kind or "began"},
        "before_window": incident.onset_kind == "before-window",
        "deploy": None if deploy is None else {"revision": deploy.revision, "service": deploy.service,
                                               "time": clock.moment(deploy_time)},
        "impact": _impact(incident, symptoms, root if root is not None and root.key in present else None, onset_time, analysis),
        "traceback": _traceback(root) if root is not None and root.key in present else None,
        "code": None if findings is None else findings.as_dict(),
        "remedy": None if remedy is None else remedy.as_dict(),  # shaped for reading once redacted (_cut)
        "symptoms": [_group_row(g, analysis.onsets.get(g.key), clock, onset_time) for g in incident.symptoms[:MAX_SYMPTOMS]],
        "symptoms_more": max(0, len(incident.symptoms) - MAX_SYMPTOMS),
        "ruled_out": [{"label": g.label, "class": g.cls, "reason": reason, "group": g.key}
                      for g, reason in incident.ruled_out[:MAX_RULED_OUT]],
        "ruled_out_more": max(0, len(incident.ruled_out) - MAX_RULED_OUT),
        "candidates": [_candidate(c, root) for c in incident.candidates[:MAX_CANDIDATES]],
        "candidates_more": max(0, len(incident.candidates) - MAX_CANDIDATES),
        "whys": _whys(whys, clock),
        "changes": [{"time": clock.moment(instant(c.time)), "kind": c.kind, "summary": c.summary, "principal": c.principal}
                    for c in incident.changes],
    }
    _place_on_timeline(view, incident, analysis, present, clock, symptoms)
    return view


def _place_on_timeline(view: dict, incident: Incident, analysis: Analysis, present: set[str], clock: Clock,
                       symptoms: list[Group]) -> None:
    """The incident's timeline and its moments, and the keys of the groups its sections show."""
    root = incident.root_cause
    drawn_root = root if root is not None and root.key in present else None
    rows = ([("root-cause", drawn_root)] if drawn_root is not None else []) + \
           [("symptom", g) for g in symptoms[:MAX_TIMELINE_SYMPTOMS]] + \
           [("ruled-out", g) for g, _ in incident.ruled_out[:MAX_TIMELINE_RULED_OUT] if g.key in present]
    involved = (1 if drawn_root is not None else 0) + len(incident.symptoms) + len(incident.ruled_out)
    view["timeline"] = _timeline(analysis, rows, clock, view["deploy"], view["onset"], involved, view["changes"])
    view["timeline"]["omitted"] = max(0, involved - len(rows))
    view["moments"] = _moments(view, drawn_root, symptoms, clock)
    view["group_keys"] = {key for key in [root.key if root else None, *(g.key for g in incident.symptoms),
                                          *(g.key for g, _ in incident.ruled_out)] if key}


def _relative_to(deploy_time: float | None, onset_time: float | None) -> Callable[[float | None], str]:
    """How a moment relates to the deploy ("+1.7 s after the deploy"), or to the onset when no deploy is known."""
    def relative(epoch: float | None) -> str:
        if epoch is None:
            return ""
        if deploy_time is not None:
            return relative_text(epoch - deploy_time, "deploy")
        return relative_text(epoch - onset_time, "onset") if onset_time is not None else ""

    return relative


def _candidate(candidate, root: Group | None) -> dict:
    return {"label": candidate.group.label, "class": candidate.group.cls, "score": candidate.score,
            "terms": " · ".join(f"{name} {value:+g}" for name, value in candidate.terms.items()),
            "reasons": "; ".join(candidate.reasons), "root": root is not None and candidate.group.key == root.key}


def decided_text(decided: dict, code=str) -> str:
    """How the root's class was decided, as a person reads it ("" when neither rule nor model did);
    `code` marks a rule id and a class (the Markdown report puts them in backticks)."""
    confidence = decided["confidence"]
    if decided["by"] == "rule":
        return f"by rule {code(decided['rule'])} (confidence {confidence:.2f})"
    if decided["by"] == "model":
        return f"by the model (probability {confidence:.2f}; no rule matched)"
    claim = decided.get("overruled")
    if claim:
        return (f"by the model (probability {confidence:.2f}) over rule {code(claim.get('rule'))}, "
                f"which claimed {code(claim.get('class'))} (confidence {float(claim.get('confidence') or 0):.2f})")
    return ""


def _root(group: Group, clock: Clock, relative) -> dict:
    classification = group.classification
    exception, frame = failure_of(group)
    confidence = round(classification.confidence, 4)  # as the JSON report rounds it
    decided: dict[str, Any]
    if classification.method == "rule":
        decided = {"by": "rule", "rule": classification.rule.id if classification.rule else None, "confidence": confidence}
    elif classification.method == "model":
        decided = {"by": "model", "rule": None, "confidence": confidence}
    elif classification.overruled:  # the model decided over a rule's claim: both are shown
        # a copy: the classification is shared by every event of its text
        decided = {"by": classification.method, "rule": None, "confidence": confidence,
                   "overruled": dict(classification.overruled)}
    else:
        decided = {"by": classification.method, "rule": None, "confidence": confidence}
    decided["text"] = decided_text(decided) or "unclassified"
    message = exception.message if exception else group.representative.message
    headline = f"{exception.type}: {message}" if exception and exception.type else (message or group.label)
    first = instant(group.first_seen)
    return {
        "label": group.label, "headline": headline, "class": group.cls, "decided": decided,
        "explanation": classification.explanation,
        "where": None if frame is None else {"file": frame.file, "line": frame.line, "function": frame.function,
                                             "short": None, "place": f"{frame.file}:{frame.line}"},
        "service": group.service, "revision": group.representative.first.revision, "tied_by": group.tied_by or None,
        "count": group.count, "first_seen": clock.moment(first, relative(first)),
        "last_seen": clock.moment(instant(group.last_seen)), "instances": len(group.instances),
    }


def _impact(incident: Incident, symptoms: list[Group], root: Group | None, onset: float | None, analysis: Analysis) -> dict:
    """The blast radius: failed requests and routes, failed start-ups, instances, how long."""
    requests = [g for g in symptoms if g.statuses or g.fingerprint.kind == "request"]
    routes = set()
    for group in requests:
        components = {c["id"]: c["value"] for c in group.fingerprint.as_dict()["components"]}
        routes.add((components.get("method"), components.get("route")) if "route" in components else group.label)
    startups = [g for g in symptoms if g.cls == "startup_failure"]
    instances = set().union(*(g.instances for g in symptoms + ([root] if root else []))) if symptoms or root else set()
    last = max((g.last_seen for g in symptoms), default=onset)
    ongoing = analysis.end is not None and last is not None and analysis.end - last <= STILL_FAILING
    parts = []
    failed_requests = sum(g.count for g in requests)
    if requests:
        parts.append(f"{plural(failed_requests, 'failed request')} on {plural(len(routes), 'route')}")
    if startups:
        parts.append(plural(max(g.count for g in startups), "failed start-up"))
    if instances:
        parts.append(plural(len(instances), "instance"))
    duration = span_text(last - onset) if last is not None and onset is not None else "?"
    parts.append(f"{duration}" + (", still failing when the logs end" if ongoing else ""))
    return {"failed_requests": failed_requests, "routes": len(routes), "startups": max((g.count for g in startups), default=0),
            "instances": len(instances), "duration": duration, "ongoing": ongoing, "total": incident.impact,
            "text": " · ".join(parts)}


def _traceback(group: Group) -> dict | None:
    """The root cause's traceback: application frames open, runs of library frames folded, the failing line marked."""
    event = group.representative
    tb = event.traceback
    if tb is None:
        return None
    failing = chain_application_frame(tb.exceptions)
    chain = []
    for exception in tb.exceptions:
        blocks: list[dict] = []
        for frame in exception.frames:
            library = is_library_frame(frame)
            item = {"file": frame.file, "line": frame.line, "function": frame.function or "",
                    "source": frame.source or "", "failing": frame is failing, "library": library}
            if blocks and blocks[-1]["library"] == library:
                blocks[-1]["frames"].append(item)
            else:
                blocks.append({"library": library, "frames": [item]})
        for block in blocks:
            if block["library"]:
                modules = []
                for item in block["frames"]:
                    top = package_of(item["file"])
                    if top not in modules:
                        modules.append(top)
                block["summary"] = (f"{plural(len(block['frames']), 'library frame')}: "
                                    + ", ".join(modules[:5]) + (", …" if len(modules) > 5 else ""))
        chain.append({"relation": exception.relation, "type": exception.type, "message": exception.message,
                      "blocks": blocks})
    return {"chain": chain, "text": event.text, "truncated": tb.truncated}


RELATIONS = {"cause": "The above exception was the direct cause of the following exception:",
             "context": "During handling of the above exception, another exception occurred:",
             "group-member": "A member of the exception group above:"}


def traceback_lines(traceback: dict) -> list[tuple[str, str]]:
    """The condensed traceback as (kind, line): kind is "text", "folded" or "failing". Markdown prints it;
    HTML draws the same blocks with the library frames in a fold."""
    lines: list[tuple[str, str]] = []
    for index, exception in enumerate(traceback["chain"]):
        if index and exception["relation"]:
            lines += [("text", ""), ("text", RELATIONS.get(exception["relation"], exception["relation"])), ("text", "")]
        if exception["blocks"]:
            lines.append(("text", "Traceback (most recent call last):"))
        for block in exception["blocks"]:
            if block["library"]:
                lines.append(("folded", f"  … {block['summary']}"))
                continue
            for frame in block["frames"]:
                kind = "failing" if frame["failing"] else "text"
                lines.append((kind, f'  File "{frame["file"]}", line {frame["line"]}, in {frame["function"]}'))
                if frame["source"]:
                    lines.append((kind, f"    {frame['source']}"))
        lines.append(("text", f"{exception['type']}: {exception['message']}" if exception["message"] else exception["type"]))
    return lines


def _group_row(group: Group, onset: Onset | None, clock: Clock, incident_onset: float | None = None) -> dict:
    first = instant(group.first_seen)
    return {
        "group": group.key, "label": group.label, "class": group.cls, "role": group.role,
        "count": group.count, "services": ", ".join(group.services or []) or (group.service or ""),
        "tied_by": group.tied_by or None, "muted": group.muted,
        "first_seen": clock.moment(first, relative_text(first - incident_onset, "onset")
                                   if incident_onset is not None and first else ""),
        "last_seen": clock.moment(instant(group.last_seen)),
        "onset": ("steady" if onset is None else
                  f"{onset.kind} {_present(clock.moment(instant(onset.time)), 'group onset time')['short']}"),
        "method": group.classification.method, "confidence": round(group.classification.confidence, 4),
    }


def _whys(whys: list[Why], clock: Clock) -> list[dict]:
    return [{"number": number, "question": why.question, "answer": why.answer, "prose": _segments(why.parts, clock),
             "prompt": why.prompt, "evidence": [_evidence(item, clock) for item in why.evidence]}
            for number, why in enumerate(whys, 1)]


def _segments(parts: Sequence[Segment], clock: Clock) -> list[dict[str, Any]]:
    """An answer as the renderings take it: runs of text, each {"text": …}, and moments, each {"time": moment}
    in the clock's zone. A moment the analysis could not read stays as it was written."""
    segments: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, At) and part.epoch is not None:
            segments.append({"time": clock.moment(instant(part.epoch))})
            continue
        text = part.stamp() if isinstance(part, At) else part
        if segments and "text" in segments[-1]:
            segments[-1]["text"] += text
        elif text:
            segments.append({"text": text})
    return segments


def _evidence(item: dict, clock: Clock) -> dict:
    """A why's evidence as the renderings show it. Without a project there is no Logs Explorer link: the
    key is there all the same (the HTML template asks for it, and a missing one stopped the page)."""
    if "commit" in item:
        return {"commit": item["commit"][:10], "date": item.get("date"), "subject": item.get("subject")}
    return {"link": None, **written(item), "first": clock.moment(instant(item["first_seen"].epoch)),
            "last": clock.moment(instant(item["last_seen"].epoch)), "head": f"{item['count']}× {item['group']}",
            "refs": ", ".join(f"{r['source']}:{r['position']}" for r in item["records"])}


def _moments(view: dict, root: Group | None, symptoms: list[Group], clock: Clock) -> list[dict]:
    """The story in a few lines: the deploy, the root cause's first event, the onset, the first symptoms, the end."""
    items = []
    if view["deploy"]:
        items.append({"time": view["deploy"]["time"], "what": f"revision {view['deploy']['revision']} first seen (deploy)"})
    if root is not None:
        items.append({"time": clock.moment(root.first_seen), "what": f"first {root.label} (root cause)"})
    items.append({"time": view["onset"], "what": "onset of the failure" + (" (already failing at the first record)"
                                                                           if view["before_window"] else "")})
    for change in view["changes"]:
        items.append({"time": change["time"], "what": f"{change['summary']}"
                      + (f" by {change['principal']}" if change["principal"] else "") + " (change)"})
    for group in sorted(symptoms, key=lambda g: g.first_seen)[:3]:
        items.append({"time": clock.moment(group.first_seen), "what": f"first {group.label} (symptom)"})
    if symptoms:
        last = max(symptoms, key=lambda g: g.last_seen)
        items.append({"time": clock.moment(last.last_seen),
                      "what": "last symptom in the logs" + (" — still failing when they end" if view["impact"]["ongoing"] else "")})
    items.sort(key=lambda item: item["time"]["epoch"])
    deploy = view["deploy"]["time"]["epoch"] if view["deploy"] else None
    for item in items:
        if deploy is not None and item["what"].endswith("(deploy)") is False:
            item["time"] = {**item["time"], "relative": relative_text(item["time"]["epoch"] - deploy, "deploy")}
    return items


def _timeline(analysis: Analysis, rows: list[tuple[str, Group]], clock: Clock, deploy: dict | None,
              onset: dict | None, involved: int, changes: Sequence[dict] = ()) -> dict:
    """Rows of counts per bin on one shared time axis, with HH:MM ticks and the deploy, change and onset lines."""
    start, end = analysis.start, analysis.end
    if start is None or end is None or not rows:
        return {"rows": [], "ticks": [], "lines": [], "start": start, "end": end, "bin": MINUTE, "bin_text": "minute",
                "omitted": 0, "zone": clock.name}
    end = max(end, start + MINUTE)
    span = end - start
    size = MINUTE
    for candidate in (MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, 3600.0, 3 * 3600.0,
                      6 * 3600.0, 86400.0):
        size = candidate
        if span / candidate <= MAX_BINS:
            break
    out_rows = []
    for role, group in rows:
        bins: dict[float, int] = {}  # bins on the clock's minutes (or longer steps), as the ticks are
        for (second, *_), count in group.per_second.items():
            if second is None:
                continue
            at = second // size * size
            bins[at] = bins.get(at, 0) + count
        out_rows.append({"role": role, "label": group.label, "short": None, "class": group.cls, "count": group.count,
                         "peak": max(bins.values(), default=0), "bins": sorted(bins.items())})
    lines = []
    if deploy:
        lines.append({"kind": "deploy", "epoch": deploy["time"]["epoch"], "label": f"deploy {deploy['revision']}",
                      "time": deploy["time"]})
    for change in changes:  # drawn like the deploy: what changed shortly before the failure
        lines.append({"kind": "change", "epoch": change["time"]["epoch"], "label": f"{change['kind']} change",
                      "time": change["time"]})
    if onset and onset.get("kind") != "before-window":
        lines.append({"kind": "onset", "epoch": onset["epoch"], "label": "onset", "time": onset})
    return {"rows": out_rows, "ticks": _ticks(start, end, clock), "lines": lines, "start": start, "end": end,
            "bin": size, "bin_text": "minute" if size == MINUTE else span_text(size), "omitted": max(0, involved - len(rows)),
            "zone": clock.name}


def _ticks(start: float, end: float, clock: Clock) -> list[dict]:
    """Round clock times across the window, 4 to 10 of them, labelled HH:MM in the report's zone."""
    span = end - start
    step = next((s for s in (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
                 if span / s <= 10), 86400 * math.ceil(span / 86400 / 10))
    utc_offset = datetime.fromtimestamp(start, tz=clock.zone).utcoffset()
    if utc_offset is None:  # only a caller's own tzinfo can say so: UTC and ZoneInfo always give an offset
        raise AttributeError(f"the zone {clock.name} gives no UTC offset")  # what .total_seconds() on None raised
    offset = utc_offset.total_seconds()
    first = math.ceil((start + offset) / step) * step - offset
    ticks = []
    moment = first
    while moment <= end:
        when = datetime.fromtimestamp(moment, tz=clock.zone)
        ticks.append({"epoch": moment, "label": when.strftime("%H:%M") if step < 86400 else when.strftime("%m-%d")})
        moment += step
    return ticks
