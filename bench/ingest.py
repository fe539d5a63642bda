"""Ingest benchmark: read, map, validate, load and end to end, against baselines in the same run.

    python bench/ingest.py                      # the real v2 corpus + a 50,000-record generated one
    python bench/ingest.py --generated 10000    # a smaller generated corpus
    python bench/ingest.py --xml                # the legacy XML reader beside the v2 JSON path

Every stage runs in a fresh process so its peak RSS is its own. Printed, never asserted:
records/s, triples/s and peak RSS per stage; the naive path (one rdflib Graph, one pySHACL run,
rdflib's memory store) with our speed-up over it; pyoxigraph's raw bulk-load rate of the same
triples as N-Quads, with our end-to-end rate as a fraction of it.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # bench/corpus.py, beside this file

NAIVE = 200
"""Records the pySHACL baselines run on (they take minutes per thousand)."""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _trials(paths: list[str]):
    from kg.readers import read_paths

    return (t for t in read_paths(paths) if not isinstance(t, Exception))


def _mapped(paths: list[str]):
    from kg.mapper import map_trial
    from kg.vocab import Iris

    iris = Iris()
    return (map_trial(t, iris) for t in _trials(paths))


# ---------------------------------------------------------------- stages (each in its own process)
# Each stage streams the corpus and times only its own step, so memory stays flat.


def stage_read(paths: list[str]) -> dict:
    from kg.readers import read_paths

    start = time.perf_counter()
    n = sum(1 for _ in read_paths(paths))
    return {"records": n, "seconds": time.perf_counter() - start}


def stage_map(paths: list[str]) -> dict:
    from kg.mapper import map_trial
    from kg.vocab import Iris

    iris, n, triples, seconds = Iris(), 0, 0, 0.0
    for t in _trials(paths):
        start = time.perf_counter()
        triples += len(map_trial(t, iris).triples)
        seconds += time.perf_counter() - start
        n += 1
    return {"records": n, "triples": triples, "seconds": seconds}


def stage_validate(paths: list[str], engine: str = "fast") -> dict:
    from kg.validation import VALIDATORS

    validator = VALIDATORS[engine]()
    n, triples, rejected, seconds = 0, 0, 0, 0.0
    for m in _mapped(paths):
        start = time.perf_counter()
        rejected += 0 if validator.validate(m).conforms else 1
        seconds += time.perf_counter() - start
        n += 1
        triples += len(m.triples)
    return {"records": n, "triples": triples, "rejected": rejected, "seconds": seconds}


def stage_load(paths: list[str], batch: int = 500) -> dict:
    from kg.stores import open_store

    n, triples, seconds = 0, 0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "store"))
        pending: dict = {}
        for m in _mapped(paths):
            pending[m.graph] = m.triples
            n += 1
            triples += len(m.triples)
            if len(pending) >= batch:
                start = time.perf_counter()
                store.replace_graphs(pending)
                seconds += time.perf_counter() - start
                pending = {}
        start = time.perf_counter()
        if pending:
            store.replace_graphs(pending)
        store.flush()
        seconds += time.perf_counter() - start
        store.close()
    return {"records": n, "triples": triples, "seconds": seconds}


def stage_end_to_end(paths: list[str]) -> dict:
    from kg.pipeline import Pipeline
    from kg.stores import open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "store"))
        start = time.perf_counter()
        summary = Pipeline().ingest(paths, store)
        seconds = time.perf_counter() - start
        store.close()
    return {
        "records": summary.read,
        "triples": summary.triples,
        "loaded": summary.loaded,
        "seconds": seconds,
    }


def stage_raw_bulk_load(paths: list[str]) -> dict:
    """pyoxigraph's own bulk loader on the same quads as N-Quads: the ceiling for loading."""
    import pyoxigraph

    from kg.stores.terms import to_sparql  # N-Triples-safe term syntax (rdflib's n3() is Turtle)

    triples = 0
    with tempfile.TemporaryDirectory() as tmp:
        nq = Path(tmp) / "all.nq"
        with nq.open("w", encoding="utf-8") as out:
            for m in _mapped(paths):
                g = to_sparql(m.graph)
                out.writelines(
                    f"{to_sparql(s)} {to_sparql(p)} {to_sparql(o)} {g} .\n" for s, p, o in m.triples
                )
                triples += len(m.triples)
        store = pyoxigraph.Store(str(Path(tmp) / "raw"))
        start = time.perf_counter()
        store.bulk_load(path=str(nq), format=pyoxigraph.RdfFormat.N_QUADS)
        store.flush()
        seconds = time.perf_counter() - start
    return {"records": None, "triples": triples, "seconds": seconds}


def stage_naive(paths: list[str]) -> dict:
    """The naive path: one rdflib Graph, one pySHACL run over it, rdflib's memory store."""
    import pyshacl
    from rdflib import Dataset, Graph

    from kg.validation import shapes_graph

    start = time.perf_counter()
    graph = Graph()
    mapped = []
    for m in _mapped(paths):
        mapped.append(m)
        for triple in m.triples:
            graph.add(triple)
    conforms, _, _ = pyshacl.validate(graph, shacl_graph=shapes_graph(), inference="none")
    store = Dataset()
    for m in mapped:
        g = store.graph(m.graph)
        for triple in m.triples:
            g.add(triple)
    return {
        "records": len(mapped),
        "triples": len(graph),
        "conforms": conforms,
        "seconds": time.perf_counter() - start,
    }


# ---------------------------------------------------------------- harness


def _child(fn: Callable, args: tuple, queue: mp.Queue) -> None:
    result = fn(*args)
    result["peak_rss_mb"] = _peak_mb()
    queue.put(result)


def run(fn: Callable, *args) -> dict:
    """Run one stage in a fresh process; its result plus that process's peak RSS."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def line(label: str, r: dict) -> str:
    secs = r["seconds"]
    parts = [f"{label:<34}"]
    if r.get("records"):
        parts.append(f"{r['records'] / secs:>9.0f} records/s")
    else:
        parts.append(" " * 19)
    if r.get("triples"):
        parts.append(f"{r['triples'] / secs:>11.0f} triples/s")
    parts.append(f"{secs:>8.2f} s  peak RSS {r['peak_rss_mb']:>7.0f} MB")
    return "  ".join(parts)


def bench_corpus(name: str, paths: list[str], *, stages: bool, naive: bool = False) -> dict:
    """Print one corpus's figures; per-stage rates only when ``stages``."""
    print(f"\n== {name} ==")
    print(line("read", run(stage_read, paths)))
    if stages:
        print(line("map", run(stage_map, paths)))
        print(line("validate (fast engine)", run(stage_validate, paths, "fast")))
        print(line("load (embedded Oxigraph)", run(stage_load, paths)))
    one = run(stage_end_to_end, paths)
    print(line("end to end (one process)", one))
    raw = run(stage_raw_bulk_load, paths)
    print(line("raw pyoxigraph bulk_load (N-Quads)", raw))
    ours = one["triples"] / one["seconds"]
    print(f"  end to end = {ours / (raw['triples'] / raw['seconds']):.2f} x raw bulk-load rate")
    if naive:
        # pySHACL takes minutes per thousand trials: the baselines run on the first NAIVE files
        subset = [str(p) for p in sorted(Path(paths[0]).glob("*.json"))[:NAIVE]]
        print(
            line(f"validate (pySHACL per trial, {NAIVE})", run(stage_validate, subset, "pyshacl"))
        )
        n = run(stage_naive, subset)
        print(line(f"naive: rdflib Graph + 1 pySHACL ({NAIVE})", n))
        speedup = (one["records"] / one["seconds"]) / (n["records"] / n["seconds"])
        print(f"  end to end is {speedup:.1f} x the naive path")
    return one


def stage_end_to_end_linked(paths: list[str], mesh_tsv: str) -> dict:
    """End to end with the MeSH vocabulary loaded, so every trial is linked."""
    from kg.linking import linker_for, load_vocabulary
    from kg.pipeline import Pipeline
    from kg.stores import open_store
    from kg.vocab import Iris

    iris = Iris()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "store"))
        load_vocabulary("mesh", [Path(mesh_tsv)], store, iris)
        pipeline = Pipeline(iris=iris, link=linker_for(store, iris).link)  # index built once
        start = time.perf_counter()
        summary = pipeline.ingest(paths, store)
        seconds = time.perf_counter() - start
        store.close()
    return {"records": summary.read, "triples": summary.triples, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--generated", type=int, default=50000, help="size of the generated corpus")
    parser.add_argument("--xml", action="store_true", help="also benchmark the legacy XML reader")
    args = parser.parse_args()

    v2 = corpus.SHARED / "ctgov" / "v2"
    plain = bench_corpus(f"real v2 corpus ({v2})", [str(v2)], stages=True, naive=True)
    mesh = corpus.SHARED / "vocab" / "mesh" / "mesh_descriptors.tsv"
    if mesh.exists():
        linked = run(stage_end_to_end_linked, [str(v2)], str(mesh))
        print(line("end to end with MeSH linking", linked))
        cost = linked["seconds"] / linked["records"] / (plain["seconds"] / plain["records"])
        print(f"  with linking, end to end takes {cost:.2f} x the unlinked time per record")
    small = min(10000, args.generated)
    with tempfile.TemporaryDirectory() as tmp:
        gen = corpus.write_ndjson(small, Path(tmp) / f"gen-{small}.ndjson")
        first = bench_corpus(f"generated v2 corpus, {small} records", [str(gen)], stages=True)
        gen.unlink()
        if args.generated > small:
            gen = corpus.write_ndjson(args.generated, Path(tmp) / "gen.ndjson")
            big = bench_corpus(
                f"generated v2 corpus, {args.generated} records", [str(gen)], stages=False
            )
            gen.unlink()
            print(
                f"  peak RSS {first['peak_rss_mb']:.0f} MB at {small} records, "
                f"{big['peak_rss_mb']:.0f} MB at {args.generated}"
            )
        if args.xml:
            xml = corpus.SHARED / "ctgov" / "xml"
            bench_corpus(f"real XML corpus ({xml})", [str(xml)], stages=False)
            gen = corpus.write_zip(args.generated, Path(tmp) / "gen-xml.zip", xml=True)
            bench_corpus(
                f"generated XML corpus (zip), {args.generated} records", [str(gen)], stages=False
            )


if __name__ == "__main__":
    main()
