"""Cascade relations (rules/cascades.yaml): which failure can cause which symptom."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

CASCADES_FILE = "cascades.yaml"
SHARED = ("service", "revision", "trace")


@dataclass(frozen=True)
class Cascade:
    symptom: str
    causes: tuple[str, ...]
    same: str
    when: str | None
    why: str


def load_cascades(directory: Path) -> list[Cascade]:
    path = Path(directory) / CASCADES_FILE
    if not path.is_file():
        return []
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    cascades = []
    for index, item in enumerate(document.get("cascades") or [], 1):
        causes = item.get("cause")
        causes = (causes,) if isinstance(causes, str) else tuple(causes or ())
        if not item.get("symptom") or not causes or item.get("same", "service") not in SHARED:
            raise ValueError(f"{path}: cascade {index}: needs symptom, cause and same ({', '.join(SHARED)})")
        cascades.append(Cascade(item["symptom"], causes, item.get("same", "service"), item.get("when"), item.get("why", "")))
    return cascades
