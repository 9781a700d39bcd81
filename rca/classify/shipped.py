"""The data rca ships: the rule packs (`rules/`, installed as the package `rca.packs`) and the
training corpus (`fixtures/corpus/`, installed as `rca.corpus`). One place answers where they are."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]
_IN_CHECKOUT = {"rca.packs": "rules", "rca.corpus": "fixtures/corpus"}


def shipped_dir(package: str) -> Path:
    """The folder of `package` (`rca.packs` or `rca.corpus`): in an installed rca, where
    importlib.resources finds it; run from a source checkout (not installed), its folder there."""
    checkout = _CHECKOUT / _IN_CHECKOUT[package]
    if (_CHECKOUT / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout  # a checkout wins: its rules are the ones being edited, installed or not
    return Path(str(importlib.resources.files(package)))
