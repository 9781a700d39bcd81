"""The reports of `rca diff` and `rca verify`: one dict each (the JSON, keys documented in the README),
rendered as Markdown and as a small self-contained HTML page. Log text (group labels) is redacted on
the dict, once, when it is made (`redacted`), then escaped where it is shown: rca.report.escape in
Markdown, jinja2's autoescape in HTML; control characters are shown as escapes in both."""

from __future__ import annotations

from rca.analyze.compare import Diff, GroupChange, Rate, ServiceTraffic, Side, change_sentence
from rca.analyze.rates import ALPHA, FLOOR, POWER, RATIO, Rise
from rca.analyze.verify import RootCheck, Verification, recovery_text, recovery_wait, root_wait
from rca.events.redact import scrubber
from rca.ingest import CUT_SHORT
from rca.ingest.times import format_timestamp
from rca.report.escape import md_code, md_text, printable

SCHEMA_VERSION = 1
MAX_ROWS = 50  # groups shown in Markdown and HTML (the JSON holds them all)


# ---- the dicts ------------------------------------------------------------------------------------


def diff_to_dict(diff: Diff, redacted: bool = True, pii: bool = False) -> dict:
    report = {
        "schema_version": SCHEMA_VERSION,
        "kind": "diff",
        "verdict": diff.verdict,
        "exit_code": diff.exit_code,
        "reason": diff.reason,
        "method": _method(),
        "before": _side(diff.before),
        "after": _side(diff.after),
        "service": diff.service,
        "groups_compared": diff.compared,
        "groups": [_change(change) for change in diff.groups],
        "services": [_traffic(item) for item in diff.traffic],
        "stats": diff.analysis.stats.as_dict() if diff.analysis is not None else None,
    }
    return scrubber(redacted, pii)(report)


def verify_to_dict(check: Verification, redacted: bool = True, pii: bool = False) -> dict:
    incident = check.incident
    report = {
        "schema_version": SCHEMA_VERSION,
        "kind": "verify",
        "verdict": check.verdict,
        "exit_code": check.exit_code,
        "reason": check.reason,
        "method": _method(),
        "incident": {
            "number": incident.number, "service": incident.service, "onset": format_timestamp(incident.onset),
            "deploy": {"revision": incident.deploy_revision, "time": format_timestamp(incident.deploy_time)}
            if incident.deploy_revision else None,
            "root_cause": {"group": incident.root_group, "label": incident.root_label} if incident.root_group else None,
        },
        "remedy": {"time": format_timestamp(check.remedy.time), "how": check.remedy.how},
        "before": _side(check.before),
        "after": _side(check.after),
        "serving": [{"revision": name, "requests": count} for name, count in check.serving.items()],
        "root_cause": _root(check.root, check.serving),
        "recovery": _recovery(check.recovery),
        "regressions": [_change(change) for change in check.regressions],
        "groups": [_change(change) for change in check.diff.groups],
        "stats": check.analysis.stats.as_dict() if check.analysis is not None else None,
    }
    return scrubber(redacted, pii)(report)


def _method() -> dict:
    return {"test": "conditional binomial test of counts against requests (Bonferroni over the groups of a diff)",
            "alpha": ALPHA, "power": POWER, "change_that_matters": {"ratio": RATIO, "floor_per_request": FLOOR}}


def _side(side: Side) -> dict:
    return {"revision": side.revision, "since": format_timestamp(side.since), "until": format_timestamp(side.until)}


def _rate(rate: Rate) -> dict:
    return {"count": rate.count, "exposure": rate.exposure, "unit": rate.unit,
            "rate": round(rate.rate, 6) if rate.rate is not None else None}


def _change(change: GroupChange) -> dict:
    group = change.group
    return {"group": group.key, "label": group.label, "class": group.cls, "service": change.service,
            "change": change.change, "significant": change.significant, "p_value": _p(change.p_value),
            "p_adjusted": _p(change.adjusted), "ratio": round(change.ratio, 3) if change.ratio is not None else None,
            "before": _rate(change.before), "after": _rate(change.after), "claim": change_sentence(change)}


def _p(value: float) -> float:
    return float(f"{value:.3g}")


def _rise(rise: Rise) -> dict:
    return {"p_value": _p(rise.p_value), "target_rate": round(rise.target, 6), "power": round(rise.power, 3),
            "requests_needed": rise.needed, "enough": rise.enough}


def _traffic(item: ServiceTraffic) -> dict:
    rise = item.rise
    return {"service": item.service, "before": {"errors": rise.before, "requests": rise.n1},
            "after": {"errors": rise.after, "requests": rise.n2}, **_rise(rise)}


def _root(root: RootCheck | None, serving: dict[str, int]) -> dict | None:
    if root is None:
        return None
    where = ", ".join(serving) or "no revision"
    claim = (f"{root.serving:,} event(s) on the revisions now serving ({where})" if root.present else
             f"no event on the revisions now serving ({where}) since the remedy" +
             (f"; {root.expected:.1f} expected at its rate during the incident" if root.expected is not None else ""))
    if root.elsewhere:
        claim += f"; {root.elsewhere:,} more on revisions no longer serving"
    return {"label": root.label, "present": root.present, "on_serving": root.serving, "elsewhere": root.elsewhere,
            "during": {"count": root.during, "requests": root.during_requests},
            "expected": round(root.expected, 2) if root.expected is not None else None, "enough": root.enough,
            "claim": claim if root.present or root.enough else claim + "; " + root_wait(root)}


def _recovery(rise: Rise) -> dict:
    rate = {"before": (rise.before, rise.n1), "after": (rise.after, rise.n2)}
    return {**{side: {"failed": failed, "requests": total, "rate": round(failed / total, 6) if total else None}
               for side, (failed, total) in rate.items()},
            "recovered": not rise.significant, **_rise(rise),
            "claim": recovery_text(rise) + ("" if rise.enough or rise.significant else "; " + recovery_wait(rise))}


# ---- Markdown -----------------------------------------------------------------------------------------


VERDICT_MARKS = {"fixed": "✅", "no change": "✅", "improved": "✅", "not fixed": "❌", "regressed": "❌", "too early": "⏳"}


def partial_reason(report: dict) -> str | None:
    """Why the verdict rests on part of the logs (a source that failed or was cut mid-read), or None:
    a partial report says so in every format, never passing for a complete one (issue 29)."""
    stats = report.get("stats") or {}
    if not stats.get("errors") and not stats.get("notes", {}).get(CUT_SHORT):
        return None
    return "; ".join(stats.get("errors") or [CUT_SHORT])


def diff_markdown(report: dict) -> str:
    lines = [f"# rca diff: {VERDICT_MARKS[report['verdict']]} {report['verdict']} (exit {report['exit_code']})", "",
             *_partial_markdown(report), md_text(report["reason"]), "",
             f"- **before:** {_side_text(report['before'])}", f"- **after:** {_side_text(report['after'])}"]
    if report["service"]:
        lines.append(f"- **service:** {md_code(report['service'])}")
    lines += ["", *_traffic_markdown(report["services"]), *_groups_markdown(report["groups"], report["groups_compared"]),
              _method_line(report["method"])]
    return "\n".join(lines) + "\n"


def verify_markdown(report: dict) -> str:
    incident = report["incident"]
    root = incident["root_cause"]
    lines = [f"# rca verify: {VERDICT_MARKS[report['verdict']]} {report['verdict']} (exit {report['exit_code']})", "",
             *_partial_markdown(report), md_text(report["reason"]), "",
             f"- **incident {incident['number']}:** {md_code(incident['service'])} from {incident['onset']}" +
             (f", root cause {md_code(root['label'])}" if root else ", no root cause named"),
             f"- **remedy:** {md_text(report['remedy']['how'])} at {report['remedy']['time']}",
             f"- **before:** {_side_text(report['before'])}; **after:** {_side_text(report['after'])}",
             "- **now serving:** " + (", ".join(f"{md_code(s['revision'])} ({s['requests']:,} requests)"
                                               for s in report["serving"]) or "no revision answered a request"), "",
             "## The checks", ""]
    if report["root_cause"]:
        mark = "❌" if report["root_cause"]["present"] else "✅" if report["root_cause"]["enough"] else "⏳"
        lines.append(f"1. {mark} **The root cause:** {md_text(report['root_cause']['claim'])}")
    recovery = report["recovery"]
    mark = "❌" if not recovery["recovered"] else "✅" if recovery["enough"] else "⏳"
    lines.append(f"2. {mark} **The symptoms:** {md_text(recovery['claim'])}")
    worse = report["regressions"]
    lines.append(f"3. {'❌' if worse else '✅'} **Regressions:** " +
                 ("; ".join(md_text(item["claim"]) for item in worse) if worse else
                  f"no other group of the service rose significantly ({len(report['groups'])} compared)"))
    lines += ["", *_groups_markdown(report["groups"], len(report["groups"]), "No other error group of the service on either side "
                                    "(the root cause and its symptoms are judged above)."), _method_line(report["method"])]
    return "\n".join(lines) + "\n"


def _partial_markdown(report: dict) -> list[str]:
    reason = partial_reason(report)
    return [f"> **This report is partial:** {md_text(reason)}", ""] if reason else []


def _side_text(side: dict) -> str:
    window = f"{side['since']} to {side['until']}"
    return f"revision {md_code(side['revision'])} ({window})" if side["revision"] else window


def _traffic_markdown(services: list[dict]) -> list[str]:
    if not services:
        return []
    lines = ["## Traffic", "", "| service | errors / requests before | errors / requests after | power | requests needed |",
             "|---|---:|---:|---:|---:|"]
    for item in services:
        needed = f"{item['requests_needed']:,}" if item["requests_needed"] is not None else "—"
        lines.append(f"| {md_code(item['service'], in_table=True)} | {item['before']['errors']:,} / {item['before']['requests']:,} "
                     f"| {item['after']['errors']:,} / {item['after']['requests']:,} | {item['power']:.2f} | {needed} |")
    return [*lines, ""]


def _groups_markdown(groups: list[dict], compared: int, empty: str = "No error group on either side.") -> list[str]:
    if not groups:
        return [f"*{empty}*", ""]
    lines = [f"## Groups ({compared} compared)", "", "| change | group | before | after | ratio | p (adjusted) |",
             "|---|---|---:|---:|---:|---:|"]
    for item in groups[:MAX_ROWS]:
        change = item["change"] if item["significant"] or item["change"] == "unchanged" else f"{item['change']} (not significant)"
        ratio = f"×{item['ratio']:.2f}" if item["ratio"] is not None else "—"
        lines.append(f"| {change} | {md_text(item['label'], 120)} | {_rate_cell(item['before'])} | {_rate_cell(item['after'])} "
                     f"| {ratio} | {item['p_adjusted']:.2g} |")
    if len(groups) > MAX_ROWS:
        lines.append(f"| | *{len(groups) - MAX_ROWS} more in the JSON* | | | | |")
    return [*lines, ""]


def _rate_cell(rate: dict) -> str:
    per = f"{rate['exposure']:,.0f} req" if rate["unit"] == "request" else f"{rate['exposure']:,.1f} min"
    return f"{rate['count']:,} / {per}"


def _method_line(method: dict) -> str:
    matters = method["change_that_matters"]
    return (f"*{method['test']}; level {method['alpha']}; a side is large enough when a rise to ×{matters['ratio']:g} "
            f"the rate before (or +{matters['floor_per_request']:g} per request) would show with probability "
            f"{method['power']:g}.*\n")


def to_markdown(report: dict) -> str:
    """The Markdown of a diff's or a verification's report, redacted as the dict is (diff_to_dict, verify_to_dict)."""
    return printable(diff_markdown(report) if report["kind"] == "diff" else verify_markdown(report))


# ---- HTML -------------------------------------------------------------------------------------------


def to_html(report: dict) -> str:
    """A self-contained page: the verdict, the checks (verify) or traffic (diff), and the groups; redacted
    as the dict is (diff_to_dict, verify_to_dict)."""
    from rca.report.html import _environment

    page = _environment().get_template("deploy-check.html.j2").render(report=report, marks=VERDICT_MARKS, max_rows=MAX_ROWS,
                                                                     partial=partial_reason(report))
    return printable(page)
