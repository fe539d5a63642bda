"""Drugs and biologicals: UNII, DrugBank and ChEBI loaders, and the name index for interventions.

An intervention is looked up by its name *and* its other names (brand names, company codes
such as MK-3475), each folded the lexical way, so "Keytruda", "MK-3475" and "pembrolizumab" all
reach UNII DPT0O3T46P. ChEBI comes through DrugBank's table (DrugBank -> ChEBI) and MeSH's
(MeSH -> ChEBI).

Formats (see docs/vocabularies.md): FDA's UNII names list (``UNII_Names*.txt``: ``Name``,
``TYPE``, ``UNII``, ``Display Name``) or the shared per-UNII TSV (``unii``, ``display_name``,
``brand_names``, ``code_names``, ``other_names``); the drug dictionary TSV (``name``,
``drugbank_id``, ``mesh_id``, ``variants_lowercase``); DrugBank cross-references (``drugbank_id``,
``namespace``, ``value``); ChEBI names (``chebi_id``, ``name``); MeSH -> ChEBI (``mesh_id``,
``target_id``).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from kg.errors import SourceError
from kg.linking.concepts import Concept, Vocabulary, normalize
from kg.linking.lexical import fold
from kg.linking.mesh import canonical_ui, open_text, read_tsv, version_from_name


def _split(cell: str | None) -> list[str]:
    return [v.strip() for v in (cell or "").split("|") if v.strip()]


def _header(path: Path) -> list[str]:
    with open_text(path) as handle:
        return handle.readline().rstrip("\r\n").split("\t")


def load_unii(path: Path, version: str | None = None) -> Vocabulary:
    """FDA UNII substance names, from FDA's ``UNII_Names`` list or the per-UNII TSV."""
    version = version or version_from_name(path, "unknown")
    header = _header(path)
    vocabulary = Vocabulary("unii", version)
    if {"Name", "UNII"} <= set(header):  # FDA: one row per name
        names: dict[str, list[str]] = defaultdict(list)
        display: dict[str, str] = {}
        for row in read_tsv(path, ("Name", "UNII")):
            unii = row["UNII"].strip()
            if row.get("TYPE", "").strip() == "sys" or not unii:
                continue
            names[unii].append(row["Name"].strip())
            display.setdefault(unii, (row.get("Display Name") or row["Name"]).strip())
        for unii, found in names.items():
            label = display[unii]
            synonyms = list(dict.fromkeys(n for n in found if n != label))
            vocabulary.add(Concept(f"unii:{unii}", label, synonyms))
        return vocabulary
    if "unii" in header and "display_name" in header:
        for row in read_tsv(path, ("unii", "display_name")):
            synonyms = [
                n
                for column in ("brand_names", "code_names", "other_names")
                for n in _split(row.get(column))
            ]
            vocabulary.add(
                Concept(f"unii:{row['unii'].strip()}", row["display_name"].strip(), synonyms)
            )
        return vocabulary
    raise SourceError(f"{path}: not a UNII names file (FDA UNII_Names or unii/display_name TSV)")


def load_drugbank(path: Path, version: str | None = None) -> Vocabulary:
    """DrugBank: the drug dictionary (names, variants, MeSH) or its ChEBI cross-references."""
    version = version or version_from_name(path, "unknown")
    header = _header(path)
    vocabulary = Vocabulary("drugbank", version)
    if "drugbank_id" in header and "variants_lowercase" in header:
        for row in read_tsv(path, ("name", "drugbank_id", "mesh_id", "variants_lowercase")):
            drugbank = row["drugbank_id"].strip()
            if not drugbank:
                continue
            xrefs = [f"mesh:{canonical_ui(m)}" for m in _split(row["mesh_id"])]
            vocabulary.add(
                Concept(
                    f"drugbank:{drugbank}",
                    row["name"].strip(),
                    _split(row["variants_lowercase"]),
                    [],
                    xrefs,
                )
            )
        return vocabulary
    if {"drugbank_id", "namespace", "value"} <= set(header):
        for row in read_tsv(path, ("drugbank_id", "namespace", "value")):
            concept = Concept(f"drugbank:{row['drugbank_id'].strip()}", "")
            if row["namespace"] == "CHEBI":
                concept.xrefs.append(normalize(row["value"]))
            elif row["namespace"] == "NAME":
                concept.label = row["value"].strip()
            else:
                continue
            vocabulary.add(concept)
        return vocabulary
    raise SourceError(
        f"{path}: not a DrugBank file (drug dictionary or drugbank_id/namespace/value)"
    )


def load_chebi(path: Path, version: str | None = None) -> Vocabulary:
    """ChEBI names (``chebi_id``, ``name``) or MeSH -> ChEBI (``mesh_id``, ``target_id``)."""
    version = version or version_from_name(path, "unknown")
    header = _header(path)
    vocabulary = Vocabulary("chebi", version)
    if "chebi_id" in header:
        for row in read_tsv(path, ("chebi_id", "name")):
            vocabulary.add(Concept(normalize(row["chebi_id"]), row["name"].strip()))
        return vocabulary
    if "mesh_id" in header and "target_id" in header:
        for row in read_tsv(path, ("mesh_id", "target_id")):
            if row["target_id"].startswith("CHEBI:"):
                vocabulary.add(
                    Concept(normalize(row["target_id"]), "", xrefs=[normalize(row["mesh_id"])])
                )
        return vocabulary
    raise SourceError(f"{path}: not a ChEBI file (chebi_id/name or mesh_id/target_id)")


class DrugIndex:
    """Folded drug name -> UNII and DrugBank ids; DrugBank/MeSH -> ChEBI.

    A name that two UNIIs share is ambiguous and left out: better no link than a wrong one.
    """

    def __init__(self, vocabularies: list[Vocabulary]) -> None:
        names: dict[str, dict[str, set[str]]] = {
            "unii": defaultdict(set),
            "drugbank": defaultdict(set),
        }
        self.chebi: dict[str, set[str]] = defaultdict(set)  # drugbank:/mesh: id -> CHEBI ids
        self.mesh_of: dict[str, set[str]] = defaultdict(set)  # drugbank id -> mesh ids
        self.versions: dict[str, str] = {}
        for vocabulary in vocabularies:
            self.versions[vocabulary.kind] = vocabulary.version
            for concept in vocabulary.concepts.values():
                if vocabulary.kind in names:
                    for name in [concept.label, *concept.synonyms]:
                        if name:
                            names[vocabulary.kind][fold(name)].add(concept.id)
                for xref in concept.xrefs:
                    if xref.startswith("CHEBI:"):
                        self.chebi[concept.id].add(xref)
                    elif concept.id.startswith("CHEBI:"):
                        self.chebi[xref].add(concept.id)
                    elif xref.startswith("mesh:"):
                        self.mesh_of[concept.id].add(xref)
        self.names = {
            kind: {k: next(iter(v)) for k, v in table.items() if len(v) == 1}
            for kind, table in names.items()
        }

    def lookup(self, kind: str, names: list[str]) -> tuple[str, str] | None:
        """The first of ``names`` naming exactly one ``kind`` id, as (id, name)."""
        table = self.names.get(kind, {})
        for name in names:
            found = table.get(fold(name))
            if found:
                return found, name
        return None
