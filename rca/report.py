"""Reports of an analysis: JSON (the documented schema), Markdown (pastes into an issue), HTML."""

from __future__ import annotations


from .analysis import Analysis
from .groups import Group
from .incidents import Incident
from .record import format_timestamp
from .escape import html_text, md_code, md_fence, md_text
from .redact import redact, redact_tree
from .fingerprint import STRATEGY
from .frames import chain_application_frame

SCHEMA_VERSION = 2  # 2: incidents[].candidates, onset_kind, verdict; findings[]; fingerprints
MAX_GROUPS_LISTED = 25


def group_summary(group: Group, onset=None) -> dict:
    """The keys every root cause, symptom and ruled-out group carries in the JSON report."""
    classification = group.classification
    event = group.representative
    tb = event.traceback
    exception = tb.root if tb is not None and tb.root is not None else None
    frame = chain_application_frame(tb.exceptions) if tb is not None else None
    return {
        "group": group.key,
        "fingerprint": group.fingerprint.as_dict(),
        "label": group.label,
        "class": group.cls,
        "role": group.role,
        "method": classification.method,
        "rule": classification.rule.id if classification.rule else None,
        "confidence": round(classification.confidence, 4),
        "explanation": classification.explanation,
        "fields": classification.fields,
        "exception": exception.type if exception else None,
        "message": exception.message if exception else event.message,
        "location": None if frame is None else {"file": frame.file, "line": frame.line, "function": frame.function},
        "service": group.service,
        "tied_by": group.tied_by or None,
        "revision": event.first.revision,
        "services": group.services,
        "revisions": group.revisions,
        "instances": len(group.instances),
        "first_seen": format_timestamp(group.first_seen),
        "last_seen": format_timestamp(group.last_seen),
        "count": group.count,
        "muted": group.muted,
        "onset": None if onset is None else {"time": format_timestamp(onset.time), "kind": onset.kind,
                                             "per_minute_before": round(onset.before, 2),
                                             "per_minute_after": round(onset.after, 2)},
    }


def to_dict(analysis: Analysis, redacted: bool = True, pii: bool = False) -> dict:
    onsets = analysis.onsets
    incidents = []
    code = analysis.code or [None] * len(analysis.incidents)
    for incident, whys, findings in zip(analysis.incidents, analysis.whys, code):
        incidents.append({
            "service": incident.service,
            "onset": format_timestamp(incident.onset),
            "services": incident.services,
            "onset_kind": incident.onset_kind,
            "impact": incident.impact,
            "verdict": incident.verdict or None,
            "deploy": None if incident.deploy is None else {
                "service": incident.deploy.service, "revision": incident.deploy.revision,
                "time": format_timestamp(incident.deploy.time)},
            "root_cause": None if incident.root_cause is None else group_summary(incident.root_cause, onsets.get(incident.root_cause.key)),
            "symptoms": [group_summary(g, onsets.get(g.key)) for g in incident.symptoms],
            "ruled_out": [{**group_summary(g, onsets.get(g.key)), "reason": reason} for g, reason in incident.ruled_out],
            "candidates": [{"group": c.group.key, "label": c.group.label, "class": c.group.cls, "score": c.score,
                            "terms": c.terms, "reasons": c.reasons} for c in incident.candidates],
            "five_whys": [w.as_dict() for w in whys],
            "code": None if findings is None else findings.as_dict(),
        })
    stats = analysis.stats.as_dict()
    stats.update(groups=len(analysis.groups), seconds=round(analysis.seconds, 3))
    report = {
        "schema_version": SCHEMA_VERSION,
        "fingerprint_strategy": STRATEGY,
        "project": analysis.project,
        "window": {"start": format_timestamp(analysis.start), "end": format_timestamp(analysis.end)},
        "filters": {k: format_timestamp(v) if k in ("since", "until") else v for k, v in analysis.filters.items()},
        "incidents": incidents,
        "findings": [{**group_summary(f.group, f.onset), "reason": "changed with no user-visible symptom"}
                     for f in analysis.findings],
        "deploys": [{"service": d.service, "revision": d.revision, "time": format_timestamp(d.time)} for d in analysis.deploys],
        "groups": [group_summary(g, onsets.get(g.key)) for g in analysis.groups],
        "stats": stats,
    }
    return redact_tree(report, pii) if redacted else report


def to_markdown(analysis: Analysis, redacted: bool = True, pii: bool = False) -> str:
    lines: list[str] = []
    if not analysis.incidents:
        lines += ["# rca: no incident found", "",
                  f"No failure started in these logs ({len(analysis.groups)} error group(s), none with an onset).", ""]
    code = analysis.code or [None] * len(analysis.incidents)
    for number, (incident, whys, findings) in enumerate(zip(analysis.incidents, analysis.whys, code), 1):
        lines += _incident_markdown(number, incident, whys, analysis)
        if findings is not None:
            lines += code_markdown(findings)
    lines += _groups_markdown(analysis)
    stats = analysis.stats
    lines += ["---", "", f"*{stats.summary()}; {len(analysis.groups)} groups; {analysis.seconds:.2f}s. Written by rca.*", ""]
    text = "\n".join(lines)
    return redact(text, pii) if redacted else text


def _decided_by(cls: str, summary: dict) -> str:
    if summary["method"] == "rule":
        return f"- class `{cls}` by rule `{summary['rule']}` (confidence {summary['confidence']:.2f})"
    if summary["method"] == "model":
        return f"- class `{cls}` by the classifier (probability {summary['confidence']:.2f}; no rule matched)"
    return f"- class `{cls}`"


def _incident_markdown(number: int, incident: Incident, whys, analysis: Analysis) -> list[str]:
    root = incident.root_cause
    title = f"# Incident {number}: {incident.service or 'unknown service'}"
    title += f" — {root.cls}" if root else " — cause not found"
    lines = [title, ""]
    if root is not None:
        summary = group_summary(root)
        where = summary["location"]
        lines += [
            f"**Root cause:** {md_code(redact(root.representative.message))}"
            + (f" at {md_code(_place(where))} in {md_code(where['function'] or '?')}" if where else ""),
            "",
            _decided_by(root.cls, summary),
            f"- {summary['explanation']}" if summary["explanation"] else "",
            f"- service `{summary['service']}`, revision `{summary['revision']}`; {root.count} time(s), "
            f"first {summary['first_seen']}, last {summary['last_seen']}",
        ]
    if root is None and incident.verdict:
        lines += [f"**Root cause not named:** {incident.verdict}.", ""]
    if incident.onset_kind == "before-window":
        lines.append(f"- the logs start mid-incident: already failing at the first record, {format_timestamp(incident.onset)}")
    else:
        lines.append(f"- onset of the failure: {format_timestamp(incident.onset)}")
    if incident.deploy is not None:
        lines.append(f"- deploy: revision `{incident.deploy.revision}` first seen {format_timestamp(incident.deploy.time)}")
    lines += ["", "## Symptoms", "", "| group | class | count | first seen | last seen |", "|---|---|---:|---|---|"]
    lines += [f"| {_cell(g.label)} | {g.cls} | {g.count} | {format_timestamp(g.first_seen)} | {format_timestamp(g.last_seen)} |"
              for g in incident.symptoms] or ["| (none) | | | | |"]
    lines += ["", "## Ruled out", ""]
    lines += [f"- {reason}" for _, reason in incident.ruled_out] or ["- nothing else failed"]
    lines += ["", "## Five whys", ""]
    for index, why in enumerate(whys, 1):
        marker = " *(for a person to answer)*" if why.prompt else ""
        lines += [f"{index}. **{why.question}**{marker}  ", f"   {why.answer}"]
        for item in why.evidence:
            lines += _evidence_markdown(item)
        lines.append("")
    if root is not None and root.representative.traceback is not None:
        lines += ["## Root cause traceback", "", *md_fence(root.representative.text), ""]
    return lines


def code_markdown(findings) -> list[str]:
    lines = ["## In the code", "", f"Checkout: `{findings.repo}`", ""]
    for frame in findings.frames:
        target = f"`{frame.repo_path}`" if frame.repo_path else frame.status
        lines.append(f"- `{frame.frame_file}:{frame.line}` → {target}")
    lines.append("")
    for excerpt in findings.excerpts[-2:]:
        lines += [f"`{excerpt['file']}` line {excerpt['line']}" + (f" in `{excerpt['function']}`" if excerpt["function"] else ""), ""]
        if excerpt["note"]:
            lines += [f"*{excerpt['note']}*", ""]
            continue
        lines += ["```python"]
        lines += [f"{'>' if row['failing'] else ' '} {row['number']:4d}  {row['text']}" for row in excerpt["lines"]]
        lines += ["```", ""]
    if findings.confirmation:
        lines += [f"**{findings.confirmation[0].upper()}{findings.confirmation[1:]}.**", ""]
    if findings.suspect is not None:
        suspect = findings.suspect
        lines += [f"**Suspect commit:** `{suspect.commit[:10]}` {suspect.date} {suspect.author} — \"{suspect.subject}\" "
                  f"(it {suspect.why})", ""]
    elif findings.suspect_note:
        lines += [f"*{findings.suspect_note}.*", ""]
    return lines


def _evidence_markdown(item: dict) -> list[str]:
    if "commit" in item:  # from --repo: the suspect commit
        return ["", f"   Evidence: commit `{item['commit'][:10]}` {item['date']} \"{item['subject']}\"", ""]
    head = f"{item['count']}× {item['group']}, {item['first_seen']} → {item['last_seen']}"
    sample = "\n".join(item["sample"].splitlines()[:40])
    lines = ["", "   <details><summary>Evidence: " + html_text(redact(head)) + "</summary>", "",
             *md_fence(sample, indent="   "), ""]
    if item["insert_ids"]:
        lines.append("   insert ids: " + ", ".join(f"`{i}`" for i in item["insert_ids"]))
    refs = ", ".join(f"{r['source']}:{r['position']}" for r in item["records"])
    lines.append(f"   records: {refs}")
    if item.get("link"):
        lines.append(f"   [open in Logs Explorer]({item['link']})")
    lines += ["   </details>", ""]
    return lines


def _groups_markdown(analysis: Analysis) -> list[str]:
    lines = ["## Error groups", "", "| group | class | role | count | services | first seen | onset |",
             "|---|---|---|---:|---|---|---|"]
    for group in sorted(analysis.groups, key=lambda g: -g.count)[:MAX_GROUPS_LISTED]:
        onset = analysis.onsets.get(group.key)
        lines.append(f"| {_cell(group.label)} | {group.cls} | {group.role} | {group.count} | {', '.join(group.services)} "
                     f"| {format_timestamp(group.first_seen)} | {onset.kind + ' ' + format_timestamp(onset.time) if onset else 'steady'} |")
    if len(analysis.groups) > MAX_GROUPS_LISTED:
        lines.append(f"| … {len(analysis.groups) - MAX_GROUPS_LISTED} more | | | | | | |")
    return lines + [""]


def _place(where: dict) -> str:
    return f"{where['file']}:{where['line']}"


def _cell(text: str) -> str:
    """Log text in a table cell: secrets masked on the whole text, then cut, then escaped."""
    return md_text(redact(text), limit=160)

