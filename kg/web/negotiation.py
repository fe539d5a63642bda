"""Content negotiation: pick a result format from ``Accept`` (with q-values) or ``format=``.

Formats are a registry per answer kind; the first format of a kind is the default when the
client accepts anything. ``format=`` (and Fuseki's ``output=``) take a short name or a media type,
for people typing URLs; it wins over ``Accept``.

>>> choose("bindings", "text/csv;q=0.5, application/sparql-results+xml").media_type
'application/sparql-results+xml'
>>> choose("graph", "*/*").name
'turtle'
>>> choose("graph", "application/json").media_type
'application/ld+json'
>>> choose("boolean", "", ["csv"]).media_type
'text/csv'
>>> choose("graph", "image/png") is None
True
>>> choose("graph", "application/sparql-results+xml").media_type
'application/rdf+xml'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["bindings", "boolean", "graph"]


@dataclass(frozen=True)
class Format:
    """A serialisation the endpoint can produce: short name, canonical media type, aliases."""

    name: str
    media_type: str
    aliases: tuple[str, ...] = ()
    w3c: str = ""  # its name under http://www.w3.org/ns/formats/ (for the service description)

    def names(self) -> tuple[str, ...]:
        return (self.name, self.media_type, *self.aliases)


_JSON = Format(
    "json", "application/sparql-results+json", ("application/json", "srj"), "SPARQL_Results_JSON"
)
_XML = Format(
    "xml",
    "application/sparql-results+xml",
    ("application/xml", "text/xml", "srx"),
    "SPARQL_Results_XML",
)
_CSV = Format("csv", "text/csv", (), "SPARQL_Results_CSV")
_TSV = Format("tsv", "text/tab-separated-values", ("text/tsv",), "SPARQL_Results_TSV")
_TURTLE = Format(
    "turtle", "text/turtle", ("ttl", "application/x-turtle", "n3", "text/n3"), "Turtle"
)
_NTRIPLES = Format(
    "ntriples", "application/n-triples", ("nt", "n-triples", "text/plain"), "N-Triples"
)
# SPARQL 1.0-era clients (rasqal's roqet, older Jena/SPARQLWrapper set-ups) send the results
# media type whatever the query form, meaning "XML" or "JSON"; a graph answer honours that
# with RDF/XML or JSON-LD, as Virtuoso and Fuseki do, rather than refusing it.
_JSONLD = Format(
    "json-ld",
    "application/ld+json",
    ("jsonld", "json", "application/json", "application/sparql-results+json"),
    "JSON-LD",
)
_RDFXML = Format(
    "rdf+xml",
    "application/rdf+xml",
    ("rdfxml", "xml", "rdf", "application/xml", "application/sparql-results+xml"),
    "RDF_XML",
)
_NQUADS = Format("nquads", "application/n-quads", ("nq", "n-quads"), "N-Quads")
_TRIG = Format("trig", "application/trig", (), "TriG")

# Order = the server's preference when the client's q-values tie.
FORMATS: dict[Kind, tuple[Format, ...]] = {
    "bindings": (_JSON, _XML, _CSV, _TSV),
    "boolean": (_JSON, _XML, _CSV, _TSV),
    "graph": (_TURTLE, _NTRIPLES, _JSONLD, _RDFXML, _NQUADS, _TRIG),
}
# What a service description (an RDF graph we build) can be sent as.
DESCRIPTION_FORMATS: tuple[Format, ...] = (_TURTLE, _NTRIPLES, _JSONLD, _RDFXML)


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """How specifically this range matches (2 exact, 1 ``type/*``, 0 ``*/*``, -1 not at all)."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; a missing or empty header accepts anything.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/*;q=0.3, application/json")]
    [('text', '*', 0.3), ('application', 'json', 1.0)]
    >>> [(r.type, r.q) for r in parse_accept("")]
    [('*', 1.0)]
    """
    ranges: list[MediaRange] = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        if media == "*":
            media = "*/*"
        kind, slash, sub = media.partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q))
    return ranges or [MediaRange("*", "*", 1.0)]


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The q the client gives ``media_type``: that of the most specific matching range."""
    best_specificity, best_q = -1, 0.0
    for r in ranges:
        s = r.matches(media_type)
        if s > best_specificity or (s == best_specificity and r.q > best_q):
            best_specificity, best_q = s, r.q
    return best_q if best_specificity >= 0 else 0.0


def negotiate(offers: Sequence[Format], accept: str | None) -> Format | None:
    """The offer the client prefers, or ``None`` if none is acceptable.

    An offer is acceptable under its canonical media type or any media-type alias; on equal q an
    offer accepted under its canonical type beats one accepted only through an alias
    (``text/*`` means CSV rather than XML-as-text/xml), then the server's order decides.

    >>> negotiate(FORMATS["bindings"], "text/*").name
    'csv'
    """
    ranges = parse_accept(accept)
    best: Format | None = None
    best_key = (0.0, False)
    for offer in offers:
        canonical = quality(ranges, offer.media_type)
        q = max(quality(ranges, m) for m in offer.names() if "/" in m)
        key = (q, canonical == q)
        if q > 0 and key > best_key:
            best, best_key = offer, key
    return best


def by_name(offers: Sequence[Format], requested: Sequence[str]) -> Format | None:
    """The first offer named by a ``format=`` value (short name, alias or media type)."""
    for value in requested:
        wanted = value.strip().lower()
        for offer in offers:
            if wanted in offer.names():
                return offer
    return None


def choose(kind: Kind, accept: str | None, requested: Sequence[str] = ()) -> Format | None:
    """The format for an answer of ``kind``: ``format=`` values first, else ``Accept``."""
    offers = FORMATS[kind]
    if requested:
        return by_name(offers, requested)
    return negotiate(offers, accept)


def names(kind: Kind) -> list[str]:
    """The media types offered for ``kind`` (for 406 messages)."""
    return [f.media_type for f in FORMATS[kind]]
