"""Media types the stores read and write: RDF syntaxes and SPARQL result formats, by kind of result.

A query's answer is either solutions/boolean (SPARQL results formats) or a graph (RDF syntaxes);
:func:`choose` picks, from the media types a caller accepts in order of preference, the first one
that fits the kind of answer, falling back to the kind's default.

>>> choose(["text/turtle", "application/sparql-results+xml"], "bindings")
'application/sparql-results+xml'
>>> choose(["application/sparql-results+json"], "graph")
'text/turtle'
>>> rdf_format("application/n-quads; charset=utf-8").name
'N-Quads'
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from kg.errors import StoreError

# Media type -> rdflib serializer/parser name, for the RDF syntaxes every backend offers.
RDF_SYNTAXES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "text/n3": "n3",
}
# Media type -> rdflib result serializer name (TSV is written by the backends that can).
RESULT_FORMATS: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
QUAD_SYNTAXES = frozenset({"application/n-quads", "application/trig"})
DEFAULTS = {
    "bindings": "application/sparql-results+json",
    "boolean": "application/sparql-results+json",
    "graph": "text/turtle",
}
_ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
    "application/json+ld": "application/ld+json",
}


def essence(media_type: str) -> str:
    """The media type without parameters, lower-cased, aliases resolved.

    >>> essence("Text/Turtle; charset=utf-8")
    'text/turtle'
    """
    base = media_type.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def choose(accepted: str | Sequence[str], kind: str) -> str:
    """The first accepted media type that can carry an answer of ``kind``, else its default."""
    offered = RDF_SYNTAXES if kind == "graph" else RESULT_FORMATS
    for media_type in [accepted] if isinstance(accepted, str) else accepted:
        if essence(media_type) in offered:
            return essence(media_type)
    return DEFAULTS[kind]


def rdf_format(media_type: str) -> ox.RdfFormat:
    """The pyoxigraph RDF format of a media type; ``StoreError`` naming the known ones if none."""
    media = essence(media_type)
    found = ox.RdfFormat.from_media_type(media) if media in RDF_SYNTAXES else None
    if found is None:
        raise StoreError(f"unknown RDF media type {media_type!r}; known: {', '.join(RDF_SYNTAXES)}")
    return found


def results_format(media_type: str) -> ox.QueryResultsFormat:
    """The pyoxigraph results format of a media type; ``StoreError`` if it is not one."""
    media = essence(media_type)
    found = ox.QueryResultsFormat.from_media_type(media) if media in RESULT_FORMATS else None
    if found is None:
        raise StoreError(f"unknown SPARQL results media type {media_type!r}")
    return found


def rdflib_syntax(media_type: str) -> str:
    """The rdflib serializer/parser name of an RDF media type."""
    try:
        return RDF_SYNTAXES[essence(media_type)]
    except KeyError:
        raise StoreError(
            f"unknown RDF media type {media_type!r}; known: {', '.join(RDF_SYNTAXES)}"
        ) from None


__all__ = [
    "DEFAULTS",
    "QUAD_SYNTAXES",
    "RDF_SYNTAXES",
    "RESULT_FORMATS",
    "choose",
    "essence",
    "rdf_format",
    "rdflib_syntax",
    "results_format",
]
