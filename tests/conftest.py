"""Shared fixtures: where the real corpus lives, and skips that say why it is absent.

The registry records and vocabularies are read from ``../shared/data`` (override with
``TRIALKG_SHARED_DATA``), the seed trial card from the ``seeds`` folder beside it; they are never
copied into the repository.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("TRIALKG_SHARED_DATA", REPO.parent / "shared" / "data"))
SEEDS = SHARED_DATA.parent / "seeds"


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
def v2_records(v2_dir) -> dict[str, dict]:
    """Every v2 record by NCT id, read with json (an oracle independent of kg.readers)."""
    found = {}
    for path in V2_FILES:
        study = json.loads(path.read_text(encoding="utf-8"))
        found[study["protocolSection"]["identificationModule"]["nctId"]] = study
    return found


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
    return require(SEEDS / "000_88c94915e5ace25e.txt")


def load_mapped(store, paths: list[Path], iris=None) -> None:
    """Read, map (no linking, no validation) and load records: the fast way to a test store."""
    from kg.errors import RecordError
    from kg.mapper import map_trial
    from kg.readers import read_paths
    from kg.vocab import Iris

    iris = iris or Iris()
    batch: dict = {}
    for record in read_paths(paths):
        if isinstance(record, RecordError):
            continue
        mapped = map_trial(record, iris)
        batch[mapped.graph] = mapped.triples
        if len(batch) >= 200:
            store.replace_graphs(batch)
            batch = {}
    store.replace_graphs(batch)


def ingest_with_report(tmp_path_factory, path: Path, iris):
    """A whole corpus ingested by the pipeline into a fresh embedded store, with its report.

    Returns ``(store, summary, report lines)``; the caller closes the store.
    """
    import json

    from kg.pipeline import Pipeline, ReportWriter
    from kg.stores import open_store

    folder = tmp_path_factory.mktemp(f"{path.name}-store")
    store = open_store(str(folder / "oxi"))
    report_path = folder / "report.jsonl"
    with report_path.open("w", encoding="utf-8") as report:
        summary = Pipeline(iris=iris, report=ReportWriter(report)).ingest([path], store)
    lines = [json.loads(x) for x in report_path.read_text(encoding="utf-8").splitlines()]
    return store, summary, lines


@pytest.fixture(scope="session")
def mapped_corpus(tmp_path_factory, v2_dir):
    """The v2 corpus read, mapped (no linking, no validation) and loaded once into an embedded
    store in a temporary folder, then reopened read-only for the web and query tests."""
    from kg.stores import open_store

    location = tmp_path_factory.mktemp("mapped-corpus") / "store"
    store = open_store(str(location))
    load_mapped(store, [v2_dir])
    store.close()  # releases RocksDB's handle before the read-only reader opens
    reader = open_store(str(location), read_only=True)
    yield reader
    reader.close()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Tests never write to the user's cache: the CLI's vocabulary cache goes to a temp folder."""
    monkeypatch.setenv("TRIALKG_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
