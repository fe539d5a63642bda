"""Reading and writing RDF syntaxes in rdflib terms with pyoxigraph's streaming parsers and writers.

One parser and one writer for every backend that holds rdflib terms (memory, remote) and for
the export: they stream, they are fast, and they speak every syntax the project offers.

>>> from rdflib import Literal, URIRef
>>> quad = (URIRef("http://ex/s"), URIRef("http://ex/p"), Literal("o"), URIRef("http://ex/g"))
>>> data = write([quad], "application/n-quads")
>>> data
b'<http://ex/s> <http://ex/p> "o" <http://ex/g> .\\n'
>>> list(read(data, "application/n-quads")) == [quad]
True
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import IO

import pyoxigraph as ox
from rdflib import URIRef

from kg.errors import StoreError
from kg.stores.base import Quad, Term
from kg.stores.media import rdf_format
from kg.stores.terms import OxigraphTerms, from_oxigraph


def read(
    data: bytes | IO[bytes], media_type: str, graph: URIRef | None = None
) -> Iterator[tuple[Term, Term, Term, URIRef | None]]:
    """Quads parsed from ``data``; triples land in ``graph`` (``None``: the default graph)."""
    fmt = rdf_format(media_type)
    try:
        for q in ox.parse(data, fmt):
            g = q.graph_name
            name = URIRef(g.value) if isinstance(g, ox.NamedNode) else graph
            yield (
                from_oxigraph(q.subject),
                from_oxigraph(q.predicate),
                from_oxigraph(q.object),
                name,
            )
    except SyntaxError as error:
        raise StoreError(f"cannot parse {media_type} data: {error}") from error


def write(
    quads: Iterable[Quad | tuple[Term, Term, Term, URIRef | None]],
    media_type: str,
    out: IO[bytes] | None = None,
    *,
    prefixes: dict[str, str] | None = None,
) -> bytes | None:
    """Serialise quads (graph ``None``: the default graph) to ``out``, or return the bytes.
    A triple syntax gets the triples of every quad, graphs merged."""
    fmt = rdf_format(media_type)
    terms = OxigraphTerms()
    term = terms.term

    def converted() -> Iterator[ox.Quad | ox.Triple]:
        for s, p, o, g in quads:
            if fmt.supports_datasets:
                name = ox.DefaultGraph() if g is None else terms.iri(g)
                yield ox.Quad(term(s), term(p), term(o), name)
            else:
                yield ox.Triple(term(s), term(p), term(o))

    target = io.BytesIO() if out is None else out
    try:
        ox.serialize(converted(), target, fmt, prefixes=prefixes)
    except ValueError as error:
        raise StoreError(f"cannot write {media_type}: {error}") from error
    return target.getvalue() if out is None else None


__all__ = ["read", "write"]
