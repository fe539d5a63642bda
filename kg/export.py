"""Export the graph (or one trial) as N-Quads, N-Triples, Turtle, TriG, JSON-LD or RDF/XML.

N-Quads and N-Triples of the whole store stream straight out of the store (in Rust for the
embedded one). Turtle, TriG and RDF/XML stream through pyoxigraph's writers with the project's
prefixes. JSON-LD is compacted with the published ``@context`` (``ontology/context.jsonld``), one
trial at a time, each trial a named graph object (``{"@id": graph, "@graph": [...]}``), so memory
stays bounded by the largest trial, not the store.

>>> sorted(FORMATS)
['jsonld', 'nquads', 'ntriples', 'rdfxml', 'trig', 'turtle']
>>> FORMATS["turtle"]
Format(media_type='text/turtle', extension='ttl')
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple

from rdflib import Graph, URIRef

from kg.errors import StoreError
from kg.stores import Store, syntax
from kg.vocab import Iris


class Format(NamedTuple):
    media_type: str
    extension: str


# name -> (media type, file extension); the CLI's --format choices come from here.
FORMATS: dict[str, Format] = {
    "nquads": Format("application/n-quads", "nq"),
    "ntriples": Format("application/n-triples", "nt"),
    "turtle": Format("text/turtle", "ttl"),
    "trig": Format("application/trig", "trig"),
    "jsonld": Format("application/ld+json", "jsonld"),
    "rdfxml": Format("application/rdf+xml", "rdf"),
}
_STREAMED = frozenset({"nquads", "ntriples"})


def export(store: Store, out: BinaryIO, fmt: str, *, trial: str | None = None, iris: Iris) -> None:
    """Write the store, or the one trial ``trial`` (an NCT id), to ``out`` in format ``fmt``."""
    if fmt not in FORMATS:
        raise StoreError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    media_type = FORMATS[fmt].media_type
    graph = None
    if trial is not None:
        graph = iris.graph(trial)
        if not any(True for _ in _first(store.triples(graph))):
            raise StoreError(f"trial {trial} is not in the store (no graph {graph})")
    if fmt == "jsonld":
        _jsonld(store, out, [graph] if graph is not None else sorted(store.graph_names()))
    elif fmt in _STREAMED and graph is None:
        store.dump(out, media_type)
    else:
        syntax.write(store.triples(graph), media_type, out, prefixes=prefixes(iris))


def prefixes(iris: Iris) -> dict[str, str]:
    """Prefixes for the syntaxes that abbreviate: the JSON-LD context's, plus the instance base."""
    found = {
        name: value
        for name, value in _context().items()
        if isinstance(value, str) and not name.startswith("@") and value.endswith(("#", "/"))
    }
    found["kg"] = iris.base
    return found


def _context() -> dict[str, Any]:
    from kg.ontology import jsonld_context  # the ontology module owns the published context

    return jsonld_context()


def _first(quads: Iterator[Any]) -> Iterator[Any]:
    for quad in quads:
        yield quad
        return


def _jsonld(store: Store, out: BinaryIO, graphs: list[URIRef]) -> None:
    """A JSON-LD document with the published context inline and one named graph per trial."""
    context = _context()
    out.write(b'{\n"@context": ')
    out.write(json.dumps(context, ensure_ascii=False).encode())
    out.write(b',\n"@graph": [')
    for i, name in enumerate(graphs):
        graph = Graph()
        for s, p, o, _ in store.triples(name):
            graph.add((s, p, o))
        compact = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True))
        compact.pop("@context", None)
        nodes = compact.pop("@graph", None)
        if nodes is None:  # a single node object, context removed
            nodes = [compact] if compact else []
        entry = {"@id": str(name), "@graph": nodes}
        out.write(b",\n" if i else b"\n")
        out.write(json.dumps(entry, ensure_ascii=False).encode())
    out.write(b"\n]\n}\n")


__all__ = ["FORMATS", "Format", "export", "prefixes"]
