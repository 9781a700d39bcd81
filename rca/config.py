"""What a team sets once: rule directories, path maps, service maps, the mute list, the project.

Read from `[tool.rca]` of the nearest `pyproject.toml`, or from an `rca.toml`, found upward from
the working directory (as ruff and vulture find theirs); the first file that has rca settings wins.
Flags override it. Relative paths are read from the file's directory.

    [tool.rca]                      # in rca.toml: the same keys at the top level
    rules = ["ops/rca-rules"]
    path_maps = ["/app=."]
    service_map = ["k8s1-abc-default-web-8080-xyz=web"]
    mute = ["GET /healthz 401", "team.flaky-partner"]
    project = "netra-staging"
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rca.errors import RcaError

KEYS = ("rules", "path_maps", "service_map", "mute", "project")


class ConfigError(RcaError):
    """A configuration file rca cannot use; the message names the file and key."""


@dataclass
class Config:
    rules: list[Path] = field(default_factory=list)
    path_maps: list[str] = field(default_factory=list)
    service_map: list[str] = field(default_factory=list)
    mute: list[str] = field(default_factory=list)
    project: str | None = None
    source: Path | None = None  # the file it came from


PAIR_EXAMPLES = {"path_maps": '"/app=."', "service_map": '"k8s1-abc-default-web-8080-xyz=web"'}


def split_pair(item: str, target_required: bool) -> tuple[str, str] | None:
    """FROM=TO, as path maps and service maps are written (a path map's TO may be empty), or None."""
    source, sep, target = item.partition("=")
    if not sep or not source or (target_required and not target):
        return None
    return source, target


def find_config(start: Path | None = None) -> Config:
    """The settings of the nearest configuration file above `start` (the working directory), or none."""
    here = (start or Path.cwd()).resolve()
    for directory in [here, *here.parents]:
        for name, table in (("rca.toml", ()), ("pyproject.toml", ("tool", "rca"))):
            path = directory / name
            if path.is_file():
                settings = _table(path, table)
                if settings is not None:
                    return _config(settings, path)
    return Config()


# tomllib takes time quadratic in the depth of a dotted key (`a.a.a…`: 20,000 levels took 11 s, 100,000
# crashed the interpreter); no settings file needs more than a few, so a line whose key part holds
# more dots than this is refused before parsing. (Nested arrays end in a RecursionError, caught.)
MAX_KEY_DOTS = 1000
KEY_PART = re.compile(r"^[^=\n]*", re.M)


def _table(path: Path, keys: tuple[str, ...]) -> dict | None:
    document: Any
    try:
        text = path.read_text(encoding="utf-8")
        if any(part.count(".") > MAX_KEY_DOTS for part in KEY_PART.findall(text)):
            raise ConfigError(f"{path}: not a TOML file rca can read: keys nested too deeply")
        document = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: not a TOML file rca can read: {error}") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables by recursion
        raise ConfigError(f"{path}: not a TOML file rca can read: arrays or tables nested too deeply") from None
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document if isinstance(document, dict) else None


def _config(settings: dict, path: Path) -> Config:
    unknown = sorted(set(settings) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    lists = {}
    for key in ("rules", "path_maps", "service_map", "mute"):
        value = settings.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{path}: {key} must be a list of strings")
        lists[key] = value
    for key, target_required in (("path_maps", False), ("service_map", True)):
        for item in lists[key]:
            if split_pair(item, target_required) is None:
                raise ConfigError(f"{path}: {key}: {item!r} is not FROM=TO (like {PAIR_EXAMPLES[key]})")
    project = settings.get("project")
    if project is not None and not isinstance(project, str):
        raise ConfigError(f"{path}: project must be a string")
    rules = [(path.parent / item) for item in lists["rules"]]
    return Config(rules, lists["path_maps"], lists["service_map"], lists["mute"], project, path)


@dataclass
class Settings:
    """Everything an analysis is told: built alike from `rca analyze`'s flags, a [tool.rca] table
    and `rca.analyze()`'s arguments, so the CLI and the API cannot drift apart. Times are epoch
    seconds; maps are parsed."""

    since: float | None = None
    until: float | None = None
    service: str | None = None
    rules: list[Path] = field(default_factory=list)  # extra rule pack directories
    path_maps: list[tuple[str, str]] = field(default_factory=list)
    service_map: dict[str, str] = field(default_factory=dict)
    mute: list[str] = field(default_factory=list)
    baseline: tuple[float, float] | None = None
    repo: Path | None = None
    deployed_commit: str | None = None
    branch: str | None = None
    workers: int = 1
    timeout: float | None = None  # seconds to wait for Cloud Storage or the Logging API; None: their default

    @classmethod
    def build(cls, config: Config | None = None, **flags) -> Settings:
        """The settings of `config` (a file's, or none) with every flag given (not None) over them;
        `path_maps` and `service_map` flags as FROM=TO texts, as the file writes them."""
        config = config or Config()
        given = {name: value for name, value in flags.items() if value not in (None, [], ())}
        maps = given.pop("path_maps", None) or config.path_maps
        services = given.pop("service_map", None) or config.service_map
        settings = cls(rules=given.pop("rules", None) or list(config.rules), mute=given.pop("mute", None) or list(config.mute),
                       path_maps=[_pair(item, "path_maps", "--path-map") for item in maps],
                       service_map=dict(_pair(item, "service_map", "--service-map") for item in services), **given)
        if settings.since is not None and settings.until is not None and settings.since >= settings.until:
            raise ConfigError("--since must come before --until")
        return settings


def _pair(item: str | tuple[str, str], key: str, flag: str) -> tuple[str, str]:
    if isinstance(item, tuple):
        return item
    pair = split_pair(item, target_required=key == "service_map")
    if pair is None:
        raise ConfigError(f"{flag} {item!r}: expected FROM=TO (like {PAIR_EXAMPLES[key]})")
    return pair[0], pair[1] or ("." if key == "path_maps" else pair[1])
