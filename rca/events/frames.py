"""Which frames of a traceback are the application's own code, and where they are.

Grouping, rules, reports and the code inspector all ask these questions; the answers live here, in
the events layer, so that every later stage imports them from below.
"""

from __future__ import annotations

import re

from rca.events.tracebacks import Frame, ParsedException

LIBRARY_MARKERS = ("site-packages/", "dist-packages/", "/lib/python3", "<frozen ", "<string>", "/usr/local/bin/", "/usr/bin/")
APP_ROOTS = ("app", "workspace", "srv", "code", "src", "home", "opt", "usr")
# A folder named like a version or a commit (20250912-1420, v1.4.2, 3f9a2c1) or an install folder:
# what comes before it is where the code was installed, not what it is.
INSTALL_SEGMENT = re.compile(r"^(?:\d[\w.-]{2,}|v\d+(?:\.\d+)+|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40})$", re.I)
INSTALL_DIRS = ("releases", "release", "versions", "deploy", "deployments", "current", ".venv", "venv", "env")
STDLIB_FOLDER = re.compile(r"/lib/python3[.\d]*/")


def module_of(path: str) -> str:
    """A frame's file as a dotted module path relative to the application root: site-packages, the
    standard library's folder, app roots (/app, /srv, ...), virtualenvs and install directories
    (releases/20250912-1420/) stripped, so that the same code installed in two places gives the same
    module. The one parser of module paths: grouping, rules and reports all ask it."""
    if path.startswith("<frozen "):
        return path[len("<frozen "):].rstrip(">")
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            return _dotted(path.split(marker, 1)[1])
    stdlib = STDLIB_FOLDER.search(path)
    if stdlib:
        return _dotted(path[stdlib.end():])
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    directories = parts[:-1]
    cut = max((i + 1 for i, part in enumerate(directories)
               if INSTALL_SEGMENT.match(part) or part.lower() in INSTALL_DIRS), default=0)
    parts = parts[cut:]
    while len(parts) > 1 and parts[0] in APP_ROOTS:
        parts.pop(0)
    return _dotted("/".join(parts))


def package_of(path: str) -> str:
    """The package a library frame belongs to (click, uvicorn, importlib); for a file that is no
    module of an installed package or of the standard library (a script in /usr/bin), its name."""
    if path.startswith("<frozen "):
        return module_of(path).split(".")[0].lstrip("_") or path
    if "site-packages/" in path or "dist-packages/" in path or STDLIB_FOLDER.search(path):
        return module_of(path).split(".")[0]
    return path.rsplit("/", 1)[-1].removesuffix(".py") or path


def _dotted(path: str) -> str:
    path = path[:-3] if path.endswith(".py") else path
    return path.replace("/", ".").removesuffix(".__init__")


# Other runtimes' frames (rca.events.runtimes) that are not the application's: Node's own modules and
# node_modules, Go's standard library and module cache, and Java frames of the JDK and the usual libraries
# (a Java frame names its class, not its path: the package prefix of the function tells).
RUNTIME_LIBRARY_FILES = ("node:", "node_modules/", "/usr/local/go/src/", "/go/pkg/mod/", "/usr/lib/go")
JAVA_FILES = (".java", ".kt", ".scala", ".groovy", "Native Method", "Unknown Source")
JAVA_LIBRARY_PACKAGES = ("java.", "javax.", "jdk.", "sun.", "com.sun.", "kotlin.", "kotlinx.", "scala.", "io.grpc.", "io.netty.",
                         "com.google.", "org.springframework.", "org.apache.", "org.hibernate.", "com.zaxxer.", "okhttp3.",
                         "reactor.", "io.reactivex.", "com.fasterxml.", "org.postgresql.", "com.mysql.")


def is_library_frame(frame: Frame) -> bool:
    if any(marker in frame.file for marker in LIBRARY_MARKERS):
        return True
    if frame.file.startswith(RUNTIME_LIBRARY_FILES) or "node_modules/" in frame.file or "/go/pkg/mod/" in frame.file:
        return True
    if frame.file.startswith("internal/") and frame.file.endswith(".js"):  # Node before 16 named its own modules so
        return True
    return frame.file.endswith(JAVA_FILES) and (frame.function or "").startswith(JAVA_LIBRARY_PACKAGES)


def chain_application_frame(exceptions: list[ParsedException]) -> Frame | None:
    """The innermost application frame of a chain, searching from the last exception back; else None."""
    for exception in reversed(exceptions):
        for frame in reversed(exception.frames):
            if not is_library_frame(frame):
                return frame
    return None


def application_frame(exception: ParsedException) -> Frame | None:
    """The innermost frame of the application's own code, else the innermost frame."""
    return chain_application_frame([exception]) or (exception.frames[-1] if exception.frames else None)


def application_location(exceptions: list[ParsedException]) -> str | None:
    """`file:line in function` of the innermost frame of the application's own code."""
    frame = chain_application_frame(exceptions)
    if frame is None:
        return None
    where = f"{frame.file}:{frame.line}"
    return f"{where} in {frame.function}" if frame.function else where
