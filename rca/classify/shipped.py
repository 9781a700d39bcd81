"""The data rca ships: the rule packs (`rules/`, installed as the package `rca.packs`) and the
training corpora (`fixtures/corpus/`, the generated one, installed as `rca.corpus`; the real excerpts
`fixtures/real-corpus/` and `fixtures/fresh-corpus/`, as `rca.realcorpus` and `rca.freshcorpus`, of
which the wheel holds only the files the model trains on). One place answers where they are."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]
_IN_CHECKOUT = {"rca.packs": "rules", "rca.corpus": "fixtures/corpus", "rca.realcorpus": "fixtures/real-corpus",
                "rca.freshcorpus": "fixtures/fresh-corpus"}


def shipped_dir(package: str) -> Path:
    """The folder of `package` (one of `_IN_CHECKOUT`): run from a source checkout, its folder
    there; in an installed rca, where the import system finds the package. (They are namespace
    packages, folders of data without an __init__.py, so importlib.resources would hand back a
    MultiplexedPath, not a folder: the spec's search location is the folder itself.)"""
    checkout = _CHECKOUT / _IN_CHECKOUT[package]
    if (_CHECKOUT / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout  # a checkout wins: its rules are the ones being edited, installed or not
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise FileNotFoundError(f"{package} is not installed with rca: reinstall it (pip install rca)")
    return Path(locations[0])
