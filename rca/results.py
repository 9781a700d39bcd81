"""What `rca.analyze` returns in Python: the analysis as DataFrames, rich notebook display, plots."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from .analysis import Analysis
from .groups import Group
from .record import SEVERITIES
from .report import group_summary, to_dict, to_markdown
from .report_html import html_body

TIMELINE_GROUPS = 8


class AnalysisResult:
    """The result of `rca.analyze`: `groups` and `events` as DataFrames, `incidents`, reports, plots.
    In a notebook it renders as the report."""

    def __init__(self, analysis: Analysis):
        self.analysis = analysis

    @cached_property
    def groups(self) -> pd.DataFrame:
        """One row per group: fingerprint, label, class, role, method, rule, count, first/last seen, services, revisions."""
        rows = [{**group_summary(g, self.analysis.onsets.get(g.key)), "fingerprint": g.key} for g in self.analysis.groups]
        frame = pd.DataFrame(rows, columns=["fingerprint", "label", "class", "role", "method", "rule", "confidence", "count",
                                            "first_seen", "last_seen", "services", "revisions", "instances",
                                            "exception", "message", "location", "onset"])
        for column in ("first_seen", "last_seen"):
            frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]")
        for column in ("class", "role", "method"):
            frame[column] = frame[column].astype("category")
        return frame

    @cached_property
    def events(self) -> pd.DataFrame:
        """One row per error event with its class, confidence, method, rule and group: the earliest
        events of each group (a group keeps at most rca.groups.SAMPLE_EVENTS whole; `rates` counts
        them all)."""
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
        return frame.sort_values("time", ignore_index=True)

    @cached_property
    def rates(self) -> pd.DataFrame:
        """Every event counted: one row per minute, group, service, revision and instance."""
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
    def incidents(self) -> list["IncidentView"]:
        return [IncidentView(item) for item in to_dict(self.analysis)["incidents"]]

    @property
    def stats(self):
        return self.analysis.stats

    def group(self, label_or_fingerprint: str) -> "GroupView":
        """The group whose label or fingerprint is given."""
        for group in self.analysis.groups:
            if label_or_fingerprint in (group.label, group.key):
                return GroupView(group)
        raise KeyError(label_or_fingerprint)

    def to_dict(self) -> dict:
        return to_dict(self.analysis)

    def to_markdown(self) -> str:
        return to_markdown(self.analysis)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return html_body(self.analysis)

    def __repr__(self) -> str:
        causes = "; ".join(f"{i.root_cause['class'] if i.root_cause else 'cause not found'} in {i.service}"
                           for i in self.incidents) or "no incident"
        return (f"<rca analysis: {len(self.incidents)} incident(s) ({causes}), {len(self.analysis.groups)} groups, "
                f"{self.analysis.stats.events} events from {self.analysis.stats.records} records>")

    def plot_timeline(self, ax=None, top: int = TIMELINE_GROUPS):
        """Events per minute for the largest groups, deploys as dashed vertical lines. Returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(11, 4.5))[1]
        rates = self.rates
        for label in rates.groupby("label")["count"].sum().sort_values(ascending=False).index[:top]:
            per_minute = rates[rates["label"] == label].groupby("time")["count"].sum().resample("1min").sum()
            ax.step(per_minute.index, per_minute.values, where="post", label=label[:60])
        for deploy in self.analysis.deploys:
            moment = pd.Timestamp(deploy.time, unit="s", tz="UTC")
            ax.axvline(moment, color="black", linestyle="--", linewidth=1)
            ax.annotate(f"deploy {deploy.revision}", (moment, ax.get_ylim()[1]), rotation=90, va="top", ha="right", fontsize=8)
        ax.set(title="Error events per minute by group", xlabel="time (UTC)", ylabel="events per minute")
        ax.legend(fontsize=7, loc="upper left")
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


class IncidentView:
    """One incident as the JSON report has it: `root_cause`, `symptoms`, `ruled_out`, `five_whys`."""

    def __init__(self, data: dict):
        self.data = data
        self.service = data["service"]
        self.onset = pd.Timestamp(data["onset"])
        self.root_cause = data["root_cause"]
        self.symptoms = data["symptoms"]
        self.ruled_out = data["ruled_out"]
        self.five_whys = data["five_whys"]

    def _repr_markdown_(self) -> str:
        lines = [f"**Incident on {self.service}** — onset {self.data['onset']}", ""]
        if self.root_cause:
            lines.append(f"Root cause: `{self.root_cause['label']}` ({self.root_cause['class']}) — {self.root_cause['explanation']}")
        lines += ["", "Five whys:", ""] + [f"{n}. **{w['question']}** {w['answer']}" for n, w in enumerate(self.five_whys, 1)]
        return "\n".join(lines)

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
