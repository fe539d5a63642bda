"""Places: country names to ISO 3166 codes, site coordinates to GeoSPARQL points, city keys.

pycountry knows the ISO names and their common forms; :data:`REGISTRY_COUNTRY_NAMES` adds the
names ClinicalTrials.gov writes (now or in legacy records) that ISO does not ("Turkey
(Türkiye)", "Korea, Republic of", "Former Serbia and Montenegro").

>>> country_code("Korea, Republic of"), country_code("Turkey (Türkiye)"), country_code("Russia")
('KR', 'TR', 'RU')
>>> country_code("United States"), country_code("Atlantis") is None
('US', True)
>>> wkt_point(39.9042, 116.4074)
'POINT(116.4074 39.9042)'
>>> city_key("São Paulo ", "BR")
'br/sao-paulo'
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pycountry

REGISTRY_COUNTRY_NAMES: dict[str, str] = {
    "turkey": "TR",
    "turkey (turkiye)": "TR",
    "turkiye": "TR",
    "russia": "RU",
    "korea, republic of": "KR",
    "south korea": "KR",
    "korea, democratic people's republic of": "KP",
    "north korea": "KP",
    "iran, islamic republic of": "IR",
    "iran": "IR",
    "taiwan": "TW",
    "vietnam": "VN",
    "viet nam": "VN",
    "laos": "LA",
    "lao people's democratic republic": "LA",
    "syria": "SY",
    "syrian arab republic": "SY",
    "moldova, republic of": "MD",
    "macedonia": "MK",
    "macedonia, the former yugoslav republic of": "MK",
    "north macedonia": "MK",
    "czech republic": "CZ",
    "czechia": "CZ",
    "cote d'ivoire": "CI",
    "ivory coast": "CI",
    "congo": "CG",
    "congo, the democratic republic of the": "CD",
    "democratic republic of the congo": "CD",
    "tanzania": "TZ",
    "tanzania, united republic of": "TZ",
    "bolivia": "BO",
    "venezuela": "VE",
    "micronesia, federated states of": "FM",
    "palestinian territory, occupied": "PS",
    "palestinian territories, occupied": "PS",
    "palestine": "PS",
    "holy see (vatican city state)": "VA",
    "virgin islands (u.s.)": "VI",
    "virgin islands (british)": "VG",
    "libyan arab jamahiriya": "LY",
    "swaziland": "SZ",
    "eswatini": "SZ",
    "cape verde": "CV",
    "burma": "MM",
    "netherlands antilles": "AN",
    "former serbia and montenegro": "CS",
    "serbia and montenegro": "CS",
    "former yugoslavia": "YU",
    "kosovo": "XK",
    "united kingdom": "GB",
    "reunion": "RE",
}
"""Registry spellings (folded) that pycountry does not resolve, with their ISO 3166 alpha-2 code.
``CS``/``YU``/``AN`` are ISO 3166-3 withdrawn codes; ``XK`` is the user-assigned code for Kosovo."""


def _fold(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(ascii_text.lower().split())


@cache
def country_code(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a registry country name, or ``None`` if unknown."""
    folded = _fold(name)
    if not folded:
        return None
    if folded in REGISTRY_COUNTRY_NAMES:
        return REGISTRY_COUNTRY_NAMES[folded]
    try:
        return pycountry.countries.lookup(name.strip()).alpha_2
    except LookupError:
        return None


def wkt_point(lat: float, lon: float) -> str:
    """A WKT point in GeoSPARQL's default CRS (CRS84: longitude first)."""
    return f"POINT({float(lon)!r} {float(lat)!r})"


def city_key(city: str, code: str | None) -> str:
    """A stable key for a city within its country: ``br/sao-paulo`` (``xx/…`` if unknown)."""
    slug = re.sub(r"[^a-z0-9]+", "-", _fold(city)).strip("-") or "unnamed"
    return f"{(code or 'xx').lower()}/{slug}"
