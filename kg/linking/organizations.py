"""Organisations: the normalised key that makes name variants of one sponsor meet at one node.

The key folds case, accents and punctuation, writes "&" as "and", and drops legal-form suffixes
("Co.,Ltd.", "Inc", "GmbH", "S.p.A.") and a leading "The", so "Pfizer Inc." and "Pfizer" share a
key while "Novartis Pharmaceuticals" and "Novartis" do not (they are different legal bodies and
the registry keeps them apart). :func:`organization_key` is pure; ``kg.vocab.Iris.organization``
mints org IRIs from it.

An optional curated mapping file (TSV: ``name``, ``ror``, ``wikidata``) adds ROR / Wikidata ids;
see :func:`read_curated`.

>>> organization_key("Jiuzhitang Maker (Beijing) Cell Technology Co.,Ltd.")
'jiuzhitang-maker-beijing-cell-technology'
>>> organization_key("Pfizer Inc.") == organization_key("PFIZER")
True
>>> organization_key("Johnson & Johnson Pte. Ltd.")
'johnson-and-johnson'
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from kg.errors import SourceError

LEGAL_FORMS: tuple[str, ...] = (
    "co ltd",
    "co limited",
    "company limited",
    "pvt ltd",
    "private limited",
    "pty ltd",
    "pte ltd",
    "sdn bhd",
    "gmbh and co kg",
    "co kg",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "l l c",
    "llp",
    "lp",
    "plc",
    "gmbh",
    "ag",
    "kgaa",
    "kg",
    "se",
    "sa",
    "s a",
    "sas",
    "s a s",
    "sarl",
    "spa",
    "s p a",
    "srl",
    "s r l",
    "sl",
    "s l",
    "bv",
    "b v",
    "nv",
    "n v",
    "ab",
    "a s",
    "as",
    "aps",
    "asa",
    "oy",
    "oyj",
    "kk",
    "k k",
)
"""Legal-form suffixes, written as folded words; longer forms first so "co ltd" wins over "ltd"."""

_SUFFIX = re.compile(r"(?:^|\s)(?:" + "|".join(re.escape(f) for f in LEGAL_FORMS) + r")$")


def _fold(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", " ", ascii_name.lower().replace("&", " and ")).split()
    return " ".join(words)


def organization_key(name: str) -> str:
    """The normalised key of an organisation name, usable as an IRI segment.

    >>> organization_key("Bayer AG"), organization_key("Boehringer Ingelheim GmbH & Co. KG")
    ('bayer', 'boehringer-ingelheim')
    >>> organization_key("The University of Oslo") == organization_key("University of Oslo")
    True
    >>> organization_key("Hoffmann-La Roche")
    'hoffmann-la-roche'
    >>> organization_key("北京天坛医院")
    'u-%E5%8C%97%E4%BA%AC%E5%A4%A9%E5%9D%9B%E5%8C%BB%E9%99%A2'
    """
    folded = _fold(name)
    if folded.startswith("the "):
        folded = folded[4:]
    while True:
        stripped = _SUFFIX.sub("", folded).strip()
        if stripped == folded or not stripped:
            break
        folded = stripped
    if folded:
        return folded.replace(" ", "-")
    return "u-" + quote(name.strip().lower(), safe="")  # names written only in non-Latin script


@dataclass(frozen=True)
class CuratedOrganization:
    """A curated identity for an organisation key: its ROR and/or Wikidata id."""

    name: str
    ror: str | None = None
    wikidata: str | None = None


def read_curated(path: Path) -> dict[str, CuratedOrganization]:
    """Read a curated mapping (TSV with header ``name``, ``ror``, ``wikidata``), keyed by org key.

    ``ror`` is the 9-character ROR id (``02mhbdp94``), ``wikidata`` a Q-number; either may be
    empty. Several names may map to the same ids (variants of one organisation).
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except OSError as err:
        raise SourceError(f"{path}: cannot read the organisation mapping: {err}") from None
    curated: dict[str, CuratedOrganization] = {}
    for line, row in enumerate(rows, start=2):
        name = (row.get("name") or "").strip()
        if not name:
            raise SourceError(f"{path}: line {line}: column 'name' is empty")
        ror = (row.get("ror") or "").strip() or None
        wikidata = (row.get("wikidata") or "").strip() or None
        if ror and not re.fullmatch(r"0[a-z0-9]{8}", ror):
            raise SourceError(f"{path}: line {line}: {ror!r} is not a ROR id such as 02mhbdp94")
        if wikidata and not re.fullmatch(r"Q\d+", wikidata):
            raise SourceError(f"{path}: line {line}: {wikidata!r} is not a Wikidata id such as Q42")
        curated[organization_key(name)] = CuratedOrganization(name, ror, wikidata)
    return curated
