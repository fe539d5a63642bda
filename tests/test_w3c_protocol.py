"""The W3C SPARQL 1.1 Protocol test suite, case by case from its manifest, against /sparql.

Each manifest entry becomes one test (named after the entry): its ``ut:graphData`` files are
loaded into the named graphs their labels give, its requests are sent in order, and each response
is checked for the status class, result format and boolean the manifest expects. Updates are sent
with the configured bearer token; the suite exercises the protocol, not our read-only default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

from kg.stores import open_store
from kg.web.app import create_app
from kg.web.settings import Settings
from tests.conftest import shared

MANIFEST = shared("w3c", "sparql11-protocol-manifest.ttl")
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
TOKEN = "w3c-protocol-suite"

TABULAR = {
    "application/sparql-results+xml",
    "application/sparql-results+json",
    "text/csv",
    "text/tab-separated-values",
}
BOOLEAN = {"application/sparql-results+xml", "application/sparql-results+json"}
RDF_TYPES = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/n-triples": "nt"}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    statuses: set[int]  # acceptable status classes: 2, 3, 4
    expected_format: str | None
    expected_boolean: bool | None


@dataclass
class Case:
    name: str
    title: str
    graphs: dict[str, Path]  # graph IRI -> data file
    requests: list[Request]


def _manifest() -> Graph | None:
    if not MANIFEST.exists():
        return None
    g = Graph()
    g.parse(
        MANIFEST,
        format="turtle",
        publicID="http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest.ttl",
    )
    return g


def _cases() -> list[Case]:
    g = _manifest()
    if g is None:
        return []
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    cases = []
    for entry in Collection(g, g.value(manifest, MF.entries)):
        graphs = {}
        for data in g.objects(entry, UT.graphData):
            file = str(g.value(data, UT.graph)).rsplit("/", 1)[-1]
            graphs[str(g.value(data, RDFS_LABEL))] = MANIFEST.parent / f"protocol-{file}"
        action = g.value(entry, MF.action)
        requests = []
        for req in Collection(g, g.value(action, HT.requests)):
            headers = {}
            header_list = g.value(req, HT.headers)
            if header_list is not None:
                for h in Collection(g, header_list):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body = g.value(req, HT.body)
            resp = g.value(req, HT.resp)
            statuses = {
                int(str(s).rsplit("StatusCode", 1)[1][0])
                for s in g.objects(resp, MF.expectedStatus)
            }
            boolean = g.value(resp, MF.expectedBoolean)
            fmt = g.value(resp, MF.expectedFormat)
            requests.append(
                Request(
                    method=str(g.value(req, HT.methodName)),
                    path=str(g.value(req, HT.absolutePath)),
                    headers=headers,
                    body=str(g.value(body, CNT.chars)) if body is not None else None,
                    statuses=statuses,
                    expected_format=str(fmt) if fmt is not None else None,
                    expected_boolean=boolean.toPython() if boolean is not None else None,
                )
            )
        name = str(entry).rsplit("#", 1)[-1]
        cases.append(Case(name, str(g.value(entry, MF.name)), graphs, requests))
    return cases


CASES = _cases()


def _boolean(content_type: str, body: bytes) -> bool:
    if content_type == "application/sparql-results+json":
        return json.loads(body)["boolean"]
    root = ElementTree.fromstring(body)
    (element,) = [e for e in root.iter() if e.tag.endswith("boolean")]
    return element.text.strip() == "true"


def _check_format(expected: str, content_type: str, body: bytes) -> None:
    if expected == "boolean":
        assert content_type in BOOLEAN
    elif expected == "tabular":
        assert content_type in TABULAR
        if content_type == "application/sparql-results+json":
            assert "results" in json.loads(body)
    elif expected == "RDF":
        assert content_type in RDF_TYPES
        Graph().parse(data=body, format=RDF_TYPES[content_type])
    else:
        raise AssertionError(f"manifest expects unknown format {expected!r}")


def test_manifest_lists_the_suite():
    if not CASES:
        pytest.skip(f"{MANIFEST} is absent (set TRIALKG_SHARED_DATA)")
    assert len(CASES) == 34
    assert all(case.requests for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_protocol_case(case: Case, tmp_path):
    store = open_store(str(tmp_path / "store"))
    try:
        _run_case(case, store)
    finally:
        store.close()


def _run_case(case: Case, store) -> None:
    for graph, file in case.graphs.items():
        with file.open("rb") as data:
            store.load(data, "application/n-triples", graph=URIRef(graph))
    app = create_app(Settings(update_token=TOKEN), store=store)
    client = app.test_client()
    for i, req in enumerate(case.requests):
        headers = {k: v for k, v in req.headers.items() if k.lower() != "content-type"}
        headers["Authorization"] = f"Bearer {TOKEN}"
        # The manifest's paths start /sparql/; the endpoint is /sparql.
        path = req.path.replace("/sparql/", "/sparql", 1)
        content_type = req.headers.get("content-type")
        data = req.body.encode("utf-8") if req.body is not None else None
        if content_type and "UTF-16" in content_type and req.body is not None:
            data = req.body.encode("utf-16")
        response = client.open(
            path, method=req.method, headers=headers, data=data, content_type=content_type
        )
        where = (
            f"{case.name} request {i + 1} ({case.title}): {response.status} {response.data[:300]!r}"
        )
        assert response.status_code // 100 in req.statuses, where
        if req.expected_format:
            _check_format(req.expected_format, response.mimetype, response.data)
        if req.expected_boolean is not None:
            assert _boolean(response.mimetype, response.data) is req.expected_boolean, where
