"""Linked-data pages: every IRI minted under the base dereferences, as HTML or as RDF, at its path.

``{base}trial/NCT04590118`` is served at ``/trial/NCT04590118``: an HTML page for browsers,
Turtle, N-Triples, JSON-LD or RDF/XML by ``Accept`` or by a file extension
(``/trial/NCT04590118.ttl``). A description is the resource's statements as subject, a label
for each object, the number of statements pointing at it and the first of those; it comes from
the store through the queries in ``queries/internal/describe-*.rq`` with the IRI bound, never
spliced. A trial's HTML page also lists its related trials: the computed ones with their score
and reasons (the named query ``related-trials-explained``) and the ones its records state. A named
graph (``/graph/NCT…``) answers with its content. Unknown IRIs are 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from rdflib import Graph, Literal, URIRef
from rdflib.term import Identifier
from werkzeug.exceptions import NotAcceptable, NotFound

from kg.queries import get_query
from kg.resources import read_text
from kg.vocab import (
    DCTERMS,
    MESH,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    TK,
    XSD,
    Iris,
    registry_page,
)
from kg.web.negotiation import DESCRIPTION_FORMATS, Format, by_name, negotiate
from kg.web.state import current_settings, current_store

bp = Blueprint("pages", __name__)

KINDS = ("trial", "org", "condition", "intervention", "keyword", "browse-branch", "graph")
"""The first path segments of the IRIs :class:`kg.vocab.Iris` mints (``{base}<kind>/…``)."""

HTML = Format("html", "text/html", ("application/xhtml+xml",))
OFFERS = (HTML, *DESCRIPTION_FORMATS)
"""HTML first: a client that accepts anything gets the page; RDF clients say what they want."""

EXTENSIONS = {"ttl": "turtle", "nt": "ntriples", "jsonld": "json-ld", "rdf": "rdf+xml"}
_RDFLIB = {"turtle": "turtle", "ntriples": "nt", "json-ld": "json-ld", "rdf+xml": "xml"}
_PREFIXES = {
    "tk": TK._NS,
    "rdfs": RDFS,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "schema": SCHEMA,
    "owl": OWL,
    "xsd": XSD,
    "mesh": MESH,
}
# Shown first on a page, in this order; everything else follows alphabetically.
_FIRST = [
    RDF.type,
    TK.nctId,
    TK.briefTitle,
    TK.officialTitle,
    TK.acronym,
    TK.overallStatus,
    TK.studyType,
    TK.phase,
    TK.leadSponsor,
    TK.collaborator,
    TK.organizationName,
    TK.agencyClass,
    TK.conditionText,
    TK.studiesCondition,
    TK.conditionMesh,
    TK.keyword,
    TK.hasIntervention,
    TK.startDate,
    TK.primaryCompletionDate,
    TK.completionDate,
    TK.enrollment,
    TK.sex,
    TK.minimumAge,
    TK.maximumAge,
]
_TITLE = (TK.briefTitle, RDFS.label, SKOS.prefLabel, TK.organizationName, TK.measure)
_OUT_LINKS = (OWL.sameAs, SKOS.exactMatch, SKOS.closeMatch, RDFS.seeAlso)
_ALTERNATES = (("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("N-Triples", "nt"), ("RDF/XML", "rdf"))


@dataclass
class Value:
    """One object of a statement, ready for the template."""

    text: str
    href: str | None = None
    note: str | None = None  # datatype, language or the kind of link
    long: bool = False


@dataclass
class Row:
    predicate: URIRef
    name: str
    values: list[Value] = field(default_factory=list)


@dataclass
class Related:
    """One related trial on a trial's page: its score and reasons, or that the records state it."""

    nct_id: str
    href: str
    title: str | None
    score: float | None
    reasons: list[Value] = field(default_factory=list)
    stated: bool = False


@dataclass
class Description:
    """What the store says about one resource."""

    iri: URIRef
    outgoing: list[tuple[URIRef, Identifier, Literal | None, Literal | None]]  # p, o, label, text
    incoming: list[tuple[URIRef, URIRef, Literal | None]]
    incoming_count: int

    def graph(self) -> Graph:
        g = Graph()
        for prefix, namespace in _PREFIXES.items():
            g.bind(prefix, namespace)
        for p, o, label, _ in self.outgoing:
            g.add((self.iri, p, o))
            if label is not None and isinstance(o, URIRef):
                g.add((o, RDFS.label, label))
        for s, p, label in self.incoming:
            g.add((s, p, self.iri))
            if label is not None:
                g.add((s, RDFS.label, label))
        return g


@bp.get(f"/<any({', '.join(repr(k) for k in KINDS)}):kind>/<path:rest>")
def resource(kind: str, rest: str) -> Response:
    rest, fmt = _split_extension(rest)
    base = Iris(current_settings().base).base
    # Werkzeug decoded the path; minted IRIs percent-encode each segment, so encode them back.
    path = "/".join(quote(segment, safe="") for segment in [kind, *rest.split("/")])
    iri = URIRef(base + path)
    if fmt is None:
        fmt = negotiate(OFFERS, request.headers.get("Accept"))
        if fmt is None:
            offered = ", ".join(f.media_type for f in OFFERS)
            raise NotAcceptable(f"{iri} is available as {offered}")
    if kind == "graph":
        return _named_graph(iri, path, fmt)
    description = describe(iri)
    if not description.outgoing and not description.incoming_count:
        raise NotFound(f"{iri} is not in this graph")
    if fmt is HTML:
        page = _page(description, path, base)
        if kind == "trial" and "/" not in rest:
            page["related"] = related_trials(iri)
        response = Response(render_template("resource.html", **page))
    else:
        body = description.graph().serialize(format=_RDFLIB[fmt.name])
        response = Response(body, content_type=f"{fmt.media_type}; charset=utf-8")
    response.vary.add("Accept")
    return response


def describe(iri: URIRef) -> Description:
    """The resource's statements, a sample of links to it and how many there are."""
    store = current_store()
    timeout = current_settings().query_timeout
    bound = {"resource": iri}
    outgoing = [
        (row["p"], row["o"], row.get("label"), row.get("text"))
        for row in store.query(
            read_text("queries", "internal/describe-outgoing.rq"), bound, timeout=timeout
        ).dicts()
        if "p" in row  # an empty aggregate may still answer one row with ?resource alone
    ]
    incoming = [
        (row["s"], row["p"], row.get("label"))
        for row in store.query(
            read_text("queries", "internal/describe-incoming.rq"), bound, timeout=timeout
        ).dicts()
        if "s" in row
    ]
    counted = store.query(
        read_text("queries", "internal/count-incoming.rq"), bound, timeout=timeout
    ).values("links")
    return Description(iri, outgoing, incoming, int(counted[0]) if counted else 0)


def related_trials(trial: URIRef) -> list[Related]:
    """The trial's computed related trials, best first, then those only its records state.

    Two queries whatever the number of relations: the computed relations with their reasons and
    labels, and the stated links (``queries/internal/stated-relations.rq``).
    """
    store = current_store()
    timeout = current_settings().query_timeout
    iris = Iris(current_settings().base)
    found: dict[URIRef, Related] = {}
    computed = get_query("related-trials-explained").run(
        store, {"trial": str(trial)}, iris, timeout=timeout
    )
    for row in computed.dicts():
        item = found.get(row["related"])
        if item is None:
            item = found[row["related"]] = _related(row["related"], row.get("title"))
            item.score = float(row["score"])
        entity = row.get("entity")
        shown = _link(entity, row.get("entityLabel")) if entity is not None else Value("")
        shown.text = f"{row['kind']}: {shown.text}" if shown.text else str(row["kind"])
        shown.note = f"+{float(row['contribution']):.3f}"
        item.reasons.append(shown)
    stated = store.query(
        read_text("queries", "internal/stated-relations.rq"), {"trial": trial}, timeout=timeout
    )
    for row in stated.dicts():
        if "other" not in row:
            continue
        item = found.get(row["other"])
        if item is None:
            item = found[row["other"]] = _related(row["other"], None)
        item.stated = True
        detail = row["detail"]
        if detail == row["other"]:  # listed on the trial card: the detail is the trial itself
            shown = Value(str(row["how"]))
        else:
            shown = _link(detail, None) if isinstance(detail, URIRef) else Value(str(detail))
            shown.text = f"{row['how']}: {shown.text}"
        shown.note = "stated"
        item.reasons.append(shown)
    return list(found.values())


def _related(other: URIRef, title: Literal | None) -> Related:
    nct_id = str(other).rsplit("/", 1)[-1]
    href = _link(other, None).href or str(other)
    return Related(nct_id, href, str(title) if title is not None else None, None)


def _split_extension(rest: str) -> tuple[str, Format | None]:
    stem, dot, ext = rest.rpartition(".")
    if dot and ext in EXTENSIONS:
        return stem, by_name(OFFERS, [EXTENSIONS[ext]])
    if dot and ext == "html":
        return stem, HTML
    return rest, None


def _named_graph(iri: URIRef, path: str, fmt: Format) -> Response:
    triples = [(s, p, o) for s, p, o, _ in current_store().triples(iri)]
    if not triples:
        raise NotFound(f"there is no named graph {iri}")
    if fmt is HTML:
        subjects = sorted({s for s, _, _ in triples if isinstance(s, URIRef)})
        return Response(
            render_template(
                "graph.html",
                iri=str(iri),
                path=path,
                count=len(triples),
                subjects=[_link(s, None) for s in subjects],
                formats=_alternates(path),
            )
        )
    g = Graph()
    for prefix, namespace in _PREFIXES.items():
        g.bind(prefix, namespace)
    for triple in triples:
        g.add(triple)
    body = g.serialize(format=_RDFLIB[fmt.name])
    return Response(body, content_type=f"{fmt.media_type}; charset=utf-8")


# --------------------------------------------------------------------------- HTML


def _page(d: Description, path: str, base: str) -> dict:
    by_predicate: dict[URIRef, Row] = {}
    for p, o, label, text in d.outgoing:
        row = by_predicate.setdefault(p, Row(p, predicate_name(p)))
        row.values.append(_value(o, label or text))
    order = {p: i for i, p in enumerate(_FIRST)}
    rows = sorted(by_predicate.values(), key=lambda r: (order.get(r.predicate, len(order)), r.name))
    for row in rows:
        row.values.sort(key=lambda v: v.text.casefold())
    incoming: dict[URIRef, Row] = {}
    for s, p, label in d.incoming:
        row = incoming.setdefault(p, Row(p, predicate_name(p)))
        row.values.append(_link(s, label))
    title = next(
        (str(o) for p in _TITLE for q, o, *_ in d.outgoing if q == p and isinstance(o, Literal)),
        path.rsplit("/", 1)[-1],
    )
    types = [predicate_name(o) for p, o, *_ in d.outgoing if p == RDF.type]
    external: list[tuple[str, str]] = []
    parent: tuple[str, str] | None = None
    parts = path.split("/")
    if parts[0] == "trial" and len(parts) >= 2:
        nct = parts[1]
        external.append(("ClinicalTrials.gov", str(registry_page(nct))))
        if len(parts) > 2:
            parent = (nct, f"{request.script_root}/trial/{nct}")
        else:
            related = f"{request.script_root}/api/queries/related-trials?trial={nct}"
            external.append(("Related trials (JSON)", related))
    for p, o, *_ in d.outgoing:
        known = {href for _, href in external}
        if p in _OUT_LINKS and str(o) not in known:
            external.append((predicate_name(p), str(o)))
    return {
        "iri": str(d.iri),
        "title": title,
        "types": types,
        "rows": rows,
        "incoming": list(incoming.values()),
        "incoming_count": d.incoming_count,
        "incoming_shown": len(d.incoming),
        "external": external,
        "parent": parent,
        "formats": _alternates(path),
    }


def _alternates(path: str) -> list[tuple[str, str]]:
    return [(label, f"{request.script_root}/{path}.{ext}") for label, ext in _ALTERNATES]


def _local(iri: URIRef) -> str | None:
    """The site path of an IRI minted under this app's base (``trial/NCT…``), else None."""
    base = Iris(current_settings().base).base
    text = str(iri)
    if text.startswith(base):
        rest = text[len(base) :]
        if rest.split("/", 1)[0] in KINDS:
            return rest
    return None


def _link(iri: URIRef, label: Literal | None) -> Value:
    """An IRI as a link: minted ones to their page here, MeSH and codes by name, others as is."""
    text = str(iri)
    local = _local(iri)
    if local is not None:
        return Value(str(label) if label else local, f"{request.script_root}/{local}")
    if text.startswith(str(MESH)):
        ui = text[len(str(MESH)) :]
        return Value(f"{label} ({ui})" if label else ui, text, "MeSH")
    if text.startswith(str(TK._NS)):
        name = text[len(str(TK._NS)) :]
        return Value(str(label) if label else name.split("-", 1)[-1], text)
    return Value(str(label) if label else text, text)


def _value(o: Identifier, label: Literal | None) -> Value:
    if isinstance(o, URIRef):
        return _link(o, label)
    if isinstance(o, Literal):
        note = o.language
        if o.datatype is not None and o.datatype != XSD.string:
            note = "xsd:" + o.datatype[len(str(XSD)) :] if o.datatype in XSD else o.datatype
        text = str(o)
        return Value(text, None, note, long=len(text) > 160 or "\n" in text)
    return Value(str(o))


def predicate_name(iri: URIRef) -> str:
    """A readable name for a property or class IRI: its local name, camelCase split.

    >>> predicate_name(TK.leadSponsor), predicate_name(RDFS.label), predicate_name(TK.Trial)
    ('lead sponsor', 'label', 'Trial')
    """
    text = str(iri)
    local = re.split(r"[#/]", text)[-1] or text
    if local[:1].isupper():
        return local
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).lower()
