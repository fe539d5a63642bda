"""Links out as SSSOM: write every ``tk:Link`` in a store as an SSSOM TSV, and read one back.

The table follows the SSSOM specification (https://mapping-commons.github.io/sssom/): a YAML
header of ``#``-prefixed lines with ``curie_map``, ``mapping_set_id``, ``license`` and
``mapping_provider``, then one row per mapping with the required ``subject_id``,
``predicate_id``, ``object_id`` and ``mapping_justification`` (a semapv term), plus
``confidence`` (the link score), ``object_source_version``, ``match_string`` and, in ``comment``,
the TrialKG method and registry field the link came from. Ids are CURIEs from the project's
prefix map, with ``trialkg``/``tk`` for TrialKG's own IRIs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from importlib.resources import files
from typing import BinaryIO, TextIO

import curies
from rdflib import URIRef

from kg.errors import SourceError
from kg.linking.concepts import converter
from kg.linking.links import METHOD_JUSTIFICATIONS, Link
from kg.vocab import ONTOLOGY_IRI, Iris

COLUMNS = (
    "subject_id",
    "predicate_id",
    "object_id",
    "mapping_justification",
    "confidence",
    "object_source_version",
    "match_string",
    "mapping_tool",
    "comment",
)
"""The columns written, the four SSSOM requires first."""

REQUIRED_COLUMNS = ("subject_id", "predicate_id", "object_id", "mapping_justification")
EXTRA_PREFIXES = {
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "semapv": "https://w3id.org/semapv/vocab/",
    "tk": ONTOLOGY_IRI + "#",
}
LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"


def mapping_converter(iris: Iris) -> curies.Converter:
    """The prefix map of an export: the project's, SSSOM's own and ``trialkg`` for minted IRIs."""
    extra = curies.Converter.from_prefix_map({"trialkg": iris.base, **EXTRA_PREFIXES})
    return curies.chain([converter(), extra])


def links_in(store) -> Iterator[Link]:
    """Every link described in ``store`` (any graph), as :class:`Link` objects."""
    query = (files("kg.linking") / "links.rq").read_text(encoding="utf-8")
    for row in store.query(query).dicts():
        yield Link(
            URIRef(str(row["subject"])),
            URIRef(str(row["predicate"])),
            URIRef(str(row["target"])),
            str(row["method"]),
            float(str(row["score"])),
            str(row["version"]),
            str(row["field"]) if "field" in row else None,
            str(row["text"]) if "text" in row else None,
        )


def write(links: Iterable[Link], out: TextIO, iris: Iris) -> int:
    """Write links as an SSSOM TSV mapping set; returns the number of rows."""
    conv = mapping_converter(iris)
    rows = []
    used: set[str] = set()
    for link in links:
        ids = [_compress(conv, t) for t in (link.subject, link.predicate, link.target)]
        used.update(i.split(":", 1)[0] for i in ids)
        comment = f"method={link.method}" + (f"; field={link.field}" if link.field else "")
        rows.append(
            (
                *ids,
                METHOD_JUSTIFICATIONS[link.method],
                f"{link.score:.3f}",
                link.version,
                link.text or "",
                "TrialKG",
                comment,
            )
        )
    used.add("semapv")
    out.write("# curie_map:\n")
    for prefix in sorted(used):
        out.write(f"#   {prefix}: {conv.expand(prefix + ':')}\n")
    out.write(f"# mapping_set_id: {iris.base}mappings/links.sssom.tsv\n")
    out.write(f"# license: {LICENSE}\n")
    out.write("# mapping_provider: https://w3id.org/trialkg/\n")
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    writer.writerows(sorted(rows))
    return len(rows)


def export_store(store, out: BinaryIO, iris: Iris) -> int:
    """Write every link in ``store`` to a binary stream as SSSOM TSV (UTF-8); returns the rows."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        return write(links_in(store), text, iris)
    finally:
        text.flush()
        text.detach()


def _compress(conv: curies.Converter, term: URIRef) -> str:
    curie = conv.compress(str(term))
    if curie is None:
        raise ValueError(f"{term} has no prefix in the mapping set's prefix map")
    return curie


def read(handle: TextIO, name: str = "<sssom>") -> tuple[dict[str, str], list[dict[str, str]]]:
    """An SSSOM TSV's ``curie_map`` and rows; ``SourceError`` if a required part is missing."""
    header: list[str] = []
    line = handle.readline()
    while line.startswith("#"):
        entry = line[1:].rstrip("\n")
        header.append(entry[1:] if entry.startswith(" ") else entry)
        line = handle.readline()
    curie_map: dict[str, str] = {}
    in_map = False
    for entry in header:
        if entry.startswith("curie_map:"):
            in_map = True
        elif in_map and entry.startswith("  "):
            prefix, _, uri = entry.strip().partition(": ")
            curie_map[prefix] = uri
        else:
            in_map = False
    metadata = {e.split(":", 1)[0] for e in header if not e.startswith(" ")}
    for key in ("curie_map", "mapping_set_id", "license"):
        if key not in metadata:
            raise SourceError(f"{name}: SSSOM metadata lacks {key!r}")
    reader = csv.DictReader([line, *handle], delimiter="\t")
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SourceError(f"{name}: SSSOM table lacks required column(s) {', '.join(missing)}")
    return curie_map, list(reader)


def read_links(handle: TextIO, name: str = "<sssom>") -> list[Link]:
    """Links back from an SSSOM TSV this module wrote (the round trip)."""
    curie_map, rows = read(handle, name)
    conv = curies.Converter.from_prefix_map(curie_map)
    links = []
    for row in rows:
        method, _, field = row["comment"].removeprefix("method=").partition("; field=")
        links.append(
            Link(
                *(URIRef(conv.expand(row[c], strict=True)) for c in REQUIRED_COLUMNS[:3]),
                method,
                float(row["confidence"]),
                row["object_source_version"],
                field or None,
                row["match_string"] or None,
            )
        )
    return links
