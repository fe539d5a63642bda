"""MeSH: descriptor/supplementary loaders (TSV, descYYYY.xml, RDF N-Triples) and the tree hierarchy.

Every loader returns a :class:`~kg.linking.concepts.Vocabulary` whose concepts carry the
preferred name, the entry terms as synonyms, the tree numbers, and ``parents`` derived from the
tree numbers (C10.228.140.300.775 is below C10.228.140.300), so the graph gets ``skos:broader``
and "any kind of stroke" is a property path over the subtree.

Formats (see docs/vocabularies.md for where to download each):

* ``mesh_descriptors.tsv``-style TSV: ``ui``, ``name``, ``tree_numbers``, ``entry_terms`` (``|``);
* NLM's descriptor XML ``descYYYY.xml`` (and ``suppYYYY.xml``), streamed with defusedxml;
* MeSH RDF N-Triples ``mesh.nt`` (optionally ``.gz``), streamed with pyoxigraph;
* supplementary concepts TSV: ``ui``, ``name``, ``synonyms``, ``mapped_to_descriptors``.

>>> canonical_ui("D000007172"), canonical_ui("D000066388"), canonical_ui("C000565324")
('D007172', 'D000066388', 'C565324')
>>> parent_tree("C10.228.140.300.775"), parent_tree("C10")
('C10.228.140.300', None)
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from defusedxml.ElementTree import iterparse

from kg.errors import SourceError
from kg.linking.concepts import Concept, Vocabulary

FIRST_NINE_DIGIT_UI = {"D": 66388, "C": 588427}
"""The first UI NLM issued in nine-digit form; a lower number written with nine digits is the
registry's zero-padding of a six-digit UI (``D000007172`` is ``D007172``)."""

_UI = re.compile(r"^([DC])(\d{6}|\d{9})$")


def canonical_ui(ui: str) -> str:
    """The MeSH UI as NLM writes it, undoing the registry's zero padding; ``ValueError`` if none."""
    m = _UI.match(ui.strip())
    if not m:
        raise ValueError(f"{ui!r} is not a MeSH UI (D or C followed by 6 or 9 digits)")
    letter, digits = m.groups()
    if len(digits) == 9 and digits.startswith("000") and int(digits) < FIRST_NINE_DIGIT_UI[letter]:
        return letter + digits[3:]
    return letter + digits


def parent_tree(number: str) -> str | None:
    """The tree number one level up, ``None`` at a category's top."""
    return number.rsplit(".", 1)[0] if "." in number else None


def curie(ui: str) -> str:
    return f"mesh:{canonical_ui(ui)}"


def open_text(path: Path) -> IO[str]:
    """Open a (possibly gzip-compressed) UTF-8 text file, naming it in the error."""
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rt", encoding="utf-8", newline="")
        return path.open(encoding="utf-8", newline="")
    except OSError as err:
        raise SourceError(f"{path}: cannot open: {err}") from None


def read_tsv(path: Path, required: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """Rows of a TSV with a header, checking the columns a loader needs are there."""
    with open_text(path) as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise SourceError(
                f"{path}: missing column(s) {', '.join(missing)}; found {reader.fieldnames}"
            )
        yield from reader


def _split(cell: str | None) -> list[str]:
    return [v.strip() for v in (cell or "").split("|") if v.strip()]


def version_from_name(path: Path, default: str) -> str:
    """A vocabulary version from the file name (``desc2024.xml`` -> ``2024``), else ``default``."""
    m = re.search(r"(19|20)\d\d", path.name)
    return m.group(0) if m else default


def with_tree_parents(vocabulary: Vocabulary) -> Vocabulary:
    """Fill ``parents`` from tree numbers: the descriptor holding each number's parent number."""
    holder = {n: c.id for c in vocabulary.concepts.values() for n in c.tree_numbers}
    for concept in vocabulary.concepts.values():
        for number in concept.tree_numbers:
            up = parent_tree(number)
            parent = holder.get(up) if up else None
            if parent and parent != concept.id and parent not in concept.parents:
                concept.parents.append(parent)
    return vocabulary


def load_descriptors_tsv(path: Path, version: str) -> Vocabulary:
    """Descriptors from the TSV form (``ui``, ``name``, ``tree_numbers``, ``entry_terms``)."""
    vocabulary = Vocabulary("mesh", version)
    for row in read_tsv(path, ("ui", "name", "tree_numbers", "entry_terms")):
        name = row["name"].strip()
        synonyms = [t for t in _split(row["entry_terms"]) if t != name]
        vocabulary.add(
            Concept(curie(row["ui"]), name, synonyms, [], [], _split(row["tree_numbers"]))
        )
    return with_tree_parents(vocabulary)


def load_supplementary_tsv(path: Path, version: str) -> Vocabulary:
    """Supplementary concepts (``ui``, ``name``, ``synonyms``, ``mapped_to_descriptors``).

    The heading-mapped-to descriptors become ``parents``: NLM indexes an SCR under them.
    """
    vocabulary = Vocabulary("mesh-scr", version)
    for row in read_tsv(path, ("ui", "name", "synonyms", "mapped_to_descriptors")):
        mapped = [curie(ui.lstrip("*")) for ui in _split(row["mapped_to_descriptors"])]
        vocabulary.add(
            Concept(curie(row["ui"]), row["name"].strip(), _split(row["synonyms"]), mapped)
        )
    return vocabulary


def load_xml(path: Path, version: str) -> Vocabulary:
    """NLM's ``descYYYY.xml`` (DescriptorRecord) or ``suppYYYY.xml`` (SupplementalRecord)."""
    kind = "mesh"
    vocabulary = Vocabulary(kind, version)
    try:
        with open_text(path) as handle:
            for _, element in iterparse(handle, events=("end",)):
                if element.tag == "DescriptorRecord":
                    vocabulary.add(_descriptor(element))
                    element.clear()
                elif element.tag == "SupplementalRecord":
                    vocabulary.kind = "mesh-scr"
                    vocabulary.add(_supplementary(element))
                    element.clear()
    except SyntaxError as err:  # ParseError
        raise SourceError(f"{path}: not well-formed MeSH XML: {err}") from None
    if not vocabulary.concepts:
        raise SourceError(f"{path}: no DescriptorRecord or SupplementalRecord elements")
    return with_tree_parents(vocabulary)


def _terms(element) -> list[str]:
    return [t.text.strip() for t in element.iterfind("ConceptList/Concept/TermList/Term/String")]


def _descriptor(element) -> Concept:
    ui = element.findtext("DescriptorUI", "").strip()
    name = element.findtext("DescriptorName/String", "").strip()
    trees = [t.text.strip() for t in element.iterfind("TreeNumberList/TreeNumber") if t.text]
    synonyms = list(dict.fromkeys(t for t in _terms(element) if t != name))
    return Concept(curie(ui), name, synonyms, [], [], trees)


def _supplementary(element) -> Concept:
    ui = element.findtext("SupplementalRecordUI", "").strip()
    name = element.findtext("SupplementalRecordName/String", "").strip()
    mapped = [
        curie(d.text.strip().lstrip("*"))
        for d in element.iterfind(
            "HeadingMappedToList/HeadingMappedTo/DescriptorReferredTo/DescriptorUI"
        )
        if d.text
    ]
    synonyms = list(dict.fromkeys(t for t in _terms(element) if t != name))
    return Concept(curie(ui), name, synonyms, mapped)


MESHV = "http://id.nlm.nih.gov/mesh/vocab#"
_MESH_ID = re.compile(r"^http://id\.nlm\.nih\.gov/mesh/(?:\d{4}/)?([DC]\d+)$")
_MESH_NODE = re.compile(r"^http://id\.nlm\.nih\.gov/mesh/(?:\d{4}/)?([A-Z][A-Z0-9.]*)$")


def load_nt(path: Path, version: str) -> Vocabulary:
    """MeSH RDF N-Triples (``mesh.nt`` / ``mesh2024.nt``, maybe gzipped), streamed with pyoxigraph.

    Descriptor -> ``meshv:concept``/``meshv:preferredConcept`` -> concept ->
    ``meshv:term``/``meshv:preferredTerm`` -> term ``meshv:prefLabel``/``meshv:altLabel``;
    tree numbers from ``meshv:treeNumber``; SCRs mapped with ``meshv:preferredMappedTo``.
    """
    from pyoxigraph import RdfFormat, parse

    label: dict[str, str] = {}
    trees: dict[str, list[str]] = defaultdict(list)
    parts: dict[str, list[str]] = defaultdict(list)  # descriptor -> concepts, concept -> terms
    term_labels: dict[str, list[str]] = defaultdict(list)
    mapped: dict[str, list[str]] = defaultdict(list)
    kinds: dict[str, str] = {}
    link = {MESHV + n for n in ("concept", "preferredConcept", "term", "preferredTerm")}
    try:
        handle = gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # noqa: SIM115
    except OSError as err:
        raise SourceError(f"{path}: cannot open: {err}") from None
    with handle:
        try:
            for triple in parse(handle, format=RdfFormat.N_TRIPLES):
                s, p, o = triple.subject.value, triple.predicate.value, triple.object
                local = _MESH_NODE.match(s)
                if not local:
                    continue
                key = local.group(1)
                if p == "http://www.w3.org/2000/01/rdf-schema#label":
                    label[key] = o.value
                elif p in link:
                    target = _MESH_NODE.match(o.value)
                    if target:
                        parts[key].append(target.group(1))
                elif p in (MESHV + "prefLabel", MESHV + "altLabel"):
                    term_labels[key].append(o.value)
                elif p == MESHV + "treeNumber":
                    target = _MESH_NODE.match(o.value)
                    if target:
                        trees[key].append(target.group(1))
                elif p in (MESHV + "preferredMappedTo", MESHV + "mappedTo"):
                    target = _MESH_ID.match(o.value)
                    if target:
                        mapped[key].append(target.group(1))
                elif p == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type":
                    kinds[key] = o.value.rsplit("#", 1)[-1]
        except SyntaxError as err:
            raise SourceError(f"{path}: not valid N-Triples: {err}") from None
    vocabulary = Vocabulary("mesh", version)
    for key, kind in kinds.items():
        if not _UI.match(key) or not (kind.endswith("Descriptor") or kind.startswith("SCR")):
            continue
        names = [
            n
            for concept in parts.get(key, [])
            for term in parts.get(concept, [])
            for n in term_labels.get(term, [])
        ]
        name = label.get(key, "")
        synonyms = list(dict.fromkeys(n for n in names if n != name))
        parents = [curie(ui) for ui in dict.fromkeys(mapped.get(key, []))]
        if kind.startswith("SCR"):
            vocabulary.kind = (
                "mesh-scr" if not any(k.endswith("Descriptor") for k in kinds.values()) else "mesh"
            )
        vocabulary.add(Concept(curie(key), name, synonyms, parents, [], trees.get(key, [])))
    if not vocabulary.concepts:
        raise SourceError(f"{path}: no MeSH descriptors or supplementary concepts found")
    return with_tree_parents(vocabulary)


def load(path: Path, version: str | None = None) -> Vocabulary:
    """Any MeSH file, the format told by its name/header (TSV, ``.xml``, ``.nt``)."""
    name = path.name.lower().removesuffix(".gz")
    version = version or version_from_name(path, "unknown")
    if name.endswith(".xml"):
        return load_xml(path, version)
    if name.endswith(".nt"):
        return load_nt(path, version)
    with open_text(path) as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
    if "mapped_to_descriptors" in header:
        return load_supplementary_tsv(path, version)
    if "tree_numbers" in header:
        return load_descriptors_tsv(path, version)
    raise SourceError(
        f"{path}: not a MeSH file this loader knows (descYYYY.xml, suppYYYY.xml, mesh.nt, or a TSV "
        f"with ui/name/tree_numbers/entry_terms or ui/name/synonyms/mapped_to_descriptors); "
        f"header was {header}"
    )
