"""Issue 24: a line is scanned for the words of platform failures before the pattern runs, so every
alternative of the pattern must hold one of the words, and the gate must never change an answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rca.events.error_event import _PLATFORM_WORDS, PLATFORM_FAILURES, is_error_unit, names_platform_failure
from rca.ingest.record import LogRecord

ROOT = Path(__file__).resolve().parents[2]

FAILURES = [
    "Container called exit(1).", "STARTUP TCP probe failed 1 time consecutively for container app on port 8080.",
    "STARTUP GRPC probe failed", "Readiness probe failed: Get http://10.0.0.4:8080/healthz: timeout",
    "Liveness probe failed: HTTP probe failed with statuscode: 500", "Startup probe failed",
    "[2025-09-12 14:20:00 +0000] [7] [ERROR] Worker failed to boot.", "[CRITICAL] WORKER TIMEOUT (pid:12)",
    "Memory limit of 512Mi exceeded with 530Mi used.", "Last State: Terminated Reason: OOMKilled",
    "Out of memory: Killed process 1234 (python)", "oom-kill:constraint=CONSTRAINT_MEMCG",
    "Back-off restarting failed container app in pod api-7d9f", "Worker (pid:42) was sent SIGKILL! Perhaps out of memory?",
    "app.service: Main process exited, code=exited, status=1/FAILURE", "app.service: Main process exited, code=killed",
]
NOT_FAILURES = ["Worker started (pid: 42)", "Container exited normally", "probe ok",
                "app.service: Main process exited, code=exited, status=0/SUCCESS", "memory use 80%", ""]


def top_level_alternatives(pattern: str) -> list[str]:
    """The pattern's source cut at each `|` outside brackets and groups."""
    parts, depth, start, index = [], 0, 0, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 1
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
        index += 1
    return [*parts, pattern[start:]]


def test_every_alternative_of_the_pattern_holds_a_word():
    alternatives = top_level_alternatives(PLATFORM_FAILURES.pattern)
    assert len(alternatives) >= 12
    for alternative in alternatives:
        literal = re.sub(r"\\(.)", r"\1", alternative)  # escapes as the characters they match
        assert any(word in literal for word in _PLATFORM_WORDS), alternative


@pytest.mark.parametrize("text", FAILURES + NOT_FAILURES)
def test_the_gate_gives_the_patterns_answer(text):
    assert names_platform_failure(text) == (PLATFORM_FAILURES.search(text) is not None)
    assert names_platform_failure(text) == (text in FAILURES)


def test_the_gate_agrees_on_every_line_of_the_bundled_incidents():
    lines = [line for path in sorted((ROOT / "fixtures").rglob("*.jsonl")) + sorted((ROOT / "fixtures").rglob("*.log"))
             for line in path.read_text(errors="replace").splitlines()]
    assert len(lines) > 1000
    found = [line for line in lines if PLATFORM_FAILURES.search(line)]
    assert found  # the fixtures hold platform failures, so the gate is tried both ways
    assert [line for line in lines if names_platform_failure(line)] == found


def test_a_platform_failure_at_info_is_an_error_unit():
    record = LogRecord(1_757_685_600.0, "INFO", FAILURES[0], "app.log", 1)
    quiet = LogRecord(1_757_685_600.0, "INFO", NOT_FAILURES[0], "app.log", 2)
    assert is_error_unit([record]) and not is_error_unit([quiet])
