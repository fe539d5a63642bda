"""One model for every loaded vocabulary (labelled concepts, parents, cross-references) and its RDF.

MeSH, MONDO, DOID and the drug lists differ in their files, not in what linking needs from
them: an id, a preferred label, synonyms, parents (``skos:broader``), exact cross-references and,
for MeSH, tree numbers. Loaders in ``mesh``, ``xrefs`` and ``drugs`` produce a
:class:`Vocabulary`; :func:`to_triples` writes it into its named graph as SKOS and
:func:`from_triples` reads it back, so the indexes can always be rebuilt from the store.

Ids are CURIEs with the prefixes of ``prefixes.tsv`` (bioregistry's canonical prefixes and URI
formats); :func:`converter` is the one place a CURIE becomes an IRI.

>>> c = converter()
>>> str(c.expand("MESH:D020521")), str(c.expand("SCTID:230690007"))
('http://id.nlm.nih.gov/mesh/D020521', 'http://purl.bioontology.org/ontology/SNOMEDCT/230690007')
>>> c.compress("http://purl.obolibrary.org/obo/MONDO_0005098")
'MONDO:0005098'
>>> normalize("ORPHANET:1"), normalize("mesh:D000001"), normalize("UMLS_CUI:C0038454")
('ORPHA:1', 'mesh:D000001', 'umls:C0038454')
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path

import curies
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from kg.vocab import TK

Triple = tuple[URIRef, URIRef, URIRef | Literal]


@cache
def converter() -> curies.Converter:
    """The project's prefix map as a ``curies`` converter (read once from ``prefixes.tsv``)."""
    text = (files("kg.linking") / "prefixes.tsv").read_text(encoding="utf-8")
    records = [
        curies.Record(
            prefix=row["prefix"],
            uri_prefix=row["uri_prefix"],
            prefix_synonyms=[s for s in row["synonyms"].split("|") if s],
        )
        for row in csv.DictReader(text.splitlines(), delimiter="\t")
    ]
    return curies.Converter(records)


@cache
def _canonical_prefix(prefix: str) -> str | None:
    return converter().standardize_prefix(prefix)


def normalize(curie: str) -> str:
    """A CURIE with its canonical prefix (``SCTID:1`` -> ``snomedct:1``); ``ValueError`` if none."""
    prefix, _, local = curie.partition(":")
    canonical = _canonical_prefix(prefix)
    if not canonical or not local:
        raise ValueError(f"{curie!r} has no known prefix (see kg/linking/prefixes.tsv)")
    return f"{canonical}:{local}"


@cache
def _uri_prefix(prefix: str) -> str:
    return converter().prefix_map[prefix]


@lru_cache(maxsize=1 << 17)
def iri(curie: str) -> URIRef:
    """The IRI of a CURIE, through the one prefix map (cached: the linker asks for the same)."""
    prefix, _, local = normalize(curie).partition(":")
    return URIRef(_uri_prefix(prefix) + local)


@dataclass
class Concept:
    """One term of a vocabulary; every id here is a canonical CURIE."""

    id: str
    label: str
    synonyms: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    xrefs: list[str] = field(default_factory=list)
    tree_numbers: list[str] = field(default_factory=list)


@dataclass
class Vocabulary:
    """A loaded vocabulary: its kind (``mesh``, ``mondo``, …), version and concepts by CURIE."""

    kind: str
    version: str
    concepts: dict[str, Concept] = field(default_factory=dict)

    def add(self, concept: Concept) -> Concept:
        """Add a concept, merging synonyms/parents/xrefs into one already there with the same id."""
        old = self.concepts.get(concept.id)
        if old is None:
            self.concepts[concept.id] = concept
            return concept
        if not old.label:
            old.label = concept.label
        for name in ("synonyms", "parents", "xrefs", "tree_numbers"):
            have: list[str] = getattr(old, name)
            have.extend(v for v in getattr(concept, name) if v not in have)
        return old

    def merge(self, other: Vocabulary) -> Vocabulary:
        for concept in other.concepts.values():
            self.add(concept)
        if other.version not in self.version.split(" + "):
            self.version = f"{self.version} + {other.version}" if self.version else other.version
        return self

    def __len__(self) -> int:
        return len(self.concepts)


def to_triples(vocabulary: Vocabulary, scheme: URIRef) -> Iterator[Triple]:
    """The vocabulary as SKOS in its own graph: labels, ``skos:broader``, ``skos:exactMatch``.

    ``scheme`` (the graph's IRI) is a ``skos:ConceptScheme`` with ``owl:versionInfo``; MeSH tree
    numbers are kept as ``tk:treeNumber`` literals so the hierarchy can be rebuilt.
    """
    yield scheme, RDF.type, SKOS.ConceptScheme
    yield scheme, OWL.versionInfo, Literal(vocabulary.version)
    yield scheme, SKOS.notation, Literal(vocabulary.kind)
    concept_type, in_scheme, pref, alt, broader, exact, tree = (
        SKOS.Concept, SKOS.inScheme, SKOS.prefLabel, SKOS.altLabel, SKOS.broader,
        SKOS.exactMatch, TK.treeNumber,
    )  # fmt: skip
    for concept in vocabulary.concepts.values():
        node = iri(concept.id)
        yield node, RDF.type, concept_type
        yield node, in_scheme, scheme
        if concept.label:
            yield node, pref, Literal(concept.label)
        for synonym in concept.synonyms:
            yield node, alt, Literal(synonym)
        for parent in concept.parents:
            yield node, broader, iri(parent)
        for xref in concept.xrefs:
            yield node, exact, iri(xref)
        for number in concept.tree_numbers:
            yield node, tree, Literal(number)


_SLOTS = {
    SKOS.altLabel: "synonyms",
    SKOS.broader: "parents",
    SKOS.exactMatch: "xrefs",
    TK.treeNumber: "tree_numbers",
}


def from_triples(kind: str, triples: Iterable[tuple]) -> Vocabulary:
    """Rebuild a vocabulary from the triples :func:`to_triples` wrote (the inverse, up to order)."""
    compress = lru_cache(maxsize=1 << 16)(converter().compress)  # subjects repeat per concept
    vocabulary = Vocabulary(kind, "")
    concepts = vocabulary.concepts
    for s, p, o in triples:
        if p == OWL.versionInfo:
            vocabulary.version = str(o)
            continue
        slot = _SLOTS.get(p)
        if slot is None and p != SKOS.prefLabel:
            continue
        subject = compress(str(s))
        if subject is None:
            continue
        concept = concepts.get(subject)
        if concept is None:
            concept = concepts[subject] = Concept(subject, "")
        if p == SKOS.prefLabel:
            concept.label = str(o)
        elif isinstance(o, URIRef):
            value = compress(str(o))
            if value is not None:
                getattr(concept, slot).append(value)
        else:
            getattr(concept, slot).append(str(o))
    return vocabulary


def write_json(vocabulary: Vocabulary, path: Path) -> None:
    """Keep a vocabulary as JSON (the from-store cache); written atomically."""
    rows = [
        [c.id, c.label, c.synonyms, c.parents, c.xrefs, c.tree_numbers]
        for c in vocabulary.concepts.values()
    ]
    data = {"kind": vocabulary.kind, "version": vocabulary.version, "concepts": rows}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)


def read_json(path: Path) -> Vocabulary:
    """A vocabulary written by :func:`write_json`."""
    data = json.loads(path.read_text(encoding="utf-8"))
    vocabulary = Vocabulary(data["kind"], data["version"])
    for row in data["concepts"]:
        vocabulary.concepts[row[0]] = Concept(*row)
    return vocabulary
