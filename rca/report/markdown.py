"""Reports of an analysis: JSON (the documented schema), Markdown (pastes into an issue), HTML."""

from __future__ import annotations

from rca.analyze.analysis import Analysis
from rca.analyze.fingerprint import STRATEGY
from rca.analyze.groups import Group
from rca.classify.hybrid import overruled_claim
from rca.events.redact import scrubber
from rca.ingest.times import format_timestamp
from rca.report.escape import html_text, md_code, md_fence, md_text, printable
from rca.report.remedy import remedy_markdown
from rca.report.view import FINDING_REASON, build_view, decided_text, failure_of, plural, traceback_lines

# 2: incidents[].candidates, onset_kind, verdict; findings[]; fingerprints
# 3: incidents[].ruled_out[] refer to groups[] by key (a flood rules out thousands of groups per incident)
SCHEMA_VERSION = 4  # 4: changes[] (audit-logged changes and deploys), incidents[].changes and .change


def group_summary(group: Group, onset=None) -> dict:
    """The keys every root cause, symptom and ruled-out group carries in the JSON report."""
    classification = group.classification
    event = group.representative
    exception, frame = failure_of(group)
    return {
        "group": group.key,
        "fingerprint": group.fingerprint.as_dict(),
        "label": group.label,
        "class": group.cls,
        "role": group.role,
        "method": classification.method,
        "rule": classification.rule.id if classification.rule else None,
        **overruled_claim(classification),
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


def ruled_out_entry(group: Group, reason: str) -> dict:
    """A ruled-out group by reference: its key in `groups[]`, what a reader scans for, and why. Each
    incident of a flood rules out nearly every group, and the whole summary in each would repeat
    `groups[]` once per incident."""
    return {"group": group.key, "label": group.label, "class": group.cls, "service": group.service,
            "count": group.count, "reason": reason}


def to_dict(analysis: Analysis, redacted: bool = True, pii: bool = False) -> dict:
    onsets = analysis.onsets
    incidents = []
    code = analysis.code or [None] * len(analysis.incidents)
    remedies = analysis.remedies or [None] * len(analysis.incidents)
    for incident, whys, findings, remedy in zip(analysis.incidents, analysis.whys, code, remedies):
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
            "ruled_out": [ruled_out_entry(g, reason) for g, reason in incident.ruled_out],
            "candidates": [{"group": c.group.key, "label": c.group.label, "class": c.group.cls, "score": c.score,
                            "terms": c.terms, "reasons": c.reasons} for c in incident.candidates],
            "five_whys": [w.as_dict() for w in whys],
            "code": None if findings is None else findings.as_dict(),
            "remedy": None if remedy is None else remedy.as_dict(),
            "changes": [c.as_dict() for c in incident.changes],
            "change": None if incident.change is None else incident.change.as_dict(),
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
        "findings": [{**group_summary(f.group, f.onset), "reason": FINDING_REASON}
                     for f in analysis.findings],
        "deploys": [{"service": d.service, "revision": d.revision, "time": format_timestamp(d.time)} for d in analysis.deploys],
        "changes": [c.as_dict() for c in analysis.changes],
        "groups": [group_summary(g, onsets.get(g.key)) for g in analysis.groups],
        "stats": stats,
    }
    return scrubber(redacted, pii)(report)


def to_markdown(analysis: Analysis, redacted: bool = True, pii: bool = False, *, tz=None) -> str:
    """The report as GitHub-flavoured Markdown, from the one view that HTML and notebooks render too
    (rca.report.view), redacted there unless `redacted` is False. `tz`: the zone times are shown in
    (a name such as "Europe/Paris"; UTC by default)."""
    return render_markdown(build_view(analysis, tz=tz, scrub=scrubber(redacted, pii)))


def render_markdown(view: dict) -> str:
    """The Markdown of a view, whose texts are redacted already when they are to be (rca.report.view.build_view)."""
    lines: list[str] = []
    if view["no_incident"]:
        lines += ["# rca: no incident found", "", md_text(view["no_incident"]), ""]
    for incident in view["incidents"]:
        lines += incident_markdown(incident, view["zone"])
    lines += _findings_markdown(view)
    lines += _groups_markdown(view)
    lines += ["---", "", f"*{md_text(view['footer'])}*", ""]
    return printable("\n".join(lines))  # no escape from a log reaches the terminal


def _when(moment: dict | None, relative: bool = True) -> str:
    """A moment in prose: the short time, how it relates to the deploy, and the exact timestamp beside it."""
    if moment is None:
        return "?"
    rel = f", {moment['relative']}" if relative and moment.get("relative") else ""
    return f"{moment['short']}{rel} ({moment['exact']})"


def _prose(segments: list[dict]) -> str:
    return "".join(md_text(s["text"]) if "text" in s else _when(s["time"], relative=False) for s in segments)


def incident_markdown(incident: dict, zone: str = "UTC") -> list[str]:
    """One incident's sections: summary, traceback, code, timeline, symptoms, ruled out, candidates, five whys."""
    root = incident["root"]
    lines = [f"# Incident {incident['number']}: {md_text(incident['service'])} — "
             f"{root['class'] if root else 'cause not found'}", ""]
    lines += _root_markdown(root) if root is not None else _no_root_markdown(incident)
    lines += _context_markdown(incident)
    lines += remedy_markdown(incident["remedy"])
    if incident["traceback"]:
        lines += _traceback_markdown(incident["traceback"])
    if incident["code"]:
        lines += code_markdown(incident["code"])
    return lines + _timeline_markdown(incident, zone) + _weighed_markdown(incident, zone) + _whys_markdown(incident["whys"])


def _root_markdown(root: dict) -> list[str]:
    """The root cause: its headline and place, how it was decided, its service and times."""
    where = root["where"]
    lines = [f"**Root cause:** {md_code(root['headline'])}"
             + (f" at {md_code(where['place'])} in {md_code(where['function'] or '?')}" if where else ""), ""]
    how = decided_text(root["decided"], code=lambda name: f"`{name}`")
    lines += [f"- **class** `{root['class']}` {how}".rstrip()]
    if root["explanation"]:
        lines.append(f"- {md_text(root['explanation'])}")
    return lines


def _no_root_markdown(incident: dict) -> list[str]:
    lines = [f"**Root cause not named:** {md_text(incident['verdict'])}.", ""]
    if incident["candidates"]:
        lines.append("- **candidates** " + "; ".join(f"{md_code(c['label'], limit=60)} ({c['score']:.1f})"
                                                  for c in incident["candidates"][:3]) + " — see below")
    return lines


def _context_markdown(incident: dict) -> list[str]:
    """Where the root cause ran and when, the blast radius, the callers, the onset and the deploy."""
    root, lines = incident["root"], []
    if root is not None:
        commit = (incident["remedy"] or {}).get("deployed_commit")
        lines += [f"- **service** `{root['service']}`, revision `{root['revision']}`"
                  + (f", commit `{commit}`" if commit else "")
                  + (f" (tied by {md_text(root['tied_by'])})" if root["tied_by"] else ""),
                  f"- **first seen** {_when(root['first_seen'])}; {plural(root['count'], 'time')}, "
                  f"last {_when(root['last_seen'], relative=False)}"]
    lines.append(f"- **blast radius** {incident['impact']['text']}")
    if incident["callers"]:
        lines.append(f"- **callers that failed with it** {', '.join(f'`{c}`' for c in incident['callers'])}")
    if incident["before_window"]:
        lines.append(f"- **onset** before these logs: already failing at the first record, {_when(incident['onset'], False)}")
    else:
        lines.append(f"- **onset** {_when(incident['onset'])}, {incident['onset']['kind']}")
    if incident["deploy"]:
        lines.append(f"- **deploy** revision `{incident['deploy']['revision']}` first seen {_when(incident['deploy']['time'], False)}")
    return [*lines, ""]


def _traceback_markdown(traceback: dict) -> list[str]:
    lines = ["## Root cause traceback", "",
             "Application frames in full, library frames folded, the failing line marked `>`"
             " (the whole traceback is under why 3's evidence).", ""]
    body = [("> " if kind == "failing" else "  ") + text for kind, text in traceback_lines(traceback)]
    return [*lines, *md_fence("\n".join(body)), ""]


def _timeline_markdown(incident: dict, zone: str) -> list[str]:
    lines = ["## Timeline", "", f"Times in {zone}, {incident['onset']['date']}.", ""]
    return lines + [f"- {item['time']['short']} — {md_text(item['what'])}"
                    + (f" ({item['time']['relative']})" if item["time"].get("relative") else "") for item in incident["moments"]]


def _weighed_markdown(incident: dict, zone: str) -> list[str]:
    """The symptoms, what was ruled out, and the candidates the decision weighed."""
    lines = ["", "## Symptoms", "", f"| group | class | count | first seen ({zone}) | last seen |", "|---|---|---:|---|---|"]
    lines += [f"| {_cell(s['label'])} | {s['class']} | {s['count']:,} | {s['first_seen']['short']} | {s['last_seen']['short']} |"
              for s in incident["symptoms"]] or ["| (none) | | | | |"]
    if incident["symptoms_more"]:
        lines.append(f"| … {incident['symptoms_more']} more (see the JSON report) | | | | |")
    lines += ["", "## Ruled out", ""]
    lines += [f"- {md_text(r['reason'])}" for r in incident["ruled_out"]] or ["- nothing else failed"]
    if incident["ruled_out_more"]:
        lines.append(f"- … {incident['ruled_out_more']} more (see the JSON report)")
    if incident["candidates"]:
        lines += ["", "## Candidates", "", "| group | class | score | terms | reasons |", "|---|---|---:|---|---|"]
        lines += [f"| {_cell(c['label'])}{' (root cause)' if c['root'] else ''} | {c['class']} | {c['score']:.1f} "
                  f"| {c['terms']} | {_cell(c['reasons'] or '—')} |" for c in incident["candidates"]]
        if incident["candidates_more"]:
            lines.append(f"| … {incident['candidates_more']} more | | | | |")
    return lines


def _whys_markdown(whys: list[dict]) -> list[str]:
    lines = ["", "## Five whys", ""]
    for why in whys:
        marker = " *(for a person to answer)*" if why["prompt"] else ""
        lines += [f"{why['number']}. **{md_text(why['question'])}**{marker}  ", f"   {_prose(why['prose'])}"]
        for item in why["evidence"]:
            lines += _evidence_markdown(item)
        lines.append("")
    return lines


def code_markdown(code: dict) -> list[str]:
    """What --repo found: the frames mapped to the checkout, the code around the failing line, the suspect commit."""
    at = f" at commit `{code['commit'][:9]}`, the deployed one" if code.get("commit") else ""
    lines = ["## In the code", "", f"Checkout: `{code['repo']}`{at}", ""]
    for frame in code["frames"]:
        target = f"`{frame['repo_path']}`" if frame["repo_path"] else frame["status"]
        lines.append(f"- `{frame['frame_file']}:{frame['line']}` → {target}")
    lines.append("")
    for excerpt in code["excerpts"][-2:]:
        lines += [f"`{excerpt['file']}` line {excerpt['line']}" + (f" in `{excerpt['function']}`" if excerpt["function"] else ""), ""]
        if excerpt["note"]:
            lines += [f"*{md_text(excerpt['note'])}*", ""]
            continue
        lines += md_fence("\n".join(f"{'>' if row['failing'] else ' '} {row['number']:4d}  {row['text']}"
                                    for row in excerpt["lines"]), info="python")
        lines.append("")
    if code["confirmation"]:
        lines += [f"**{code['confirmation'][0].upper()}{code['confirmation'][1:]}.**", ""]
    if code["suspect"] is not None:
        suspect = code["suspect"]
        lines += [f"**Suspect commit:** `{suspect['commit'][:10]}` {suspect['date']} {md_text(suspect['author'])} — "
                  f"\"{md_text(suspect['subject'])}\" (it {md_text(suspect['why'])})", ""]
    elif code["suspect_note"]:
        lines += [f"*{md_text(code['suspect_note'])}.*", ""]
    return lines


def _evidence_markdown(item: dict) -> list[str]:
    if "commit" in item:  # from --repo: the suspect commit
        return ["", f"   Evidence: commit `{item['commit']}` {item['date']} \"{md_text(item['subject'])}\"", ""]
    head = f"{item['head']}, {item['first']['short']} → {item['last']['short']}"
    lines = ["", "   <details><summary>Evidence: " + html_text(head) + "</summary>", "",
             *md_fence(item["sample_lines"], indent="   "), ""]
    if item["insert_ids"]:
        lines.append("   insert ids: " + ", ".join(f"`{i}`" for i in item["insert_ids"]))
    lines.append(f"   records: {item['refs']}")
    if item.get("link"):
        lines.append(f"   [open in Logs Explorer]({item['link']})")
    lines += ["   </details>", ""]
    return lines


def _findings_markdown(view: dict) -> list[str]:
    if not view["findings"]:
        return []
    lines = ["## Findings", "", "Causes that changed with no user-visible symptom: worth a look, not an incident.", ""]
    lines += [f"- {_cell(f['label'])} (`{f['class']}`, {f['count']:,}× on {md_text(f['services'] or '?')}), "
              f"{f['onset']} — {md_text(f['reason'])}" for f in view["findings"]]
    return lines + [""]


def _groups_markdown(view: dict) -> list[str]:
    groups = view["groups"]
    lines = ["## Error groups", ""]
    lines += [groups["sentence"], ""]
    if not groups["rows"]:
        return lines
    zone = view["zone"]
    lines += [f"| group | class | role | count | services | first seen ({zone}) | onset |", "|---|---|---|---:|---|---|---|"]
    for g in groups["rows"]:
        label = _cell(g["label"]) + (" *(muted)*" if g["muted"] else "")
        lines.append(f"| {label} | {g['class']} | {g['role']} | {g['count']:,} | {md_text(g['services'])} "
                     f"| {g['first_seen']['short']} | {g['onset']} |")
    if groups["more"]:
        lines.append(f"| … {groups['more']} more (see the JSON report) | | | | | | |")
    return lines + [""]


def _cell(text: str) -> str:
    """Log text in a table cell, cut and escaped. Masking secrets is not its job: the view's texts are
    redacted already (once, on whole texts, before any cut), unless the reader asked for `--no-redact`."""
    return md_text(text, limit=160)
