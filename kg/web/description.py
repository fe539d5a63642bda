"""The service description served on GET /sparql without a query: SD vocabulary plus VoID counts.

The counts come from :func:`kg.stats.dataset_statistics` (the same figures as ``trialkg stats``)
and are remembered for a while per app, since counting a large store is not free.
"""

from __future__ import annotations

import time

from flask import Response, request
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD
from werkzeug.exceptions import NotAcceptable

from kg.stats import dataset_statistics
from kg.vocab import SD, TK, VOID, Iris
from kg.web import negotiation
from kg.web.state import current_settings, current_state, current_store

FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
STATISTICS_TTL = 300.0  # seconds a count stays fresh
# Classes whose entity counts are worth a VoID class partition in the description.
HEADLINE_CLASSES = (TK.Trial, TK.Organization, TK.Condition, TK.Intervention, TK.Location)


def statistics() -> dict:
    """The store's VoID figures, recomputed when older than :data:`STATISTICS_TTL`."""
    cache = current_state().cache
    cached = cache.get("statistics")
    if cached and time.monotonic() - cached[0] < STATISTICS_TTL:
        return cached[1]
    store = current_store()
    figures = dataset_statistics(store, Iris(current_settings().base))
    rows = store.query(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }",
        timeout=current_settings().query_timeout,
    ).values("n")
    figures["distinct_subjects"] = int(rows[0]) if rows else 0
    cache["statistics"] = (time.monotonic(), figures)
    return figures


def forget_statistics() -> None:
    """Drop the remembered counts (after an update changed the store)."""
    current_state().cache.pop("statistics", None)


def description_graph(endpoint: str) -> Graph:
    """The SD + VoID graph of this endpoint, as it is configured and with the store's counts."""
    settings = current_settings()
    figures = statistics()
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("tk", TK._NS)
    service = URIRef(endpoint)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if settings.update_token:
        g.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    if settings.allow_service:
        g.add((service, SD.feature, SD.BasicFederatedQuery))
    for kind in ("bindings", "graph"):
        for fmt in negotiation.FORMATS[kind]:
            g.add((service, SD.resultFormat, FORMATS_NS[fmt.w3c]))

    dataset, default = BNode("dataset"), BNode("defaultGraph")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, RDF.type, VOID.Dataset))
    g.add((default, VOID.sparqlEndpoint, service))
    g.add((default, VOID.uriSpace, Literal(settings.base)))
    count = {
        VOID.triples: figures["triples"],
        VOID.distinctSubjects: figures["distinct_subjects"],
        VOID.documents: figures["graphs"],
        VOID.entities: figures["trials"],
    }
    for prop, value in count.items():
        g.add((default, prop, Literal(value, datatype=XSD.integer)))
    entities = {row["class"]: row["entities"] for row in figures["classes"]}
    for cls in HEADLINE_CLASSES:
        partition = BNode(f"class-{cls.split('#')[-1]}")
        g.add((default, VOID.classPartition, partition))
        g.add((partition, VOID["class"], cls))
        g.add((partition, VOID.entities, Literal(entities.get(str(cls), 0), datatype=XSD.integer)))
    return g


def service_description() -> Response:
    """Answer GET /sparql without a query: the description in a negotiated RDF syntax."""
    requested = [v for p in ("format", "output") for v in request.args.getlist(p)]
    offers = negotiation.DESCRIPTION_FORMATS
    chosen = (
        negotiation.by_name(offers, requested)
        if requested
        else negotiation.negotiate(offers, request.headers.get("Accept"))
    )
    if chosen is None:
        raise NotAcceptable(
            "the service description is available as " + ", ".join(f.media_type for f in offers)
        )
    rdflib_format = {
        "turtle": "turtle",
        "ntriples": "nt",
        "json-ld": "json-ld",
        "rdf+xml": "xml",
    }[chosen.name]
    body = description_graph(request.base_url).serialize(format=rdflib_format, encoding="utf-8")
    return Response(body, content_type=f"{chosen.media_type}; charset=utf-8")
