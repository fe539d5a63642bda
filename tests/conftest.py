"""Shared fixtures: where the real corpus lives, and skips that say why it is absent.

The registry records and vocabularies are read from ``../shared/data`` (override with
``TRIALKG_SHARED_DATA``); they are never copied into the repository.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("TRIALKG_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared(*parts: str) -> Path:
    """A path under the shared data folder (may not exist)."""
    return SHARED_DATA.joinpath(*parts)


def require(path: Path) -> Path:
    """Skip the test, saying which data is missing, unless ``path`` exists."""
    if not path.exists():
        pytest.skip(f"shared data {path} is absent (set TRIALKG_SHARED_DATA to the data folder)")
    return path


def _files(folder: Path, suffix: str) -> list[Path]:
    return sorted(folder.glob(f"*{suffix}")) if folder.is_dir() else []


V2_FILES = _files(shared("ctgov", "v2"), ".json")
XML_FILES = _files(shared("ctgov", "xml"), ".xml")


@pytest.fixture(scope="session")
def v2_dir() -> Path:
    return require(shared("ctgov", "v2"))


@pytest.fixture(scope="session")
def xml_dir() -> Path:
    return require(shared("ctgov", "xml"))


@pytest.fixture(scope="session")
def vocab_dir() -> Path:
    return require(shared("vocab"))


@pytest.fixture(scope="session")
def w3c_dir() -> Path:
    return require(shared("w3c"))


@pytest.fixture(scope="session")
def seed_card() -> Path:
    return require(REPO.parent / "shared" / "seeds" / "000_88c94915e5ace25e.txt")


@pytest.fixture(scope="session")
def mapped_corpus(tmp_path_factory, v2_dir):
    """The v2 corpus read, mapped (no linking, no validation) and loaded once into an embedded
    store in a temporary folder, then reopened read-only for the web and query tests."""
    from kg.errors import RecordError
    from kg.mapper import map_trial
    from kg.readers import read_paths
    from kg.stores import open_store
    from kg.vocab import Iris

    location = tmp_path_factory.mktemp("mapped-corpus") / "store"
    iris = Iris()
    store = open_store(str(location))
    batch: dict = {}
    for record in read_paths([v2_dir]):
        if isinstance(record, RecordError):
            continue
        mapped = map_trial(record, iris)
        batch[mapped.graph] = mapped.triples
        if len(batch) >= 200:
            store.replace_graphs(batch)
            batch = {}
    store.replace_graphs(batch)
    store.close()
    # close() flushes but the RocksDB handle lives as long as the object: a live writer keeps
    # compacting and deletes files under the read-only reader opened next, so drop it first.
    del store
    gc.collect()
    reader = open_store(str(location), read_only=True)
    yield reader
    reader.close()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Tests never write to the user's cache: the CLI's vocabulary cache goes to a temp folder."""
    monkeypatch.setenv("TRIALKG_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
