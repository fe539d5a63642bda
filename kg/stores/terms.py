"""Term conversion between rdflib, pyoxigraph and N-Triples/SPARQL text; escaping lives here.

Every backend takes rdflib terms at the Store interface; this module turns them into pyoxigraph
terms (embedded store) or into N-Triples term syntax (a SPARQL ``VALUES`` block, ``INSERT DATA``
for a remote store) and back. IRIs that N-Triples cannot carry are refused, never escaped into
shape, so a value can never close the term it sits in.

>>> to_sparql(URIRef("https://w3id.org/trialkg/trial/NCT04590118"))
'<https://w3id.org/trialkg/trial/NCT04590118>'
>>> to_sparql(Literal('"x" } ; DROP ALL ; {'))
'"\\\\"x\\\\" } ; DROP ALL ; {"'
>>> to_sparql(Literal("chat", lang="fr")), to_sparql(Literal(3))
('"chat"@fr', '"3"^^<http://www.w3.org/2001/XMLSchema#integer>')
>>> from_oxigraph(to_oxigraph(Literal("2020-01-01", datatype=XSD.date)))
rdflib.term.Literal('2020-01-01', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#date'))
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Identifier

from kg.errors import StoreError

_XSD_STRING = str(XSD.string)
_LANG_STRING = str(RDF.langString)
# Characters N-Triples forbids inside <...> (https://www.w3.org/TR/n-triples/#grammar-production-IRIREF).
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_ESCAPES = str.maketrans(
    {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
)


def check_iri(iri: str) -> str:
    """The IRI itself, or ``StoreError`` if it holds a character an IRI may not contain."""
    if _BAD_IRI.search(iri):
        raise StoreError(f'IRI {iri!r} contains a character IRIs may not hold (space, <, >, ", …)')
    return iri


def to_sparql(term: Identifier) -> str:
    """A term in N-Triples syntax, which is also valid SPARQL and Turtle term syntax."""
    if isinstance(term, URIRef):
        return f"<{check_iri(str(term))}>"
    if isinstance(term, Literal):
        text = f'"{str(term).translate(_ESCAPES)}"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and str(term.datatype) != _XSD_STRING:
            return f"{text}^^<{check_iri(str(term.datatype))}>"
        return text
    if isinstance(term, BNode):
        return f"_:{term}"
    raise StoreError(f"cannot store a term of type {type(term).__name__}: {term!r}")


class OxigraphTerms:
    """rdflib → pyoxigraph conversion that remembers IRIs, since a batch repeats them a lot.

    The cache is bounded by ``limit`` entries and simply cleared when full: the IRIs that matter
    (predicates, classes, code individuals, shared organisations) come back within a batch.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self._iris: dict[str, ox.NamedNode] = {}
        self._limit = limit

    def iri(self, value: str) -> ox.NamedNode:
        node = self._iris.get(value)
        if node is None:
            if len(self._iris) >= self._limit:
                self._iris.clear()
            node = self._iris[value] = ox.NamedNode(value)
        return node

    def term(self, term: Identifier) -> ox.NamedNode | ox.Literal | ox.BlankNode:
        if isinstance(term, URIRef):
            return self.iri(term)
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(term, language=term.language)
            datatype = term.datatype
            return ox.Literal(term, datatype=None if datatype is None else self.iri(datatype))
        if isinstance(term, BNode):
            return ox.BlankNode(term)
        raise StoreError(f"cannot store a term of type {type(term).__name__}: {term!r}")


_DEFAULT = OxigraphTerms()


def to_oxigraph(term: Identifier) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """One rdflib term as a pyoxigraph term (shared IRI cache)."""
    try:
        return _DEFAULT.term(term)
    except ValueError as error:  # pyoxigraph refuses an invalid IRI or language tag
        raise StoreError(f"cannot store {term!r}: {error}") from error


def from_oxigraph(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> Identifier | None:
    """One pyoxigraph term as an rdflib term; ``xsd:string`` literals come back plain, as rdflib
    parses them."""
    if term is None:
        return None
    convert = _FROM_OX.get(type(term))
    if convert is None:
        raise StoreError(f"cannot convert a {type(term).__name__} to rdflib: {term!r}")
    return convert(term)


def _literal(term: ox.Literal) -> Literal:
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))


_FROM_OX: dict[type, Callable[[object], Identifier]] = {
    ox.NamedNode: lambda t: URIRef(t.value),
    ox.BlankNode: lambda t: BNode(t.value),
    ox.Literal: _literal,
}


def from_plain(term: tuple[str, ...] | None) -> Identifier | None:
    """A term sent between processes as a plain tuple (see :func:`to_plain`) as an rdflib term."""
    if term is None:
        return None
    kind, value, extra = term
    if kind == "u":
        return URIRef(value)
    if kind == "b":
        return BNode(value)
    if kind == "@":
        return Literal(value, lang=extra)
    return Literal(value, datatype=None if extra == _XSD_STRING else URIRef(extra))


def to_plain(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> tuple[str, str, str] | None:
    """A pyoxigraph term as a picklable tuple ``(kind, value, datatype-or-language)``."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("u", term.value, "")
    if isinstance(term, ox.BlankNode):
        return ("b", term.value, "")
    if term.language:
        return ("@", term.value, term.language)
    return ("l", term.value, term.datatype.value)


__all__ = [
    "OxigraphTerms",
    "check_iri",
    "from_oxigraph",
    "from_plain",
    "to_oxigraph",
    "to_plain",
    "to_sparql",
]
