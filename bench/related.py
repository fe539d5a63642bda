"""Related-trials benchmark: full computation and per-trial incremental update, time and memory.

    python bench/related.py                    # the real v2 corpus and a 5,000-record generated one
    python bench/related.py --generated 50000  # the issue's scale (slow: pure-Python scoring)

Each corpus is ingested (with the MeSH vocabulary, so ancestors count) into a fresh embedded
store in a child process, which then times ``compute_all`` and five one-trial updates and
reports its peak RSS. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # bench/corpus.py, beside this file

UPDATES = 5


def _changed_version(record: dict) -> dict:
    """The same study, updated: a later last-update date and one more condition."""
    changed = copy.deepcopy(record)
    status = changed["protocolSection"]["statusModule"]
    status["lastUpdatePostDateStruct"] = {"date": "2099-01-01", "type": "ACTUAL"}
    conditions = changed["protocolSection"].setdefault("conditionsModule", {})
    conditions.setdefault("conditions", []).append("Stroke")
    browse = changed.setdefault("derivedSection", {}).setdefault("conditionBrowseModule", {})
    browse.setdefault("meshes", []).append({"id": "D020521", "term": "Stroke"})
    return changed


def measure(paths: list[str], mesh_tsv: str, queue: mp.Queue) -> None:
    from kg.linking import load_vocabulary
    from kg.pipeline import Pipeline
    from kg.readers import read_paths
    from kg.related import compute_all, update
    from kg.stores import open_store
    from kg.vocab import Iris

    iris = Iris()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "store"))
        load_vocabulary("mesh", [Path(mesh_tsv)], store, iris)
        pipeline = Pipeline(iris=iris)
        summary = pipeline.ingest(paths, store)
        rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        full = compute_all(store, iris)
        full_seconds = time.perf_counter() - start
        rss_full = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # five one-trial updates, spread over the corpus
        picks = [t for t in read_paths(paths) if not isinstance(t, Exception)]
        picks = picks[:: max(1, len(picks) // UPDATES)][:UPDATES]
        updates = []
        for trial in picks:
            record_path = Path(trial.source.path)
            record = _find_record(record_path, trial.nct_id)
            new = Path(tmp) / f"{trial.nct_id}.json"
            new.write_text(json.dumps(_changed_version(record)), encoding="utf-8")
            changed = pipeline.ingest([new], store).changed_ids
            start = time.perf_counter()
            run = update(store, iris, changed)
            updates.append((time.perf_counter() - start, run.recomputed, run.seconds_index))
        store.close()
    queue.put(
        {
            "trials": full.trials,
            "relations": full.relations,
            "loaded": summary.loaded,
            "full_seconds": full_seconds,
            "index_seconds": full.seconds_index,
            "rss_loaded_mb": rss_loaded,
            "rss_full_mb": rss_full,
            "updates": updates,
        }
    )


def _find_record(path: Path, nct_id: str) -> dict:
    """The raw JSON of one study from a file or an NDJSON corpus."""
    if path.suffix == ".ndjson":
        with path.open(encoding="utf-8") as f:
            for line in f:
                if nct_id in line:
                    return json.loads(line)
        raise KeyError(nct_id)
    return json.loads(path.read_text(encoding="utf-8"))


def run(name: str, paths: list[str], mesh_tsv: Path) -> None:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=measure, args=(paths, str(mesh_tsv), queue))
    proc.start()
    r = queue.get()
    proc.join()
    print(f"\n== {name} ==")
    print(f"trials {r['trials']}, relations {r['relations']}")
    print(
        f"full computation  {r['full_seconds']:8.1f} s  ({r['trials'] / r['full_seconds']:.0f} "
        f"trials/s; reading features {r['index_seconds']:.1f} s)"
    )
    print(
        f"peak RSS          {r['rss_loaded_mb']:8.0f} MB after ingest, {r['rss_full_mb']:.0f} MB "
        "after computing"
    )
    for seconds, recomputed, index in r["updates"]:
        print(
            f"one-trial update  {seconds:8.2f} s  (recomputed {recomputed} trials; "
            f"reading features {index:.2f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--generated", type=int, default=5000)
    args = parser.parse_args()
    mesh = corpus.SHARED / "vocab" / "mesh" / "mesh_descriptors.tsv"
    v2 = corpus.SHARED / "ctgov" / "v2"
    run(f"real v2 corpus ({v2})", [str(v2)], mesh)
    with tempfile.TemporaryDirectory() as tmp:
        gen = corpus.write_ndjson(args.generated, Path(tmp) / "gen.ndjson")
        run(f"generated v2 corpus, {args.generated} records", [str(gen)], mesh)


if __name__ == "__main__":
    main()
