"""The only module that knows where ontology/, shapes/ and queries/ live; loads and caches them.

In a wheel the folders are packaged as ``kg/_data/*``; in a source checkout (editable install,
tests) they sit at the repository root beside ``kg/``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path


@cache
def _root(kind: str) -> Traversable:
    packaged = files("kg") / "_data" / kind
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / kind
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"TrialKG data folder {kind!r} is missing from this installation")


def ontology_dir() -> Traversable:
    return _root("ontology")


def shapes_dir() -> Traversable:
    return _root("shapes")


def queries_dir() -> Traversable:
    return _root("queries")


def web_static_dir() -> Path:
    """Static files of the web UI (kept inside the package)."""
    return Path(__file__).resolve().parent / "web" / "static"


def files_in(folder: Traversable, suffix: str) -> list[Traversable]:
    """The files of a data folder with a suffix, sorted by name, recursing into subfolders."""
    found: list[Traversable] = []
    for entry in folder.iterdir():
        if entry.is_dir():
            found.extend(files_in(entry, suffix))
        elif entry.name.endswith(suffix):
            found.append(entry)
    return sorted(found, key=lambda t: t.name)


@cache
def read_text(kind: str, name: str) -> str:
    """A data file's text, e.g. ``read_text("ontology", "trialkg.ttl")``; cached."""
    return (_root(kind) / name).read_text(encoding="utf-8")
