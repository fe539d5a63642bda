"""Disease cross-references: MONDO/DOID loaders (TSV, SSSOM, OBO) and the MeSH -> MONDO/DOID index.

The index goes one hop from MeSH into MONDO and DOID, then on to their UMLS, SNOMED CT,
ICD-10-CM and NCIT references.

Only *exact* matches are kept: a close or broad match is not a synonym for querying. Targets
whose prefix the project's prefix map does not know (GARD, ICD-O, KEGG…) are skipped rather
than given invented IRIs.

Formats (see docs/vocabularies.md): the shared TSV tables (``mondo_mappings.tsv``:
``mondo_id``, ``match``, ``target_id``; ``doid_xrefs.tsv``: ``doid``, ``target_id``; the
``*_terms.tsv`` files: id, ``name``, ``synonyms``, ``parents``), MONDO's SSSOM release
(``mondo.sssom.tsv``) and the OBO releases (``mondo.obo``, ``doid.obo``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from kg.errors import SourceError
from kg.linking.concepts import Concept, Vocabulary, normalize
from kg.linking.mesh import open_text, read_tsv, version_from_name

EXACT = frozenset({"exact", "skos:exactMatch", "http://www.w3.org/2004/02/skos/core#exactMatch"})


_DATED_SNOMED = re.compile(r"^SNOMEDCT_US_\d{4}_\d{2}_\d{2}:")


def _curie(value: str) -> str | None:
    """A canonical CURIE, or None for a prefix outside the map (DO dates its SNOMED prefix)."""
    try:
        return normalize(_DATED_SNOMED.sub("SNOMEDCT:", value.strip()))
    except ValueError:
        return None


def _split(cell: str | None) -> list[str]:
    return [v.strip() for v in (cell or "").split("|") if v.strip()]


def load(kind: str, path: Path, version: str | None = None) -> Vocabulary:
    """A MONDO or DOID file of any supported format, told by its name and header."""
    name = path.name.lower().removesuffix(".gz")
    version = version or version_from_name(path, "unknown")
    if name.endswith(".obo"):
        return load_obo(kind, path, version)
    with open_text(path) as handle:
        line = handle.readline()
        while line.startswith("#"):
            line = handle.readline()
    header = line.rstrip("\r\n").split("\t")
    if {"subject_id", "predicate_id", "object_id"} <= set(header):
        return load_sssom(kind, path, version)
    id_column = "mondo_id" if kind == "mondo" else "doid"
    if id_column in header and "target_id" in header:
        return load_mapping_tsv(kind, path, version, id_column)
    if id_column in header and "name" in header:
        return load_terms_tsv(kind, path, version, id_column)
    raise SourceError(
        f"{path}: not a {kind} file this loader knows (OBO, SSSOM TSV, or a TSV with "
        f"{id_column}/target_id or {id_column}/name/synonyms/parents); header was {header}"
    )


def load_mapping_tsv(kind: str, path: Path, version: str, id_column: str) -> Vocabulary:
    """``mondo_mappings.tsv`` (with a ``match`` column) or ``doid_xrefs.tsv`` (all exact)."""
    vocabulary = Vocabulary(kind, version)
    for row in read_tsv(path, (id_column, "target_id")):
        if row.get("match", "exact") not in EXACT:
            continue
        subject, target = _curie(row[id_column]), _curie(row["target_id"])
        if subject and target:
            vocabulary.add(Concept(subject, "", xrefs=[target]))
    return vocabulary


def load_terms_tsv(kind: str, path: Path, version: str, id_column: str) -> Vocabulary:
    """``mondo_terms.tsv.gz`` / ``doid_terms.tsv``: names, synonyms and is_a parents."""
    vocabulary = Vocabulary(kind, version)
    for row in read_tsv(path, (id_column, "name")):
        subject = _curie(row[id_column])
        if subject:
            parents = [p for p in map(_curie, _split(row.get("parents"))) if p]
            vocabulary.add(
                Concept(subject, row["name"].strip(), _split(row.get("synonyms")), parents)
            )
    return vocabulary


def load_sssom(kind: str, path: Path, version: str) -> Vocabulary:
    """An SSSOM TSV (``#`` YAML metadata, then the table); ``skos:exactMatch`` rows only."""
    vocabulary = Vocabulary(kind, version)
    with open_text(path) as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            m = re.match(r"#\s*(?:mapping_set_version|version)\s*:\s*[\"']?([^\"'\s]+)", line)
            if m and version == "unknown":
                vocabulary.version = m.group(1)
    for row in read_tsv_skipping_comments(path):
        if row.get("predicate_id", "").strip() not in EXACT:
            continue
        subject, target = _curie(row["subject_id"]), _curie(row["object_id"])
        if subject and target:
            label = (row.get("subject_label") or "").strip()
            vocabulary.add(Concept(subject, label, xrefs=[target]))
    return vocabulary


def read_tsv_skipping_comments(path: Path):
    import csv

    with open_text(path) as handle:
        lines = (line for line in handle if not line.startswith("#"))
        yield from csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)


_OBO_QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"')


def load_obo(kind: str, path: Path, version: str) -> Vocabulary:
    """An OBO flat file: ``[Term]`` stanzas with id, name, synonym, is_a, xref, exactMatch values.

    MONDO marks its equivalences with ``{source="MONDO:equivalentTo"}`` on the xref; other xrefs
    of a MONDO term are weaker and skipped. DOID's xrefs are all taken as exact (DO's own usage).
    """
    vocabulary = Vocabulary(kind, version)
    concept: Concept | None = None
    obsolete = False
    with open_text(path) as handle:
        for raw in handle:
            line = raw.strip()
            if line.startswith("["):
                if concept and not obsolete:
                    vocabulary.add(concept)
                concept, obsolete = (Concept("", "") if line == "[Term]" else None), False
                continue
            if line.startswith("data-version:") and version == "unknown":
                vocabulary.version = line.split(":", 1)[1].strip()
            if concept is None or ":" not in line:
                continue
            tag, value = (part.strip() for part in line.split(":", 1))
            if tag == "id":
                concept.id = _curie(value) or ""
            elif tag == "name":
                concept.label = value
            elif tag == "synonym":
                m = _OBO_QUOTED.match(value)
                if m and (" EXACT" in value or kind != "mondo"):
                    concept.synonyms.append(m.group(1).replace('\\"', '"'))
            elif tag == "is_a":
                parent = _curie(value.split("!")[0].split("{")[0])
                if parent:
                    concept.parents.append(parent)
            elif tag == "xref":
                if kind == "mondo" and "equivalentTo" not in value:
                    continue
                target = _curie(value.split()[0])
                if target:
                    concept.xrefs.append(target)
            elif tag == "property_value" and value.startswith("skos:exactMatch"):
                target = _curie(value.split()[1])
                if target:
                    concept.xrefs.append(target)
            elif tag == "is_obsolete" and value == "true":
                obsolete = True
    if concept and not obsolete:
        vocabulary.add(concept)
    vocabulary.concepts.pop("", None)
    if not vocabulary.concepts:
        raise SourceError(f"{path}: no [Term] stanzas with a known id prefix")
    return vocabulary


@dataclass(frozen=True)
class Xref:
    """One exact cross-reference, ``subject`` skos:exactMatch ``target``, from a vocabulary."""

    subject: str
    target: str
    kind: str
    version: str


class XrefIndex:
    """From a MeSH id to its disease cross-references, one hop into MONDO/DOID and their xrefs.

    For ``mesh:D020521`` it returns ``mesh:D020521 = MONDO:0005098`` (MONDO's table), then
    ``MONDO:0005098 = umls:C0038454``… (the same table), and likewise for DOID: each link is one
    row of one table, so each can cite its source.
    """

    def __init__(self, vocabularies: list[Vocabulary]) -> None:
        self._by_mesh: dict[str, list[Xref]] = defaultdict(list)
        onward: dict[str, list[Xref]] = defaultdict(list)
        for vocabulary in vocabularies:
            for concept in vocabulary.concepts.values():
                for target in concept.xrefs:
                    ref = Xref(concept.id, target, vocabulary.kind, vocabulary.version)
                    if target.startswith("mesh:"):
                        self._by_mesh[target].append(
                            Xref(target, concept.id, vocabulary.kind, vocabulary.version)
                        )
                    else:
                        onward[concept.id].append(ref)
        self._onward = dict(onward)

    def __len__(self) -> int:
        return len(self._by_mesh)

    def lookup(self, mesh_curie: str) -> list[Xref]:
        """Every exact link from the MeSH id (first hop) and from what it reaches (second hop)."""
        first = self._by_mesh.get(mesh_curie, [])
        found = list(first)
        for ref in first:
            found.extend(self._onward.get(ref.target, []))
        return list(dict.fromkeys(found))
