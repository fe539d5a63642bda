"""Endpoint benchmark: our /sparql (waitress) beside ``oxigraph serve``, same data, same run.

    python bench/endpoint.py                 # the v2 corpus, 8 clients, 20 s per workload
    python bench/endpoint.py --seconds 5     # a quick look

The v2 corpus is ingested by the pipeline into an embedded store; its N-Quads dump is loaded into
a second directory served by ``oxigraph serve-read-only --union-default-graph`` (PyPI package
``oxigraph``). Each workload runs ``--clients`` client processes, each a keep-alive HTTP/1.1
connection sending one request after another, for ``--seconds``. Printed, never asserted:
requests/s, p50 and p99 latency per server and workload, and ours as a ratio of oxigraph's
(targets: throughput >= 70 %, p99 <= 2x).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRIALKG_SHARED_DATA", REPO.parent / "shared" / "data"))
PLAIN_SELECT = """PREFIX tk: <https://w3id.org/trialkg/ontology#>
SELECT ?trial ?id ?title ?status WHERE {
  ?trial a tk:Trial ; tk:nctId ?id ; tk:briefTitle ?title ; tk:overallStatus ?status .
} ORDER BY ?id LIMIT 100"""
NAMED = ("trials-of-sponsor", {"sponsor": "Pfizer"})
JSON = "application/sparql-results+json"


@dataclass
class Workload:
    label: str
    path_ours: str  # request path on our server
    path_oxigraph: str  # the same question asked of oxigraph serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, path: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers={"Accept": JSON})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not answer {path}")


def build(workdir: Path) -> tuple[Path, Path]:
    """Both servers' directories under ``workdir``, built unless already there (``--workdir``).

    The ingest runs in a child process: the embedded store's directory lock goes with it.
    """
    ours, theirs = workdir / "ours", workdir / "oxigraph"
    if not (ours.is_dir() and theirs.is_dir()):
        child = mp.Process(target=_build, args=(workdir,))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit("building the benchmark stores failed")
    return ours, theirs


def _build(workdir: Path) -> None:
    """Ingest the v2 corpus into our store; load its dump into oxigraph's own directory."""
    from kg.pipeline import Pipeline
    from kg.stores import open_store

    ours, theirs, dump = workdir / "ours", workdir / "oxigraph", workdir / "dump.nq"
    files = sorted(str(p) for p in (SHARED / "ctgov" / "v2").glob("*.json"))
    if not files:
        raise SystemExit(f"no v2 records under {SHARED} (set TRIALKG_SHARED_DATA)")
    store = open_store(str(ours))
    start = time.perf_counter()
    summary = Pipeline().ingest(files, store)
    with dump.open("wb") as out:
        store.dump(out, "application/n-quads")
    quads = len(store)
    store.close()
    print(
        f"ingested {summary.loaded} of {len(files)} v2 records, {quads:,} quads, "
        f"in {time.perf_counter() - start:.1f} s"
    )
    subprocess.run(
        ["oxigraph", "load", "--location", str(theirs), "--file", str(dump)],
        check=True,
        capture_output=True,
    )


def _client(port: int, path: str, seconds: float, out: mp.Queue) -> None:
    latencies, errors = [], 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept": JSON})
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            ok = False
        if ok:
            latencies.append(time.perf_counter() - start)
        else:
            errors += 1
    out.put((latencies, errors))


def drive(port: int, path: str, clients: int, seconds: float) -> dict:
    """``clients`` processes hammering ``path`` for ``seconds``; throughput and latencies."""
    queue: mp.Queue = mp.Queue()
    procs = [mp.Process(target=_client, args=(port, path, seconds, queue)) for _ in range(clients)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    if not latencies:
        return {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "errors": errors, "n": 0}
    return {
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": errors,
        "n": len(latencies),
    }


def workloads() -> list[Workload]:
    from kg.queries import load_queries
    from kg.vocab import Iris

    select = urllib.parse.urlencode({"query": PLAIN_SELECT})
    found = [Workload("plain SELECT", f"/sparql?{select}", f"/query?{select}")]
    name, args = NAMED
    query = load_queries().get(name)
    if query is not None:
        bindings = query.bind(args, Iris())
        # oxigraph serve has no named queries: the same text with the value as a VALUES block.
        values = " ".join(f"VALUES ?{var} {{ {term.n3()} }}" for var, term in bindings.items())
        text = urllib.parse.urlencode({"query": f"{query.sparql}\n{values}"})
        params = urllib.parse.urlencode({**args, "format": "sparql-json"})
        found.append(Workload(f"named {name}", f"/api/queries/{name}?{params}", f"/query?{text}"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (ours)")
    parser.add_argument(
        "--workdir", type=Path, help="keep (and reuse) the built stores here instead of a temp dir"
    )
    args = parser.parse_args()
    if shutil.which("oxigraph") is None:
        raise SystemExit("oxigraph (the server, PyPI package 'oxigraph') is not on PATH")
    with tempfile.TemporaryDirectory(prefix="trialkg-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        ours_dir, theirs_dir = build(workdir)
        ours_port, theirs_port = _free_port(), _free_port()
        ours_log = (workdir / "trialkg-serve.log").open("wb")
        theirs_log = (workdir / "oxigraph-serve.log").open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRIALKG_")}
        ours = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from kg.cli import main; main()",
                "serve",
                "--store",
                str(ours_dir),
                "--port",
                str(ours_port),
                "--threads",
                str(args.threads),
            ],
            env=env,
            stdout=ours_log,
            stderr=subprocess.STDOUT,
        )
        theirs = subprocess.Popen(
            [
                "oxigraph",
                "serve-read-only",
                "--location",
                str(theirs_dir),
                "--bind",
                f"127.0.0.1:{theirs_port}",
                "--union-default-graph",
                "--timeout-s",
                "30",
            ],
            stdout=theirs_log,
            stderr=subprocess.STDOUT,
        )
        try:
            found = workloads()
            _wait(ours_port, found[0].path_ours)
            _wait(theirs_port, found[0].path_oxigraph)
            print(f"{args.clients} clients, {args.seconds:g} s per workload, 2 CPU cores shared\n")
            header = f"{'workload':<28} {'server':<16} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
            print(header + f" {'errors':>6}")
            for w in found:
                for port, path in ((ours_port, w.path_ours), (theirs_port, w.path_oxigraph)):
                    drive(port, path, 2, 2.0)  # warm caches and worker pools
                a = drive(ours_port, w.path_ours, args.clients, args.seconds)
                b = drive(theirs_port, w.path_oxigraph, args.clients, args.seconds)
                for name, r in (("trialkg serve", a), ("oxigraph serve", b)):
                    print(
                        f"{w.label:<28} {name:<16} {r['rps']:>8.1f} {r['p50']:>8.1f} "
                        f"{r['p99']:>8.1f} {r['errors']:>6}"
                    )
                ratio = a["rps"] / b["rps"] if b["rps"] else float("nan")
                p99 = a["p99"] / b["p99"] if b["p99"] else float("nan")
                print(
                    f"{'':<28} {'ours/oxigraph':<16} {ratio:>7.0%} {'':>8} {p99:>7.2f}x"
                    f"   (targets: >= 70 %, <= 2.00x)\n"
                )
        finally:
            for proc in (ours, theirs):
                proc.terminate()
                proc.wait(timeout=20)
            ours_log.close()
            theirs_log.close()


if __name__ == "__main__":
    main()
