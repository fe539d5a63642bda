"""Safe by default: read-only without a token, no SERVICE/LOAD, bounded time, rows and size.

The timeout case runs against a real ``trialkg serve`` process: a cartesian product over the
whole store is stopped at the limit while a second client's simple queries keep being answered.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from kg.errors import QueryTimeout
from kg.stores import open_store
from kg.vocab import TK
from kg.web.app import create_app
from kg.web.gate import Gate
from kg.web.settings import Settings
from tests.conftest import V2_FILES
from tests.live_server import serve
from tests.test_web_sparql import corpus_store

SLICE = V2_FILES[:40]
TOKEN = "s3cret-token"
COUNT_TRIALS = f"SELECT (COUNT(?t) AS ?n) WHERE {{ ?t a <{TK.Trial}> }}"
MARK = "INSERT DATA { GRAPH <urn:test:g> { <urn:test:s> <urn:test:p> 'written' } }"
WRITTEN = "ASK { GRAPH <urn:test:g> { <urn:test:s> <urn:test:p> 'written' } }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def store_path(v2_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("safety") / "store"
    corpus_store(path, SLICE).close()
    return path


@pytest.fixture
def store(tmp_path):
    store = open_store(str(tmp_path / "store"))
    store.update("INSERT DATA { GRAPH <urn:test:seed> { <urn:test:a> <urn:test:b> 1 } }")
    yield store
    store.close()


def _client(store, **settings):
    return create_app(Settings(**settings), store=store).test_client()


def _ask(client, query: str) -> bool:
    r = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/json"})
    assert r.status_code == 200, r.data
    return json.loads(r.data)["boolean"]


@pytest.mark.parametrize("how", ["direct", "form"])
def test_update_is_refused_without_a_configured_token(store, how):
    client = _client(store)
    if how == "direct":
        r = client.post("/sparql", data=MARK, content_type="application/sparql-update")
    else:
        r = client.post("/sparql", data={"update": MARK})
    assert r.status_code == 403
    assert "read-only" in r.data.decode()
    assert _ask(client, WRITTEN) is False


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_update_needs_the_right_bearer_token(store, authorization):
    client = _client(store, update_token=TOKEN)
    headers = {"Authorization": authorization} if authorization else {}
    r = client.post("/sparql", data=MARK, content_type="application/sparql-update", headers=headers)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert _ask(client, WRITTEN) is False


def test_update_with_the_token_is_applied(store):
    client = _client(store, update_token=TOKEN)
    r = client.post(
        "/sparql",
        data={"update": MARK},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 204
    assert _ask(client, WRITTEN) is True


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { service <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * { ?x ?y ?z OPTIONAL { SeRvIcE SILENT <http://example.org/> { ?s ?p ?o } } }",
        "PREFIX ex: <http://example.org/>\nSELECT * WHERE {\n  SERVICE ?endpoint { ?s ?p ?o }\n}",
    ],
)
def test_service_is_refused_with_a_reason(store, query):
    r = _client(store).get("/sparql", query_string={"query": query})
    assert r.status_code == 403
    text = r.data.decode()
    assert "SERVICE" in text and "TRIALKG_ALLOW_SERVICE" in text


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p 'SERVICE <http://example.org/>' }",
        'SELECT * WHERE { ?s ?p """LOAD <http://example.org/>\nSERVICE""" }',
        "SELECT ?service WHERE { ?service ?p ?o } # SERVICE <http://example.org/>",
        "PREFIX service: <http://example.org/service#>\nSELECT * WHERE { ?s service:load ?o }",
        "SELECT * WHERE { ?s ?p <http://example.org/SERVICE> }",
    ],
)
def test_the_word_service_elsewhere_is_not_refused(store, query):
    r = _client(store).get("/sparql", query_string={"query": query})
    assert r.status_code == 200, r.data


@pytest.mark.parametrize(
    "update",
    ["LOAD <http://example.org/data.ttl>", "load silent <http://example.org/x> INTO GRAPH <urn:g>"],
)
def test_load_is_refused_even_with_the_token(store, update):
    client = _client(store, update_token=TOKEN)
    r = client.post(
        "/sparql",
        data=update,
        content_type="application/sparql-update",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 403
    assert "LOAD" in r.data.decode() and "TRIALKG_ALLOW_LOAD" in r.data.decode()


def test_service_allowed_when_configured_is_advertised(store):
    client = _client(store, allow_service=True)
    r = client.get("/sparql", headers={"Accept": "application/n-triples"})
    assert "http://www.w3.org/ns/sparql-service-description#BasicFederatedQuery" in r.data.decode()


def test_request_size_is_capped(store):
    client = _client(store, max_request_bytes=2000)
    padding = "#" + "x" * 3000 + "\n"
    r = client.post("/sparql", data=padding + "ASK {}", content_type="application/sparql-query")
    assert r.status_code == 413
    r = client.get("/sparql", query_string={"query": padding + "ASK {}"})
    assert r.status_code == 413
    assert _ask(client, "ASK {}") is True


def test_rows_are_capped(store_path, tmp_path):
    store = open_store(str(store_path), read_only=True)
    try:
        client = _client(store, max_rows=7)
        query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
        r = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
        assert r.status_code == 200
        assert len(r.data.decode().splitlines()) == 1 + 7
        assert r.headers["X-TrialKG-Row-Limit"] == "7"
        small = client.get(
            "/sparql", query_string={"query": query + " LIMIT 3"}, headers={"Accept": "text/csv"}
        )
        assert len(small.data.decode().splitlines()) == 1 + 3
    finally:
        store.close()


@pytest.mark.slow
def test_runaway_query_is_stopped_while_others_are_answered(store_path):
    limit = 3.0
    with serve(store_path, {"TRIALKG_QUERY_TIMEOUT": str(limit)}) as url:
        expected = requests.get(
            url, params={"query": COUNT_TRIALS}, headers={"Accept": "application/json"}, timeout=30
        ).json()["results"]["bindings"][0]["n"]["value"]
        runaway: dict = {}

        def run_away() -> None:
            start = time.monotonic()
            response = requests.post(url, data={"query": RUNAWAY}, timeout=60)
            runaway.update(response=response, seconds=time.monotonic() - start)

        thread = threading.Thread(target=run_away)
        thread.start()
        time.sleep(0.3)
        latencies = []
        while thread.is_alive():
            start = time.monotonic()
            r = requests.get(
                url,
                params={"query": COUNT_TRIALS},
                headers={"Accept": "application/json"},
                timeout=30,
            )
            latencies.append(time.monotonic() - start)
            assert r.status_code == 200
            assert r.json()["results"]["bindings"][0]["n"]["value"] == expected
        thread.join()
        response = runaway["response"]
        assert response.status_code == 503
        assert f"{limit:g} s" in response.text and "Traceback" not in response.text
        assert limit <= runaway["seconds"] < limit + 5
        assert len(latencies) >= 3
        assert max(latencies) < limit  # never waited for the runaway one
        after = requests.get(url, params={"query": "ASK {}"}, timeout=30)
        assert after.status_code == 200


def test_gate_admits_in_arrival_order_and_times_out_waiters():
    gate = Gate(1)
    order: list[int] = []
    release = threading.Event()

    def holder() -> None:
        with gate.admitted(5.0):
            release.wait(5)

    def waiter(i: int) -> None:
        with gate.admitted(5.0):
            order.append(i)

    first = threading.Thread(target=holder)
    first.start()
    time.sleep(0.05)
    waiters = []
    for i in range(6):
        t = threading.Thread(target=waiter, args=(i,))
        t.start()
        waiters.append(t)
        time.sleep(0.02)  # arrive one after another
    with pytest.raises(QueryTimeout), gate.admitted(0.1):
        pass
    release.set()
    for t in [first, *waiters]:
        t.join(5)
    assert order == list(range(6))
    with gate.admitted(0.1) as remaining:  # every slot came back
        assert remaining > 0


@pytest.mark.slow
def test_live_server_refuses_what_it_must(store_path):
    """Over real HTTP: UPDATE without the token, SERVICE, and LOAD (even with the token)."""
    with serve(store_path, {"TRIALKG_UPDATE_TOKEN": TOKEN}) as url:
        sparql_update = {"Content-Type": "application/sparql-update"}
        no_token = requests.post(url, data=MARK, headers=sparql_update, timeout=30)
        assert no_token.status_code == 401
        service = requests.get(
            url,
            params={"query": "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"},
            timeout=30,
        )
        assert service.status_code == 403 and "SERVICE" in service.text
        load = requests.post(
            url,
            data="LOAD <http://example.org/data.ttl>",
            headers={**sparql_update, "Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert load.status_code == 403 and "LOAD" in load.text
        asked = requests.get(
            url, params={"query": WRITTEN}, headers={"Accept": "application/json"}, timeout=30
        )
        assert asked.json()["boolean"] is False
        done = requests.post(
            url,
            data=MARK,
            headers={**sparql_update, "Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert done.status_code == 204
        asked = requests.get(
            url, params={"query": WRITTEN}, headers={"Accept": "application/json"}, timeout=30
        )
        assert asked.json()["boolean"] is True
    with serve(store_path) as url:  # no token configured: read-only
        refused = requests.post(url, data={"update": MARK}, timeout=30)
        assert refused.status_code == 403 and "read-only" in refused.text
