"""The named-query REST API over the mapped v2 corpus: listing, OpenAPI, answers, errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openapi_spec_validator import validate

from kg.queries import load_queries
from kg.vocab import Iris
from kg.web.api import plain
from kg.web.app import create_app
from kg.web.settings import Settings

QUERIES = load_queries()


@pytest.fixture(scope="module")
def client(mapped_corpus):
    return create_app(Settings(max_rows=5000), mapped_corpus).test_client()


def test_listing_names_every_query_with_its_parameters(client):
    answer = client.get("/api/queries")
    assert answer.status_code == 200
    listed = {q["name"]: q for q in answer.get_json()["queries"]}
    assert set(listed) == set(QUERIES)
    for name, query in QUERIES.items():
        entry = listed[name]
        assert entry["title"] == query.title and entry["description"] == query.description
        assert [p["name"] for p in entry["parameters"]] == [p.name for p in query.params]
        assert entry["url"] == f"/api/queries/{name}"


def test_openapi_document_is_valid_and_has_an_operation_per_query(client):
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    document = answer.get_json()
    validate(document)
    for name, query in QUERIES.items():
        operation = document["paths"][f"/api/queries/{name}"]["get"]
        declared = {p["name"]: p for p in operation["parameters"]}
        for p in query.params:
            assert declared[p.name]["required"] == p.required
        assert {"format", "limit"} <= set(declared)


NEEDS_RELATIONS = {"related-trials-explained"}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_example_answers_the_same_as_the_store(client, mapped_corpus, name):
    query = QUERIES[name]
    expected = list(query.run(mapped_corpus, query.example, Iris()).dicts())
    answer = client.get(f"/api/queries/{name}", query_string=query.example)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["query"] == name and body["truncated"] is False
    assert len(body["rows"]) == len(expected)
    # computed relations exist only after `trialkg relate`; tests/test_related_serving.py runs
    # that query on a store that has them
    assert expected or name in NEEDS_RELATIONS
    assert [{k: str(v) for k, v in r.items()} for r in body["rows"]][:50] == [
        {k: str(plain(v)) for k, v in r.items()} for r in expected
    ][:50]


@pytest.mark.parametrize("name", ["trials-of-sponsor", "co-sponsors-of", "trials-for-patient"])
def test_csv_has_the_same_rows_as_json(client, name):
    example = QUERIES[name].example
    rows = client.get(f"/api/queries/{name}", query_string=example).get_json()
    answer = client.get(f"/api/queries/{name}", query_string={**example, "format": "csv"})
    assert answer.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert len(table) == len(rows["rows"])
    assert list(table[0]) == rows["variables"]
    assert [r["nctId"] if "nctId" in r else r["partner"] for r in table] == [
        r.get("nctId", r.get("partner")) for r in rows["rows"]
    ]


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/csv", "text/csv"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
    ],
)
def test_accept_header_picks_the_format(client, accept, media_type):
    answer = client.get("/api/queries/trials-of-sponsor?sponsor=Bayer", headers={"Accept": accept})
    assert answer.status_code == 200
    assert answer.mimetype == media_type


def test_sparql_json_results_bind_typed_values(client):
    answer = client.get(
        "/api/queries/trials-for-patient?age=45&sex=FEMALE&condition=D001249&format=srj"
    )
    results = json.loads(answer.get_data(as_text=True))
    first = results["results"]["bindings"][0]
    assert first["age"]["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal"
    assert first["trial"]["type"] == "uri"


def test_unacceptable_format_is_406(client):
    answer = client.get(
        "/api/queries/trials-of-sponsor?sponsor=Bayer", headers={"Accept": "image/png"}
    )
    assert answer.status_code == 406


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/queries/trials-of-sponsor", "sponsor"),
        ("/api/queries/trials-of-sponsor?sponsor=", "sponsor"),
        ("/api/queries/trials-for-patient?age=old&sex=MALE&condition=D001249", "age"),
        ("/api/queries/trials-for-patient?age=40&sex=X&condition=D001249", "sex"),
        ("/api/queries/trials-for-patient?age=40&sex=MALE&condition=asthma", "condition"),
        ("/api/queries/related-trials?trial=NCT1", "trial"),
        ("/api/queries/related-trials?trial=NCT00000410&trail=x", "trail"),
        ("/api/queries/related-trials?trial=NCT00000410&trial=NCT00377793", "trial"),
        ("/api/queries/trials-of-sponsor?sponsor=Bayer&limit=0", "limit"),
        ("/api/queries/trials-of-sponsor?sponsor=Bayer&limit=ten", "limit"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, url, parameter):
    answer = client.get(url)
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["parameter"] == parameter
    assert repr(parameter) in body["message"]


def test_unknown_query_is_404(client):
    assert client.get("/api/queries/no-such-query").status_code == 404


def test_limit_truncates_and_says_so(client):
    answer = client.get("/api/queries/trials-of-sponsor?sponsor=Bayer&limit=3")
    body = answer.get_json()
    assert len(body["rows"]) == 3 and body["truncated"] is True
    assert answer.headers["X-TrialKG-Truncated"] == "true"
    whole = client.get("/api/queries/trials-of-sponsor?sponsor=Bayer").get_json()
    assert whole["truncated"] is False and body["rows"] == whole["rows"][:3]


def test_values_are_bound_not_spliced(client):
    hostile = 'China" } UNION { ?trial ?p ?o } #'
    answer = client.get(
        "/api/queries/trials-by-phase-status-country", query_string={"country": hostile}
    )
    assert answer.status_code == 200
    assert answer.get_json()["rows"] == []


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv", "srj"])
def test_an_empty_aggregate_answers_no_rows(client, fmt):
    """No trial is indexed with D999999: no rows, not one row holding the parameter alone."""
    answer = client.get(f"/api/queries/sponsors-of-condition?mesh=D999999&format={fmt}")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    if fmt == "json":
        assert answer.get_json()["rows"] == []
    elif fmt == "srj":
        assert json.loads(text)["results"]["bindings"] == []
    else:
        assert len(text.strip().splitlines()) == 1  # the header only
