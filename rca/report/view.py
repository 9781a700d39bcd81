"""One view of an analysis: the plain data that the Markdown report, the HTML page and the notebook
reprs all render, so that they show the same sections, the same limits and the same wording.

It is built from the JSON report (`rca.report.markdown.to_dict`, already redacted when asked) and, for what
the JSON leaves out, from the Analysis itself: the root cause's parsed traceback and each group's
counts per second. Nothing here is markup; every text is the (redacted) log text, whole. Renderers
cut and escape it their own way (rca.report.escape for Markdown, jinja2's autoescape for HTML).

Times are kept as moments: a short clock time in the zone asked for, the exact timestamp (shown on
hover in HTML, beside the short one in Markdown prose) and, where it helps, a time relative to the
deploy or the onset ("+1.7 s after the deploy").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rca.analyze.analysis import Analysis
from rca.analyze.groups import MINUTE, Group
from rca.events.frames import chain_application_frame, is_library_frame, package_of
from rca.events.redact import redact
from rca.ingest.times import parse_timestamp, zone_name, zone_of
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
ISO_STAMP = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


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

    def parse(self, stamp: str | None) -> float | None:
        return parse_timestamp(stamp)

    def prose(self, text: str | None) -> list[dict[str, Any]]:
        """A text as segments, each {"text": …} or {"time": moment}: its ISO timestamps become moments."""
        if not text:
            return []
        segments: list[dict[str, Any]] = []
        at = 0
        for found in ISO_STAMP.finditer(text):
            if found.start() > at:
                segments.append({"text": text[at:found.start()]})
            try:
                segments.append({"time": self.moment(self.parse(found.group()))})
            except ValueError:
                segments.append({"text": found.group()})
            at = found.end()
        if at < len(text):
            segments.append({"text": text[at:]})
        return segments


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

def build_view(analysis: Analysis, report: dict, *, tz=None, redacted: bool = True, pii: bool = False) -> dict:
    """The view of `analysis`, whose JSON report (`to_dict`, redacted as wanted) is `report`."""
    clock = Clock(tz)
    scrub = (lambda text: redact(text, pii)) if redacted else (lambda text: text)
    groups = {g.key: g for g in analysis.groups}
    incidents = [_incident(number, data, incident, analysis, groups, clock, scrub)
                 for number, (data, incident) in enumerate(zip(report["incidents"], analysis.incidents), 1)]
    shown = {key for item in incidents for key in item["group_keys"]}
    others = [g for g in sorted(report["groups"], key=lambda g: -g["count"]) if g["group"] not in shown]
    view = {
        "project": report.get("project"),
        "title": "rca report" + (f" — {report['project']}" if report.get("project") else ""),
        "zone": clock.name,
        "window": {"start": clock.moment(clock.parse(report["window"]["start"])),
                   "end": clock.moment(clock.parse(report["window"]["end"]))},
        "incidents": incidents,
        "no_incident": None if incidents else
        f"No failure started in these logs ({plural(len(report['groups']), 'error group')}, none with an onset).",
        "timeline": None if incidents else _timeline(analysis, [("other", g) for g in
                                                                sorted(analysis.groups, key=lambda g: -g.count)[:MAX_TIMELINE_GROUPS]],
                                                     clock, scrub, None, None, len(analysis.groups)),
        "findings": [_finding(item, clock) for item in report.get("findings", [])],
        "groups": {
            "total": len(report["groups"]),
            "shown_above": len(report["groups"]) - len(others),
            "rows": [_group_row(g, clock) for g in others[:MAX_GROUPS_LISTED]],
            "more": max(0, len(others) - MAX_GROUPS_LISTED),
            "sentence": _groups_sentence(len(report["groups"]), len(report["groups"]) - len(others)),
        },
        "footer": f"{analysis.stats.summary()}; {plural(len(analysis.groups), 'group')}; {analysis.seconds:.2f}s. Written by rca.",
    }
    return view


def _present(moment: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """A moment the report always has (to_dict writes every incident's onset and every group onset's time):
    without it the report is malformed, and a TypeError says so, as unpacking or indexing None did."""
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


def _incident(number: int, data: dict, incident, analysis: Analysis, groups: dict[str, Group], clock: Clock, scrub) -> dict:
    root = data["root_cause"]
    deploy = data.get("deploy")
    deploy_time = clock.parse(deploy["time"]) if deploy else None
    onset_time = clock.parse(data["onset"])
    root_group = groups.get(root["group"]) if root else None
    symptom_groups = [groups[s["group"]] for s in data["symptoms"] if s["group"] in groups]

    def relative(epoch):
        if epoch is None:
            return ""
        if deploy_time is not None:
            return relative_text(epoch - deploy_time, "deploy")
        return relative_text(epoch - onset_time, "onset") if onset_time is not None else ""

    view: dict[str, Any] = {
        "number": number,
        "service": data["service"] or "unknown service",
        "callers": [s for s in (data.get("services") or [])[1:] if s],
        "title": f"Incident {number}: {data['service'] or 'unknown service'} — "
                 + (root["class"] if root else "cause not found"),
        "root": None if root is None else _root(root, root_group, clock, relative, scrub),
        "verdict": None if root else (data.get("verdict") or "no cause-class error changed near the onset"),
        "onset": {**_present(clock.moment(onset_time, relative(onset_time) if deploy_time is not None else ""), "incident onset"),
                  "kind": data.get("onset_kind") or "began"},
        "before_window": data.get("onset_kind") == "before-window",
        "deploy": None if deploy is None else {"revision": deploy["revision"], "service": deploy["service"],
                                               "time": clock.moment(deploy_time)},
        "impact": _impact(data, incident, symptom_groups, root_group, clock, analysis),
        "traceback": _traceback(root_group, scrub) if root_group is not None else None,
        "code": data.get("code"),
        "remedy": remedy_view(data.get("remedy")),
        "symptoms": [_group_row(s, clock, onset_time) for s in data["symptoms"][:MAX_SYMPTOMS]],
        "symptoms_more": max(0, len(data["symptoms"]) - MAX_SYMPTOMS),
        "ruled_out": [{"label": r["label"], "class": r["class"], "reason": r["reason"], "group": r["group"]}
                      for r in data["ruled_out"][:MAX_RULED_OUT]],
        "ruled_out_more": max(0, len(data["ruled_out"]) - MAX_RULED_OUT),
        "candidates": [{"label": c["label"], "class": c["class"], "score": c["score"],
                        "terms": " · ".join(f"{name} {value:+g}" for name, value in c["terms"].items()),
                        "reasons": "; ".join(c["reasons"]), "root": bool(root) and c["group"] == root["group"]}
                       for c in data.get("candidates", [])[:MAX_CANDIDATES]],
        "candidates_more": max(0, len(data.get("candidates", [])) - MAX_CANDIDATES),
        "whys": _whys(data["five_whys"], clock),
        "changes": [{"time": clock.moment(clock.parse(c["time"])), "kind": c["kind"], "summary": scrub(c["summary"]),
                     "principal": c.get("principal")} for c in data.get("changes") or []],
    }
    rows = ([("root-cause", root_group)] if root_group is not None else []) + \
           [("symptom", g) for g in symptom_groups[:MAX_TIMELINE_SYMPTOMS]] + \
           [("ruled-out", groups[r["group"]]) for r in data["ruled_out"][:MAX_TIMELINE_RULED_OUT] if r["group"] in groups]
    drawn = len(rows)
    involved = 1 + len(data["symptoms"]) + len(data["ruled_out"]) if root_group is not None else \
        len(data["symptoms"]) + len(data["ruled_out"])
    view["timeline"] = _timeline(analysis, rows, clock, scrub, view["deploy"], view["onset"], involved, view["changes"])
    view["timeline"]["omitted"] = max(0, involved - drawn)
    view["moments"] = _moments(view, root_group, symptom_groups, clock)
    view["group_keys"] = {key for key in [root["group"] if root else None, *(s["group"] for s in data["symptoms"]),
                                          *(r["group"] for r in data["ruled_out"])] if key}
    return view


def _root(root: dict, group: Group | None, clock: Clock, relative, scrub) -> dict:
    where = root.get("location")
    first = clock.parse(root["first_seen"])
    if root["method"] == "rule":
        decided = {"by": "rule", "rule": root["rule"], "confidence": root["confidence"],
                   "text": f"by rule {root['rule']} (confidence {root['confidence']:.2f})"}
    elif root["method"] == "model":
        decided = {"by": "model", "rule": None, "confidence": root["confidence"],
                   "text": f"by the model (probability {root['confidence']:.2f}; no rule matched)"}
    else:
        decided = {"by": root["method"], "rule": None, "confidence": root["confidence"], "text": "unclassified"}
    headline = f"{root['exception']}: {root['message']}" if root.get("exception") else (root.get("message") or root["label"])
    return {
        "label": root["label"], "headline": scrub(headline), "class": root["class"], "decided": decided,
        "explanation": root.get("explanation"),
        "where": None if not where else {**where, "short": short_path(where["file"]),
                                         "place": f"{where['file']}:{where['line']}"},
        "service": root.get("service"), "revision": root.get("revision"), "tied_by": root.get("tied_by"),
        "count": root["count"], "first_seen": clock.moment(first, relative(first)),
        "last_seen": clock.moment(clock.parse(root["last_seen"])), "instances": root.get("instances"),
    }


def _impact(data: dict, incident, symptoms: list[Group], root: Group | None, clock: Clock, analysis: Analysis) -> dict:
    """The blast radius: failed requests and routes, failed start-ups, instances, how long."""
    requests = [g for g in symptoms if g.statuses or g.fingerprint.kind == "request"]
    routes = set()
    for group in requests:
        components = {c["id"]: c["value"] for c in group.fingerprint.as_dict()["components"]}
        routes.add((components.get("method"), components.get("route")) if "route" in components else group.label)
    startups = [g for g in symptoms if g.cls == "startup_failure"]
    instances = set().union(*(g.instances for g in symptoms + ([root] if root else []))) if symptoms or root else set()
    onset = clock.parse(data["onset"])
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
            "instances": len(instances), "duration": duration, "ongoing": ongoing, "total": data.get("impact"),
            "text": " · ".join(parts)}


def _traceback(group: Group, scrub) -> dict | None:
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
            item = {"file": scrub(frame.file), "line": frame.line, "function": scrub(frame.function or ""),
                    "source": scrub(frame.source or ""), "failing": frame is failing, "library": library}
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
        chain.append({"relation": exception.relation, "type": exception.type, "message": scrub(exception.message),
                      "blocks": blocks})
    return {"chain": chain, "text": scrub(event.text), "truncated": tb.truncated}


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


def _group_row(summary: dict, clock: Clock, onset: float | None = None) -> dict:
    first = clock.parse(summary["first_seen"])
    row_onset = summary.get("onset")
    return {
        "group": summary["group"], "label": summary["label"], "class": summary["class"], "role": summary["role"],
        "count": summary["count"], "services": ", ".join(summary.get("services") or []) or (summary.get("service") or ""),
        "tied_by": summary.get("tied_by"), "muted": summary.get("muted", False),
        "first_seen": clock.moment(first, relative_text(first - onset, "onset") if onset is not None and first else ""),
        "last_seen": clock.moment(clock.parse(summary["last_seen"])),
        "onset": ("steady" if not row_onset else
                  f"{row_onset['kind']} {_present(clock.moment(clock.parse(row_onset['time'])), 'group onset time')['short']}"),
        "method": summary.get("method"), "confidence": summary.get("confidence"),
    }


def _finding(item: dict, clock: Clock) -> dict:
    row = _group_row(item, clock)
    row["reason"] = item.get("reason", "")
    return row


def _whys(whys: list[dict], clock: Clock) -> list[dict]:
    out = []
    for number, why in enumerate(whys, 1):
        answer = why["answer"]
        out.append({"number": number, "question": why["question"], "answer": answer,
                    "prose": clock.prose(answer), "prompt": why["prompt"],
                    "evidence": [_evidence(item, clock) for item in why["evidence"]]})
    return out


def _evidence(item: dict, clock: Clock) -> dict:
    if "commit" in item:
        return {"commit": item["commit"][:10], "date": item.get("date"), "subject": item.get("subject")}
    return {**item, "first": clock.moment(clock.parse(item["first_seen"])), "last": clock.moment(clock.parse(item["last_seen"])),
            "head": f"{item['count']}× {item['group']}",
            "sample_lines": "\n".join(item["sample"].splitlines()[:40]),
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


def _timeline(analysis: Analysis, rows: list[tuple[str, Group]], clock: Clock, scrub, deploy: dict | None,
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
        label = scrub(group.label)
        out_rows.append({"role": role, "label": label, "short": shorten(label), "class": group.cls, "count": group.count,
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
