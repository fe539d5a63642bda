"""Query worker processes for the embedded store: the way a runaway query is really stopped.

pyoxigraph cannot cancel a running query (oxigraph issues #1336, #1926: the timeout exists in
the Rust API and the server, not in Python). So a query with a time limit runs in a warm worker
process that has the store open read-only; at the deadline the worker is killed (SIGKILL), a
fresh one replaces it, and the caller gets ``QueryTimeout``. Other queries keep being answered by
the other workers meanwhile.

A read-only RocksDB instance must not read files a writer is rewriting ("undefined behaviour"
in pyoxigraph's words), so workers never open a live read-write store: they open a *snapshot*,
a RocksDB checkpoint made with ``Store.backup`` (hard links, cheap) after each write, and a
snapshot's directory is deleted only when no query is still reading it.

This module imports pyoxigraph and nothing heavy, so a worker starts in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from kg.errors import QueryError, QueryTimeout, StoreError
from kg.stores.media import choose, rdf_format, results_format

PlainTerm = tuple[str, str, str]


@dataclass(frozen=True)
class Job:
    """One query for a worker: everything as plain picklable values."""

    location: str
    sparql: str
    substitutions: dict[str, PlainTerm] = field(default_factory=dict)
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    media_types: tuple[str, ...] | None = None  # None: plain rows/triples, else serialised bytes


def dataset_options(default_graphs: Sequence[str], named_graphs: Sequence[str]) -> dict[str, Any]:
    """pyoxigraph ``query`` keywords for a dataset: the union of all graphs unless narrowed (as
    the SPARQL 1.1 Protocol says, naming either kind of graph replaces the whole dataset)."""
    if not default_graphs and not named_graphs:
        return {"use_default_graph_as_union": True}
    return {
        "default_graph": [ox.NamedNode(g) for g in default_graphs],
        "named_graphs": [ox.NamedNode(g) for g in named_graphs],
    }


def ox_term(plain: PlainTerm) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind, value, extra = plain
    if kind == "u":
        return ox.NamedNode(value)
    if kind == "b":
        return ox.BlankNode(value)
    if kind == "@":
        return ox.Literal(value, language=extra)
    return ox.Literal(value, datatype=ox.NamedNode(extra))


def plain_term(term: Any) -> PlainTerm | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("u", term.value, "")
    if isinstance(term, ox.BlankNode):
        return ("b", term.value, "")
    if isinstance(term, ox.Literal):
        if term.language:
            return ("@", term.value, term.language)
        return ("l", term.value, term.datatype.value)
    raise QueryError(f"unsupported term in a query answer: {term!r}")


def evaluate(store: ox.Store, job: Job) -> Any:
    """Run ``job`` on ``store``: the raw pyoxigraph answer, errors translated to ours."""
    substitutions = {ox.Variable(k): ox_term(v) for k, v in job.substitutions.items()}
    try:
        return store.query(
            job.sparql,
            substitutions=substitutions or None,
            **dataset_options(job.default_graphs, job.named_graphs),
        )
    except SyntaxError as error:
        raise QueryError(f"SPARQL query does not parse: {error}") from error
    except RuntimeError as error:  # e.g. a substituted variable the query does not project
        raise QueryError(f"SPARQL query cannot run: {error}") from error
    except OSError as error:
        raise StoreError(f"store read failed: {error}") from error


def kind_of(answer: Any) -> str:
    if isinstance(answer, ox.QuerySolutions):
        return "bindings"
    if isinstance(answer, ox.QueryBoolean):
        return "boolean"
    return "graph"


def serialize(answer: Any, media_types: Sequence[str]) -> tuple[bytes, str, str]:
    """The answer in the first accepted media type that fits it: ``(body, media type, kind)``."""
    kind = kind_of(answer)
    media = choose(media_types, kind)
    try:
        if kind == "graph":
            body = answer.serialize(format=rdf_format(media))
        else:
            body = answer.serialize(format=results_format(media))
    except OSError as error:
        raise StoreError(f"store read failed: {error}") from error
    return body, media, kind


def plain_answer(answer: Any) -> tuple[str, Any]:
    """The answer as plain picklable values: ``(kind, payload)``."""
    kind = kind_of(answer)
    if kind == "boolean":
        return kind, bool(answer)
    if kind == "graph":
        return kind, [
            (plain_term(t.subject), plain_term(t.predicate), plain_term(t.object)) for t in answer
        ]
    variables = [v.value for v in answer.variables]
    rows = [tuple(plain_term(solution[i]) for i in range(len(variables))) for solution in answer]
    return kind, (variables, rows)


def _serve(inbox: Connection, outbox: Connection) -> None:
    """A worker's loop: open the job's snapshot (reopening only when it changes), answer, repeat."""
    store: ox.Store | None = None
    location = None
    while True:
        try:
            job: Job = inbox.recv()
        except (EOFError, OSError):
            return
        try:
            if job.location != location:
                store = None
                store = ox.Store.read_only(job.location)
                location = job.location
            answer = evaluate(store, job)
            if job.media_types is None:
                outbox.send(("ok", plain_answer(answer)))
            else:
                outbox.send(("ok", serialize(answer, job.media_types)))
        except (QueryError, StoreError) as error:
            outbox.send(("error", type(error).__name__, str(error)))
        except OSError as error:
            outbox.send(("error", "StoreError", f"cannot open snapshot {job.location}: {error}"))


def main() -> None:
    """Entry point of ``python -m kg.stores.workers``: jobs on stdin, answers on stdout."""
    outbox = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # anything printed by accident goes to stderr, not into the answer stream
    _serve(Connection(os.dup(0), writable=False), outbox)


class _Worker:
    """A worker process started with the same interpreter (no multiprocessing: nothing of the
    caller's ``__main__`` is re-imported, so scripts and servers need no ``__main__`` guard)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.stores.workers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.outbox = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.inbox = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait(5)
        self.outbox.close()
        self.inbox.close()


class WorkerPool:
    """``size`` warm worker processes; ``run(job, timeout)`` answers or raises ``QueryTimeout``."""

    def __init__(self, size: int = 2) -> None:
        if size < 1:
            raise StoreError(f"a worker pool needs at least one worker, not {size}")
        self._size = size
        self._idle: list[_Worker] = []
        self._count = 0
        self._cond = threading.Condition()
        self._closed = False
        self._in_use: dict[str, int] = {}
        self._retired: set[str] = set()
        threading.Thread(target=self._warm, name="trialkg-warm-workers", daemon=True).start()

    def _warm(self) -> None:
        """Start the workers in the background so the first timed query does not pay for it."""
        with self._cond:
            missing = self._size - self._count
            self._count += missing
        started = [_Worker() for _ in range(missing)]
        with self._cond:
            if self._closed:
                for worker in started:
                    worker.kill()
                return
            self._idle.extend(started)
            self._cond.notify_all()

    def _acquire(self, deadline: float) -> _Worker:
        with self._cond:
            while not self._idle:
                if self._closed:
                    raise StoreError("the query worker pool is closed")
                if self._count < self._size:
                    self._count += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeout("query not started: every query worker stayed busy")
                self._cond.wait(remaining)
            else:
                return self._idle.pop()
        try:
            return _Worker()
        except BaseException:
            with self._cond:
                self._count -= 1
            raise

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if self._closed:
                worker.kill()
            else:
                self._idle.append(worker)
            self._cond.notify_all()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._cond:
            self._count -= 1
            self._cond.notify_all()
        if not self._closed:  # replace it in the background
            threading.Thread(target=self._warm, name="trialkg-warm-workers", daemon=True).start()

    def run(self, job: Job, timeout: float) -> Any:
        """The worker's answer to ``job``; the worker is killed if it runs past ``timeout``."""
        deadline = time.monotonic() + timeout
        worker = self._acquire(deadline)
        self._track(job.location, +1)
        try:
            try:
                worker.outbox.send(job)
                ready = worker.inbox.poll(max(0.0, deadline - time.monotonic()))
                reply = worker.inbox.recv() if ready else None
            except (EOFError, OSError, BrokenPipeError) as error:
                self._discard(worker)
                raise StoreError(f"query worker died: {error}") from error
            if reply is None:
                self._discard(worker)
                raise QueryTimeout(f"query stopped after its {timeout:g} s time limit")
            self._release(worker)
        finally:
            self._track(job.location, -1)
        if reply[0] == "error":
            raise (QueryError if reply[1] == "QueryError" else StoreError)(reply[2])
        return reply[1]

    # -- snapshots: delete a retired one once no query reads it --------------------------------

    def retire(self, location: str) -> None:
        """Say ``location`` (a snapshot directory) will get no new jobs; delete it when unused."""
        with self._cond:
            self._retired.add(location)
        self._sweep()

    def _track(self, location: str, delta: int) -> None:
        with self._cond:
            self._in_use[location] = self._in_use.get(location, 0) + delta
        if delta < 0:
            self._sweep()

    def _sweep(self) -> None:
        with self._cond:
            done = {loc for loc in self._retired if not self._in_use.get(loc)}
            self._retired -= done
        for location in done:
            shutil.rmtree(location, ignore_errors=True)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            with contextlib.suppress(OSError):
                worker.kill()


__all__ = [
    "Job",
    "WorkerPool",
    "dataset_options",
    "evaluate",
    "kind_of",
    "ox_term",
    "plain_answer",
    "plain_term",
    "serialize",
]

if __name__ == "__main__":
    main()
