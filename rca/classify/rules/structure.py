"""A rule pack's structure, checked against the published JSON Schema (rules/schema.json): which
fields a pack and a rule have, their types and ranges, the shape of `match:` and `examples:`. Every
error is kept, each with where it is: the line, the rule and the path inside the rule. What the
schema cannot say (a regular expression that does not compile, a placeholder that names nothing, a
role that contradicts its class, an id used twice) stays in code (rca.classify.rules.loader).

jsonschema costs ~0.1 s to import: it is imported for `rca rules validate` and for a team's own
packs, not for the shipped ones on every run (the tests hold those to the schema).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from rca.classify.shipped import shipped_dir

SCHEMA_FILE = "schema.json"


@dataclass(frozen=True)
class Problem:
    """One place where a pack breaks the schema. `rule` is the index of the rule in `rules:` (None for
    the pack itself); `path` the keys and indexes inside it."""

    rule: int | None
    path: tuple
    line: int | None
    field: str
    message: str


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads((shipped_dir("rca.packs") / SCHEMA_FILE).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def structure_problems(document, plain) -> list[Problem]:
    """Every way `plain` (a pack as YAML reads it) breaks the schema, in document order. `document` is
    the same pack with the loader's `__line__` in each mapping, for the lines."""
    found = [problem for error in _validator().iter_errors(plain) for meant in _meant(error)
             for problem in _problems(meant, document)]
    unique = dict.fromkeys(found)  # `required` is one error per missing field, each listing all of them
    return sorted(unique, key=lambda p: (p.line or 0, p.rule if p.rule is not None else -1, str(p.path)))


def _meant(error) -> list:
    """For a value that fits none of the shapes a `oneOf`/`anyOf` allows, the errors of the one shape
    of its own type (a mapping where a type name or a mapping may stand): they say what is wrong in
    it. When no single shape is of its type, the error itself."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[int, list] = {}
    for inner in error.context:
        branches.setdefault(inner.relative_schema_path[0], []).append(inner)
    typed = [errors for errors in branches.values()
             if not any(inner.validator == "type" and not inner.relative_path for inner in errors)]
    if len(typed) != 1:
        return [error]
    return [meant for inner in typed[0] for meant in _meant(inner)]


def _problems(error, document) -> list[Problem]:
    path = tuple(error.absolute_path)
    rule = path[1] if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int) else None
    inner = path[2:] if rule is not None else path
    line = _line(document, path)
    if error.validator == "required":
        names = [name for name in error.validator_value if name not in error.instance]
        return [Problem(rule, (*inner, name), line, dotted((*inner, name)), "missing") for name in names]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        names = sorted(name for name in error.instance if name not in allowed and name != "__line__")
        what = "unknown pack field" if not path else "unknown field"
        return [Problem(rule, (*inner, name), line, dotted((*inner, name)), f"{what} (allowed: {', '.join(allowed)})")
                for name in names]
    return [Problem(rule, inner, line, dotted(inner) if inner or rule is None else f"rules[{rule}]", error.message)]


def dotted(path: tuple) -> str:
    """A path inside a rule as the loader writes it: `match.all[0].text`, `examples.match[1]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line(document, path: tuple) -> int | None:
    """The line of the innermost mapping along `path` in the document as read with lines."""
    line, node = None, document
    for part in (None, *path):
        if part is not None:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
        if isinstance(node, dict) and isinstance(node.get("__line__"), int):
            line = node["__line__"]
    return line
