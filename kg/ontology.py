"""The TrialKG ontology as data: the merged OWL graph, the published JSON-LD context, the crosswalk.

``ontology/`` holds the ontology as Turtle files (``trialkg.ttl`` the model, ``alignments.ttl``
the mappings to schema.org/OBI/CTO, ``linking.ttl`` the link vocabulary of ``kg.linking``) and
``context.jsonld``, the ``@context`` exports use. Validation (pySHACL's ``ont_graph``), the web
layer and the tests read them from here, parsed once per process.

>>> from kg.vocab import OWL, RDF, TK
>>> (TK.Trial, RDF.type, OWL.Class) in load_ontology()
True
>>> jsonld_context()["phase"]
{'@id': 'tk:phase', '@type': '@id'}
>>> from kg.model import OverallStatus
>>> legacy_codes(OverallStatus)["active, not recruiting"]
<OverallStatus.ACTIVE_NOT_RECRUITING: 'ACTIVE_NOT_RECRUITING'>
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from rdflib import Graph, Literal, URIRef

from kg.model import Code
from kg.resources import files_in, ontology_dir, read_text
from kg.vocab import SKOS, TK, code_iri

CONTEXT_FILE = "context.jsonld"


@cache
def load_ontology() -> Graph:
    """Every ``ontology/*.ttl`` file merged into one graph; cached, so treat it as read-only.

    Callers that need to add triples (a reasoner, a validator that infers) copy it first.
    """
    graph = Graph()
    for entry in files_in(ontology_dir(), ".ttl"):
        graph.parse(data=entry.read_text(encoding="utf-8"), format="turtle", publicID=None)
    return graph


def jsonld_context() -> dict[str, Any]:
    """The published JSON-LD ``@context`` (prefixes and a short name for every TK term).

    A fresh dict each call, so a caller may extend it without touching anyone else's copy.
    """
    return json.loads(read_text("ontology", CONTEXT_FILE))["@context"]


@dataclass(frozen=True)
class FieldMapping:
    """Where one ontology term's values come from: the API v2, legacy XML and FHIR paths."""

    term: URIRef
    api_fields: tuple[str, ...]
    xml_fields: tuple[str, ...]
    fhir_elements: tuple[str, ...]


def crosswalk() -> list[FieldMapping]:
    """Every TK term annotated with a source field, sorted by IRI (``tk:apiField`` and friends)."""
    graph = load_ontology()

    def values(term: URIRef, prop: URIRef) -> tuple[str, ...]:
        return tuple(sorted(str(v) for v in graph.objects(term, prop)))

    terms = {
        s
        for p in (TK.apiField, TK.xmlField, TK.fhirElement)
        for s in graph.subjects(p, None)
        if isinstance(s, URIRef)
    }
    return [
        FieldMapping(
            term,
            values(term, TK.apiField),
            values(term, TK.xmlField),
            values(term, TK.fhirElement),
        )
        for term in sorted(terms)
    ]


def legacy_codes(enum: type[Code]) -> dict[str, Code]:
    """The registry's wordings of an enumeration (legacy XML, website) to its members.

    Keys are case-folded ``skos:altLabel`` values of the members' individuals, so a reader of
    another format can look up ``text.strip().casefold()``.
    """
    graph = load_ontology()
    found: dict[str, Code] = {}
    for member in enum:
        for label in graph.objects(code_iri(member), SKOS.altLabel):
            if isinstance(label, Literal):
                found[str(label).casefold()] = member
    return found


__all__ = [
    "CONTEXT_FILE",
    "FieldMapping",
    "crosswalk",
    "jsonld_context",
    "legacy_codes",
    "load_ontology",
]
