"""Linking benchmark: vocabulary load time and memory for full MeSH, index rebuild from a store, and
linking throughput (conditions/s, interventions/s, trials/s) on the real v2 corpus.

    python bench/linking.py                  # shared MeSH TSV (+ SCRs), MONDO/DOID, v2 corpus
    python bench/linking.py --no-scr         # descriptors only (faster, less memory)

Each stage runs in a fresh process so its peak RSS is its own. Printed, never asserted. The lead
wires :func:`run` into bench/ingest.py; it returns the figures as a dict too.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(
    os.environ.get("TRIALKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
VOCABULARIES = {
    "mesh": ("mesh/mesh_descriptors.tsv", "2024"),
    "mesh-scr": ("mesh/mesh_scr_chem_disease.tsv.gz", "2024"),
    "mondo": ("xrefs/mondo_mappings.tsv", "2026-08-04"),
    "doid": ("xrefs/doid_xrefs.tsv", "2026-07-31"),
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load(kinds: list[str]):
    from kg.linking import VOCABULARY_LOADERS

    loaded = []
    for kind in kinds:
        name, version = VOCABULARIES[kind]
        vocabulary = VOCABULARY_LOADERS[kind](SHARED / "vocab" / name, version)
        vocabulary.kind = kind
        loaded.append(vocabulary)
    return loaded


def _stage_parse(kinds: list[str]) -> dict:
    """Parse the vocabulary files, then build the Linker's indexes from them."""
    t0 = time.perf_counter()
    loaded = _load(kinds)
    parsed = time.perf_counter() - t0
    from kg.linking import Linker

    t1 = time.perf_counter()
    Linker(loaded)
    return {
        "concepts": sum(len(v) for v in loaded),
        "parse_s": parsed,
        "index_s": time.perf_counter() - t1,
        "peak_mb": _peak_mb(),
    }


def _stage_store(kinds: list[str]) -> dict:
    """`vocab load` into an embedded store, then rebuild the linker from the store."""
    from kg.linking import Linker, load_vocabulary
    from kg.stores import open_store
    from kg.vocab import Iris

    iris = Iris()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "store"))
        t0 = time.perf_counter()
        for kind in kinds:
            name, version = VOCABULARIES[kind]
            load_vocabulary(kind, [SHARED / "vocab" / name], store, iris, version)
        store.flush()
        loaded = time.perf_counter() - t0
        quads = len(store)
        cache = Path(tmp) / "cache"
        t1 = time.perf_counter()
        Linker.from_store(store, iris, cache_dir=cache)  # reads the store, fills the cache
        rebuilt = time.perf_counter() - t1
        t2 = time.perf_counter()
        Linker.from_store(store, iris, cache_dir=cache)
        cached = time.perf_counter() - t2
        store.close()
    return {
        "load_s": loaded,
        "quads": quads,
        "from_store_s": rebuilt,
        "from_cache_s": cached,
        "peak_mb": _peak_mb(),
    }


def _stage_link(kinds: list[str]) -> dict:
    """Throughput of the pure linker over the v2 corpus, with and without the derivedSection."""
    import dataclasses

    from kg.linking import DRUG_TYPES, Linker
    from kg.model import BrowseModule, Trial
    from kg.readers import read_paths
    from kg.vocab import Iris

    linker = Linker(_load(kinds))
    trials = [t for t in read_paths([str(SHARED / "ctgov" / "v2")]) if isinstance(t, Trial)]
    hidden = [
        dataclasses.replace(t, condition_browse=BrowseModule(), intervention_browse=BrowseModule())
        for t in trials
    ]
    conditions = sum(len(t.conditions) + len(t.keywords) for t in hidden)
    t0 = time.perf_counter()
    for t in hidden:
        linker.condition_matches(t)
    cond_s = time.perf_counter() - t0
    drugs = [
        [iv.name, *iv.other_names]
        for t in hidden
        for iv in t.interventions
        if iv.type in DRUG_TYPES
    ]
    t0 = time.perf_counter()
    for names in drugs:
        linker.intervention_matches(names)
    drug_s = time.perf_counter() - t0
    iris = Iris()
    t0 = time.perf_counter()
    triples = sum(len(linker.link(t, iris)) for t in trials)
    full_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    lexical = sum(len(linker.link(t, iris)) for t in hidden)
    hidden_s = time.perf_counter() - t0
    return {
        "trials": len(trials),
        "conditions_per_s": conditions / cond_s,
        "interventions_per_s": len(drugs) / drug_s if drug_s else 0.0,
        "trials_per_s_registry": len(trials) / full_s,
        "trials_per_s_lexical": len(hidden) / hidden_s,
        "triples_per_trial": triples / len(trials),
        "triples_per_trial_lexical": lexical / len(hidden),
        "peak_mb": _peak_mb(),
    }


def _child(stage, kinds, queue) -> None:
    queue.put(stage(kinds))


def _isolated(stage, kinds: list[str]) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(stage, kinds, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def run(*, scr: bool = True, out=sys.stdout) -> dict:
    """Run every stage in its own process and print the figures; returns them as a dict."""
    full = ["mesh", "mesh-scr", "mondo", "doid"] if scr else ["mesh", "mondo", "doid"]
    figures = {
        "mesh_descriptors": _isolated(_stage_parse, ["mesh"]),
        "all_vocabularies": _isolated(_stage_parse, full),
        "store": _isolated(_stage_store, ["mesh"]),
        "linking": _isolated(_stage_link, full),
    }
    d, a, s, k = (figures[n] for n in ("mesh_descriptors", "all_vocabularies", "store", "linking"))
    print(
        f"full MeSH descriptors: {d['concepts']} concepts parsed in {d['parse_s']:.1f} s, "
        f"indexed in {d['index_s']:.1f} s, peak RSS {d['peak_mb']:.0f} MB",
        file=out,
    )
    print(
        f"{'+'.join(full)}: {a['concepts']} concepts parsed in {a['parse_s']:.1f} s, indexed in "
        f"{a['index_s']:.1f} s, peak RSS {a['peak_mb']:.0f} MB",
        file=out,
    )
    print(
        f"vocab load mesh into the embedded store: {s['load_s']:.1f} s ({s['quads']} quads); "
        f"Linker.from_store {s['from_store_s']:.1f} s, {s['from_cache_s']:.1f} s from its JSON "
        f"cache; peak RSS {s['peak_mb']:.0f} MB",
        file=out,
    )
    print(
        f"linking {k['trials']} trials: {k['conditions_per_s']:.0f} conditions+keywords/s, "
        f"{k['interventions_per_s']:.0f} drug interventions/s (lexical); whole link(): "
        f"{k['trials_per_s_registry']:.0f} trials/s with the registry's MeSH, "
        f"{k['trials_per_s_lexical']:.0f} trials/s lexical; {k['triples_per_trial']:.0f} / "
        f"{k['triples_per_trial_lexical']:.0f} triples per trial; peak RSS {k['peak_mb']:.0f} MB",
        file=out,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-scr", action="store_true", help="Leave out supplementary concepts.")
    parser.add_argument("--json", action="store_true", help="Also print the figures as JSON.")
    args = parser.parse_args()
    figures = run(scr=not args.no_scr)
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
