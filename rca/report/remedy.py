"""The Remedy section of a report: what to do now that the root cause is named (the deployed commit, a
later fix not deployed, the rollback and its command, a checked patch), shaped once for Markdown and
HTML, and the patch file that `--patch-out` writes."""

from __future__ import annotations

from pathlib import Path

from rca.analyze.analysis import Analysis
from rca.ingest.atomic import write_text_atomically
from rca.report.escape import md_code, md_fence, md_text


def remedy_view(data: dict | None) -> dict | None:
    """The JSON report's `remedy` of an incident, as the lines both renderings show."""
    if data is None:
        return None
    deployed, fix, rollback, patch = data["deployed"], data["fix"], data["rollback"], data["patch"]
    commit = (f"commit {deployed['commit'][:9]} (from {deployed['source']})" if deployed["commit"]
              else f"commit unknown: {deployed['source']}")
    return {
        "deployed": f"revision {deployed['revision'] or '?'}, {commit}" + (f", image {deployed['image']}" if deployed["image"] else ""),
        "deployed_commit": deployed["commit"][:9] if deployed["commit"] else None,
        "fix": fix["text"] if fix else data["fix_note"],
        "fix_found": fix is not None,
        "rollback": rollback["text"],
        "rollback_command": rollback["command"],
        "replica_set": rollback["replica_set"],
        "patch": patch["text"],
        "patch_diff": patch["diff"],
        "patch_command": patch["command"],
    }


def remedy_markdown(remedy: dict | None) -> list[str]:
    if remedy is None:
        return []
    lines = ["## Remedy", "", f"- **deployed** {md_text(remedy['deployed'])}",
             f"- **later fix** {_code_spans(remedy['fix'])}",
             f"- **rollback** {md_text(remedy['rollback'])}"
             + (f" (the ReplicaSet {md_code(remedy['replica_set'])})" if remedy["replica_set"] else "")]
    if remedy["rollback_command"]:
        lines += ["", *md_fence(remedy["rollback_command"], info="sh")]
    lines += ["", f"- **patch** {_code_spans(remedy['patch'])}"]
    if remedy["patch_command"]:
        lines += ["", *md_fence(remedy["patch_command"], info="sh")]
    if remedy["patch_diff"]:
        lines += ["", *md_fence(remedy["patch_diff"].rstrip("\n"), info="diff")]
    return lines + [""]


def _code_spans(text: str) -> str:
    """Text the remedy wrote (commit ids and names in backticks), escaped outside its code spans."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an odd backtick: escape it all
        return md_text(text)
    return "".join(md_text(part) if index % 2 == 0 else md_code(part) for index, part in enumerate(parts))


def write_patch(path: Path, analysis: Analysis) -> str:
    """Write every incident's checked diff to `path`; the line to tell the user (why none, if none)."""
    remedies = [r for r in analysis.remedies if r is not None]
    diffs = [r.patch.diff for r in remedies if r.patch.kind == "diff" and r.patch.diff]
    if not diffs:
        why = remedies[0].patch.text if remedies else "no incident with a named root cause"
        return f"no patch written to {path}: {why}"
    write_text_atomically(path, "".join(diffs))
    return f"patch written to {path}: apply it with git apply {path}"
