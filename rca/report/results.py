"""What `rca.analyze` returns in Python: the analysis as DataFrames, rich notebook display, plots."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from rca.analyze.analysis import Analysis
from rca.analyze.groups import SAMPLE_EVENTS, Group
from rca.events.redact import scrubber
from rca.ingest.record import SEVERITIES
from rca.report.html import COLOURS, render_html
from rca.report.markdown import group_summary, incident_markdown, render_markdown, to_dict, to_markdown
from rca.report.view import build_view, shorten

if TYPE_CHECKING:
    import pandas as pd

TIMELINE_GROUPS = 12  # rows plot_timeline draws at most
GROUP_COLUMNS = ["label", "class", "role", "count", "first_seen", "last_seen", "services", "revisions", "instances",
                 "method", "rule", "confidence", "exception", "message", "location", "onset", "muted", "fingerprint"]


class AnalysisResult:
    """The result of `rca.analyze`: `groups` and `events` as DataFrames, `incidents`, reports, plots.
    In a notebook it renders as the report."""

    def __init__(self, analysis: Analysis):
        self.analysis = analysis

    @cached_property
    def groups(self) -> pd.DataFrame:
        """One row per group, led by what a person reads first: label, class, role, count, first/last
        seen, services, revisions, instances, method, rule, confidence, ...; the long fingerprint last."""
        import pandas as pd

        rows = [{**group_summary(g, self.analysis.onsets.get(g.key)), "fingerprint": g.key} for g in self.analysis.groups]
        frame = pd.DataFrame(rows, columns=GROUP_COLUMNS)
        for column in ("first_seen", "last_seen"):
            frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]")
        for column in ("class", "role", "method"):
            frame[column] = frame[column].astype("category")
        return frame

    @cached_property
    def events(self) -> pd.DataFrame:
        """One row per error event with its class, confidence, method, rule and group: the earliest
        events of each group (a group keeps at most rca.analyze.groups.SAMPLE_EVENTS whole; `rates` counts
        them all)."""
        import pandas as pd

        rows = []
        for group in self.analysis.groups:
            for event, result in group.sample:
                request = event.request
                rows.append({
                    "time": event.time, "last_time": event.last_time, "service": event.first.service,
                    "revision": event.first.revision, "instance": event.first.instance, "kind": event.kind,
                    "severity": event.severity, "class": result.cls, "confidence": result.confidence,
                    "method": result.method, "rule": result.rule.id if result.rule else None,
                    "group": group.key, "label": group.label, "message": event.message,
                    "http_status": request.http_status if request else None, "records": len(event.records),
                })
        frame = pd.DataFrame(rows, columns=["time", "last_time", "service", "revision", "instance", "kind", "severity",
                                            "class", "confidence", "method", "rule", "group", "label", "message",
                                            "http_status", "records"])
        for column in ("time", "last_time"):
            frame[column] = pd.to_datetime(frame[column], unit="s", utc=True).dt.round("us")
        for column in ("service", "revision", "kind", "class", "method"):
            frame[column] = frame[column].astype("category")
        frame["severity"] = pd.Categorical(frame["severity"], categories=SEVERITIES, ordered=True)
        frame["http_status"] = frame["http_status"].astype("Int64")
        kept, total = len(rows), sum(group.count for group in self.analysis.groups)
        if kept < total:  # said where a notebook shows it: frame.attrs survives filtering
            frame.attrs["note"] = (f"{kept:,} of {total:,} error events: the earliest {SAMPLE_EVENTS} of each group "
                                   "(result.rates counts them all)")
        return frame.sort_values("time", ignore_index=True)

    @cached_property
    def rates(self) -> pd.DataFrame:
        """Every event counted: one row per minute, group, service, revision and instance."""
        import pandas as pd

        rows = [{"minute": second // 60 * 60, "group": group.key, "label": group.label, "service": service,
                 "revision": revision, "instance": instance, "count": count}
                for group in self.analysis.groups
                for (second, service, revision, instance), count in group.per_second.items() if second is not None]
        frame = pd.DataFrame(rows, columns=["minute", "group", "label", "service", "revision", "instance", "count"])
        frame = frame.groupby(["minute", "group", "label", "service", "revision", "instance"], dropna=False,
                              as_index=False)["count"].sum()
        frame.insert(0, "time", pd.to_datetime(frame.pop("minute"), unit="s", utc=True).astype("datetime64[ns, UTC]"))
        return frame.sort_values("time", ignore_index=True)

    @cached_property
    def view(self) -> dict:
        """The one view that the Markdown report, the HTML page and these reprs render (rca.report.view), times in UTC."""
        return self.view_in()

    def view_in(self, tz=None) -> dict:
        return build_view(self.analysis, tz=tz, scrub=scrubber())  # redacted, as every report by default

    @cached_property
    def incidents(self) -> list[IncidentView]:
        views = self.view["incidents"]
        return [IncidentView(item, views[n] if n < len(views) else None, self.view["zone"])
                for n, item in enumerate(to_dict(self.analysis)["incidents"])]

    @property
    def stats(self):
        return self.analysis.stats

    def group(self, label_or_fingerprint: str) -> GroupView:
        """The group whose label or fingerprint is given."""
        for group in self.analysis.groups:
            if label_or_fingerprint in (group.label, group.key):
                return GroupView(group)
        raise KeyError(label_or_fingerprint)

    def to_dict(self) -> dict:
        return to_dict(self.analysis)

    def to_markdown(self, *, tz=None) -> str:
        return to_markdown(self.analysis, tz=tz)

    def to_html(self, *, tz=None) -> str:
        from rca.report.html import to_html

        return to_html(self.analysis, tz=tz)

    def _repr_markdown_(self) -> str:
        return render_markdown(self.view)

    def _repr_html_(self) -> str:
        return render_html(self.view, standalone=False)

    def __repr__(self) -> str:
        causes = "; ".join(f"{i.root_cause['class'] if i.root_cause else 'cause not found'} in {i.service}"
                           for i in self.incidents) or "no incident"
        return (f"<rca analysis: {len(self.incidents)} incident(s) ({causes}), {len(self.analysis.groups)} groups, "
                f"{self.analysis.stats.events} events from {self.analysis.stats.records} records>")

    def plot_timeline(self, ax=None, top: int = TIMELINE_GROUPS, incident: int = 0, tz=None):
        """The HTML report's timeline, drawn with matplotlib: one band per group on a shared time axis,
        the root cause first and in the strongest colour, then the symptoms, then the ruled-out groups
        in grey; each band scaled to its own peak (written at its right with the total), the deploy and
        the onset as labelled vertical lines, HH:MM ticks, the legend outside the data. With no
        incident, the largest groups. Returns the axes."""
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch

        view = self.view if tz is None else self.view_in(tz)
        incidents = view["incidents"]
        timeline = incidents[incident]["timeline"] if incidents else view["timeline"]
        rows = timeline["rows"][:top]
        if ax is None:
            ax = plt.subplots(figsize=(12, 0.42 * max(len(rows), 3) + 1.6), layout="constrained")[1]
        zone = _zone(view["zone"])
        title = (f"Incident {incident + 1}: {incidents[incident]['service']} — events per {timeline.get('bin_text', 'minute')} by group"
                 if incidents else f"Error events per {timeline.get('bin_text', 'minute')} by group")
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=8)
        if not rows:
            ax.text(0.5, 0.5, "No error events to chart.", transform=ax.transAxes, ha="center")
            return ax
        _draw_bands(ax, rows, timeline["bin"] / 86400)
        _label_rows(ax, rows)
        _time_axis(ax, timeline, zone, view["zone"], len(rows))
        handles = [Patch(color=COLOURS[role], label=text) for role, text in
                   (("root-cause", "root cause"), ("symptom", "symptom"), ("ruled-out", "ruled out"), ("other", "other group"))
                   if any(r["role"] == role for r in rows)]
        handles += _draw_moments(ax, timeline["lines"], len(rows))
        ax.tick_params(axis="x", labelsize=9)
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(handles), fontsize=8,
                  frameon=False)
        return ax

    def plot_error_rate(self, ax=None):
        """Error events per minute for each service. Returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(11, 3.5))[1]
        rates = (self.rates.groupby(["time", "service"])["count"].sum().unstack("service", fill_value=0)
                 .resample("1min").sum())
        rates.plot(ax=ax, drawstyle="steps-post")
        ax.set(title="Error events per minute by service", xlabel="time (UTC)", ylabel="events per minute")
        return ax


def _zone(name: str):
    from rca.ingest.times import zone_of

    return zone_of(name)


class IncidentView:
    """One incident as the JSON report has it: `root_cause`, `symptoms`, `ruled_out`, `five_whys`;
    it displays as the report's section for it."""

    def __init__(self, data: dict, view: dict | None = None, zone: str = "UTC"):
        import pandas as pd

        self.data = data
        self.view = view
        self.zone = zone
        self.service = data["service"]
        self.onset = pd.Timestamp(data["onset"])
        self.root_cause = data["root_cause"]
        self.symptoms = data["symptoms"]
        self.ruled_out = data["ruled_out"]
        self.five_whys = data["five_whys"]

    def _repr_markdown_(self) -> str:
        if self.view is None:
            return f"**Incident on {self.service}**"
        return "\n".join(incident_markdown(self.view, self.zone))  # the view is redacted already

    def __repr__(self) -> str:
        cause = self.root_cause["label"] if self.root_cause else "cause not found"
        return f"<incident on {self.service} at {self.data['onset']}: {cause}>"


class GroupView:
    """One group: its summary, its events, and its representative event's text."""

    def __init__(self, group: Group):
        self.group = group
        self.summary = group_summary(group)

    def _repr_markdown_(self) -> str:
        s = self.summary
        return (f"**{s['label']}** — `{s['class']}` ({s['role']}), {s['count']} events from {s['first_seen']} "
                f"to {s['last_seen']} on {', '.join(s['services'])}\n\n```text\n{self.group.representative.text}\n```")

    def __repr__(self) -> str:
        return f"<group {self.summary['label']!r}: {self.summary['class']}, {self.summary['count']} events>"


def _when(epoch: float) -> float:
    """An epoch second as matplotlib's date number."""
    import matplotlib.dates as mdates
    import pandas as pd

    return mdates.date2num(pd.Timestamp(epoch, unit="s", tz="UTC"))


def _draw_bands(ax, rows: list[dict], size_days: float) -> None:
    """One band per group, the first on top, each scaled to its own peak, the root cause's shaded."""
    for index, row in enumerate(rows):
        base = len(rows) - 1 - index  # the first row on top
        peak = max(row["peak"], 1)
        colour = COLOURS.get(row["role"], COLOURS["other"])
        if row["role"] == "root-cause":
            ax.axhspan(base - 0.08, base + 0.92, color="#fdecea", zorder=0, linewidth=0)
        times = [_when(moment) for moment, _ in row["bins"]]
        heights = [0.8 * count / peak for _, count in row["bins"]]
        ax.bar(times, heights, width=size_days * 0.9, bottom=base, align="edge", color=colour, linewidth=0, zorder=2)
        ax.axhline(base, color="#d0d7de", linewidth=0.6, zorder=1)
        ax.annotate(f"peak {row['peak']} · {row['count']:,} in all", (1.005, base + 0.4), xycoords=("axes fraction", "data"),
                    va="center", fontsize=8, color="#424a53")


def _label_rows(ax, rows: list[dict]) -> None:
    """The groups' labels on the y axis: the root cause's bold and red, the ruled-out ones grey."""
    ax.set_yticks([len(rows) - 1 - i + 0.4 for i in range(len(rows))],
                  [shorten(row["label"], 40) for row in rows], fontsize=8.5)
    for label, row in zip(ax.get_yticklabels(), rows):
        if row["role"] == "root-cause":
            label.set_fontweight("bold")
            label.set_color("#a12a1c")
        elif row["role"] == "ruled-out":
            label.set_color("#6e7781")
    ax.tick_params(axis="y", length=0)


def _time_axis(ax, timeline: dict, zone, zone_name: str, rows: int) -> None:
    """The shared time axis: the timeline's span, HH:MM ticks in the report's zone, a light grid."""
    import matplotlib.dates as mdates

    ax.set_xlim(_when(timeline["start"]), _when(timeline["end"]))
    ax.set_ylim(-0.15, rows + 0.45)  # headroom for the deploy and onset labels
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=5, maxticks=10, tz=zone))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=zone))
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(f"time ({zone_name})", fontsize=9)


def _draw_moments(ax, lines: list[dict], rows: int) -> list:
    """The deploy and the onset as labelled vertical lines; their legend handles."""
    handles = []
    for line in lines:
        moment = _when(line["epoch"])
        deploy = line["kind"] == "deploy"
        colour = "#24292f" if deploy else COLOURS["root-cause"]
        handles.append(ax.axvline(moment, color=colour, linestyle="--" if deploy else "-", linewidth=1.2, zorder=3,
                                  label=f"{line['label']} {line['time']['short']}"))
        # the deploy's label reads leftwards from its line, the onset's rightwards: close lines never overlap
        ax.annotate(f"{line['label']} {line['time']['short']}", (moment, rows + 0.1), xycoords="data",
                    xytext=(-4 if deploy else 4, 0), textcoords="offset points",
                    ha="right" if deploy else "left", va="bottom", fontsize=8, color=colour, fontweight="bold")
    return handles
