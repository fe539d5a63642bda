"""Store figures on the real v2 corpus: replace_graphs against raw pyoxigraph bulk_load, and the
per-query cost of the killable worker path (``timeout=``) against in-process queries.

Run: ``python bench/stores.py`` (reads ../shared/data/ctgov/v2; prints figures and ratios).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pyoxigraph as ox
from rdflib import Literal, URIRef

from kg.mapper import map_trial
from kg.readers import read_paths
from kg.stores import open_store, syntax
from kg.vocab import Iris
from tests.conftest import V2_FILES

BATCH = 500
REPS = 3
RAW = "raw pyoxigraph bulk_load (N-Quads bytes)"
FRESH = f"replace_graphs, fresh store, {BATCH}/batch"


def main() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    start = time.perf_counter()
    mapped = {
        m.graph: m.triples
        for m in (map_trial(t, Iris(), ingested_at=at) for t in read_paths(V2_FILES))
    }
    print(f"mapped {len(mapped)} trials in {time.perf_counter() - start:.1f}s")
    quads = sum(len(set(v)) for v in mapped.values())
    print(f"{quads} quads, {quads / len(mapped):.0f} per trial")
    items = list(mapped.items())
    batches = [dict(items[i : i + BATCH]) for i in range(0, len(items), BATCH)]
    data = syntax.write(((s, p, o, g) for g, ts in items for s, p, o in ts), "application/n-quads")
    rates: dict[str, float] = {}

    def run(label: str, prepare: Callable[[], Callable[[], None]]) -> None:
        times = []
        for _ in range(REPS):
            work = prepare()
            began = time.perf_counter()
            work()
            times.append(time.perf_counter() - began)
        best = min(times)
        rates[label] = quads / best
        print(
            f"{label:48s} {quads / best:9.0f} quads/s {len(mapped) / best:7.0f} trials/s"
            f"  (best of {REPS}: {best:.2f}s)",
            flush=True,
        )

    def raw() -> Callable[[], None]:
        store = ox.Store(tempfile.mkdtemp() + "/s")
        return lambda: store.bulk_load(data, ox.RdfFormat.N_QUADS)

    def ingest(store, graphs_batches) -> Callable[[], None]:
        def work() -> None:
            for batch in graphs_batches:
                store.replace_graphs(batch)

        return work

    run(RAW, raw)
    run(FRESH, lambda: ingest(open_store(tempfile.mkdtemp() + "/s"), batches))
    print(f"ratio replace_graphs / bulk_load = {rates[FRESH] / rates[RAW]:.2f}")

    store = open_store(tempfile.mkdtemp() + "/s")
    ingest(store, batches)()
    run("replace_graphs, re-ingest unchanged", lambda: ingest(store, batches))

    def changed() -> Callable[[], None]:
        marker = Literal(time.perf_counter_ns())
        extra = URIRef("https://example.org/bench#changed")
        edited = [
            {g: [*ts, (URIRef(str(g) + "#x"), extra, marker)] for g, ts in b.items()}
            for b in batches
        ]
        return ingest(store, edited)

    run("replace_graphs, re-ingest, every trial changed", changed)

    queries = {
        "ask": "ASK { ?s ?p ?o }",
        "select10": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10",
        "count-all": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    }
    store.query("ASK { ?s ?p ?o }", timeout=30)  # start the workers and take the snapshot
    for name, sparql in queries.items():
        for timeout in (None, 30.0):
            reps = 50
            began = time.perf_counter()
            for _ in range(reps):
                store.query_serialized(sparql, "application/sparql-results+json", timeout=timeout)
            each = (time.perf_counter() - began) / reps
            print(f"query_serialized {name:10s} timeout={timeout!s:5s} {each * 1000:8.2f} ms")
    store.close()


if __name__ == "__main__":
    main()
