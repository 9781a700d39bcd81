"""From the traceback to the code: map frames to a checkout, confirm the defect statically, and
name the commit that introduced it."""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from rca.analyze.bindings import import_position
from rca.analyze.groups import Group
from rca.events.frames import is_library_frame
from rca.ingest.times import parse_timestamp

CONTEXT_LINES = 3
GIT_TIMEOUT_SECONDS = 20


@dataclass
class MappedFrame:
    frame_file: str
    line: int
    function: str | None
    repo_path: str | None  # relative to the checkout
    status: str  # "mapped", "no match", "several matches: a, b"


class PathMapper:
    """Maps container paths (/app/pkg/mod.py, /workspace/...) to files of a checkout."""

    def __init__(self, repo: Path, path_maps: Sequence[tuple[str, str]] = ()):
        self.repo = Path(repo).resolve()
        self.path_maps = sorted(path_maps, key=lambda item: -len(item[0]))  # longest prefix first
        self._by_name: dict[str, list[PurePosixPath]] | None = None

    def map(self, frame_file: str) -> tuple[str | None, str]:
        for source, target in self.path_maps:
            if frame_file == source or frame_file.startswith(source.rstrip("/") + "/"):
                relative = PurePosixPath(target) / frame_file[len(source.rstrip("/")):].lstrip("/")
                resolved = (self.repo / relative).resolve()
                if resolved.is_file() and self.repo in resolved.parents:
                    return resolved.relative_to(self.repo).as_posix(), "mapped"
                return None, f"no match: --path-map gives {relative}, which is not a file of the checkout"
        return self._by_suffix(PurePosixPath(frame_file))

    def _by_suffix(self, path: PurePosixPath) -> tuple[str | None, str]:
        candidates = self._files().get(path.name, [])
        best, best_length = [], 0
        for candidate in candidates:
            length = _common_suffix(candidate.parts, path.parts)
            if length < min(2, len(candidate.parts)):
                continue  # the file name alone matches any __init__.py: it must cover the path or two parts
            if length > best_length:
                best, best_length = [candidate], length
            elif length == best_length:
                best.append(candidate)
        if not best:
            return None, "no match"
        if len(best) > 1:
            return None, "several matches: " + ", ".join(sorted(p.as_posix() for p in best)[:5])
        return best[0].as_posix(), "mapped"

    def _files(self) -> dict[str, list[PurePosixPath]]:
        if self._by_name is None:
            self._by_name = {}
            for path in self.repo.rglob("*.py"):
                relative = PurePosixPath(path.relative_to(self.repo).as_posix())
                if not any(part.startswith(".") or part in ("site-packages", "node_modules") for part in relative.parts):
                    self._by_name.setdefault(relative.name, []).append(relative)
        return self._by_name


def _common_suffix(a: tuple, b: tuple) -> int:
    length = 0
    while length < min(len(a), len(b)) and a[-1 - length] == b[-1 - length]:
        length += 1
    return length


@dataclass
class Suspect:
    commit: str
    date: str
    author: str
    subject: str
    why: str


@dataclass
class CodeFindings:
    repo: str
    frames: list[MappedFrame]
    excerpts: list[dict] = field(default_factory=list)  # {file, line, lines: [{number, text, failing}]}
    confirmed: bool | None = None
    confirmation: str = ""
    suspect: Suspect | None = None
    suspect_note: str = ""
    commit: str | None = None  # the commit whose code was read (the deployed one), None: the working tree

    def as_dict(self) -> dict:
        return {
            "repo": self.repo,
            "frames": [vars(f) for f in self.frames],
            "excerpts": self.excerpts,
            "confirmed": self.confirmed,
            "confirmation": self.confirmation,
            "suspect": None if self.suspect is None else vars(self.suspect),
            "suspect_note": self.suspect_note,
            "commit": self.commit,
        }


def inspect_root_cause(root: Group, repo: Path, path_maps: Sequence[tuple[str, str]] = (),
                       deployed_at: float | None = None, deployed_commit: str | None = None) -> CodeFindings:
    """With `deployed_commit` (the commit the failing revision runs, when the logs or the user name it and
    the checkout has it), the code is read as of that commit, not from the working tree: a checkout
    whose branch has moved on, a fix included, still shows the code that failed."""
    mapper = PathMapper(repo, path_maps)
    tb = root.representative.traceback
    app_frames = [f for e in (tb.exceptions if tb else []) for f in e.frames if not is_library_frame(f)]
    frames = [MappedFrame(f.file, f.line, f.function, *mapper.map(f.file)) for f in app_frames]
    commit = git_output(mapper.repo, "rev-parse", "--verify", "--quiet", f"{deployed_commit}^{{commit}}").strip() \
        if deployed_commit else ""
    findings = CodeFindings(str(mapper.repo), frames, commit=commit or None)
    mapped = [f for f in frames if f.repo_path]
    for frame in mapped:
        findings.excerpts.append(_excerpt(_read(mapper.repo, str(frame.repo_path), commit), frame))
    failing = mapped[-1] if mapped else None
    if failing is None or failing.repo_path is None:
        findings.confirmation = "not confirmed: no frame of the traceback maps to a file of the checkout"
        return findings
    _confirm(findings, root, _read(mapper.repo, failing.repo_path, commit), failing)
    _find_suspect(findings, root, mapper.repo, failing, deployed_at, commit)
    return findings


def _read(repo: Path, path: str, commit: str) -> str:
    """A file of the checkout: its working-tree text, or its text at `commit`."""
    if commit:
        return git_output(repo, "show", f"{commit}:{path}")
    return (repo / path).read_text(encoding="utf-8", errors="replace")


def _excerpt(text: str, frame: MappedFrame) -> dict:
    lines = text.splitlines()
    excerpt: dict = {"file": frame.repo_path, "line": frame.line, "function": frame.function, "lines": [], "note": None}
    if frame.line > len(lines):
        excerpt["note"] = (f"line {frame.line} is past the end of the file ({len(lines)} lines): "
                           "the checkout differs from the code that ran")
        return excerpt
    first = max(1, frame.line - CONTEXT_LINES)
    last = min(len(lines), frame.line + CONTEXT_LINES)
    excerpt["lines"] = [{"number": n, "text": lines[n - 1], "failing": n == frame.line} for n in range(first, last + 1)]
    return excerpt


def _confirm(findings: CodeFindings, root: Group, text: str, frame: MappedFrame) -> None:
    fields = root.classification.fields
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        findings.confirmed, findings.confirmation = False, f"not confirmed: {frame.repo_path} does not parse ({error.msg})"
        return
    if root.cls == "missing_import" and fields.get("name"):
        findings.confirmed, findings.confirmation = _confirm_missing_import(tree, fields["name"])
    elif root.cls == "config_error" and fields.get("variable"):
        findings.confirmed, findings.confirmation = _confirm_env_read(tree, fields["variable"])
    else:
        findings.confirmation = f"not confirmed: the code cannot tell a {root.cls} on its own"


def _confirm_missing_import(tree: ast.Module, name: str) -> tuple[bool, str]:
    used = sorted({n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)})
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    imported = [n.lineno for n in imports for alias in n.names if (alias.asname or alias.name.split(".")[0]) == name]
    defined = sorted({n.lineno for n in ast.walk(tree)
                      if (isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store))
                      or (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name)
                      or (isinstance(n, ast.arg) and n.arg == name)})
    if not used:
        return False, f"not confirmed: `{name}` is not used in this file"
    if imported:
        return False, f"not confirmed: `{name}` is imported on line {imported[0]} (the running code may differ from the checkout)"
    if defined:
        return False, f"not confirmed: `{name}` is defined on line {defined[0]}"
    top_imports = [n for n in getattr(tree, "body", []) if isinstance(n, (ast.Import, ast.ImportFrom))]
    where = f"; an `import {name}` would go after line {import_position(tree, name)}" if top_imports else f"; add `import {name}` at the top"
    lines = ", ".join(map(str, used))
    return True, f"confirmed in code: `{name}` is used on line{'s' if len(used) > 1 else ''} {lines} and never imported{where}"


def _confirm_env_read(tree: ast.AST, variable: str) -> tuple[bool, str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_environ(node.value) and _constant(node.slice) == variable:
            return True, f"confirmed in code: `{variable}` is read on line {node.lineno} with no default (os.environ[...])"
        if isinstance(node, ast.Call) and _constant(node.args[0] if node.args else None) == variable:
            name = ast.unparse(node.func)
            if name.endswith(("environ.get", "getenv")):
                if len(node.args) > 1 or node.keywords:
                    return False, f"not confirmed: `{variable}` is read on line {node.lineno} with a default"
                return False, f"not confirmed: `{variable}` is read on line {node.lineno} with {name}(), which returns None when unset"
    return False, f"not confirmed: `{variable}` is not read in this file"


def _is_environ(node) -> bool:
    return ast.unparse(node).endswith("environ")


def _constant(node):
    return node.value if isinstance(node, ast.Constant) else None


def _find_suspect(findings: CodeFindings, root: Group, repo: Path, frame: MappedFrame, deployed_at: float | None,
                  commit: str = "") -> None:
    if not git_output(repo, "rev-parse", "--git-dir"):
        findings.suspect_note = f"no commit named: {repo} is not a git repository"
        return
    candidates: list[Suspect | None] = []
    path = str(frame.repo_path)
    at = [commit] if commit else []  # the deployed commit's history, when the code was read there
    blamed = git_output(repo, "blame", "--porcelain", "-L", f"{frame.line},{frame.line}", *at, "--", path)
    if blamed:
        commit = blamed.split(" ", 1)[0]
        if set(commit) != {"0"}:  # all zeros: a line not committed yet
            candidates.append(_describe(repo, commit, f"last changed line {frame.line} of {frame.repo_path} (git blame)"))
    name = root.classification.fields.get("name") or root.classification.fields.get("variable")
    if name:
        search = f"import {name}" if root.cls == "missing_import" else name
        touched = git_output(repo, "log", "-S", search, "--format=%H", *at, "--", path)
        for commit in touched.split()[:3]:
            candidates.append(_describe(repo, commit, f"added or removed `{search}` in {frame.repo_path} (git log -S)"))
    found = [c for c in candidates if c is not None]
    if deployed_at is not None:
        before = [c for c in found if _epoch(c.date) <= deployed_at]
        if before:
            found = before
    if not found:
        findings.suspect_note = "no commit named: git found no history for the failing line"
        return
    findings.suspect = max(found, key=lambda c: _epoch(c.date))


def _describe(repo: Path, commit: str, why: str) -> Suspect | None:
    shown = git_output(repo, "show", "-s", "--format=%H%x00%aI%x00%an%x00%s", commit)
    if not shown:
        return None
    full, date, author, subject = shown.strip().split("\x00", 3)
    return Suspect(full, date, author, subject, why)


def _epoch(iso: str) -> float:
    return parse_timestamp(iso) or 0.0  # git's dates (%aI) always carry their offset


def git_output(repo: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout if result.returncode == 0 else ""
