"""A SIGKILL part-way through an ingest leaves only whole trials, and a re-run finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from kg.stores import open_store

INGEST = [sys.executable, "-c", "from kg.cli import main; main()", "ingest", "--no-link"]


def _run(store: Path, corpus: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*INGEST, "--store", str(store), *extra, str(corpus)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )


def _graph_sizes(location: Path) -> Counter:
    store = open_store(str(location))
    try:
        return Counter(str(q[3]) for q in store.triples())
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_mid_ingest_leaves_whole_trials(tmp_path, v2_dir):
    reference = tmp_path / "reference"
    started = time.perf_counter()
    _run(reference, v2_dir, "--batch-size", "25")
    full_time = time.perf_counter() - started
    want = _graph_sizes(reference)
    assert want, "the uninterrupted ingest loaded nothing"

    for fraction in (0.6, 0.45, 0.3, 0.8):
        victim = tmp_path / f"victim-{fraction}"
        proc = subprocess.Popen(
            [*INGEST, "--store", str(victim), "--batch-size", "25", str(v2_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(full_time * fraction)
        if proc.poll() is not None:
            continue  # finished before the kill; try an earlier moment
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        got = _graph_sizes(victim)
        if not got or len(got) == len(want):
            continue  # killed before the first or after the last commit; try another moment
        break
    else:
        pytest.fail("could not kill the ingest part-way after four tries")

    print(f"\nkilled after {len(got)} of {len(want)} graphs")
    for graph, size in got.items():
        assert size == want[graph], f"{graph} holds {size} quads, a whole trial has {want[graph]}"

    again = _run(victim, v2_dir, "--batch-size", "25")
    assert "ingest:" in again.stdout
    assert _graph_sizes(victim) == want
