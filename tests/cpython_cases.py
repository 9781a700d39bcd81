"""Real tracebacks from a real interpreter, written as the carriers rca reads, with the truth beside them.

Run as a script by any Python 3.8+ (stdlib only): `python cpython_cases.py OUT_DIR`. For every case
it writes a module to OUT_DIR/mods, imports it and calls `run()`, takes the truth from
`traceback.TracebackException` of the live exception, and writes four carriers:

- `NAME.log`: a Python text log (a logging prefix line, the traceback, the next record);
- `NAME.split.jsonl`: a Cloud Run export, one entry per printed line (the first 1-3 lines merged,
  severity ERROR on the first entry only, as Cloud Run writes stderr);
- `NAME.entry.jsonl`: the traceback in one multi-line entry;
- `NAME.burst.jsonl`: two copies of the split export printed back to back;
- `NAME.cloudrun.jsonl`: the split as a real Cloud Run export shows it: empty lines dropped, and
  a severity on each entry that starts with `Traceback (most recent call last):` (merged with the
  next lines or not), none on the others.

`truth.json` maps each case to the exceptions CPython printed, in print order (oldest cause first,
group members after their group): type, message (everything printed after `Type: `, so notes are
included, one per line), relation ("cause", "context", "group-member" or None) and the frames shown
(file, line, function; a SyntaxError's location is a last frame with no function).
"""

import importlib
import json
import os
import sys
import traceback

# name -> (oldest Python that can run it, module source defining run())
CASES = {
    # --- plain errors and C-level errors
    "plain": ((3, 8), "def run():\n    raise ValueError('bad value')\n"),
    "key_error": ((3, 8), "def run():\n    d = {}\n    return d['missing']\n"),
    "no_message": ((3, 8), "def run():\n    raise RuntimeError()\n"),
    "empty_message": ((3, 8), "def run():\n    raise ValueError('')\n"),
    "name_error": ((3, 8), "def run():\n    return redis.Redis()\n"),
    "name_error_stdlib": ((3, 8), "def run():\n    return json.dumps({})\n"),
    "attribute_none": ((3, 8), "def run():\n    x = None\n    return x.value\n"),
    "zero_division": ((3, 8), "def run():\n    a, b = 1, 0\n    return a / b\n"),
    "int_parse": ((3, 8), "def run():\n    return int('twelve')\n"),
    "json_decode": ((3, 8), "import json\ndef run():\n    return json.loads('{\"a\": ')\n"),
    "environ": ((3, 8), "import os\ndef run():\n    return os.environ['RCA_SURELY_UNSET_VARIABLE']\n"),
    "deep_calls": ((3, 8), "def a():\n    return b()\ndef b():\n    return c()\ndef c():\n    return d()\n"
                   "def d():\n    raise LookupError('deep')\ndef run():\n    return a()\n"),
    "method_and_lambda": ((3, 8), "class Svc:\n    def handle(self):\n        f = lambda: [1][5]\n        return f()\n"
                          "def run():\n    return Svc().handle()\n"),
    "comprehension": ((3, 8), "def run():\n    return [1 / x for x in (1, 0)]\n"),
    "generator_stop": ((3, 8), "def gen():\n    yield next(iter([]))\ndef run():\n    return list(gen())\n"),
    "stop_iteration": ((3, 8), "def run():\n    raise StopIteration\n"),
    "stop_iteration_value": ((3, 8), "def run():\n    raise StopIteration('done')\n"),
    "keyboard_interrupt": ((3, 8), "def run():\n    raise KeyboardInterrupt\n"),
    "system_exit": ((3, 8), "def run():\n    raise SystemExit('bye')\n"),
    "main_class": ((3, 8), "class Abort(Exception):\n    pass\nAbort.__module__ = '__main__'\n"
                   "def run():\n    raise Abort('stop now')\n"),
    "main_class_bare": ((3, 8), "class Abort(Exception):\n    pass\nAbort.__module__ = '__main__'\n"
                        "def run():\n    raise Abort()\n"),
    "non_ascii_class": ((3, 8), "class \u00c4rgerError(Exception):\n    pass\n\u00c4rgerError.__module__ = 'app.case'\n"
                        "def run():\n    raise \u00c4rgerError('\u00e4rgerlich')\n"),
    "local_class": ((3, 8), "def run():\n    class Local(Exception):\n        pass\n    raise Local('inner')\n"),
    "lowercase_type": ((3, 8), "import struct\ndef run():\n    return struct.unpack('>I', b'ab')\n"),
    "builtins_module": ((3, 8), "class Oops(Exception):\n    pass\nOops.__module__ = 'builtins'\n"
                        "def run():\n    raise Oops('odd')\n"),
    "math_domain": ((3, 8), "import math\ndef run():\n    return math.sqrt(-1)\n"),
    "len_type_error": ((3, 8), "def run():\n    return len(5)\n"),
    "file_not_found": ((3, 8), "def run():\n    return open('/nonexistent/rca/config.yaml')\n"),
    "unicode_decode": ((3, 8), "def run():\n    return b'\\xff\\xfe\\xfa'.decode('utf-8')\n"),
    "decimal_c": ((3, 8), "import decimal\ndef run():\n    return decimal.Decimal('1.2.3')\n"),
    "sqlite_error": ((3, 8), "import sqlite3\ndef run():\n    return sqlite3.connect(':memory:').execute('select * from users')\n"),
    "assertion_bare": ((3, 8), "def run():\n    x = 1\n    assert x == 2\n"),
    "assertion_message": ((3, 8), "def run():\n    assert False, 'invariant broken: x=1'\n"),
    "exec_string": ((3, 8), "def run():\n    exec('def f():\\n    return 1 / 0\\nf()')\n"),
    "tuple_key": ((3, 8), "def run():\n    return {}[('a', \"b'c\")]\n"),
    "str_fails": ((3, 8), "class Weird(Exception):\n    def __str__(self):\n        raise TypeError('no')\n"
                  "def run():\n    raise Weird()\n"),
    "connection_refused": ((3, 8), "import socket\ndef run():\n    s = socket.socket()\n    s.connect(('127.0.0.1', 9))\n"),
    # --- messages
    "multiline_message": ((3, 8), "def run():\n    raise ValueError('line one\\nline two\\n  indented three')\n"),
    "blank_line_message": ((3, 8), "def run():\n    raise ValueError('first\\n\\nafter a blank line')\n"),
    "leading_newline_message": ((3, 8), "def run():\n    raise ValueError('\\nstarts on the next line')\n"),
    "trailing_spaces_message": ((3, 8), "def run():\n    raise ValueError('two spaces after  ')\n"),
    "unicode_breaks_message": ((3, 8), "def run():\n    raise ValueError('a\\u2028b\\x0cc\\x85d\\x0be\\rf')\n"),
    "long_message": ((3, 8), "def run():\n    raise ValueError('x' * 5000 + ' end')\n"),
    "non_ascii_message": ((3, 8), "def run():\n    raise ValueError('\u00dcberweisung fehlgeschlagen: \u4fa1\u683c \u2014 \U0001f4a5')\n"),
    "message_with_traceback": ((3, 8), "def run():\n    raise RuntimeError('worker failed:\\nTraceback (most recent call last):\\n"
                               "  File \"worker.py\", line 3, in job\\n    x()\\nKeyError: \\'x\\'')\n"),
    "message_with_exception_line": ((3, 8), "def run():\n    raise ValueError('bad rate\\nValueError: nested\\nStopIteration')\n"),
    "message_with_frame_line": ((3, 8), "def run():\n    raise ValueError('see\\n  File \"x.py\", line 1, in y\\n    y()')\n"),
    "message_with_box": ((3, 8), "def run():\n    raise ValueError('table\\n  | not a box\\n  +-+---------------- 1 ----------------')\n"),
    "validation_error": ((3, 8), "class ValidationError(ValueError):\n    pass\nValidationError.__module__ = 'pydantic_core._pydantic_core'\n"
                         "def run():\n    raise ValidationError('1 validation error for Settings\\nredis_url\\n"
                         "  Field required [type=missing, input_value={}, input_type=dict]')\n"),
    # --- notes
    "note": ((3, 11), "def run():\n    e = ValueError('bad')\n    e.add_note('while loading config.yaml')\n    raise e\n"),
    "two_notes": ((3, 11), "def run():\n    e = KeyError('k')\n    e.add_note('first note')\n    e.add_note('second note')\n    raise e\n"),
    "multiline_note": ((3, 11), "def run():\n    e = ValueError('bad')\n    e.add_note('note line one\\n  note line two')\n    raise e\n"),
    "note_no_message": ((3, 11), "def run():\n    e = ValueError()\n    e.add_note('only a note')\n    raise e\n"),
    "note_in_chain": ((3, 11), "def inner():\n    e = KeyError('rate')\n    e.add_note('rate table v2')\n    raise e\n"
                      "def run():\n    try:\n        inner()\n    except KeyError as e:\n        raise RuntimeError('lookup failed') from e\n"),
    # --- chains
    "cause": ((3, 8), "def run():\n    try:\n        {}['k']\n    except KeyError as e:\n        raise RuntimeError('wrapped') from e\n"),
    "context": ((3, 8), "def run():\n    try:\n        {}['k']\n    except KeyError:\n        raise RuntimeError('while handling')\n"),
    "from_none": ((3, 8), "def run():\n    try:\n        {}['k']\n    except KeyError:\n        raise RuntimeError('hidden') from None\n"),
    "three_causes": ((3, 8), "def a():\n    raise KeyError('a')\ndef b():\n    try:\n        a()\n    except KeyError as e:\n"
                     "        raise ValueError('b') from e\ndef run():\n    try:\n        b()\n    except ValueError as e:\n"
                     "        raise RuntimeError('c') from e\n"),
    "cause_then_context": ((3, 8), "def b():\n    try:\n        {}['k']\n    except KeyError as e:\n        raise ValueError('b') from e\n"
                           "def run():\n    try:\n        b()\n    except ValueError:\n        raise RuntimeError('c')\n"),
    "multiline_middle": ((3, 8), "def b():\n    try:\n        {}['rate']\n    except KeyError as e:\n        raise ValueError('bad rate\\nsee config') from e\n"
                         "def run():\n    try:\n        b()\n    except ValueError as e:\n        raise RuntimeError('giving up') from e\n"),
    "multiline_root": ((3, 8), "def run():\n    try:\n        raise ValueError('line one\\nline two')\n    except ValueError as e:\n"
                       "        raise RuntimeError('wrapped') from e\n"),
    "trailing_newline_middle": ((3, 8), "def run():\n    try:\n        raise ValueError('ends in a newline\\n')\n    except ValueError as e:\n"
                                "        raise RuntimeError('wrapped') from e\n"),
    "traceback_in_cause_message": ((3, 8), "def run():\n    try:\n        raise RuntimeError('worker failed:\\nTraceback (most recent call last):\\n"
                                   "  File \"worker.py\", line 3, in job\\n    x()\\nKeyError: \\'x\\'')\n    except RuntimeError as e:\n"
                                   "        raise ValueError('job 7 failed') from e\n"),
    "headerless_cause": ((3, 8), "def run():\n    raise RuntimeError('outer') from KeyError('never raised')\n"),
    "headerless_multiline_cause": ((3, 8), "def run():\n    raise RuntimeError('outer') from ValueError('bad rate\\nsee config')\n"),
    "headerless_two": ((3, 8), "def run():\n    mid = ValueError('mid')\n    mid.__cause__ = KeyError('root')\n"
                       "    raise RuntimeError('top') from mid\n"),
    "headerless_context": ((3, 8), "def run():\n    e = RuntimeError('top')\n    e.__context__ = OSError('manual context')\n    raise e\n"),
    "headerless_main_class": ((3, 8), "class Abort(Exception):\n    pass\nAbort.__module__ = '__main__'\n"
                              "def run():\n    raise RuntimeError('outer') from Abort('stop')\n"),
    "process_pool": ((3, 8), "import concurrent.futures\ndef work(x):\n    return 1 / x\n"
                     "def run():\n    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:\n"
                     "        return pool.submit(work, 0).result()\n"),
    "thread_pool": ((3, 8), "import concurrent.futures\ndef work(x):\n    return {}[x]\n"
                    "def run():\n    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:\n"
                    "        return pool.submit(work, 'job').result()\n"),
    "recursion": ((3, 8), "def f(n):\n    return f(n + 1)\ndef run():\n    return f(0)\n"),
    "mutual_recursion": ((3, 8), "def a(n):\n    return b(n)\ndef b(n):\n    return a(n)\ndef run():\n    return a(0)\n"),
    "recursion_in_chain": ((3, 8), "def f(n):\n    return f(n + 1)\ndef run():\n    try:\n        f(0)\n    except RecursionError as e:\n"
                           "        raise RuntimeError('stack blown') from e\n"),
    # --- syntax errors
    "compile_syntax": ((3, 8), "def run():\n    return compile('def f(:\\n    pass\\n', 'generated.py', 'exec')\n"),
    "import_syntax": ((3, 8), "def run():\n    import broken_syntax_module\n"),
    "indentation": ((3, 8), "def run():\n    return compile('if True:\\npass\\n', 'indent.py', 'exec')\n"),
    "syntax_no_location": ((3, 8), "def run():\n    raise SyntaxError('made up')\n"),
    "syntax_in_chain": ((3, 8), "def run():\n    try:\n        compile('x = (', 'cfg.py', 'exec')\n    except SyntaxError as e:\n"
                        "        raise ValueError('bad config') from e\n"),
    # --- site-packages and non-ASCII paths
    "site_packages": ((3, 8), "from libx.core import explode\ndef run():\n    return explode()\n"),
    "non_ascii_path": ((3, 8), "from \u00fcmlaut_pkg.m\u00f6d import boom\ndef run():\n    return boom()\n"),
    # --- exception groups
    "group": ((3, 11), "def run():\n    raise ExceptionGroup('two failed', [ValueError('a'), KeyError('b')])\n"),
    "group_raised_members": ((3, 11), "def fetch(n):\n    raise ConnectionError(f'upstream {n} unreachable')\n"
                             "def run():\n    errors = []\n    for n in (1, 2):\n        try:\n            fetch(n)\n"
                             "        except ConnectionError as e:\n            errors.append(e)\n"
                             "    raise ExceptionGroup('fan-out failed', errors)\n"),
    "group_nested": ((3, 11), "def run():\n    raise ExceptionGroup('outer', [ValueError('v'), ExceptionGroup('inner', [KeyError('k'), OSError('o')]), TypeError('t')])\n"),
    "group_nested_last": ((3, 11), "def run():\n    raise ExceptionGroup('outer', [ValueError('v'), ExceptionGroup('inner', [KeyError('k')])])\n"),
    "group_member_chain": ((3, 11), "def one():\n    try:\n        {}['k']\n    except KeyError as e:\n        raise ValueError('member') from e\n"
                           "def run():\n    try:\n        one()\n    except ValueError as e:\n        raise ExceptionGroup('g', [e, TypeError('t')])\n"),
    "group_member_headerless_cause": ((3, 11), "def run():\n    m = ValueError('member')\n    m.__cause__ = KeyError('never raised')\n"
                                      "    raise ExceptionGroup('g', [m])\n"),
    "except_star": ((3, 11), "def run():\n    try:\n        raise ExceptionGroup('eg', [ValueError('v'), TypeError('t')])\n"
                    "    except* ValueError:\n        raise RuntimeError('handled badly')\n"),
    "raise_from_group": ((3, 11), "def run():\n    raise RuntimeError('outer') from ExceptionGroup('causes', [ValueError('a'), KeyError('b')])\n"),
    "raise_from_raised_group": ((3, 11), "def run():\n    try:\n        raise ExceptionGroup('causes', [ValueError('a'), KeyError('b')])\n"
                                "    except ExceptionGroup as g:\n        raise RuntimeError('outer') from g\n"),
    "group_in_middle": ((3, 11), "def run():\n    try:\n        try:\n            {}['k']\n        except KeyError:\n"
                        "            raise ExceptionGroup('mid', [ValueError('a')])\n    except ExceptionGroup as g:\n"
                        "        raise RuntimeError('top') from g\n"),
    "group_multiline_members": ((3, 11), "def run():\n    raise ExceptionGroup('g', [ValueError('one\\ntwo\\n  three'), KeyError('b')])\n"),
    "group_unicode_breaks": ((3, 11), "def run():\n    raise ExceptionGroup('g', [ValueError('a\\u2028b\\x85c\\x0cd'), KeyError('b')])\n"),
    "group_wide": ((3, 11), "def run():\n    raise ExceptionGroup('wide', [ValueError(str(i)) for i in range(17)])\n"),
    "group_base": ((3, 11), "def run():\n    raise BaseExceptionGroup('base', [KeyboardInterrupt(), ValueError('v')])\n"),
    "group_notes": ((3, 11), "def run():\n    m = ValueError('member')\n    m.add_note('member note')\n    g = ExceptionGroup('g', [m])\n"
                    "    g.add_note('group note')\n    raise g\n"),
    "group_traceback_text": ((3, 11), "def run():\n    raise ExceptionGroup('g', [RuntimeError('worker failed:\\nTraceback (most recent call last):\\n"
                             "  File \"w.py\", line 1, in j\\nKeyError: 1')])\n"),
    "task_group": ((3, 11), "import asyncio\nasync def fail(n):\n    await asyncio.sleep(0)\n    raise ConnectionError(f'peer {n} reset')\n"
                   "async def main():\n    async with asyncio.TaskGroup() as tg:\n        tg.create_task(fail(1))\n        tg.create_task(fail(2))\n"
                   "def run():\n    asyncio.run(main())\n"),
    "wait_for_timeout": ((3, 8), "import asyncio\nasync def slow():\n    await asyncio.sleep(10)\n"
                         "async def main():\n    await asyncio.wait_for(slow(), 0.001)\ndef run():\n    asyncio.run(main())\n"),
}

EXTRA_FILES = {
    "broken_syntax_module.py": "def create_order(request:\n    return request\n",
    "site-packages/libx/__init__.py": "",
    "site-packages/libx/core.py": "def explode():\n    raise OSError(5, 'Input/output error', '/data/store.db')\n",
    "\u00fcmlaut_pkg/__init__.py": "",
    "\u00fcmlaut_pkg/m\u00f6d.py": "def boom():\n    raise ValueError('kaputt')\n",
}

STAMP = "2025-09-12T14:20:03.%06dZ"
TEXT_STAMP = "2025-09-12 14:20:03,%03d"


def main(out):
    mods = os.path.join(out, "mods")
    for name, source in EXTRA_FILES.items():
        _write(os.path.join(mods, name), source)
    sys.path[:0] = [mods, os.path.join(mods, "site-packages")]
    truth = {}
    for index, (name, (version, source)) in enumerate(sorted(CASES.items())):
        if sys.version_info[:2] < version:
            continue
        _write(os.path.join(mods, "case_%s.py" % name), source)
        exc = _raise(importlib.import_module("case_" + name))
        te = traceback.TracebackException.from_exception(exc)
        truth[name] = _flatten(te, None)
        text = "".join(te.format()).rstrip("\n")
        _write_carriers(os.path.join(out, name), text, index)
    _write(os.path.join(out, "truth.json"), json.dumps(truth, indent=1))


def _raise(module):
    try:
        module.run()
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are cases too
        return exc
    raise AssertionError("%s did not raise" % module.__name__)


def _flatten(te, relation):
    """The exceptions TracebackException.format prints, in its order, as dicts."""
    chain, current = [], te
    while current is not None:  # newest first, each with how it follows the one before it
        if current.__cause__ is not None:
            chain.append(("cause", current))
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            chain.append(("context", current))
            current = current.__context__
        else:
            chain.append((None, current))
            current = None
    result = []
    for position, (follows, exc) in enumerate(reversed(chain)):
        result.append(_one(exc, follows if position else relation))
        members = getattr(exc, "exceptions", None) or []
        for member in members[:getattr(exc, "max_group_width", None)]:
            result.extend(_flatten(member, "group-member"))
    return result


def _one(te, relation):
    stype = getattr(te, "exc_type_str", None) or _type_name(te.exc_type)
    printed = "".join(te.format_exception_only())
    lines = printed.split("\n")
    start = next(i for i, line in enumerate(lines) if line == stype or line.startswith(stype + ": "))
    message = "\n".join(lines[start:])[len(stype):]
    message = message[2:] if message.startswith(": ") else message
    frames = _shown_frames(te.stack)
    if getattr(te, "lineno", None) is not None and start > 0:  # a SyntaxError's location
        frames.append({"file": te.filename or "<string>", "line": int(te.lineno), "function": None})
    return {"type": stype, "message": message[:-1] if message.endswith("\n") else message,
            "relation": relation, "frames": frames}


def _type_name(exc_type):
    name, module = exc_type.__qualname__, exc_type.__module__
    return name if module in ("__main__", "builtins") else "%s.%s" % (module, name)


def _shown_frames(stack):
    """The frames StackSummary.format prints: a frame repeated more than 3 times in a row is summarised."""
    shown, last, count = [], None, 0
    for frame in stack:
        key = (frame.filename, frame.lineno, frame.name)
        count = count + 1 if key == last else 1
        last = key
        if count <= 3:
            shown.append({"file": frame.filename, "line": frame.lineno, "function": frame.name})
    return shown


def _write_carriers(base, text, index):
    # Varied by case: a log message of one line or two before the traceback, LF or CRLF line ends,
    # and how many first lines Cloud Run merges into one entry.
    logged = "failed" if index % 2 else "failed:\n  order=7"
    with open(base + ".log", "w", encoding="utf-8", newline="\r\n" if index % 3 == 2 else "\n") as out:
        out.write("%s INFO app: handling request\n" % (TEXT_STAMP % 100))
        out.write("%s ERROR app: %s\n%s\n" % (TEXT_STAMP % 123, logged, text))
        out.write("%s INFO app: next request\n" % (TEXT_STAMP % 900))
    merged = 1 + index % 3
    printed = text if index % 2 else "failed: order=7\n" + text  # logging's message without a prefix
    _write_entries(base + ".split.jsonl", [_split(printed, merged)])
    _write_entries(base + ".entry.jsonl", [[printed]])
    _write_entries(base + ".burst.jsonl", [_split(printed, merged), _split(printed, 1)])
    _write_entries(base + ".cloudrun.jsonl", [_as_cloud_run_splits(printed, merged)], severity_on="Traceback (")


def _as_cloud_run_splits(text, merged):
    lines, entries = [line for line in text.split("\n") if line], []
    while lines:
        take = merged if lines[0].startswith("Traceback (") else 1
        entries.append("\n".join(lines[:take]))
        lines = lines[take:]
    return entries


def _split(text, merged):
    lines = text.split("\n")
    return ["\n".join(lines[:merged])] + lines[merged:]


def _write_entries(path, writes, severity_on=None):
    """Each write is a list of entries printed together; a burst of writes is a few µs apart.
    The first entry of a write has severity ERROR, or else each entry that starts with `severity_on`."""
    entries, micros = [_entry(0, "INFO", "handling request")], 100
    for chunks in writes:
        micros += 50
        for number, chunk in enumerate(chunks):
            error = chunk.startswith(severity_on) if severity_on else number == 0
            entries.append(_entry(micros, "ERROR" if error else None, chunk))
            micros += 7
    entries.append(_entry(micros + 1000, "INFO", "next request"))
    with open(path, "w", encoding="utf-8") as out:
        for entry in entries:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _entry(micros, severity, text):
    entry = {
        "insertId": "%016x" % micros,
        "logName": "projects/demo/logs/run.googleapis.com%2Fstderr",
        "resource": {"type": "cloud_run_revision", "labels": {
            "service_name": "api", "revision_name": "api-00001-abc", "location": "us-central1"}},
        "labels": {"instanceId": "00ab12"},
        "timestamp": STAMP % micros,
        "textPayload": text,
    }
    if severity:
        entry["severity"] = severity
    return entry


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)


if __name__ == "__main__":
    main(sys.argv[1])
