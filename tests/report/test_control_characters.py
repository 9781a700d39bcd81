"""Issue 29, item 3: control characters from log text never reach a terminal or a file as they are.
ESC (CSI colours and screen clears, OSC 52 that writes the user's clipboard), BEL, a lone carriage
return, DEL, the C1 controls and the bidi overrides are shown as escapes (`\\x1b`) in every format, in
the `events` and `classify` tables, and in the summary lines on stderr."""

import json

import orjson
import pytest
from conftest import INCIDENT, run_rca

OSC52 = "\x1b]52;c;ZXZpbA==\x07"  # "set the clipboard to `evil`"
CSI = "\x1b[2J\x1b[31m"  # clear the screen, then red
HOSTILE = f"{OSC52}{CSI}\x9b6n\rX\u202e\x7f"
# Bytes a terminal acts on: ESC, BEL, CSI as one C1 character, a lone CR, RLO and DEL, in UTF-8.
RAW = (b"\x1b", b"\x07", b"\xc2\x9b", b"\r", "\u202e".encode(), b"\x7f")


def hostile_incident(tmp_path):
    """The bundled incident whose root cause's message and one service name carry the sequences, and an
    ERROR line that carries them too."""
    escaped = json.dumps(HOSTILE)[1:-1]
    text = (INCIDENT / "logs.jsonl").read_text().replace("name 'redis' is not defined",
                                                          f"name 'redis{escaped}' is not defined")
    extra = json.dumps({"textPayload": f"ERROR worker stalled {HOSTILE}", "severity": "ERROR",
                        "timestamp": "2025-09-12T14:25:00Z", "logName": "projects/p/logs/app",
                        "resource": {"type": "cloud_run_revision", "labels": {"service_name": f"svc{CSI}"}}})
    path = tmp_path / "hostile.jsonl"
    path.write_text(text + extra + "\n")
    return path


def raw_controls(data: bytes) -> list[bytes]:
    return [raw for raw in RAW if raw in data.replace(b"\r\n", b"\n")]


def test_printable_shows_every_control_and_keeps_text_lines_and_tabs():
    from rca.report.escape import printable

    assert printable(f"a{OSC52}b") == "a\\x1b]52;c;ZXZpbA==\\x07b"
    assert printable("\x9b2J \u202eevil \x7f") == "\\x9b2J \\u202eevil \\x7f"
    assert printable("over\rwrite") == "over\\rwrite"
    assert printable("line one\r\nline two\n\tindented") == "line one\r\nline two\n\tindented"
    assert printable("NameError: name 'redis' is not defined — ünïcode ✓") == "NameError: name 'redis' is not defined — ünïcode ✓"


def test_json_keeps_its_meaning_with_no_raw_control():
    from rca.report.escape import json_printable

    data = orjson.dumps({"text": HOSTILE})
    assert raw_controls(data)  # orjson leaves DEL, C1 and bidi characters raw
    safe = json_printable(data)
    assert not raw_controls(safe) and orjson.loads(safe) == {"text": HOSTILE}


@pytest.mark.parametrize("command", [["analyze"], ["analyze", "--format", "html"], ["analyze", "--format", "json"],
                                     ["events"], ["events", "--format", "jsonl"], ["events", "--format", "json"],
                                     ["classify"], ["classify", "--format", "jsonl"]])
def test_no_escape_sequence_reaches_the_terminal(tmp_path, command):
    result = run_rca(command[0], str(hostile_incident(tmp_path)), *command[1:])
    assert result.returncode == 0, result.stderr.decode()
    assert not raw_controls(result.stdout) and not raw_controls(result.stderr)
    if command[-1] not in ("json", "jsonl"):
        assert "\\x1b]52;c;ZXZpbA==\\x07" in result.stdout.decode()  # shown, not dropped


def test_the_summary_on_stderr_shows_the_root_cause_with_its_escapes(tmp_path):
    result = run_rca("analyze", str(hostile_incident(tmp_path)), "--out", str(tmp_path / "report.md"))
    err = result.stderr.decode()
    # the class is the classifier's call on a name no import could have (a rule needs a module-shaped name)
    assert "incident on netra-backend-staging: root cause " in err
    assert "NameError: name 'redis\\x1b]52;c;ZXZpbA==\\x07" in err and not raw_controls(result.stderr)
    assert not raw_controls((tmp_path / "report.md").read_bytes())


def test_a_file_name_with_an_escape_is_shown_in_the_error_line(tmp_path):
    (tmp_path / f"b{CSI}.log").write_bytes(b"\x00\x01\x02binary")
    result = run_rca("events", str(tmp_path))
    assert result.returncode == 2 and b"\\x1b[2J" in result.stderr and not raw_controls(result.stderr)
