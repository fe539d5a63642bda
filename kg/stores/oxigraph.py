"""The embedded store (the default): a persistent pyoxigraph ``Store`` on RocksDB in a directory.

Writes. ``replace_graphs`` sorts a batch's graphs into *new* ones (not in the store yet: the
whole first ingest) and *existing* ones. New graphs go in with ``bulk_extend`` (Oxigraph's bulk
loader: sorted SST files ingested into RocksDB in one step, several times faster than a
transactional insert) or, for small batches, one ``extend`` transaction. An existing graph is
compared with its new triples: unchanged, nothing is written (re-ingest is idempotent and cheap);
changed, the difference goes in one SPARQL Update (``DELETE DATA``/``INSERT DATA``, one
transaction for all changed graphs of the batch). Each trial's graph is therefore replaced
atomically; a killed ingest leaves whole trials only.

Reads. ``query`` without a time limit runs in this process. With ``timeout`` it runs in a worker
process over a snapshot (see :mod:`kg.stores.workers`), which is killed at the deadline.
``query_serialized`` lets pyoxigraph write the answer itself (JSON/XML/CSV/TSV results, any RDF
syntax), so the web layer never converts term by term.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox
from rdflib import URIRef

from kg.errors import QueryError, StoreError
from kg.stores.base import Quad, QueryResult, Serialized, Term, Triple
from kg.stores.bindings import check_names
from kg.stores.locks import ReadWriteLock
from kg.stores.media import rdf_format
from kg.stores.terms import OxigraphTerms, from_oxigraph, from_plain, to_plain
from kg.stores.workers import Job, WorkerPool, evaluate, kind_of, serialize

# Below this many new quads a batch goes in as one ordinary transaction: the bulk loader writes
# new SST files each call, and thousands of tiny files would slow reads until compaction.
BULK_MIN_QUADS = 20_000


class OxigraphStore:
    """A Store in a directory on disk (created if missing)."""

    def __init__(self, path: str | Path, *, read_only: bool = False, workers: int = 2) -> None:
        self.path = Path(path)
        self.read_only = read_only
        try:
            if read_only:
                self._store = ox.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
        except OSError as error:
            raise StoreError(
                f"{self.path}: cannot open the store ({error}); is another process writing it? "
                "Stop it, or open this store read-only."
            ) from error
        if not read_only:
            self._remove_stale_snapshots()
        self._terms = OxigraphTerms()
        self._lock = ReadWriteLock()
        self._workers = workers
        self._pool: WorkerPool | None = None
        self._pool_lock = threading.Lock()
        self._generation = 0
        self._snapshot: tuple[int, str] | None = None
        self._snapshot_root: str | None = None

    # -- writing ---------------------------------------------------------------------------

    def replace_graphs(self, graphs: Mapping[URIRef, Iterable[Triple]]) -> None:
        self._writable()
        term = self._terms.term
        batch: list[tuple[ox.NamedNode, list[ox.Quad]]] = []
        try:
            for name, triples in graphs.items():
                g = self._terms.iri(name)
                batch.append((g, [ox.Quad(term(s), term(p), term(o), g) for s, p, o in triples]))
        except ValueError as error:
            raise StoreError(f"cannot store a term: {error}") from error
        with self._lock.writing():
            new: list[ox.Quad] = []
            edits: list[str] = []
            for g, quads in batch:
                if not self._store.contains_named_graph(g):
                    new.extend(quads)
                else:
                    edits.extend(self._difference(g, quads))
            self._write(new, edits)
            self._generation += 1

    def _difference(self, g: ox.NamedNode, quads: list[ox.Quad]) -> list[str]:
        """SPARQL Update operations turning graph ``g`` into exactly ``quads`` (none if equal)."""
        old = set(self._store.quads_for_pattern(None, None, None, g))
        wanted = _as_stored(quads)
        if old == wanted:
            return []
        if not wanted:
            return [f"DROP SILENT GRAPH {g}"]
        removed, added = old - wanted, wanted - old
        if any(isinstance(t, ox.BlankNode) for q in removed for t in (q.subject, q.object)):
            # DELETE DATA may not name blank nodes: rewrite the whole graph instead.
            return [f"DROP SILENT GRAPH {g}", _insert_data(g, wanted)]
        operations = [_delete_data(g, removed)] if removed else []
        return operations + ([_insert_data(g, added)] if added else [])

    def _write(self, new: list[ox.Quad], edits: list[str]) -> None:
        try:
            if len(new) >= BULK_MIN_QUADS:
                self._store.bulk_extend(new)
            elif new:
                self._store.extend(new)
            if edits:
                self._store.update(" ;\n".join(edits))
        except OSError as error:
            raise StoreError(f"{self.path}: write failed: {error}") from error

    def remove_graphs(self, graphs: Iterable[URIRef]) -> None:
        self._writable()
        operations = [f"DROP SILENT GRAPH {self._terms.iri(g)}" for g in graphs]
        if operations:
            with self._lock.writing():
                self._store.update(" ;\n".join(operations))
                self._generation += 1

    def update(self, sparql: str) -> None:
        self._writable()
        with self._lock.writing():
            try:
                self._store.update(sparql)
            except SyntaxError as error:
                raise QueryError(f"SPARQL update does not parse: {error}") from error
            except OSError as error:
                raise StoreError(f"{self.path}: update failed: {error}") from error
            finally:
                self._generation += 1

    def load(self, data: BinaryIO, media_type: str, graph: URIRef | None = None) -> None:
        """Bulk-load a serialisation (not one transaction: meant for whole dumps)."""
        self._writable()
        fmt = rdf_format(media_type)
        to_graph = None if graph is None or fmt.supports_datasets else self._terms.iri(graph)
        with self._lock.writing():
            try:
                self._store.bulk_load(data, fmt, to_graph=to_graph)
            except SyntaxError as error:
                raise StoreError(f"cannot parse {media_type} data: {error}") from error
            except OSError as error:
                raise StoreError(f"{self.path}: load failed: {error}") from error
            finally:
                self._generation += 1

    def flush(self) -> None:
        if not self.read_only:
            self._store.flush()

    def optimize(self) -> None:
        """Compact the database after a big ingest (faster queries, smaller directory)."""
        self._writable()
        self._store.optimize()

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
        if self._snapshot_root is not None:
            shutil.rmtree(self._snapshot_root, ignore_errors=True)
            self._snapshot_root = None
        if not self.read_only:
            with contextlib.suppress(OSError):
                self._store.flush()
        # pyoxigraph releases RocksDB's lock only when the Store object is freed: drop ours, so
        # the directory can be reopened (by this process or another) right after close().
        self._store = _Closed(self.path)

    def _snapshot_prefix(self) -> str:
        return f".{self.path.name}-snapshots-"

    def _remove_stale_snapshots(self) -> None:
        """Snapshots left by a process that died: only the writer makes them, and RocksDB's lock
        says we are the only writer now, so none is in use."""
        for stale in self.path.parent.glob(self._snapshot_prefix() + "*"):
            shutil.rmtree(stale, ignore_errors=True)

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.path}: the store is open read-only")

    # -- reading ---------------------------------------------------------------------------

    def graph_names(self) -> Iterator[URIRef]:
        return (URIRef(g.value) for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def triples(self, graph: URIRef | None = None) -> Iterator[Quad]:
        pattern = None if graph is None else self._terms.iri(graph)
        for q in self._store.quads_for_pattern(None, None, None, pattern):
            g = q.graph_name
            yield (
                from_oxigraph(q.subject),
                from_oxigraph(q.predicate),
                from_oxigraph(q.object),
                URIRef(g.value) if isinstance(g, ox.NamedNode) else None,
            )

    def __len__(self) -> int:
        return len(self._store)

    def dump(self, out: BinaryIO, media_type: str, graph: URIRef | None = None) -> None:
        """Stream in Rust straight to ``out``. A triple syntax without ``graph`` gets the union
        of all graphs (a dataset-wide N-Triples/Turtle dump), streamed through a query."""
        fmt = rdf_format(media_type)
        try:
            if graph is not None:
                self._store.dump(out, fmt, from_graph=self._terms.iri(graph))
            elif fmt.supports_datasets:
                self._store.dump(out, fmt)
            else:
                answer = self._store.query(
                    "CONSTRUCT WHERE { ?s ?p ?o }", use_default_graph_as_union=True
                )
                answer.serialize(out, format=fmt)
        except OSError as error:
            raise StoreError(f"{self.path}: dump failed: {error}") from error

    def query(
        self,
        sparql: str,
        bindings: Mapping[str, Term] | None = None,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryResult:
        job = self._job(sparql, bindings, default_graph_uris, named_graph_uris, None)
        if timeout is None:
            return _result(evaluate(self._store, job))
        kind, payload = self._run(job, timeout)
        if kind == "boolean":
            return QueryResult(kind="boolean", boolean=payload)
        if kind == "graph":
            triples = (tuple(from_plain(t) for t in triple) for triple in payload)
            return QueryResult(kind="graph", triples=triples)  # type: ignore[arg-type]
        variables, rows = payload
        converted = (tuple(from_plain(t) for t in row) for row in rows)
        return QueryResult(kind="bindings", variables=variables, rows=converted)

    def query_serialized(
        self,
        sparql: str,
        media_types: str | Sequence[str],
        bindings: Mapping[str, Term] | None = None,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Serialized:
        accepted = (media_types,) if isinstance(media_types, str) else tuple(media_types)
        job = self._job(sparql, bindings, default_graph_uris, named_graph_uris, accepted)
        if timeout is None:
            body, media, kind = serialize(evaluate(self._store, job), accepted)
        else:
            body, media, kind = self._run(job, timeout)
        return Serialized(body, media, kind)

    def _job(
        self,
        sparql: str,
        bindings: Mapping[str, Term] | None,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
        media_types: tuple[str, ...] | None,
    ) -> Job:
        substitutions: dict[str, Any] = {}
        if bindings:
            check_names(bindings)
            try:
                substitutions = {k: to_plain(self._terms.term(v)) for k, v in bindings.items()}
            except ValueError as error:
                raise QueryError(f"cannot bind a value: {error}") from error
        return Job(
            location="",
            sparql=sparql,
            substitutions=substitutions,
            default_graphs=tuple(default_graph_uris),
            named_graphs=tuple(named_graph_uris),
            media_types=media_types,
        )

    def _run(self, job: Job, timeout: float) -> Any:
        """Run ``job`` in a worker over the current snapshot, killed at ``timeout`` seconds."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = WorkerPool(self._workers)
            pool = self._pool
        with self._lock.reading():
            location = self._current_snapshot(pool)
            return pool.run(_at(job, location), timeout)

    def _current_snapshot(self, pool: WorkerPool) -> str:
        """The directory workers read: the store itself if read-only, else a checkpoint of the
        state after the last write (made here, under the read lock, so no write runs meanwhile)."""
        if self.read_only:
            return str(self.path)
        with self._pool_lock:
            if self._snapshot is not None and self._snapshot[0] == self._generation:
                return self._snapshot[1]
            if self._snapshot_root is None:
                self._snapshot_root = tempfile.mkdtemp(
                    prefix=self._snapshot_prefix(), dir=self.path.parent
                )
                weakref.finalize(self, shutil.rmtree, self._snapshot_root, True)
            target = str(Path(self._snapshot_root) / f"g{self._generation}")
            if not Path(target).exists():
                try:
                    self._store.backup(target)
                except OSError as error:
                    raise StoreError(
                        f"{self.path}: cannot snapshot for queries: {error}"
                    ) from error
            previous, self._snapshot = self._snapshot, (self._generation, target)
        if previous is not None:
            pool.retire(previous[1])
        return target


def _as_stored(quads: list[ox.Quad]) -> set[ox.Quad]:
    """The quads as Oxigraph will give them back: it keeps some literals by value, not by
    lexical form (``"18.0"^^xsd:decimal`` comes back ``"18"``), so compare like with like."""
    scratch = ox.Store()
    scratch.extend(quads)
    return set(scratch)


def _at(job: Job, location: str) -> Job:
    return Job(
        location=location,
        sparql=job.sparql,
        substitutions=job.substitutions,
        default_graphs=job.default_graphs,
        named_graphs=job.named_graphs,
        media_types=job.media_types,
    )


def _result(answer: Any) -> QueryResult:
    """A pyoxigraph answer as a QueryResult whose rows convert lazily."""
    kind = kind_of(answer)
    if kind == "boolean":
        return QueryResult(kind="boolean", boolean=bool(answer))
    if kind == "graph":
        triples = (
            (from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object))
            for t in answer
        )
        return QueryResult(kind="graph", triples=triples)  # type: ignore[arg-type]
    variables = [v.value for v in answer.variables]
    width = range(len(variables))
    rows = (tuple(from_oxigraph(solution[i]) for i in width) for solution in answer)
    return QueryResult(kind="bindings", variables=variables, rows=rows)


def _triples_text(quads: Iterable[ox.Quad]) -> str:
    # pyoxigraph writes each term in N-Triples syntax with its own escaping.
    return "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)


def _insert_data(g: ox.NamedNode, quads: Iterable[ox.Quad]) -> str:
    return f"INSERT DATA {{ GRAPH {g} {{\n{_triples_text(quads)}\n}} }}"


def _delete_data(g: ox.NamedNode, quads: Iterable[ox.Quad]) -> str:
    return f"DELETE DATA {{ GRAPH {g} {{\n{_triples_text(quads)}\n}} }}"


__all__ = ["BULK_MIN_QUADS", "OxigraphStore"]


class _Closed:
    """Stands in for the pyoxigraph Store after close(): any use says so instead of crashing."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __getattr__(self, name: str) -> Any:
        raise StoreError(f"{self._path}: the store is closed")

    def __len__(self) -> int:
        raise StoreError(f"{self._path}: the store is closed")
