"""The Store protocol: the one small interface every backend (embedded, memory, remote) offers.

Callers never ask which backend they have. Terms crossing this interface are rdflib terms
(``URIRef``, ``Literal``); a backend converts to its own representation inside.

Design rules every backend honours (the contract suite in ``tests/test_store_contract.py``
checks them against each one):

* one named graph per trial; ``replace_graphs`` swaps each given graph's whole content
  atomically, so a reader never sees half a trial and a crash leaves none;
* the default graph seen by ``query`` is the union of all named graphs unless
  ``default_graph_uris`` narrows it (as Fuseki's ``unionDefaultGraph``);
* values reach SPARQL as ``bindings`` (``{"name": term}``), never spliced into the text; as in
  SEP-0007 (pyoxigraph's ``substitutions``) a bound variable must be one the query returns
  (``SELECT *``, listed in the projection, or any variable of ASK/CONSTRUCT), else ``QueryError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Literal, NamedTuple, Protocol, runtime_checkable

from rdflib.term import Identifier, URIRef
from rdflib.term import Literal as RDFLiteral

Term = Identifier
Triple = tuple[Term, Term, Term]
Quad = tuple[Term, Term, Term, URIRef]

ResultKind = Literal["bindings", "boolean", "graph"]


@dataclass
class QueryResult:
    """A query's answer in backend-neutral form.

    ``bindings``: ``variables`` and ``rows`` (tuples aligned with ``variables``, ``None`` for
    unbound); ``boolean``: ``boolean``; ``graph``: ``triples``. ``rows``/``triples`` are
    iterators: consume them once.
    """

    kind: ResultKind
    variables: list[str] = field(default_factory=list)
    rows: Iterator[tuple[Term | None, ...]] = field(default_factory=lambda: iter(()))
    boolean: bool | None = None
    triples: Iterator[Triple] = field(default_factory=lambda: iter(()))

    def dicts(self) -> Iterator[dict[str, Term]]:
        """Rows as ``{variable: term}`` with unbound variables left out."""
        for row in self.rows:
            yield {v: t for v, t in zip(self.variables, row, strict=True) if t is not None}

    def values(self, variable: str) -> list[Term]:
        """Every bound value of one variable, in order."""
        i = self.variables.index(variable)
        return [row[i] for row in self.rows if row[i] is not None]


class Serialized(NamedTuple):
    """A query answer already serialised: the bytes, their media type and the kind of answer."""

    body: bytes
    media_type: str
    kind: ResultKind


@runtime_checkable
class Store(Protocol):
    """A quad store that TrialKG loads into and queries."""

    def replace_graphs(self, graphs: Mapping[URIRef, Iterable[Triple]]) -> None:
        """Replace each named graph's whole content with the given triples (empty: remove it).

        Each graph is swapped atomically (a reader sees the old trial or the new one, a crash
        leaves one of them); the remote store sends a batch as one update request."""
        ...

    def remove_graphs(self, graphs: Iterable[URIRef]) -> None:
        """Drop named graphs (one transaction)."""
        ...

    def graph_names(self) -> Iterator[URIRef]:
        """The named graphs in the store."""
        ...

    def triples(self, graph: URIRef | None = None) -> Iterator[Quad]:
        """Every quad, or those of one named graph."""
        ...

    def query(
        self,
        sparql: str,
        bindings: Mapping[str, Term] | None = None,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query; ``QueryError`` with the parser's message if it does not parse,
        ``QueryTimeout`` if it runs past ``timeout`` seconds."""
        ...

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
        """Like ``query`` but answers in bytes, in the first of ``media_types`` (preferred first)
        that fits the answer (SPARQL results for SELECT/ASK, an RDF syntax for CONSTRUCT/DESCRIBE),
        else the kind's default; the embedded store serialises natively, term by term in Rust."""
        ...

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update (only callers that checked permission reach this)."""
        ...

    def dump(self, out: BinaryIO, media_type: str, graph: URIRef | None = None) -> None:
        """Stream the store (or one graph) to ``out`` in an RDF syntax given by media type."""
        ...

    def load(self, data: BinaryIO, media_type: str, graph: URIRef | None = None) -> None:
        """Bulk-load a serialisation (N-Quads, or triples into ``graph``)."""
        ...

    def __len__(self) -> int:
        """Number of quads."""
        ...

    def flush(self) -> None:
        """Make everything written so far durable."""
        ...

    def close(self) -> None: ...


__all__ = [
    "Quad",
    "QueryResult",
    "RDFLiteral",
    "ResultKind",
    "Serialized",
    "Store",
    "Term",
    "Triple",
]
