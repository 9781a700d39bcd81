"""A self-contained HTML page of an analysis: the Markdown report's content, and a timeline chart
of the groups (events per minute) with the deploys as vertical lines. Inline CSS and SVG, no scripts."""

from __future__ import annotations

import html

from .analysis import Analysis
from .groups import MINUTE
from .record import format_timestamp
from .redact import redact
from .report import to_dict

MAX_TIMELINE_GROUPS = 12
WIDTH, ROW, LEFT = 900, 26, 330
COLOURS = {"cause": "#c0392b", "symptom": "#e67e22"}

STYLE = """
body{font:14px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
code,pre{font:12px ui-monospace,monospace;background:#f5f5f5}pre{padding:.6em;overflow:auto}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
.root{background:#fdecea;border-left:4px solid #c0392b;padding:.5em 1em}.prompt{color:#666;font-style:italic}
svg text{font:11px system-ui,sans-serif}
"""


def to_html(analysis: Analysis, redacted: bool = True, pii: bool = False) -> str:
    """A whole page, for --format html."""
    title = f"rca report{' — ' + _e(analysis.project) if analysis.project else ''}"
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f"<style>{STYLE}</style></head><body>\n{html_body(analysis, redacted, pii)}\n</body></html>")


def html_body(analysis: Analysis, redacted: bool = True, pii: bool = False) -> str:
    """The report without the page around it: what a notebook cell shows."""
    report = to_dict(analysis, redacted, pii)
    parts = [] if report["incidents"] else ["<h1>rca: no incident found</h1>"]
    for number, incident in enumerate(report["incidents"], 1):
        parts += _incident(number, incident)
    parts += ["<h2>Timeline</h2>", timeline_svg(analysis), _groups_table(report), _footer(analysis)]
    body = "\n".join(parts)
    return redact(body, pii) if redacted else body


def _incident(number: int, incident: dict) -> list[str]:
    root = incident["root_cause"]
    parts = [f"<h1>Incident {number}: {_e(incident['service'] or 'unknown service')} — "
             f"{_e(root['class']) if root else 'cause not found'}</h1>"]
    if root:
        where = root["location"]
        parts.append(
            f"<div class=root><b>Root cause:</b> <code>{_e(root['message'] if not root['exception'] else root['exception'] + ': ' + root['message'])}</code>"
            + (f" at <code>{_e(where['file'])}:{where['line']}</code> in <code>{_e(where['function'] or '')}</code>" if where else "")
            + f"<br>{_e(root['explanation'] or '')}<br>service <code>{_e(root['service'] or '')}</code>, revision "
            f"<code>{_e(root['revision'] or '')}</code>; {root['count']} time(s), first {root['first_seen']}, "
            f"rule <code>{_e(root['rule'] or '')}</code> ({root['confidence']:.2f})</div>")
    parts.append(f"<p>Onset {incident['onset']}"
                 + (f"; deploy of <code>{_e(incident['deploy']['revision'])}</code> first seen {incident['deploy']['time']}"
                    if incident["deploy"] else "") + "</p>")
    parts.append("<h2>Symptoms</h2><table><tr><th>group<th>class<th>count<th>first seen<th>last seen")
    parts += [f"<tr><td>{_e(s['label'])}<td>{s['class']}<td>{s['count']}<td>{s['first_seen']}<td>{s['last_seen']}"
              for s in incident["symptoms"]]
    parts.append("</table><h2>Ruled out</h2><ul>")
    parts += [f"<li>{_e(r['reason'])}" for r in incident["ruled_out"]] or ["<li>nothing else failed"]
    parts.append("</ul><h2>Five whys</h2><ol>")
    for why in incident["five_whys"]:
        parts.append(f"<li><b>{_e(why['question'])}</b>{' <span class=prompt>(for a person to answer)</span>' if why['prompt'] else ''}"
                     f"<br>{_e(why['answer'])}")
        for item in why["evidence"]:
            if "commit" in item:
                parts.append(f"<p>Evidence: commit <code>{_e(item['commit'][:10])}</code> {_e(item['date'])} {_e(item['subject'])}</p>")
                continue
            parts.append(f"<details><summary>Evidence: {item['count']}× {_e(item['group'])}</summary>"
                         f"<pre>{_e(item['sample'])}</pre>insert ids: {_e(', '.join(item['insert_ids']))}"
                         + (f" · <a href=\"{_e(item['link'])}\">Logs Explorer</a>" if item.get("link") else "")
                         + "</details>")
    parts.append("</ol>")
    code = incident.get("code")
    if code:
        parts.append(f"<h2>In the code</h2><p>Checkout <code>{_e(code['repo'])}</code></p>")
        for excerpt in code["excerpts"][-2:]:
            rows = "\n".join(f"{'&gt;' if r['failing'] else ' '} {r['number']:4d}  {_e(r['text'])}" for r in excerpt["lines"])
            parts.append(f"<p><code>{_e(excerpt['file'])}</code> line {excerpt['line']}</p><pre>{rows}</pre>")
        parts.append(f"<p><b>{_e(code['confirmation'])}</b></p>")
        if code["suspect"]:
            suspect = code["suspect"]
            parts.append(f"<p><b>Suspect commit</b> <code>{_e(suspect['commit'][:10])}</code> {_e(suspect['date'])} "
                         f"{_e(suspect['author'])} — {_e(suspect['subject'])}</p>")
        elif code["suspect_note"]:
            parts.append(f"<p>{_e(code['suspect_note'])}</p>")
    return parts


def timeline_svg(analysis: Analysis) -> str:
    """Events per minute for the largest groups (one row each), deploys as dashed vertical lines."""
    groups = sorted(analysis.groups, key=lambda g: -g.count)[:MAX_TIMELINE_GROUPS]
    if not groups or analysis.start is None or analysis.end is None:
        return "<p>No error events to chart.</p>"
    start, end = analysis.start, max(analysis.end, analysis.start + MINUTE)
    span = end - start
    height = ROW * len(groups) + 40
    plot = WIDTH - LEFT - 10

    def x(moment: float) -> float:
        return LEFT + (moment - start) / span * plot

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" '
             f'aria-label="error events per minute by group">']
    for row, group in enumerate(groups):
        y = 20 + row * ROW
        parts.append(f'<text x="4" y="{y + 14}">{_e(redact(group.label)[:52])} ({group.count})</text>')
        counts: dict[int, int] = {}
        for t in group.times:
            counts[int((t - start) // MINUTE)] = counts.get(int((t - start) // MINUTE), 0) + 1
        peak = max(counts.values())
        colour = COLOURS.get(group.role, "#7f8c8d")
        for minute, count in counts.items():
            bar = max(2.0, (ROW - 6) * count / peak)
            parts.append(f'<rect class="bar" x="{x(start + minute * MINUTE):.1f}" y="{y + ROW - 4 - bar:.1f}" '
                         f'width="{max(1.5, plot * MINUTE / span):.1f}" height="{bar:.1f}" fill="{colour}"/>')
    for deploy in analysis.deploys:
        parts.append(f'<line class="deploy" x1="{x(deploy.time):.1f}" x2="{x(deploy.time):.1f}" y1="12" '
                     f'y2="{height - 18}" stroke="#2c3e50" stroke-dasharray="4 3"/>'
                     f'<text x="{x(deploy.time) + 3:.1f}" y="11">deploy {_e(deploy.revision)}</text>')
    parts.append(f'<text x="{LEFT}" y="{height - 4}">{format_timestamp(start)}</text>'
                 f'<text x="{WIDTH - 10}" y="{height - 4}" text-anchor="end">{format_timestamp(end)}</text></svg>')
    return "".join(parts)


def _groups_table(report: dict) -> str:
    rows = "".join(f"<tr><td>{_e(g['label'])}<td>{g['class']}<td>{g['role']}<td>{g['count']}<td>{_e(', '.join(g['services']))}"
                   f"<td>{g['first_seen']}" for g in sorted(report["groups"], key=lambda g: -g["count"]))
    return f"<h2>Error groups</h2><table><tr><th>group<th>class<th>role<th>count<th>services<th>first seen{rows}</table>"


def _footer(analysis: Analysis) -> str:
    return f"<hr><p><small>{_e(analysis.stats.summary())}; {analysis.seconds:.2f}s. Written by rca.</small></p>"


def _e(text) -> str:
    return html.escape(str(text), quote=True)
