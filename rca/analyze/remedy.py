"""From the verdict to the fix: the commit the failing revision runs, a later commit that already removes
the failure, the revision to roll back to with the platform's command, and a checked patch.

Every part is decided from evidence and says why when it cannot be (docs/DESIGN.md: a remedy is offered
only when checked): a "fixed in" commit is judged from that commit's own code, a rollback names a
revision that served before the deploy without the root cause, and a patch is offered only when the
patched file compiles and binds the missing name at the failing line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rca.analyze.bindings import compiles, env_reads, import_position, line_of, name_bound_at
from rca.analyze.groups import MINUTE, Deploy, Group
from rca.analyze.incidents import Incident
from rca.analyze.repository import CodeFindings, git_output
from rca.errors import RcaError
from rca.events.frames import chain_application_frame
from rca.ingest.times import format_timestamp

FIX_SCAN_LIMIT = 200  # commits after the deployed one that touch the failing file, read at most
# `image: REGISTRY/PATH:TAG` or `@sha256:DIGEST` in a record (a pull event, an audit log's spec)
IMAGE = re.compile(r"""image\W{1,4}(?P<ref>[a-z0-9][\w.-]*(?::\d+)?(?:/[\w.-]+)+(?::(?P<tag>[\w.-]{1,128}))?(?:@sha256:[0-9a-f]{64})?)""",
                   re.IGNORECASE)
TAG_COMMIT = re.compile(r"(?:^|[-_.])(?P<sha>[0-9a-f]{7,40})$")  # `86f560d`, `sha-86f560d`, `v1.2-86f560d`
COMMIT_ID = re.compile(r"^[0-9a-fA-F]{4,40}$")
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")
PLATFORMS = {"cloud_run_revision": "cloud-run", "gae_app": "app-engine", "k8s_container": "gke", "k8s_pod": "gke",
             "k8s_cluster": "gke", "cloud_run_job": "cloud-run-job"}


@dataclass
class Deployed:
    service: str | None
    revision: str | None
    commit: str | None  # as the logs or the user gave it (a prefix is fine)
    source: str  # where it came from: `labels.commit-sha`, `image tag`, `--deployed-commit`, or why unknown
    image: str | None = None
    platform: str | None = None
    location: str | None = None
    namespace: str | None = None


@dataclass
class FixCommit:
    commit: str
    subject: str
    date: str
    verdict: str  # "fixed" (its code removes the failure) or "changed" (the failing line changed)
    commits_after: int  # commits between the deployed one and it, it included
    deployed_commit: str
    why: str
    text: str


@dataclass
class Rollback:
    applies: bool
    text: str  # the sentence the report prints: the target and its figures, or why there is none
    revision: str | None = None
    served_from: float | None = None
    served_until: float | None = None
    error_events: int = 0
    failed_requests: int = 0
    per_minute: float = 0.0
    command: str | None = None
    replica_set: str | None = None


@dataclass
class Patch:
    kind: str  # "diff" (a checked unified diff), "env" (a setting to give the service) or "none"
    text: str  # what the report says about it
    file: str | None = None
    base: str | None = None  # what the diff applies to: a commit, or "the checkout"
    diff: str | None = None
    checks: list[str] = field(default_factory=list)
    variable: str | None = None
    read_at: str | None = None
    command: str | None = None


@dataclass
class Remedy:
    deployed: Deployed
    fix: FixCommit | None
    fix_note: str  # why no fix commit was named (empty when one was)
    rollback: Rollback
    patch: Patch

    def as_dict(self) -> dict:
        rollback = asdict(self.rollback)
        rollback.update(served_from=format_timestamp(self.rollback.served_from),
                        served_until=format_timestamp(self.rollback.served_until))
        return {"deployed": asdict(self.deployed), "fix": None if self.fix is None else asdict(self.fix),
                "fix_note": self.fix_note or None, "rollback": rollback, "patch": asdict(self.patch)}


def remedy_of(incident: Incident, deployed: Deployed, revisions: list[Deploy], groups: list[Group], project: str | None,
              code: CodeFindings | None = None, repo: Path | None = None, branch: str | None = None,
              start: float | None = None) -> Remedy | None:
    """The remedy of an incident whose root cause is named (None otherwise). `deployed` is what
    `deployed_of` says the failing revision runs; `start` is the start of the window analysed."""
    root = incident.root_cause
    if root is None:
        return None
    target = _failing_file(code)
    fix, note = _fix(root, deployed, target, repo, branch)
    return Remedy(deployed, fix, note, rollback_of(incident, revisions, groups, deployed, project, start),
                  patch_of(root, deployed, target, repo, project))


# ---- the deployed commit --------------------------------------------------------------------------

def check_commit(commit: str | None) -> None:
    """A commit the user gave must look like one: a branch name would be read as the deployed code."""
    if commit is not None and not COMMIT_ID.match(commit):
        raise RcaError(f"--deployed-commit {commit}: expected a commit id (4 to 40 hexadecimal digits)")


def deployed_of(incident: Incident, revisions: list[Deploy], given: str | None = None) -> Deployed:
    """The revision the root cause ran on (the deploy's, else its own) and the commit it was built from."""
    root = incident.root_cause
    revision = incident.deploy.revision if incident.deploy else (root.representative.first.revision if root else None)
    service = incident.deploy.service if incident.deploy else incident.service
    first = next((r.record for r in revisions if r.revision == revision and r.service == service), None)
    record = first or (root.representative.first if root else None)
    extra = record.extra if record is not None else {}
    image = _image(record.text if record is not None else "")
    commit, source = _commit(given, extra, image, revision)
    return Deployed(service, revision, commit, source, image,
                    PLATFORMS.get(record.resource_type or "") if record is not None else None,
                    extra.get("location"), extra.get("namespace"))


def _commit(given: str | None, extra: dict, image: str | None, revision: str | None) -> tuple[str | None, str]:
    if given:
        return given, "--deployed-commit"
    if extra.get("commit"):
        return extra["commit"], f"labels.{extra.get('commit_label', 'commit-sha')}"
    tag = (image or "").split("@")[0].rpartition(":")[2] if image and ":" in image.split("/")[-1] else ""
    found = TAG_COMMIT.search(tag.lower()) if tag else None
    if found:
        return found.group("sha"), "image tag"
    return None, "the logs carry none (no commit label, no image tag naming one): give --deployed-commit SHA"


def _image(text: str) -> str | None:
    found = IMAGE.search(text or "")
    return found.group("ref") if found else None


# ---- fixed but not deployed ---------------------------------------------------------------------

@dataclass
class _Target:
    path: str  # relative to the checkout
    line: int
    source: str  # the failing line's text, as the traceback printed it


def _failing_file(code: CodeFindings | None) -> _Target | None:
    if code is None:
        return None
    mapped = [f for f in code.frames if f.repo_path]
    if not mapped:
        return None
    frame = mapped[-1]
    source = next((row["text"] for e in code.excerpts if e["file"] == frame.repo_path and e["line"] == frame.line
                   for row in e["lines"] if row["failing"]), "")
    return _Target(str(frame.repo_path), frame.line, source)


def _fix(root: Group, deployed: Deployed, target: _Target | None, repo: Path | None,
         branch: str | None) -> tuple[FixCommit | None, str]:
    """The first commit after the deployed one, on the branch, whose version of the failing file removes
    the failure (or, for a class the code cannot judge, changes the failing line)."""
    if repo is None:
        return None, "not looked for: give --repo, a checkout of the service's code"
    if target is None:
        return None, "not looked for: no frame of the traceback maps to a file of the checkout"
    if deployed.commit is None:
        return None, f"not looked for: {deployed.source}"
    base = git_output(repo, "rev-parse", "--verify", "--quiet", f"{deployed.commit}^{{commit}}").strip()
    if not base:
        return None, f"not looked for: the deployed commit {deployed.commit} is not in the checkout"
    tip = branch or "HEAD"
    if not git_output(repo, "rev-parse", "--verify", "--quiet", f"{tip}^{{commit}}"):
        return None, f"not looked for: no branch {tip} in the checkout"
    if git_output(repo, "merge-base", base, tip).strip() != base:
        return None, f"not looked for: the deployed commit {base[:9]} is not on {branch or 'the checked-out branch'}"
    failing = _source_line(root, target, repo, base)
    later = git_output(repo, "rev-list", "--reverse", f"{base}..{tip}", "--", target.path).split()[:FIX_SCAN_LIMIT]
    changed = None
    for commit in later:
        verdict, why = judge_version(root, git_output(repo, "show", f"{commit}:{target.path}"), failing, target.line)
        if verdict == "fixed" or (verdict == "changed" and changed is None):
            found = _fix_commit(repo, commit, base, verdict, why)
            if verdict == "fixed":
                return found, ""
            changed = found
    variable = root.classification.fields.get("variable") if root.cls == "config_error" else None
    defined = _defined_later(repo, base, tip, variable) if variable else None
    if defined is not None:
        return defined, ""
    if changed is not None:
        return changed, ""
    where = branch or "the checked-out branch"
    if not later:
        return None, f"no commit after the deployed {base[:7]} on {where} touches {target.path}"
    return None, f"none of the {len(later)} commit(s) after the deployed {base[:7]} on {where} that touch {target.path} removes the failure"


def _defined_later(repo: Path, base: str, tip: str, variable: str) -> FixCommit | None:
    """The first commit after the deployed one that defines the setting outside Python code: a line it
    adds to a deploy file (`VAR=…`, `VAR: …`, `- name: VAR`, `ENV VAR …`, `--set-env-vars VAR=…`)."""
    definition = re.compile(rf"^\+(?!\+\+ ).*(?:\b{re.escape(variable)}\s*[:=]|name:\s*[\"']?{re.escape(variable)}\b"
                            rf"|\bENV\s+{re.escape(variable)}\b)")
    touching = git_output(repo, "log", "--reverse", "--format=%H", "-G", re.escape(variable), f"{base}..{tip}").split()
    for commit in touching[:FIX_SCAN_LIMIT]:
        shown = git_output(repo, "show", "--format=", "--unified=0", commit, "--", ".", ":(exclude)*.py")
        where = ""
        for line in shown.splitlines():
            if line.startswith("+++ b/"):
                where = line[len("+++ b/"):]
            elif definition.match(line):
                return _fix_commit(repo, commit, base, "fixed", f"`{variable}` is defined in {where} there")
    return None


def _source_line(root: Group, target: _Target, repo: Path, base: str) -> str:
    """The failing line's text in the deployed commit (the traceback's own copy when it is not there)."""
    deployed = git_output(repo, "show", f"{base}:{target.path}").splitlines()
    if 0 < target.line <= len(deployed) and deployed[target.line - 1].strip():
        return deployed[target.line - 1]
    tb = root.representative.traceback
    frame = chain_application_frame(tb.exceptions) if tb is not None else None
    return (frame.source if frame is not None and frame.source else target.source) or ""


def judge_version(root: Group, source: str, failing: str, line: int) -> tuple[str, str]:
    """("fixed" | "changed" | "same", why) for one version of the failing file."""
    fields = root.classification.fields
    at = line_of(source, failing, near=line) if failing.strip() else None
    if root.cls == "missing_import" and fields.get("name") and compiles(source):
        if at is not None and name_bound_at(source, fields["name"], at):
            return "fixed", f"`{fields['name']}` is bound at the failing line (line {at} there)"
    if root.cls == "config_error" and fields.get("variable"):
        reads = env_reads(source, fields["variable"])
        if reads and all(default for _, default in reads):
            return "fixed", f"`{fields['variable']}` is read with a default there (line {reads[0][0]})"
    if at is None:
        return "changed", "the failing line is no longer in the file"
    return "same", ""


def _fix_commit(repo: Path, commit: str, base: str, verdict: str, why: str) -> FixCommit:
    shown = git_output(repo, "show", "-s", "--format=%H%x00%aI%x00%s", commit).strip()
    full, date, subject = (shown.split("\x00", 2) + ["", "", ""])[:3] if shown else (commit, "", "")
    after = int(git_output(repo, "rev-list", "--count", f"{base}..{full}").strip() or 0)
    word = "fixed" if verdict == "fixed" else "changed"
    text = (f"{word} in `{full[:9]}` ({after} commit{'s' if after != 1 else ''} after the deployed `{base[:7]}`), "
            f"not deployed: {why}")
    if verdict == "changed":
        text += "; whether that removes the failure, the code cannot tell"
    return FixCommit(full, subject, date, verdict, after, base, why, text)


# ---- rollback -----------------------------------------------------------------------------------

def rollback_of(incident: Incident, revisions: list[Deploy], groups: list[Group], deployed: Deployed,
                project: str | None, start: float | None = None) -> Rollback:
    """The service's last revision that served before the deploy, without the root cause, and the command
    that sends it all traffic; or why there is none. Its figures count from `start`, the window's start,
    when it was first seen earlier: records read before the window (a sink's whole hour, a file's
    earlier days) say that it ran, but whether they were read depends on the source."""
    deploy, service = incident.deploy, incident.service
    if deploy is None:
        if incident.onset_kind == "before-window":
            return Rollback(False, f"no rollback named: {service} was already failing at the first record, and no "
                                   "deploy appears in these logs to roll back")
        return Rollback(False, f"no rollback: the failure did not begin with a deploy (no new revision of {service} "
                               "appeared before the onset)")
    earlier = [r for r in revisions if r.service == deploy.service and r.revision != deploy.revision and r.time < deploy.time]
    if not earlier:
        return Rollback(False, f"no rollback target: no earlier revision of {deploy.service} appears in these logs "
                               f"(revision {deploy.revision} is the first seen)")
    previous = max(earlier, key=lambda r: r.time)
    root = incident.root_cause
    same = root.counts_by(2).get(previous.revision, 0) if root is not None else 0
    if same:
        return Rollback(False, f"no rollback: the previous revision {previous.revision} failed the same way ({same} events)",
                        previous.revision)
    since = previous.time if start is None else max(previous.time, start)
    events, failed = _errors_on(groups, previous.revision, since, deploy.time)
    minutes = max((deploy.time - since) / MINUTE, 1 / MINUTE)
    command, replica_set = _rollback_command(deployed, previous, project)
    text = (f"roll back to {previous.revision}, the revision that served before the deploy: "
            f"{failed} failed request{'s' if failed != 1 else ''} and {events} error event{'s' if events != 1 else ''} "
            f"in the {minutes:.0f} min before it ({events / minutes:.1f}/min)")
    if command is None:
        text += f"; no command: rca writes them for Cloud Run, GKE and App Engine, not for {deployed.platform or 'this platform'}"
    return Rollback(True, text, previous.revision, since, deploy.time, events, failed, round(events / minutes, 2),
                    command, replica_set)


def _errors_on(groups: list[Group], revision: str, start: float, end: float) -> tuple[int, int]:
    """(error events, failed requests) of a revision in [start, end)."""
    events = failed = 0
    for group in groups:
        if group.muted or revision not in group.revisions:
            continue  # (the groups reported: no 404 answer among them, rca.analyze.incidents.reported_groups)
        request = any(status >= 500 for status in group.statuses)
        for (second, _service, lane_revision, _instance), count in group.per_second.items():
            if lane_revision == revision and second is not None and start - 1 <= second < end:
                events += count
                failed += count if request else 0
    return events, failed


def _rollback_command(deployed: Deployed, previous: Deploy, project: str | None) -> tuple[str | None, str | None]:
    service, revision = previous.service, previous.revision
    location = previous.record.extra.get("location") or deployed.location
    if deployed.platform == "cloud-run":
        return (f"gcloud run services update-traffic {service} --to-revisions={revision}=100"
                f" --region={location or 'REGION'} --project={project or 'PROJECT'}"), None
    if deployed.platform == "app-engine":
        return f"gcloud app services set-traffic {service} --splits={revision}=1 --project={project or 'PROJECT'}", None
    if deployed.platform == "gke":
        namespace = previous.record.extra.get("namespace") or deployed.namespace or "default"
        return f"kubectl rollout undo deployment/{service} -n {namespace}", f"{service}-{revision}"
    return None, None


# ---- a checked patch ----------------------------------------------------------------------------

def patch_of(root: Group, deployed: Deployed, target: _Target | None, repo: Path | None, project: str | None) -> Patch:
    fields = root.classification.fields
    if root.cls == "config_error" and fields.get("variable"):
        return _env_patch(root, fields["variable"], deployed, target, project)
    if root.cls != "missing_import":
        return Patch("none", f"no patch: rca writes patches for a module used without import and for a missing "
                             f"environment variable, not for {root.cls}")
    if not fields.get("name") and fields.get("module"):
        return Patch("none", f"no patch: `{fields['module']}` is imported but not installed; add it to the service's "
                             "dependencies and rebuild the image")
    if not fields.get("name") and fields.get("library"):
        return Patch("none", f"no patch: the shared library `{fields['library']}` is missing from the image; install it "
                             "in the image and rebuild")
    if not fields.get("name"):
        return Patch("none", "no patch: the failure names no module used without import (a patch adds an import only)")
    if repo is None or target is None:
        return Patch("none", "no patch: --repo is needed to write one and check it against the code"
                     if repo is None else "no patch: no frame of the traceback maps to a file of the checkout")
    return import_patch(repo, target, fields["name"], deployed)


def import_patch(repo: Path, target: _Target, name: str, deployed: Deployed) -> Patch:
    """A unified diff adding `import name` beside the file's other imports, offered only when the patched
    file compiles and binds the name at the failing line. It applies to the deployed commit's version of
    the file when the commit is known (that is the code that failed), else to the checkout's."""
    base_commit = _resolved(repo, deployed.commit)
    if base_commit:
        original, base = git_output(repo, "show", f"{base_commit}:{target.path}"), base_commit
    else:
        original, base = (Path(repo) / target.path).read_text(encoding="utf-8", errors="replace"), "the checkout"
    if not original or not compiles(original):
        return Patch("none", f"no patch: {target.path} does not parse at {base[:9]}", target.path, base)
    line = line_of(original, target.source, near=target.line) if target.source.strip() else None
    line = line or target.line
    if name_bound_at(original, name, line):
        return Patch("none", f"no patch: `{name}` is already bound at line {line} of {target.path} in {base[:9]}",
                     target.path, base)
    after = import_position(original, name)
    lines = original.splitlines(keepends=True)
    patched = "".join([*lines[:after], f"import {name}\n", *lines[after:]])
    checks = [f"{target.path} compiles after the patch" if compiles(patched, target.path) else "",
              f"`{name}` is bound at the failing line (line {line + 1} after the patch)"
              if name_bound_at(patched, name, line + 1) else ""]
    if not all(checks):
        return Patch("none", f"no patch: adding `import {name}` after line {after} did not pass its checks", target.path, base)
    diff = unified_diff(original, patched, target.path)
    where = f"the deployed commit {base[:9]}" if base_commit else "the checkout"
    return Patch("diff", f"add `import {name}` after line {after} of {target.path} (against {where}); checked: "
                         + "; ".join(checks), target.path, base, diff, checks)


def _resolved(repo: Path, commit: str | None) -> str:
    return git_output(repo, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}").strip() if commit else ""


def unified_diff(original: str, patched: str, path: str) -> str:
    """A diff `git apply` takes: a/ and b/ prefixes, and a last line without a newline marked as such."""
    out = []
    for line in difflib.unified_diff(original.splitlines(keepends=True), patched.splitlines(keepends=True),
                                     f"a/{path}", f"b/{path}"):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _env_patch(root: Group, variable: str, deployed: Deployed, target: _Target | None, project: str | None) -> Patch:
    """Which variable, where the code reads it, and the command that gives it to the service."""
    fields = root.classification.fields
    read_at = (f"{target.path}:{target.line}" if target is not None else
               f"{fields.get('file')}:{fields.get('line')}" if fields.get("file") else None)
    secret = any(word in variable.upper() for word in SECRET_WORDS)
    service = deployed.service or "SERVICE"
    if deployed.platform == "cloud-run":
        where = f" --region={deployed.location or 'REGION'} --project={project or 'PROJECT'}"
        # placeholders a secret's redaction leaves alone: `=…` and `=<secret-name>`
        command = (f"gcloud run services update {service} --update-secrets={variable}=<secret-name>:latest{where}" if secret
                   else f"gcloud run services update {service} --update-env-vars={variable}=…{where}")
    elif deployed.platform == "gke":
        command = f"kubectl set env deployment/{service} {variable}=… -n {deployed.namespace or 'default'}"
    elif deployed.platform == "app-engine":
        command = f"add {variable} under env_variables in app.yaml, then gcloud app deploy --project={project or 'PROJECT'}"
    else:
        command = None
    text = (f"set the environment variable `{variable}`" + (f", which the code reads at {read_at}" if read_at else "")
            + (" as a secret" if secret and command and "secrets" in command else "")
            + ("" if command else ": the logs do not say which platform runs the service"))
    return Patch("env", text, variable=variable, read_at=read_at, command=command)
