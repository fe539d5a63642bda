"""The /sparql endpoint through Flask's test client: protocol, formats, negotiation, errors.

The store holds a slice of the real v2 corpus, ingested by the pipeline; expected values are
the NCT ids of the files loaded.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from kg.pipeline import Pipeline
from kg.stores import open_store
from kg.stores.terms import from_oxigraph
from kg.vocab import SD, TK, VOID, Iris
from kg.web.app import create_app
from kg.web.settings import Settings
from tests.conftest import V2_FILES

SLICE = V2_FILES[:40]
IRIS = Iris()
PREFIX = f"PREFIX tk: <{TK._NS}>\n"
TRIALS = PREFIX + "SELECT ?t ?id WHERE { ?t a tk:Trial ; tk:nctId ?id } ORDER BY ?id"
GRAPH_FORMATS = [
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/n-quads",
    "application/trig",
]


def corpus_store(location, paths):
    """An embedded store at ``location`` holding ``paths`` as the ingest pipeline loads them."""
    store = open_store(str(location))
    summary = Pipeline().ingest([str(p) for p in paths], store)
    assert summary.loaded > 0
    store.loaded = summary.loaded  # what the pipeline says it loaded, for the tests to compare
    return store


@pytest.fixture(scope="module")
def store(v2_dir, tmp_path_factory):
    store = corpus_store(tmp_path_factory.mktemp("web") / "store", SLICE)
    yield store
    store.close()


@pytest.fixture(scope="module")
def loaded_ids(store) -> list[str]:
    rows = store.query(PREFIX + "SELECT ?id WHERE { ?t a tk:Trial ; tk:nctId ?id }")
    return sorted(str(v) for v in rows.values("id"))


@pytest.fixture
def client(store):
    return create_app(Settings(), store=store).test_client()


def parse_rdf(body: bytes, media_type: str) -> set[tuple]:
    """Triples (as rdflib terms) of an RDF answer, read by pyoxigraph's parsers."""
    parsed = ox.parse(body, format=ox.RdfFormat.from_media_type(media_type))
    return {
        (from_oxigraph(q.subject), from_oxigraph(q.predicate), from_oxigraph(q.object))
        for q in parsed
    }


def _ids_from(media_type: str, body: bytes) -> list[str]:
    """The ?id column of a TRIALS answer, parsed from any SPARQL results format."""
    if media_type == "application/sparql-results+json":
        return [b["id"]["value"] for b in json.loads(body)["results"]["bindings"]]
    if media_type == "application/sparql-results+xml":
        ns = "{http://www.w3.org/2005/sparql-results#}"
        root = ElementTree.fromstring(body)
        return [
            b.find(f"{ns}literal").text for b in root.iter(f"{ns}binding") if b.get("name") == "id"
        ]
    if media_type == "text/csv":
        return [row["id"] for row in csv.DictReader(io.StringIO(body.decode()))]
    if media_type == "text/tab-separated-values":
        lines = body.decode().splitlines()
        column = lines[0].split("\t").index("?id")
        return [line.split("\t")[column].strip('"') for line in lines[1:]]
    raise AssertionError(media_type)


def test_slice_is_loaded(store, loaded_ids):
    assert set(loaded_ids) <= {p.stem for p in SLICE}
    assert len(loaded_ids) == store.loaded


@pytest.mark.parametrize(
    "media_type",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_select_in_each_format(client, loaded_ids, media_type):
    response = client.get("/sparql", query_string={"query": TRIALS}, headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Content-Type"].endswith("charset=utf-8")
    assert _ids_from(media_type, response.data) == loaded_ids


@pytest.mark.parametrize("how", ["get", "form", "direct"])
def test_query_by_each_method(client, loaded_ids, how):
    accept = {"Accept": "application/sparql-results+json"}
    if how == "get":
        response = client.get("/sparql", query_string={"query": TRIALS}, headers=accept)
    elif how == "form":
        response = client.post("/sparql", data={"query": TRIALS}, headers=accept)
    else:
        response = client.post(
            "/sparql", data=TRIALS, content_type="application/sparql-query", headers=accept
        )
    assert response.status_code == 200
    assert _ids_from(response.mimetype, response.data) == loaded_ids


@pytest.mark.parametrize(
    ("media_type", "expected"),
    [
        ("application/sparql-results+json", "json"),
        ("application/sparql-results+xml", "xml"),
        ("text/csv", "text"),
        ("text/tab-separated-values", "text"),
    ],
)
def test_ask_in_each_format(client, loaded_ids, media_type, expected):
    for nct_id, truth in [(loaded_ids[0], "true"), ("NCT00000000", "false")]:
        query = PREFIX + f'ASK {{ ?t tk:nctId "{nct_id}" }}'
        response = client.get(
            "/sparql", query_string={"query": query}, headers={"Accept": media_type}
        )
        assert response.status_code == 200
        assert response.mimetype == media_type
        if expected == "json":
            assert json.loads(response.data)["boolean"] is (truth == "true")
        elif expected == "xml":
            assert f"<boolean>{truth}</boolean>" in response.data.decode()
        else:
            assert response.data.decode().strip() == truth


@pytest.mark.parametrize("media_type", GRAPH_FORMATS)
@pytest.mark.parametrize("form", ["construct", "describe"])
def test_graph_answers_in_each_format(client, loaded_ids, store, media_type, form):
    trial = IRIS.trial(loaded_ids[0])
    query = (
        f"DESCRIBE <{trial}>"
        if form == "describe"
        else f"CONSTRUCT {{ <{trial}> ?p ?o }} WHERE {{ <{trial}> ?p ?o }}"
    )
    response = client.post("/sparql", data={"query": query}, headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    got = {(p, o) for s, p, o in parse_rdf(response.data, media_type) if s == trial}
    direct = store.query(f"SELECT ?p ?o WHERE {{ <{trial}> ?p ?o }}")
    expected = {(row["p"], row["o"]) for row in direct.dicts()}
    assert got == expected
    assert len(expected) > 10


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.9, application/sparql-results+xml;q=0.1", "text/csv"),
        ("application/sparql-results+xml, text/csv;q=0.5", "application/sparql-results+xml"),
        ("text/*;q=0.5, application/json", "application/sparql-results+json"),
        ("text/*", "text/csv"),
        ("*/*", "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
    ],
)
def test_accept_q_values(client, accept, expected):
    response = client.get("/sparql", query_string={"query": TRIALS}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == expected


@pytest.mark.parametrize(
    ("fmt", "kind", "expected"),
    [
        ("csv", "select", "text/csv"),
        ("tsv", "select", "text/tab-separated-values"),
        ("json", "select", "application/sparql-results+json"),
        ("xml", "select", "application/sparql-results+xml"),
        ("json", "construct", "application/ld+json"),
        ("turtle", "construct", "text/turtle"),
        ("application/n-triples", "construct", "application/n-triples"),
        ("xml", "construct", "application/rdf+xml"),
    ],
)
def test_format_parameter_wins_over_accept(client, fmt, kind, expected):
    query = TRIALS if kind == "select" else "CONSTRUCT WHERE { ?s a ?t } LIMIT 3"
    response = client.get(
        "/sparql", query_string={"query": query, "format": fmt}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 200
    assert response.mimetype == expected


def test_not_acceptable(client):
    response = client.get(
        "/sparql", query_string={"query": TRIALS}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.data.decode()
    construct = "CONSTRUCT WHERE { ?s a ?t } LIMIT 3"
    response = client.get(
        "/sparql", query_string={"query": construct}, headers={"Accept": "text/csv"}
    )
    assert response.status_code == 406
    response = client.get("/sparql", query_string={"query": TRIALS, "format": "pdf"})
    assert response.status_code == 406


def test_wrong_content_type_is_415(client):
    response = client.post("/sparql", data=TRIALS, content_type="text/plain")
    assert response.status_code == 415
    assert "application/sparql-query" in response.data.decode()


def test_syntax_error_is_400_with_the_parsers_message(client):
    response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert response.status_code == 400
    text = response.data.decode()
    assert "1:" in text  # the parser's position
    assert "Traceback" not in text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method_is_405(client, method):
    response = client.open("/sparql", method=method, query_string={"query": TRIALS})
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_default_graph_is_the_union_and_protocol_narrows_it(client, loaded_ids):
    count = PREFIX + "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a tk:Trial }"
    accept = {"Accept": "application/sparql-results+json"}

    def n(**params):
        r = client.get("/sparql", query_string={"query": count, **params}, headers=accept)
        assert r.status_code == 200
        return int(json.loads(r.data)["results"]["bindings"][0]["n"]["value"])

    assert n() == len(loaded_ids)
    assert n(**{"default-graph-uri": str(IRIS.graph(loaded_ids[0]))}) == 1
    two = [str(IRIS.graph(i)) for i in loaded_ids[:2]]
    assert n(**{"default-graph-uri": two}) == 2


def test_service_description(client, store, loaded_ids):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    g = Graph().parse(data=response.data, format="turtle")
    service = URIRef("http://localhost/sparql")
    assert (service, SD.endpoint, service) in g
    assert (service, SD.feature, SD.UnionDefaultGraph) in g
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in g  # read-only
    (triples,) = g.objects(None, VOID.triples)
    assert triples == Literal(len(store), datatype=XSD.integer)
    (partition,) = g.subjects(VOID["class"], TK.Trial)
    assert g.value(partition, VOID.entities).toPython() == len(loaded_ids)
    (subjects,) = g.objects(None, VOID.distinctSubjects)
    assert subjects.toPython() > len(loaded_ids)
    as_jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert len(parse_rdf(as_jsonld.data, "application/ld+json")) == len(g)


def test_cors_on_every_answer(client):
    response = client.get("/sparql", query_string={"query": TRIALS})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_gzip_only_when_asked(client, loaded_ids):
    plain = client.get("/sparql", query_string={"query": TRIALS})
    assert "Content-Encoding" not in plain.headers
    zipped = client.get(
        "/sparql", query_string={"query": TRIALS}, headers={"Accept-Encoding": "gzip, deflate"}
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data)


def test_a_bug_never_shows_a_stack_trace(store, monkeypatch):
    app = create_app(Settings(), store=store)

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(store, "query_serialized", broken)
    response = app.test_client().get("/sparql", query_string={"query": TRIALS})
    assert response.status_code == 500
    body = response.data.decode()
    assert "Traceback" not in body and "secret internal detail" not in body


def test_gzip_leaves_files_sent_as_they_are_alone(store):
    """A file response (static assets) is passed through, not compressed: this once raised."""
    from flask import send_file

    app = create_app(Settings(), store=store)
    app.add_url_rule(
        "/test-file", view_func=lambda: send_file(io.BytesIO(b"x" * 5000), mimetype="text/plain")
    )
    response = app.test_client().get("/test-file", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.data == b"x" * 5000


def test_settings_from_environment_and_arguments(monkeypatch):
    env = {
        "TRIALKG_QUERY_TIMEOUT": "12.5",
        "TRIALKG_MAX_ROWS": "50",
        "TRIALKG_UPDATE_TOKEN": "t",
        "TRIALKG_ALLOW_LOAD": "true",
        "TRIALKG_CORS": "0",
        "TRIALKG_BASE": "https://example.org/kg/",
    }
    s = Settings.from_env(env, max_rows=7)
    assert (s.query_timeout, s.max_rows, s.update_token) == (12.5, 7, "t")
    assert (s.allow_load, s.allow_service, s.cors, s.base) == (
        True,
        False,
        False,
        "https://example.org/kg/",
    )
    defaults = Settings.from_env({})
    assert (defaults.query_timeout, defaults.update_token, defaults.cors) == (30.0, None, True)
    assert defaults.concurrent_queries >= 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TRIALKG_QUERY_TIMEOUT", "soon"),
        ("TRIALKG_ALLOW_SERVICE", "maybe"),
        ("TRIALKG_MAX_ROWS", "0"),
    ],
)
def test_bad_settings_name_the_variable(variable, value):
    from kg.errors import ConfigError

    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: value})


def test_cors_can_be_switched_off(store):
    client = create_app(Settings(cors=False), store=store).test_client()
    response = client.get("/sparql", query_string={"query": TRIALS})
    assert "Access-Control-Allow-Origin" not in response.headers
