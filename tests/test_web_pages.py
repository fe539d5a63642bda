"""Linked-data pages over the mapped v2 corpus: HTML for people, RDF by Accept or extension.

What a page must show (title, sponsor, statements) is read from the JSON records and from the
store's own graphs, independently of the page code.
"""

from __future__ import annotations

import html
import json

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from kg.mapper import map_trial
from kg.model import Organization, OverallStatus, Trial
from kg.stores import open_store
from kg.stores.terms import from_oxigraph
from kg.vocab import Iris
from kg.web.app import create_app
from kg.web.settings import Settings
from tests.conftest import V2_FILES

IRIS = Iris()
SAMPLE = V2_FILES[::50]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(mapped_corpus):
    return create_app(Settings(), mapped_corpus).test_client()


def _study(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["protocolSection"]


def _value(term):
    """A literal by its value (Turtle writes the decimal 18 as 18.0), anything else as it is."""
    if isinstance(term, Literal) and term.value is not None:
        return (term.datatype, term.language, term.value)
    return term


def _statements(store, subject: URIRef) -> set:
    """What the store says with ``subject`` as subject, over all graphs."""
    rows = store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", {"s": subject}).rows
    return {(p, _value(o)) for _, p, o in rows}


def _triples(graph: Graph) -> set:
    return {(s, p, _value(o)) for s, p, o in graph}


def _about(graph: Graph, subject: URIRef) -> set:
    return {(p, _value(o)) for s, p, o in graph if s == subject}


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.stem)
def test_trial_page_shows_title_sponsor_and_registry_link(client, path):
    study = _study(path)
    nct = study["identificationModule"]["nctId"]
    answer = client.get(f"/trial/{nct}", headers={"Accept": BROWSER_ACCEPT})
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    page = html.unescape(answer.get_data(as_text=True))
    title = study["identificationModule"]["briefTitle"].strip()
    assert f'<h1 id="title">{title}</h1>' in page
    sponsor = study["sponsorCollaboratorsModule"]["leadSponsor"]["name"].strip()
    assert sponsor in page
    assert f"https://clinicaltrials.gov/study/{nct}" in page
    assert 'href="/trial/' + nct + '.ttl"' in page


@pytest.mark.parametrize("path", SAMPLE[:8], ids=lambda p: p.stem)
def test_trial_rdf_holds_the_trial_s_statements_in_every_syntax(client, mapped_corpus, path):
    nct = path.stem
    trial = IRIS.trial(nct)
    body = client.get(f"/trial/{nct}.ttl").get_data(as_text=True)
    turtle = Graph().parse(data=body, format="turtle")
    assert _about(turtle, trial) == _statements(mapped_corpus, trial)
    for suffix, syntax in [
        ("jsonld", ox.RdfFormat.JSON_LD),
        ("nt", ox.RdfFormat.N_TRIPLES),
        ("rdf", ox.RdfFormat.RDF_XML),
    ]:
        body = client.get(f"/trial/{nct}.{suffix}").get_data()
        parsed = ox.parse(body, format=syntax)  # pyoxigraph: a parser independent of rdflib
        other = {(from_oxigraph(t.subject), from_oxigraph(t.predicate), t.object) for t in parsed}
        assert {(s, p, _value(from_oxigraph(o))) for s, p, o in other} == _triples(turtle), suffix


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (BROWSER_ACCEPT, "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
        ("*/*", "text/html"),
    ],
)
def test_accept_header_chooses_the_representation(client, accept, media_type):
    answer = client.get("/trial/NCT00000410", headers={"Accept": accept})
    assert answer.status_code == 200
    assert answer.mimetype == media_type
    assert "Accept" in answer.headers["Vary"]


def test_unacceptable_type_is_406(client):
    assert client.get("/trial/NCT00000410", headers={"Accept": "image/png"}).status_code == 406


@pytest.mark.parametrize(
    "url", ["/trial/NCT99999999", "/org/no-such-organisation", "/trial/NCT00000410/arm/99"]
)
def test_unknown_iris_are_404(client, url):
    assert client.get(url).status_code == 404


def test_organisation_page_counts_its_incoming_links(client):
    org = IRIS.organization("Bayer")
    statements = set()
    for path in V2_FILES:
        study = _study(path)
        sponsors = study["sponsorCollaboratorsModule"]
        named = [("lead", sponsors["leadSponsor"]["name"])]
        named += [("collaborator", c["name"]) for c in sponsors.get("collaborators", [])]
        named += [("submitter", study["identificationModule"]["organization"]["fullName"])]
        statements |= {(path.stem, role) for role, name in named if IRIS.organization(name) == org}
    page = client.get("/org/bayer").get_data(as_text=True)
    assert '<h1 id="title">Bayer</h1>' in page
    assert f"{len(statements)} statements point here" in page
    turtle = Graph().parse(data=client.get("/org/bayer.ttl").get_data(as_text=True))
    assert len(set(turtle.subject_predicates(org))) == len(statements)


@pytest.mark.parametrize(
    "path",
    [
        "/trial/NCT00000410/arm/1",
        "/trial/NCT00000410/outcome/primary/1",
        "/trial/NCT00000410/location/1",
        "/trial/NCT00000410/intervention/1",
        "/condition/low-back-pain",
        "/intervention/diskectomy",
        "/keyword/mri",
        "/browse-branch/BC10",
    ],
)
def test_parts_and_shared_nodes_dereference(client, mapped_corpus, path):
    iri = URIRef(IRIS.base + path.lstrip("/"))
    assert _statements(mapped_corpus, iri), f"{iri} should be in the corpus graph"
    answer = client.get(path)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    if path.startswith("/trial/"):
        assert 'part of trial <a href="/trial/NCT00000410">' in page
    else:
        assert "Linked from" in page
    turtle = Graph().parse(data=client.get(path + ".ttl").get_data(as_text=True))
    assert _about(turtle, iri) == _statements(mapped_corpus, iri)


def test_named_graph_page_and_content(client, mapped_corpus):
    graph = IRIS.graph("NCT00000410")
    stored = Graph()
    for s, p, o, _ in mapped_corpus.triples(graph):
        stored.add((s, p, o))
    answer = client.get("/graph/NCT00000410", headers={"Accept": "text/turtle"})
    served = Graph().parse(data=answer.get_data(as_text=True))
    assert _triples(served) == _triples(stored)
    page = client.get("/graph/NCT00000410.html").get_data(as_text=True)
    assert f"{len(stored)} statements" in page and 'href="/trial/NCT00000410"' in page


def test_configured_base_and_encoded_names_round_trip():
    """Pages answer at the IRI's path under another base, percent-encoded names included."""
    iris = Iris("https://example.org/kg/")
    trial = Trial(
        "NCT01234567",
        brief_title="A trial with a sponsor named in Chinese",
        overall_status=OverallStatus.RECRUITING,
        lead_sponsor=Organization("北京天坛医院"),
    )
    mapped = map_trial(trial, iris)
    store = open_store("memory:")
    store.replace_graphs({mapped.graph: mapped.triples})
    client = create_app(Settings(base="https://example.org/kg/"), store).test_client()
    page = client.get("/trial/NCT01234567").get_data(as_text=True)
    assert "A trial with a sponsor named in Chinese" in page
    org = iris.organization("北京天坛医院")
    assert str(org).startswith("https://example.org/kg/org/") and "%" in str(org)
    local = "/" + str(org)[len(iris.base) :]
    assert f'href="{local}"' in page
    answer = client.get(local)
    assert answer.status_code == 200
    assert "北京天坛医院" in answer.get_data(as_text=True)
