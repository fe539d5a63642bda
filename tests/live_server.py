"""A real ``trialkg serve`` process on a free 127.0.0.1 port, for tests with real HTTP clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(store: Path, env: Mapping[str, str] | None = None, threads: int = 8) -> Iterator[str]:
    """Run ``trialkg serve --store store`` with ``TRIALKG_*`` settings from ``env``; yield the
    /sparql URL once it answers, stop the process afterwards."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRIALKG_")}
    environment.update(env or {})
    command = [sys.executable, "-c", "from kg.cli import main; main()", "serve"]
    command += ["--store", str(store)]
    command += ["--port", str(port), "--threads", str(threads)]
    url = f"http://127.0.0.1:{port}/sparql"
    # The log is a file, not a pipe: a chatty server never blocks on it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait(url: str, process: subprocess.Popen, log, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise RuntimeError(f"trialkg serve exited with {process.returncode}: {output}")
        try:
            with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"trialkg serve did not answer at {url} within {seconds} s")
