"""A link as data and as RDF: the asserted triple plus a reified ``tk:Link`` provenance node.

Each link is asserted plainly (``trial tk:conditionMesh mesh:D020521``, ``mesh:D020521
skos:exactMatch MONDO:0005098``) so queries stay simple, and described by a node with a stable
IRI below the trial (``…/trial/NCT…/link/<hash of the triple>``) in the style of SSSOM's RDF
form: subject, predicate, object, method, score, vocabulary version, the field and text it was
found in. Re-linking a trial gives the same node IRIs, so re-ingest stays idempotent.

>>> from kg.vocab import Iris, TK, MESH
>>> link = Link(Iris().trial("NCT00000001"), TK.conditionMesh, MESH.D020521, "lexical-exact",
...             1.0, "MeSH 2024", "conditions[0]", "Stroke")
>>> str(link.node(Iris(), "NCT00000001"))
'https://w3id.org/trialkg/trial/NCT00000001/link/3d2fcb1f8addd561'
>>> len(link.triples(Iris(), "NCT00000001"))
11
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.vocab import TK, Iris

METHOD_JUSTIFICATIONS: dict[str, str] = {
    "registry": "semapv:ManualMappingCuration",
    "lexical-exact": "semapv:LexicalMatching",
    "lexical-normalised": "semapv:LexicalMatching",
    "lexical-token": "semapv:LexicalMatching",
    "lexical-abbreviation": "semapv:LexicalMatching",
    "name-exact": "semapv:LexicalMatching",
    "xref": "semapv:MappingChaining",
    "curated": "semapv:ManualMappingCuration",
}
"""Each link method and the SSSOM ``mapping_justification`` (semapv term) it is exported as."""


@dataclass(frozen=True)
class Link:
    """One link with how it was made; ``score`` in [0, 1]."""

    subject: URIRef
    predicate: URIRef
    target: URIRef
    method: str
    score: float
    version: str
    field: str | None = None
    text: str | None = None

    def node(self, iris: Iris, nct_id: str) -> URIRef:
        """The link's stable IRI: a hash of the asserted triple, below the trial."""
        digest = hashlib.sha256(
            f"{self.subject} {self.predicate} {self.target}".encode()
        ).hexdigest()
        return iris.part(nct_id, "link", digest[:16])

    def triples(self, iris: Iris, nct_id: str) -> list[tuple]:
        """The asserted triple and its ``tk:Link`` description."""
        if self.method not in METHOD_JUSTIFICATIONS:
            raise ValueError(
                f"unknown link method {self.method!r}; add it to METHOD_JUSTIFICATIONS"
            )
        node = self.node(iris, nct_id)
        out = [
            (self.subject, self.predicate, self.target),
            (iris.trial(nct_id), _HAS_LINK, node),
            (node, _TYPE, _LINK),
            (node, _SUBJECT, self.subject),
            (node, _PREDICATE, self.predicate),
            (node, _TARGET, self.target),
            (node, _METHOD, _literal(self.method)),
            (node, _SCORE, _score(self.score)),
            (node, _VERSION, _literal(self.version)),
        ]
        if self.field:
            out.append((node, _FIELD, _literal(self.field)))
        if self.text:
            out.append((node, _TEXT, Literal(self.text)))
        return out


_TYPE = RDF.type
_HAS_LINK, _LINK, _SUBJECT, _PREDICATE, _TARGET = (
    TK.hasLink,
    TK.Link,
    TK.linkSubject,
    TK.linkPredicate,
    TK.linkTarget,
)
_METHOD, _SCORE, _VERSION, _FIELD, _TEXT = (
    TK.linkMethod,
    TK.linkScore,
    TK.vocabularyVersion,
    TK.linkField,
    TK.matchedText,
)


@lru_cache(maxsize=4096)
def _literal(text: str) -> Literal:
    return Literal(text)


@lru_cache(maxsize=1024)
def _score(score: float) -> Literal:
    return Literal(f"{score:.3f}", datatype=XSD.decimal)
