"""The in-memory store: an rdflib ``Dataset`` whose default graph is the union of its named graphs.

For tests and small work. It is deliberately a different engine from the embedded store (rdflib's
pure-Python SPARQL evaluator, not Oxigraph), so the contract suite checks the interface, not one
engine's quirks. rdflib would fetch ``FROM`` graphs and ``SERVICE`` endpoints over the network;
here ``FROM``/``FROM NAMED`` only select stored graphs and ``SERVICE`` is refused.

Timeouts: the query runs in a thread that is interrupted at the deadline by raising an exception
inside it (``PyThreadState_SetAsyncExc``). rdflib evaluates in Python bytecode, so the interrupt
lands within a few bytecodes even in an ``ORDER BY`` or ``COUNT`` that yields no row until the end.
"""

from __future__ import annotations

import ctypes
import io
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import BinaryIO, TypeVar

from pyparsing import ParseException
from rdflib import Dataset, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD
from rdflib.plugins.sparql import prepareQuery, prepareUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query, SPARQLError

from kg.errors import QueryError, QueryTimeout
from kg.stores import syntax
from kg.stores.base import Quad, QueryResult, Serialized, Term, Triple
from kg.stores.bindings import check_projected
from kg.stores.locks import ReadWriteLock
from kg.stores.media import RESULT_FORMATS, choose
from kg.stores.terms import check_iri

T = TypeVar("T")


class _Deadline(BaseException):
    """Raised inside a query thread at its deadline (a BaseException so no ``except Exception``
    inside rdflib can swallow it)."""


class MemoryStore:
    """A Store held in memory by rdflib; nothing survives ``close``."""

    def __init__(self) -> None:
        self._ds = Dataset(default_union=True)
        self._lock = ReadWriteLock()
        # rdflib 7.6's own SPARQL engine calls its deprecated Dataset accessors; the warning is
        # rdflib talking to itself, so hide exactly that one (pytest runs warnings-as-errors).
        warnings.filterwarnings(
            "ignore", message=r"Dataset\.\w+ is deprecated", category=DeprecationWarning
        )

    # -- writing ---------------------------------------------------------------------------

    def replace_graphs(self, graphs: Mapping[URIRef, Iterable[Triple]]) -> None:
        staged = {
            _checked(URIRef(g)): [(_checked(s), _checked(p), _checked(_plain(o))) for s, p, o in ts]
            for g, ts in graphs.items()
        }
        with self._lock.writing():
            for name, triples in staged.items():
                self._ds.remove_graph(name)
                if triples:
                    graph = self._ds.graph(name)
                    for triple in triples:
                        graph.add(triple)

    def remove_graphs(self, graphs: Iterable[URIRef]) -> None:
        with self._lock.writing():
            for name in graphs:
                self._ds.remove_graph(URIRef(name))

    def update(self, sparql: str) -> None:
        try:
            prepared = prepareUpdate(sparql)
        except ParseException as error:
            raise QueryError(f"SPARQL update does not parse: {error}") from error
        with self._lock.writing():
            self._ds.update(prepared)

    def load(self, data: BinaryIO, media_type: str, graph: URIRef | None = None) -> None:
        parsed = [(s, p, _plain(o), g) for s, p, o, g in syntax.read(data, media_type, graph)]
        with self._lock.writing():
            for s, p, o, g in parsed:
                target = self._ds.default_graph if g is None else self._ds.graph(_checked(g))
                target.add((_checked(s), _checked(p), _checked(o)))

    def flush(self) -> None:
        """Nothing to do: the store lives in memory."""

    def close(self) -> None:
        self._ds = Dataset(default_union=True)

    # -- reading ---------------------------------------------------------------------------

    def graph_names(self) -> Iterator[URIRef]:
        with self._lock.reading():
            names = [
                c.identifier
                for c in self._ds.graphs()
                if c.identifier != DATASET_DEFAULT_GRAPH_ID and len(c)
            ]
        return iter(names)

    def triples(self, graph: URIRef | None = None) -> Iterator[Quad]:
        with self._lock.reading():
            if graph is not None:
                quads = [(s, p, o, graph) for s, p, o in self._ds.graph(URIRef(graph))]
            else:
                quads = list(self._ds.quads((None, None, None, None)))
        return iter(quads)

    def __len__(self) -> int:
        with self._lock.reading():
            return sum(1 for _ in self._ds.quads((None, None, None, None)))

    def dump(self, out: BinaryIO, media_type: str, graph: URIRef | None = None) -> None:
        syntax.write(self.triples(graph), media_type, out)

    def query(
        self,
        sparql: str,
        bindings: Mapping[str, Term] | None = None,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryResult:
        prepared, dataset = self._prepare(sparql, bindings, default_graph_uris, named_graph_uris)
        with self._lock.reading():  # held by this thread, never by the interruptible one
            return _run(lambda: _evaluate(dataset(), prepared, bindings), timeout)

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
        prepared, dataset = self._prepare(sparql, bindings, default_graph_uris, named_graph_uris)

        def answer() -> Serialized:
            result = _evaluate(dataset(), prepared, bindings)
            return serialize_result(result, media_types)

        with self._lock.reading():
            return _run(answer, timeout)

    def _prepare(
        self,
        sparql: str,
        bindings: Mapping[str, Term] | None,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
    ) -> tuple[Query, Callable[[], Dataset]]:
        try:
            prepared = prepareQuery(sparql)
        except ParseException as error:
            raise QueryError(f"SPARQL query does not parse: {error}") from error
        check_projected(prepared, bindings)
        if _uses_service(prepared.algebra):
            raise QueryError("SERVICE is not supported by the in-memory store")
        clauses = prepared.algebra.get("datasetClause") or []
        prepared.algebra["datasetClause"] = None  # never let rdflib fetch FROM graphs
        if not default_graph_uris and not named_graph_uris and clauses:
            default_graph_uris = [str(c.default) for c in clauses if c.get("default")]
            named_graph_uris = [str(c.named) for c in clauses if c.get("named")]
        if not default_graph_uris and not named_graph_uris:
            return prepared, lambda: self._ds
        return prepared, lambda: self._narrowed(default_graph_uris, named_graph_uris)

    def _narrowed(
        self, default_graph_uris: Sequence[str], named_graph_uris: Sequence[str]
    ) -> Dataset:
        """A dataset whose default graph merges ``default_graph_uris`` and whose only named graphs
        are ``named_graph_uris`` (SPARQL 1.1 Protocol: giving either replaces the whole dataset)."""
        narrowed = _copy(self._ds, [URIRef(g) for g in named_graph_uris])
        for name in default_graph_uris:
            for triple in self._ds.graph(URIRef(name)):
                narrowed.default_graph.add(triple)
        return narrowed


def _copy(source: Dataset, names: Iterable[URIRef]) -> Dataset:
    copy = Dataset(default_union=False)
    for name in names:
        if name == DATASET_DEFAULT_GRAPH_ID:
            continue
        target = copy.graph(name)
        for triple in source.graph(name):
            target.add(triple)
    return copy


def _plain(term: Term) -> Term:
    """``"x"^^xsd:string`` and ``"x"`` are one RDF 1.1 literal; rdflib keeps them apart."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def _checked(term: T) -> T:
    """The term, if every IRI in it is one N-Triples can carry (as the other backends demand)."""
    if isinstance(term, URIRef):
        check_iri(term)
    elif isinstance(term, Literal) and term.datatype is not None:
        check_iri(term.datatype)
    return term


def _plain_or_none(term: Term | None) -> Term | None:
    return None if term is None else _plain(term)


def _uses_service(node: object) -> bool:
    if isinstance(node, CompValue):
        return node.name == "ServiceGraphPattern" or any(_uses_service(v) for v in node.values())
    if isinstance(node, list | tuple):
        return any(_uses_service(v) for v in node)
    return False


def _evaluate(
    dataset: Dataset, prepared: Query, bindings: Mapping[str, Term] | None
) -> QueryResult:
    """Evaluate and materialise the answer (the caller holds the read lock)."""
    init = {Variable(k): v for k, v in (bindings or {}).items()}
    try:
        result = dataset.query(prepared, initBindings=init)
        if result.type == "ASK":
            return QueryResult(kind="boolean", boolean=bool(result.askAnswer))
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            triples = [(s, p, _plain(o)) for s, p, o in result.graph]
            return QueryResult(kind="graph", triples=iter(triples))
        variables = [str(v) for v in result.vars]
        keys = [Variable(v) for v in variables]
        rows = [tuple(_plain_or_none(row.get(k)) for k in keys) for row in result.bindings]
    except SPARQLError as error:
        raise QueryError(f"SPARQL query failed: {error}") from error
    return QueryResult(kind="bindings", variables=variables, rows=iter(rows))


def serialize_result(result: QueryResult, media_types: str | Sequence[str]) -> Serialized:
    """A :class:`QueryResult` written with rdflib's serialisers (SPARQL results JSON/XML/CSV, TSV,
    or an RDF syntax for graphs), in the first accepted media type that fits."""
    from rdflib.query import Result  # local: only this path needs rdflib's Result

    media = choose(media_types, result.kind)
    buffer = io.BytesIO()
    if result.kind == "graph":
        body = syntax.write(((s, p, o, None) for s, p, o in result.triples), media)
        return Serialized(body or b"", media, "graph")
    if media == "text/tab-separated-values":
        return Serialized(_tsv(result), media, result.kind)
    answer = Result("ASK" if result.kind == "boolean" else "SELECT")
    if result.kind == "boolean":
        answer.askAnswer = bool(result.boolean)
    else:
        answer.vars = [Variable(v) for v in result.variables]
        answer.bindings = [
            {Variable(v): t for v, t in zip(result.variables, row, strict=True) if t is not None}
            for row in result.rows
        ]
    answer.serialize(buffer, format=RESULT_FORMATS[media], encoding="utf-8")
    return Serialized(buffer.getvalue(), media, result.kind)


def _tsv(result: QueryResult) -> bytes:
    from kg.stores.terms import to_sparql

    if result.kind == "boolean":
        return b"true\n" if result.boolean else b"false\n"
    lines = ["\t".join("?" + v for v in result.variables)]
    lines += ["\t".join("" if t is None else to_sparql(t) for t in row) for row in result.rows]
    return ("\n".join(lines) + "\n").encode()


def _run(work: Callable[[], T], timeout: float | None) -> T:
    """``work()`` in a thread stopped at ``timeout`` seconds with ``QueryTimeout``."""
    if timeout is None:
        return work()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except _Deadline:
            pass
        except BaseException as error:  # handed to the caller's thread below
            failure.append(error)

    thread = threading.Thread(target=target, name="trialkg-memory-query", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        while thread.is_alive():  # repeat in case a finally block or C call delays it
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(thread.ident or 0), ctypes.py_object(_Deadline)
            )
            thread.join(0.05)
        raise QueryTimeout(f"query stopped after its {timeout:g} s time limit")
    if failure:
        raise failure[0]
    if not outcome:
        raise QueryTimeout(f"query stopped after its {timeout:g} s time limit")
    return outcome[0]


__all__ = ["MemoryStore", "serialize_result"]
