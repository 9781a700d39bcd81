"""Which frames of a traceback are the application's own code, and where they are.

Grouping, rules, reports and the code inspector all ask these questions; the answers live here, in
the events layer, so that every later stage imports them from below.
"""

from __future__ import annotations

from rca.events.tracebacks import Frame, ParsedException

LIBRARY_MARKERS = ("site-packages/", "dist-packages/", "/lib/python3", "<frozen ", "<string>", "/usr/local/bin/", "/usr/bin/")
APP_ROOTS = ("app", "workspace", "srv", "code", "src", "home", "opt", "usr")


def module_of(path: str) -> str:
    """A frame's file as a dotted module name: site-packages and app roots stripped."""
    if path.startswith("<frozen "):
        return path[len("<frozen "):].rstrip(">")
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        parts = [p for p in path.split("/") if p]
        while len(parts) > 1 and parts[0] in APP_ROOTS:
            parts.pop(0)
        path = "/".join(parts)
    path = path[:-3] if path.endswith(".py") else path
    return path.replace("/", ".").removesuffix(".__init__")


def is_library_frame(frame: Frame) -> bool:
    return any(marker in frame.file for marker in LIBRARY_MARKERS)


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
