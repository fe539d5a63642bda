"""Real SPARQL clients against a live ``trialkg serve`` on 127.0.0.1: SPARQLWrapper, rdflib's
SPARQLStore, rasqal's ``roqet`` and ``curl`` (the last two are not Python).

Every answer is compared with what the store itself says. rasqal's protocol client (roqet
0.9.33) reads only variable bindings, as SPARQL XML, so roqet covers SELECT (rendered in each of
its output formats); curl covers ASK, CONSTRUCT and DESCRIBE in each wire format.
"""

from __future__ import annotations

import csv
import gc
import io
import shutil
import subprocess
from xml.dom.minidom import Document
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from kg.stores.terms import from_oxigraph
from kg.vocab import TK, Iris
from tests.conftest import V2_FILES
from tests.live_server import serve
from tests.test_web_sparql import corpus_store

pytestmark = pytest.mark.slow

SLICE = V2_FILES[:25]
IRIS = Iris()
TRIALS = f"SELECT ?t ?id WHERE {{ ?t a <{TK.Trial}> ; <{TK.nctId}> ?id }} ORDER BY ?id"
RDF_MEDIA = {
    TURTLE: "text/turtle",
    "nt": "application/n-triples",
    JSONLD: "application/ld+json",
    RDFXML: "application/rdf+xml",
}


@pytest.fixture(scope="module")
def served(v2_dir, tmp_path_factory):
    """(url, expected) with expected = the trial ids and one trial's outgoing triples."""
    path = tmp_path_factory.mktemp("clients") / "store"
    store = corpus_store(path, SLICE)
    ids = sorted(str(v) for v in store.query(TRIALS).values("id"))
    trial = IRIS.trial(ids[0])
    triples = {
        (trial, row["p"], row["o"])
        for row in store.query(f"SELECT ?p ?o WHERE {{ <{trial}> ?p ?o }}").dicts()
    }
    store.close()
    del store  # pyoxigraph releases the directory lock only when its Store is collected
    gc.collect()
    with serve(path) as url:
        yield url, {"ids": ids, "trial": trial, "triples": triples}


def _parse_rdf(body: bytes, media_type: str) -> set:
    return {
        (from_oxigraph(q.subject), from_oxigraph(q.predicate), from_oxigraph(q.object))
        for q in ox.parse(body, format=ox.RdfFormat.from_media_type(media_type))
    }


def _outgoing(triples: set, subject: URIRef) -> set:
    return {t for t in triples if t[0] == subject}


# ---------------------------------------------------------------- SPARQLWrapper


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(served, fmt, method):
    url, expected = served
    client = SPARQLWrapper(url, returnFormat=fmt)
    if method == "POST":
        client.setMethod(POST)
    client.setQuery(TRIALS)
    result = client.query()
    converted = result.convert()
    if fmt == JSON:
        ids = [b["id"]["value"] for b in converted["results"]["bindings"]]
    elif fmt == XML:
        assert isinstance(converted, Document)
        ids = [
            b.getElementsByTagName("literal")[0].firstChild.data
            for b in converted.getElementsByTagName("binding")
            if b.getAttribute("name") == "id"
        ]
    elif fmt == CSV:
        ids = [row["id"] for row in csv.DictReader(io.StringIO(converted.decode()))]
    else:
        lines = converted.decode().splitlines()
        column = lines[0].split("\t").index("?id")
        ids = [line.split("\t")[column].strip('"') for line in lines[1:]]
    assert ids == expected["ids"]


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(served, fmt):
    url, expected = served
    for nct_id, truth in [(expected["ids"][0], True), ("NCT00000000", False)]:
        client = SPARQLWrapper(url, returnFormat=fmt)
        client.setQuery(f'ASK {{ ?t <{TK.nctId}> "{nct_id}" }}')
        converted = client.query().convert()
        if fmt == JSON:
            assert converted["boolean"] is truth
        else:
            text = converted.getElementsByTagName("boolean")[0].firstChild.data
            assert text == str(truth).lower()


@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
@pytest.mark.parametrize("fmt", [TURTLE, N3, JSONLD, RDFXML])
def test_sparqlwrapper_graph_answers(served, form, fmt):
    url, expected = served
    trial = expected["trial"]
    query = (
        f"DESCRIBE <{trial}>"
        if form == "DESCRIBE"
        else f"CONSTRUCT {{ <{trial}> ?p ?o }} WHERE {{ <{trial}> ?p ?o }}"
    )
    client = SPARQLWrapper(url, returnFormat=fmt)
    client.setQuery(query)
    response = client.query().response
    media_type = response.headers["Content-Type"].split(";")[0]
    wanted = {TURTLE: "text/turtle", N3: "text/turtle", JSONLD: "application/ld+json"}
    assert media_type == wanted.get(fmt, "application/rdf+xml")
    got = _parse_rdf(response.read(), media_type)
    assert _outgoing(got, trial) == expected["triples"]


# ---------------------------------------------------------------- rdflib SPARQLStore


def test_rdflib_sparqlstore(served):
    url, expected = served
    graph = Graph(store=SPARQLStore(url, returnFormat="xml"))
    rows = list(graph.query(TRIALS))
    assert [str(r.id) for r in rows] == expected["ids"]
    assert all(isinstance(r.t, URIRef) for r in rows)
    nct_id = Literal(expected["ids"][0])
    ask = graph.query(f"ASK {{ ?t <{TK.nctId}> {nct_id.n3()} }}")
    assert ask.askAnswer is True
    trial = expected["trial"]
    triples = set(graph.triples((trial, None, None)))
    assert triples == expected["triples"]
    graph.close()


# ---------------------------------------------------------------- roqet (rasqal-utils)


@pytest.mark.parametrize("output", ["csv", "tsv", "xml"])
def test_roqet_select(served, output):
    roqet = shutil.which("roqet")
    if roqet is None:
        pytest.skip("roqet is not installed (Debian/Ubuntu package rasqal-utils)")
    url, expected = served
    run = subprocess.run(
        [roqet, "-q", "-i", "sparql11-query", "-p", url, "-e", TRIALS, "-r", output],
        capture_output=True,
        timeout=60,
        check=True,
    )
    text = run.stdout.decode()
    if output == "xml":
        ns = "{http://www.w3.org/2005/sparql-results#}"
        ids = [
            b.find(f"{ns}literal").text
            for b in ElementTree.fromstring(run.stdout).iter(f"{ns}binding")
            if b.get("name") == "id"
        ]
    else:
        delimiter = "," if output == "csv" else "\t"
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        column = [h.lstrip("?") for h in rows[0]].index("id")
        ids = [row[column].strip('"') for row in rows[1:] if row]
    assert ids == expected["ids"]


# ---------------------------------------------------------------- curl


def _curl(url: str, query: str, accept: str) -> tuple[str, bytes]:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    run = subprocess.run(
        [
            curl,
            "-sS",
            "--fail",
            "-H",
            f"Accept: {accept}",
            "--data-urlencode",
            f"query={query}",
            "-w",
            "\n%{content_type}",
            url,
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    body, _, content_type = run.stdout.rpartition(b"\n")
    return content_type.decode().split(";")[0], body


@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_curl_ask(served, accept):
    url, expected = served
    query = f'ASK {{ ?t <{TK.nctId}> "{expected["ids"][0]}" }}'
    content_type, body = _curl(url, query, accept)
    assert content_type == accept
    text = body.decode()
    assert "true" in text and "false" not in text


@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
@pytest.mark.parametrize(
    "accept",
    [
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
        "application/rdf+xml",
        "application/n-quads",
        "application/trig",
    ],
)
def test_curl_graph_answers(served, form, accept):
    url, expected = served
    trial = expected["trial"]
    query = (
        f"DESCRIBE <{trial}>"
        if form == "DESCRIBE"
        else f"CONSTRUCT {{ <{trial}> ?p ?o }} WHERE {{ <{trial}> ?p ?o }}"
    )
    content_type, body = _curl(url, query, accept)
    assert content_type == accept
    assert _outgoing(_parse_rdf(body, accept), trial) == expected["triples"]
