"""Keeping the graph current: newer versions replace, older ones are skipped, --prune removes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from kg.pipeline import Pipeline
from kg.stores import open_store
from kg.vocab import TK, Iris

SAMPLE = Path(__file__).resolve().parent.parent / "kg" / "samples" / "assist.json"
IRIS = Iris()


def _study(nct_id: str, posted: str, title: str) -> dict:
    study = copy.deepcopy(json.loads(SAMPLE.read_text(encoding="utf-8"))["studies"][0])
    ident = study["protocolSection"]["identificationModule"]
    ident["nctId"], ident["briefTitle"] = nct_id, title
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = posted
    study["derivedSection"]["miscInfoModule"]["versionHolder"] = posted
    return study


def _write(folder: Path, name: str, studies: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"studies": studies}), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path):
    s = open_store(str(tmp_path / "store"))
    yield s
    s.close()


def _title(store, nct_id: str) -> list[str]:
    q = "SELECT ?t ?p ?v WHERE { ?t ?p ?v }"
    return [
        str(v) for v in store.query(q, {"t": IRIS.trial(nct_id), "p": TK.briefTitle}).values("v")
    ]


def _loaded_version(store, nct_id: str) -> list[str]:
    q = "SELECT ?t ?p ?v WHERE { ?t ?p ?v }"
    result = store.query(q, {"t": IRIS.trial(nct_id), "p": TK.lastUpdatePostDate})
    return [str(v) for v in result.values("v")]


def test_newer_replaces_older_is_skipped_same_is_unchanged(tmp_path, store):
    v1 = _write(tmp_path / "a", "v1.json", [_study("NCT09000010", "2022-03-31", "First title")])
    v2 = _write(tmp_path / "b", "v2.json", [_study("NCT09000010", "2023-05-01", "Second title")])
    pipeline = Pipeline(iris=IRIS)

    first = pipeline.ingest([v1], store)
    assert (first.added, first.updated) == (1, 0)
    quads = len(store)

    newer = pipeline.ingest([v2], store)
    assert (newer.added, newer.updated, newer.skipped_older) == (0, 1, 0)
    assert _title(store, "NCT09000010") == ["Second title"]
    assert _loaded_version(store, "NCT09000010") == ["2023-05-01"]
    assert abs(len(store) - quads) < 5  # the graph was replaced, not added to

    older = pipeline.ingest([v1], store)
    assert (older.updated, older.skipped_older, older.unchanged) == (0, 1, 0)
    assert _title(store, "NCT09000010") == ["Second title"]

    again = pipeline.ingest([v2], store)
    assert (again.unchanged, again.updated) == (1, 0)


def test_two_versions_in_one_batch_keep_the_newer(tmp_path, store):
    both = _write(
        tmp_path,
        "both.json",
        [_study("NCT09000011", "2024-01-01", "New"), _study("NCT09000011", "2020-01-01", "Old")],
    )
    summary = Pipeline(iris=IRIS).ingest([both], store)
    assert (summary.read, summary.added, summary.skipped_older) == (2, 1, 1)
    assert summary.accounted() == summary.read
    assert _title(store, "NCT09000011") == ["New"]


def test_prune_removes_trials_the_source_no_longer_has(tmp_path, store):
    full = _write(
        tmp_path / "full",
        "all.json",
        [_study(f"NCT0900002{i}", "2022-01-01", f"Trial {i}") for i in range(3)],
    )
    Pipeline(iris=IRIS).ingest([full], store)
    smaller = _write(
        tmp_path / "smaller",
        "all.json",
        [_study(f"NCT0900002{i}", "2022-01-01", f"Trial {i}") for i in range(2)],
    )
    summary = Pipeline(iris=IRIS).ingest([smaller], store, prune=True)
    assert (summary.unchanged, summary.removed) == (2, 1)
    assert _title(store, "NCT09000022") == []
    assert _title(store, "NCT09000021") == ["Trial 1"]
