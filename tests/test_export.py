"""Export round trips: real records mapped into a store, exported in every format, parsed back by
rdflib, compared with what went in (the whole store, and one trial with ``trial=``)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg.errors import StoreError
from kg.export import FORMATS, export
from kg.stores import Store, open_store
from kg.vocab import Iris
from tests.conftest import V2_FILES

# rdflib 7.6's own parsers call its deprecated ConjunctiveGraph/Dataset accessors
pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:Dataset\.:DeprecationWarning"),
]

SAMPLE = V2_FILES[:5]
RDFLIB_FORMAT = {
    "nquads": "nquads",
    "ntriples": "nt",
    "turtle": "turtle",
    "trig": "trig",
    "jsonld": "json-ld",
    "rdfxml": "xml",
}
DATASET_FORMATS = {"nquads", "trig", "jsonld"}


@pytest.fixture(scope="module")
def mapped() -> dict[URIRef, list]:
    if not SAMPLE:
        pytest.skip("shared data ctgov/v2 is absent (set TRIALKG_SHARED_DATA)")
    from kg.mapper import map_trial
    from kg.readers import read_paths

    at = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        m.graph: list(m.triples)
        for m in (map_trial(t, Iris(), ingested_at=at) for t in read_paths(SAMPLE))
    }


@pytest.fixture(params=["memory", "oxigraph"])
def store(request: pytest.FixtureRequest, tmp_path: Path, mapped: dict) -> Store:
    opened = open_store("memory:" if request.param == "memory" else tmp_path / "store")
    opened.replace_graphs(mapped)
    yield opened
    opened.close()


def canonical(term):
    """Oxigraph keeps some literals by value ("18.0"^^xsd:decimal comes back "18")."""
    if isinstance(term, Literal) and term.datatype is not None and term.value is not None:
        return (term.value, term.datatype)
    return term


def same(triples) -> set:
    return {tuple(canonical(t) for t in triple) for triple in triples}


def parse(data: bytes, fmt: str) -> Dataset:
    parsed = Dataset()
    if fmt in DATASET_FORMATS:
        parsed.parse(data=data, format=RDFLIB_FORMAT[fmt])
    else:
        parsed.default_graph.parse(data=data, format=RDFLIB_FORMAT[fmt])
    return parsed


def graphs_of(parsed: Dataset) -> dict[URIRef, Graph]:
    found: dict[URIRef, Graph] = {}
    for s, p, o, g in parsed.quads((None, None, None, None)):
        found.setdefault(g, Graph()).add((s, p, o))
    return found


def expected_graph(triples) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_whole_store_round_trips(store: Store, mapped: dict, fmt: str) -> None:
    out = io.BytesIO()
    export(store, out, fmt, iris=Iris())
    parsed = parse(out.getvalue(), fmt)
    if fmt in DATASET_FORMATS:
        graphs = graphs_of(parsed)
        assert set(graphs) == set(mapped)
        for name, triples in mapped.items():
            assert same(graphs[name]) == same(triples)
            if type(store).__name__ == "MemoryStore":
                assert isomorphic(graphs[name], expected_graph(triples))
    else:
        union = {t for triples in mapped.values() for t in triples}
        assert same(parsed.default_graph) == same(union)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_one_trial_round_trips(store: Store, mapped: dict, fmt: str) -> None:
    name = next(iter(mapped))
    nct_id = str(name).rsplit("/", 1)[1]
    out = io.BytesIO()
    export(store, out, fmt, trial=nct_id, iris=Iris())
    parsed = parse(out.getvalue(), fmt)
    if fmt in DATASET_FORMATS:
        graphs = graphs_of(parsed)
        assert set(graphs) == {name}
        got = graphs[name]
    else:
        got = parsed.default_graph
    assert same(got) == same(mapped[name])
    if type(store).__name__ == "MemoryStore":
        assert isomorphic(got, expected_graph(mapped[name]))


def test_jsonld_uses_the_published_context(store: Store, mapped: dict) -> None:
    from kg.ontology import jsonld_context

    out = io.BytesIO()
    export(store, out, "jsonld", iris=Iris())
    document = json.loads(out.getvalue())
    assert document["@context"] == jsonld_context()
    assert {entry["@id"] for entry in document["@graph"]} == {str(g) for g in mapped}
    text = out.getvalue().decode()
    assert '"nctId"' in text or '"tk:nctId"' in text  # compacted, not full IRIs


def test_unknown_trial_and_format_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="NCT99999999"):
        export(store, io.BytesIO(), "turtle", trial="NCT99999999", iris=Iris())
    with pytest.raises(StoreError, match="unknown export format"):
        export(store, io.BytesIO(), "csv", iris=Iris())
