"""One contract suite run against every store backend: memory, embedded Oxigraph, remote SPARQL.

The remote backend talks to a real SPARQL 1.1 server: ``oxigraph serve`` (PyPI ``oxigraph``)
started on a free local port with its data in ``tmp_path``. Data are real registry records
mapped by ``kg.mapper``, so the terms are the ones the pipeline really stores.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kg.errors import QueryError, QueryTimeout, StoreError
from kg.stores import STORES, Store, backend_for, open_store, syntax
from kg.stores.base import Serialized
from tests.conftest import V2_FILES

INGESTED = datetime(2026, 1, 1, tzinfo=UTC)
SAMPLE = V2_FILES[:12]
NASTY = '"x" } ; DROP ALL ; { \\u0022 >\n'
EX = "https://example.org/contract/"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?n"


# -- data ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def trials() -> dict[URIRef, list]:
    """Twelve real API v2 records mapped to triples: graph IRI -> triples."""
    if not SAMPLE:
        pytest.skip("shared data ctgov/v2 is absent (set TRIALKG_SHARED_DATA)")
    from kg.mapper import map_trial
    from kg.readers import read_paths
    from kg.vocab import Iris

    mapped = {}
    for result in read_paths(SAMPLE):
        assert not isinstance(result, Exception), result
        m = map_trial(result, Iris(), ingested_at=INGESTED)
        mapped[m.graph] = list(m.triples)
    return mapped


def canonical(term):
    """Literals compared by value where a store may keep the value, not the lexical form
    (Oxigraph stores ``"18.0"^^xsd:decimal`` as 18 and gives back ``"18"``)."""
    if isinstance(term, Literal) and term.datatype is not None and term.value is not None:
        return (term.value, term.datatype)
    return term


def same(quads) -> set:
    return {tuple(canonical(t) for t in quad) for quad in quads}


def quads(store: Store) -> set:
    return same(store.triples())


# -- backends ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(location: Path) -> Iterator[str]:
    """Run ``oxigraph serve`` (union default graph) on a free port; yields its base URL."""
    binary = shutil.which("oxigraph")
    if binary is None:
        pytest.skip("the oxigraph server is not installed (pip install oxigraph)")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
         "--union-default-graph", "--timeout-s", "5"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"oxigraph serve did not start: {process.stderr.read().decode()}"
                    ) from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(10)
        process.stderr.close()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real SPARQL server for the session's remote-store tests."""
    with serve(tmp_path_factory.mktemp("oxigraph-server")) as base:
        yield base


@pytest.fixture(params=sorted(STORES))
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A fresh, empty store of each backend."""
    if backend == "memory":
        opened = open_store("memory:")
    elif backend == "oxigraph":
        opened = open_store(tmp_path / "store")
    else:
        base = request.getfixturevalue("oxigraph_server")
        opened = open_store(f"{base}/query")
        opened.update("DROP ALL")
    assert isinstance(opened, Store)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def loaded(store: Store, trials: dict) -> Store:
    store.replace_graphs(trials)
    return store


@pytest.fixture
def isolated(backend: str, tmp_path: Path, trials: dict) -> Iterator[Store]:
    """Like ``loaded``, but a remote store gets a server of its own, killed after the test:
    ``oxigraph serve`` 0.5 keeps computing a query its client gave up on (its ``--timeout-s``
    did not stop a COUNT over a cartesian product), and must not burn a core for the session."""
    with contextlib.ExitStack() as stack:
        if backend == "remote":
            base = stack.enter_context(serve(tmp_path / "server"))
            opened = open_store(f"{base}/query")
        elif backend == "memory":
            opened = open_store("memory:")
        else:
            opened = open_store(tmp_path / "store")
        stack.callback(opened.close)
        opened.replace_graphs(trials)
        yield opened


# -- open_store ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "name"),
    [
        ("memory:", "memory"),
        (":memory:", "memory"),
        ("http://h/sparql", "remote"),
        ("https://h/q", "remote"),
        ("/var/kg", "oxigraph"),
        ("kg-store", "oxigraph"),
    ],
)
def test_location_picks_backend(location: str, name: str) -> None:
    assert backend_for(location) == name


def test_default_location_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALKG_STORE", str(tmp_path / "env-store"))
    store = open_store()
    try:
        assert type(store).__name__ == "OxigraphStore"
        assert (tmp_path / "env-store").is_dir()
    finally:
        store.close()


@pytest.mark.parametrize(
    ("configured", "name"),
    [("memory:", "MemoryStore"), ("http://127.0.0.1:9/query", "RemoteStore")],
)
def test_store_variable_may_name_any_backend(
    configured: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALKG_STORE", configured)
    store = open_store()
    assert type(store).__name__ == name
    if name == "RemoteStore":
        assert store.endpoint == configured
        assert store.update_endpoint == "http://127.0.0.1:9/update"
    store.close()


# -- writing -------------------------------------------------------------------------------


def test_replace_graphs_stores_every_trial(loaded: Store, trials: dict) -> None:
    assert set(loaded.graph_names()) == set(trials)
    assert len(loaded) == sum(len(set(t)) for t in trials.values())
    expected = same((s, p, o, g) for g, triples in trials.items() for s, p, o in triples)
    assert quads(loaded) == expected


def test_reingest_is_idempotent(loaded: Store, trials: dict) -> None:
    before = quads(loaded)
    loaded.replace_graphs(trials)
    assert len(loaded) == len(before)
    assert quads(loaded) == before


def test_replace_swaps_a_graph_and_leaves_the_others(loaded: Store, trials: dict) -> None:
    first, *others = trials
    subject = URIRef(EX + "s")
    new = [(subject, URIRef(EX + "p"), Literal(NASTY)), (subject, URIRef(EX + "q"), Literal(7))]
    loaded.replace_graphs({first: new})
    assert set(loaded.triples(first)) == {(s, p, o, first) for s, p, o in new}
    for name in others:
        assert same(loaded.triples(name)) == same((s, p, o, name) for s, p, o in trials[name])
    # and back: an existing graph changed again, partly overlapping
    loaded.replace_graphs({first: trials[first][:5] + new[:1]})
    assert same(t[:3] for t in loaded.triples(first)) == same(trials[first][:5] + new[:1])


def test_replace_with_nothing_removes_the_graph(loaded: Store, trials: dict) -> None:
    first = next(iter(trials))
    loaded.replace_graphs({first: []})
    assert first not in set(loaded.graph_names())
    assert not list(loaded.triples(first))


def test_remove_graphs(loaded: Store, trials: dict) -> None:
    gone = list(trials)[:3]
    loaded.remove_graphs(gone)
    assert set(loaded.graph_names()) == set(trials) - set(gone)
    assert len(loaded) == sum(len(set(trials[g])) for g in trials if g not in gone)
    loaded.remove_graphs([URIRef(EX + "never-there")])  # silently nothing


def test_update(store: Store) -> None:
    store.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}s> <{EX}p> 'v' }} }}")
    assert set(store.graph_names()) == {URIRef(EX + "g")}
    with pytest.raises(QueryError):
        store.update("INSERT DATA { oops")


def test_an_iri_that_could_break_out_is_refused(store: Store) -> None:
    bad = URIRef(EX + "s> <x> <y> } ; DROP ALL ; #")
    with pytest.raises(StoreError):
        store.replace_graphs({URIRef(EX + "g"): [(bad, URIRef(EX + "p"), Literal(1))]})
    assert len(store) == 0


# -- reading -------------------------------------------------------------------------------


def test_default_graph_is_the_union_of_named_graphs(loaded: Store, trials: dict) -> None:
    subjects = set(loaded.query("SELECT ?s WHERE { ?s ?p ?o }").values("s"))
    assert subjects == {s for triples in trials.values() for s, _, _ in triples}


def test_default_graph_uris_narrow_the_default_graph(loaded: Store, trials: dict) -> None:
    first, second, *_ = trials
    answer = loaded.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }", default_graph_uris=[first])
    assert set(answer.values("s")) == {s for s, _, _ in trials[first]}
    both = loaded.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph_uris=[first, second]
    )
    assert both.values("n") == [Literal(len(set(trials[first]) | set(trials[second])))]


def test_named_graph_uris_narrow_graph_patterns(loaded: Store, trials: dict) -> None:
    first = next(iter(trials))
    answer = loaded.query(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graph_uris=[first]
    )
    assert answer.values("g") == [first]
    everything = loaded.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert set(everything.values("g")) == set(trials)


def test_bindings_stay_values(loaded: Store, trials: dict) -> None:
    size = len(loaded)
    first = next(iter(trials))
    trial, _, _ = trials[first][0]
    answer = loaded.query(
        "SELECT ?s ?v WHERE { ?s ?p ?o } LIMIT 1", {"v": Literal(NASTY), "s": trial}
    )
    assert list(answer.dicts()) == [{"s": trial, "v": Literal(NASTY)}]
    assert len(loaded) == size
    found = loaded.query("ASK { ?s ?p ?o }", {"s": URIRef(EX + "nothing")})
    assert found.kind == "boolean" and found.boolean is False


def test_a_bound_variable_must_be_projected(loaded: Store) -> None:
    with pytest.raises(QueryError, match=r"\?o"):
        loaded.query("SELECT ?s WHERE { ?s ?p ?o }", {"o": Literal("x")})


def test_syntax_error_carries_the_parsers_message(store: Store) -> None:
    with pytest.raises(QueryError) as caught:
        store.query("SELECT ?s WHERE { ?s ?p }")
    assert "parse" in str(caught.value).lower() or "expect" in str(caught.value).lower()
    assert not isinstance(caught.value, QueryTimeout)


def test_construct_and_ask(loaded: Store, trials: dict) -> None:
    first = next(iter(trials))
    graph = loaded.query("CONSTRUCT WHERE { ?s ?p ?o }", default_graph_uris=[first])
    assert graph.kind == "graph"
    assert same(graph.triples) == same(trials[first])
    assert loaded.query("ASK { ?s ?p ?o }").boolean is True


@pytest.mark.parametrize("timeout", [None, 30.0])
def test_query_with_and_without_time_limit_agree(loaded: Store, timeout: float | None) -> None:
    answer = loaded.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
        timeout=timeout,
    )
    reference = loaded.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    assert list(answer.rows) == list(reference.rows)


def test_runaway_query_is_stopped_and_others_still_answered(isolated: Store) -> None:
    """A cartesian product with COUNT/ORDER BY yields nothing until its end: it must be killed."""
    outcome: list[BaseException | float] = []

    def runaway() -> None:
        start = time.monotonic()
        try:
            isolated.query(RUNAWAY, timeout=2.0)
        except QueryTimeout as error:
            outcome.append(time.monotonic() - start)
            assert "time limit" in str(error) or "timeout" in str(error).lower()
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    start = time.monotonic()
    assert isolated.query("ASK { ?s ?p ?o }", timeout=20.0).boolean is True
    answered_in = time.monotonic() - start
    thread.join(60)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], float), outcome
    assert outcome[0] < 15  # 2 s limit; generous for a loaded 2-core machine
    assert answered_in < 10
    # and the store still answers after the kill
    assert isolated.query("ASK { ?s ?p ?o }", timeout=20.0).boolean is True


# -- serialised answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "media_type",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
@pytest.mark.parametrize("timeout", [None, 30.0])
def test_query_serialized_results(loaded: Store, media_type: str, timeout: float | None) -> None:
    answer = loaded.query_serialized(
        "SELECT ?s ?v WHERE { ?s ?p ?o } LIMIT 3",
        media_type,
        {"v": Literal(NASTY)},
        timeout=timeout,
    )
    assert isinstance(answer, Serialized)
    assert answer.media_type == media_type and answer.kind == "bindings"
    if media_type.endswith("json"):
        import json

        body = json.loads(answer.body)
        assert body["head"]["vars"] == ["s", "v"]
        assert len(body["results"]["bindings"]) == 3
        assert body["results"]["bindings"][0]["v"]["value"] == NASTY
    else:
        assert answer.body


@pytest.mark.parametrize(
    "media_type",
    ["text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"],
)
def test_query_serialized_graphs(loaded: Store, trials: dict, media_type: str) -> None:
    first = next(iter(trials))
    answer = loaded.query_serialized(
        "CONSTRUCT WHERE { ?s ?p ?o }",
        ["application/sparql-results+json", media_type],
        default_graph_uris=[first],
    )
    assert answer.media_type == media_type and answer.kind == "graph"
    parsed = {quad[:3] for quad in syntax.read(answer.body, media_type)}
    assert same(parsed) == same(trials[first])


def test_ask_serialized(loaded: Store) -> None:
    answer = loaded.query_serialized("ASK { ?s ?p ?o }", ["text/turtle"])
    assert answer.kind == "boolean"
    assert answer.media_type == "application/sparql-results+json"
    assert b"true" in answer.body


# -- dump / load -----------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", ["application/n-quads", "application/trig"])
def test_dataset_dump_load_round_trip(loaded: Store, media_type: str) -> None:
    before = quads(loaded)
    out = io.BytesIO()
    loaded.dump(out, media_type)
    assert same(syntax.read(out.getvalue(), media_type)) == before
    loaded.remove_graphs(list(loaded.graph_names()))
    assert len(loaded) == 0
    loaded.load(io.BytesIO(out.getvalue()), media_type)
    assert quads(loaded) == before


@pytest.mark.parametrize("media_type", ["application/n-triples", "text/turtle"])
def test_graph_dump_load_round_trip(loaded: Store, trials: dict, media_type: str) -> None:
    first = next(iter(trials))
    before = same(loaded.triples(first))
    out = io.BytesIO()
    loaded.dump(out, media_type, graph=first)
    loaded.remove_graphs([first])
    loaded.load(io.BytesIO(out.getvalue()), media_type, graph=first)
    assert same(loaded.triples(first)) == before


@pytest.mark.parametrize("media_type", ["application/n-quads", "text/turtle"])
def test_remote_dump_load_without_graph_store_protocol(
    oxigraph_server: str, trials: dict, media_type: str
) -> None:
    """Servers without a Graph Store endpoint: dump through SELECT, load through INSERT DATA."""
    store = open_store(f"{oxigraph_server}/query", use_graph_store=False)
    store.update("DROP ALL")
    first = next(iter(trials))
    store.replace_graphs({first: trials[first]})
    before = quads(store)
    out = io.BytesIO()
    store.dump(out, media_type, graph=None if media_type.endswith("quads") else first)
    store.update("DROP ALL")
    store.load(io.BytesIO(out.getvalue()), media_type, graph=first)
    assert quads(store) == before


def test_len_counts_quads(store: Store) -> None:
    assert len(store) == 0
    g1, g2 = URIRef(EX + "g1"), URIRef(EX + "g2")
    triple = (URIRef(EX + "s"), URIRef(EX + "p"), Literal("o"))
    store.replace_graphs({g1: [triple, triple], g2: [triple]})
    assert len(store) == 2  # the same triple in two graphs is two quads; a repeat is one


# -- embedded store only -----------------------------------------------------------------------

KILLED_INGEST = textwrap.dedent(
    """
    import sys
    from rdflib import Literal, URIRef
    from kg.stores import open_store
    store = open_store(sys.argv[1])
    print("ready", flush=True)
    for batch in range(10_000):
        graphs = {}
        for t in range(300):
            g = URIRef(f"https://example.org/g/{batch}/{t}")
            s = URIRef(f"https://example.org/s/{batch}/{t}")
            graphs[g] = [(s, URIRef(f"https://example.org/p{i}"), Literal(i)) for i in range(100)]
        store.replace_graphs(graphs)
        print("done", batch, flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.5])
def test_sigkill_mid_ingest_leaves_whole_trials(tmp_path: Path, delay: float) -> None:
    location = tmp_path / "store"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_INGEST, str(location)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert process.stdout.readline().strip() == b"ready"
    assert process.stdout.readline().startswith(b"done 0")
    assert process.stdout.readline().startswith(b"done 1")
    time.sleep(delay)  # inside the next batch's conversion or its commit
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    process.stdout.close()
    store = open_store(location)
    try:
        names = list(store.graph_names())
        counts = store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        sizes = {row[1].toPython() for row in counts.rows}
        assert sizes == {100}
        assert len(store) == 100 * len(names)
        assert len(names) % 300 == 0  # whole batches: each batch is one commit
    finally:
        store.close()


def test_embedded_store_refuses_a_second_writer(tmp_path: Path) -> None:
    first = open_store(tmp_path / "store")
    try:
        with pytest.raises(StoreError, match="cannot open"):
            open_store(tmp_path / "store")
    finally:
        first.close()
