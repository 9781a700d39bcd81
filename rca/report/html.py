"""A self-contained HTML page of an analysis, led by the verdict: the summary strip, the root-cause
traceback, the timeline, then symptoms, ruled out, candidates, five whys and groups. It renders the
same view as the Markdown report (rca.report.view) with jinja2 and autoescape on: log text is hostile input,
and every piece of it reaches the page escaped. Inline CSS and SVG; no scripts, nothing fetched."""

from __future__ import annotations

from functools import lru_cache

from rca.analyze.analysis import Analysis
from rca.events.redact import scrubber
from rca.report.escape import printable
from rca.report.view import RELATIONS, build_view

WIDTH, LEFT, RIGHT_GUTTER = 1180, 330, 96  # the timeline's width, label column and scale column (px)
ROW, TOP, AXIS = 32, 44, 26
COLOURS = {"root-cause": "#c0392b", "symptom": "#e08e45", "ruled-out": "#b7bcc2", "other": "#6c7a89"}
BANDS = {"root-cause": "#fdecea", "symptom": "#ffffff", "ruled-out": "#f6f8fa", "other": "#ffffff"}
ROLE_TEXT = {"root-cause": "the root cause", "symptom": "a symptom", "ruled-out": "ruled out", "other": "an error group"}
LINE_COLOURS = {"deploy": "#24292f", "change": "#6f42c1", "onset": "#c0392b"}


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    # autoescape on for every template, whatever its name: the view holds raw log text.
    return jinja2.Environment(loader=jinja2.PackageLoader("rca.report", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)


@lru_cache(maxsize=1)
def _css() -> str:
    import importlib.resources

    return importlib.resources.files("rca.report").joinpath("templates/report.css").read_text(encoding="utf-8")


def to_html(analysis: Analysis, redacted: bool = True, pii: bool = False, *, tz=None) -> str:
    """A whole page, for --format html. `tz`: the zone times are shown in (UTC by default)."""
    return render_html(view_of(analysis, redacted, pii, tz), standalone=True)


def html_body(analysis: Analysis, redacted: bool = True, pii: bool = False, *, tz=None) -> str:
    """The report without the page around it (its style scoped to it): what a notebook cell shows."""
    return render_html(view_of(analysis, redacted, pii, tz), standalone=False)


def view_of(analysis: Analysis, redacted: bool, pii: bool, tz) -> dict:
    """The view the page shows, redacted (once, there) unless `redacted` is False."""
    return build_view(analysis, tz=tz, scrub=scrubber(redacted, pii))


def render_html(view: dict, standalone: bool = True) -> str:
    """The page of a view, whose texts are redacted already when they are to be (rca.report.view.build_view)."""
    for item in [*view["incidents"], view]:
        timeline = item.get("timeline")
        if timeline is not None:
            timeline["svg"] = timeline_geometry(timeline)
    page = _environment().get_template("report.html.j2").render(view=view, standalone=standalone, css=_css(),
                                                                relations=RELATIONS, colours=COLOURS)
    return printable(page)  # control characters shown as escapes, never acted on


def timeline_geometry(timeline: dict) -> dict | None:
    """Pixels for the timeline: one row per group on a shared time axis, each row scaled to its own
    peak (written beside it), the ticks, and the deploy and onset lines with their labels."""
    rows = timeline["rows"]
    if not rows:
        return None
    start, end, size = timeline["start"], timeline["end"], timeline["bin"]
    right = WIDTH - RIGHT_GUTTER
    plot = right - LEFT
    span = max(end - start, 1.0)

    def x(moment: float) -> float:
        return round(LEFT + (moment - start) / span * plot, 1)

    width = max(1.5, round(plot * size / span - 1, 1))
    out_rows = []
    for index, row in enumerate(rows):
        y = TOP + index * ROW
        base = y + ROW - 4
        peak = max(row["peak"], 1)
        bars = []
        for moment, count in row["bins"]:
            left, height = max(LEFT, x(moment)), round(max(1.5, (ROW - 9) * count / peak), 1)
            w = round(min(width, right - left, x(moment) + width - left), 1)  # clipped to the window
            if count and w > 0:
                bars.append({"x": left, "y": round(base - height, 1), "w": max(w, 1.0), "h": height})
        out_rows.append({**row, "y": y, "base": base, "bars": bars, "colour": COLOURS.get(row["role"], COLOURS["other"]),
                         "band": BANDS.get(row["role"], "#ffffff") if row["role"] != "symptom" or index % 2 else "#fffaf5",
                         "role_text": ROLE_TEXT.get(row["role"], row["role"])})
    bottom = TOP + len(rows) * ROW
    lines = []
    for number, line in enumerate(timeline["lines"]):
        lx = x(line["epoch"])
        # the deploy's label reads leftwards from its line, the onset's rightwards: close lines never overlap
        anchor = "end" if line["kind"] in ("deploy", "change") else "start"
        if anchor == "end" and lx - LEFT < 150:
            anchor = "start"
        if anchor == "start" and right - lx < 150:
            anchor = "end"
        text = f"{line['label']} {line['time']['short']}"
        lines.append({**line, "x": lx, "y": 14 + 15 * (number % 2), "tx": lx - 4 if anchor == "end" else lx + 4,
                      "anchor": anchor, "text": text, "colour": LINE_COLOURS.get(line["kind"], "#24292f")})
    return {"width": WIDTH, "height": bottom + AXIS, "left": LEFT, "right": right, "top": TOP, "bottom": bottom,
            "row": ROW, "rows": out_rows, "lines": lines, "bin_text": timeline.get("bin_text", "minute"),
            "ticks": [{"x": x(t["epoch"]), "label": t["label"]} for t in timeline["ticks"]],
            "roles": {r["role"] for r in rows}}
