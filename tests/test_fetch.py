"""The live-API client against a replay server on 127.0.0.1 that serves pages built from the corpus.

The server speaks the part of ClinicalTrials.gov API v2 the client uses (``/api/v2/studies`` with
``pageSize``, ``pageToken``, ``filter.advanced`` on LastUpdatePostDate) and can be told to answer
429, 503, or drop the connection. No test touches the internet.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.errors import SourceError
from kg.fetch import CtgovClient, StudyQuery
from kg.stores import open_store
from kg.vocab import TK, Iris
from tests.conftest import V2_FILES

CORPUS_SIZE = 120  # enough for several pages, small enough to ingest quickly


class Replay:
    """The replay server's state: its studies and the faults still to inject."""

    def __init__(self, studies: list[dict]) -> None:
        self.studies = sorted(
            studies, key=lambda s: s["protocolSection"]["identificationModule"]["nctId"]
        )
        self.faults: list[str] = []  # "429", "503", "drop": consumed one per request
        self.requests: list[str] = []

    def page(self, query: dict[str, list[str]]) -> dict:
        size = int(query.get("pageSize", ["10"])[0])
        offset = int(query.get("pageToken", ["0"])[0])
        studies = self.studies
        advanced = query.get("filter.advanced", [""])[0]
        m = re.fullmatch(r"AREA\[LastUpdatePostDate\]RANGE\[(\d{4}-\d{2}-\d{2}),MAX\]", advanced)
        if advanced and not m:
            raise ValueError(advanced)
        if m:
            since = m.group(1)
            studies = [s for s in studies if _last_update(s) >= since]
        page = {"studies": studies[offset : offset + size]}
        if offset + size < len(studies):
            page["nextPageToken"] = str(offset + size)
        return page


def _last_update(study: dict) -> str:
    return study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]


def _handler(replay: Replay):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            replay.requests.append(self.path)
            fault = replay.faults.pop(0) if replay.faults else None
            if fault == "drop":
                self.connection.close()
                return
            if fault in ("429", "503"):
                self.send_response(int(fault))
                self.send_header("Retry-After", "0")
                self.end_headers()
                return
            if url.path != "/api/v2/studies":
                self.send_error(404)
                return
            body = json.dumps(replay.page(parse_qs(url.query))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def replay(v2_dir):
    studies = [json.loads(p.read_text(encoding="utf-8")) for p in V2_FILES[:CORPUS_SIZE]]
    studies = [
        s for s in studies if "lastUpdatePostDateStruct" in s["protocolSection"]["statusModule"]
    ]
    state = Replay(studies)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    yield state
    server.shutdown()
    server.server_close()


def _client(replay: Replay, **kw) -> CtgovClient:
    return CtgovClient(base_url=replay.url, page_size=25, min_interval=0, backoff=0.01, **kw)


def _ids(studies) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]


def test_pages_return_every_study_exactly_once(replay):
    ids = _ids(_client(replay).studies(StudyQuery()))
    assert len(ids) == len(set(ids)) == len(replay.studies)
    assert len(replay.requests) == -(-len(replay.studies) // 25)  # one request per page


def test_since_returns_only_newer(replay):
    dates = sorted(_last_update(s) for s in replay.studies)
    since = dates[len(dates) // 2]
    ids = _ids(_client(replay).studies(StudyQuery(since=since)))
    want = {
        s["protocolSection"]["identificationModule"]["nctId"]
        for s in replay.studies
        if _last_update(s) >= since
    }
    assert set(ids) == want and 0 < len(want) < len(replay.studies)


@pytest.mark.parametrize("faults", [["429"], ["503"], ["drop"], ["429", "503", "drop"]])
def test_retries_and_completes(replay, faults):
    replay.faults = list(faults)
    client = _client(replay)
    ids = _ids(client.studies(StudyQuery()))
    assert len(ids) == len(set(ids)) == len(replay.studies)
    assert client.retries == len(faults)


def test_gives_up_with_a_clear_error(replay):
    replay.faults = ["503"] * 10
    with pytest.raises(SourceError, match="503"):
        list(_client(replay, max_retries=2).studies(StudyQuery()))


def test_rate_limit_spaces_requests(replay):
    waits: list[float] = []
    now = [0.0]
    client = CtgovClient(
        base_url=replay.url,
        page_size=50,
        min_interval=0.5,
        sleep=waits.append,
        clock=lambda: now[0],
    )
    list(client.studies(StudyQuery()))
    assert waits and all(abs(w - 0.5) < 1e-9 for w in waits)


def test_fetch_writes_ndjson_and_ingest_replaces_updated_study(replay, tmp_path):
    runner = CliRunner()
    out = tmp_path / "studies.ndjson"
    result = runner.invoke(cli, ["fetch", "--api", replay.url, "--page-size", "30", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(replay.studies)

    store_path = str(tmp_path / "store")
    first = runner.invoke(cli, ["fetch", "--api", replay.url, "--store", store_path])
    assert first.exit_code == 0, first.output

    # the registry updates one study: a new title and a later last-update date
    target = replay.studies[3]
    updated = copy.deepcopy(target)
    nct_id = updated["protocolSection"]["identificationModule"]["nctId"]
    updated["protocolSection"]["identificationModule"]["briefTitle"] = "An updated title"
    updated["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2099-01-01"
    replay.studies[3] = updated
    again = runner.invoke(
        cli, ["fetch", "--api", replay.url, "--store", store_path, "--since", "2099-01-01"]
    )
    assert again.exit_code == 0, again.output
    assert "updated 1" in again.output

    store = open_store(store_path)
    try:
        titles = store.query(
            "SELECT ?trial ?p ?t WHERE { ?trial ?p ?t }",
            {"trial": Iris().trial(nct_id), "p": TK.briefTitle},
        ).values("t")
    finally:
        store.close()
    assert [str(t) for t in titles] == ["An updated title"]
