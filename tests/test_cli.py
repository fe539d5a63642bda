"""The command-line contract (ingest, validate, export, query, stats), on good and bad input."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph

from kg.cli import cli

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "kg" / "samples"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sample_store(tmp_path, runner) -> str:
    store = str(tmp_path / "store")
    result = runner.invoke(cli, ["ingest", "--store", store, str(SAMPLES)])
    assert result.exit_code == 0, result.output
    return store


def _assist() -> dict:
    return json.loads((SAMPLES / "assist.json").read_text(encoding="utf-8"))["studies"][0]


def test_ingest_sample_summary(sample_store, runner):
    result = runner.invoke(cli, ["ingest", "--store", sample_store, str(SAMPLES)])
    assert result.exit_code == 0
    assert "unchanged 1" in result.output and "rejected 0" in result.output


def test_query_table_csv_json(sample_store, runner, tmp_path):
    q = "PREFIX tk: <https://w3id.org/trialkg/ontology#> SELECT ?t WHERE { ?x tk:briefTitle ?t }"
    table = runner.invoke(cli, ["query", "--store", sample_store, q])
    assert table.exit_code == 0 and "ASSIST" in table.output and "(1 rows)" in table.output
    csv = runner.invoke(cli, ["query", "--store", sample_store, "--format", "csv", q])
    assert csv.output.splitlines()[0] == "t"
    rq = tmp_path / "titles.rq"
    rq.write_text(q, encoding="utf-8")
    js = runner.invoke(cli, ["query", "--store", sample_store, "--format", "json", str(rq)])
    data = json.loads(js.output)
    assert data["head"]["vars"] == ["t"]
    assert "ASSIST" in data["results"]["bindings"][0]["t"]["value"]


def test_query_syntax_error_is_one_line(sample_store):
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from kg.cli import main; main()",
            "query",
            "--store",
            sample_store,
            "SELECT WHERE {",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("trialkg:")


def test_stats(sample_store, runner):
    result = runner.invoke(cli, ["stats", "--store", sample_store, "--format", "json"])
    stats = json.loads(result.output)
    assert stats["trials"] == 1
    assert stats["triples"] > 100
    classes = {row["class"]: row["entities"] for row in stats["classes"]}
    assert classes["https://w3id.org/trialkg/ontology#Trial"] == 1
    assert classes["https://w3id.org/trialkg/ontology#Arm"] == 2


@pytest.mark.parametrize(
    ("fmt", "parse_as"),
    [
        ("nquads", "nquads"),
        ("ntriples", "nt"),
        ("turtle", "turtle"),
        ("jsonld", "json-ld"),
        ("rdfxml", "xml"),
        ("trig", "trig"),
    ],
)
def test_export_formats_parse(sample_store, runner, tmp_path, fmt, parse_as):
    out = tmp_path / f"export.{fmt}"
    result = runner.invoke(
        cli, ["export", "--store", sample_store, "--format", fmt, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    # formats that carry named graphs parse into a Dataset
    graph = Dataset() if parse_as in ("nquads", "trig", "json-ld") else Graph()
    graph.parse(data=out.read_bytes(), format=parse_as)
    assert len(graph) > 100


def test_export_one_trial(sample_store, runner):
    result = runner.invoke(
        cli, ["export", "--store", sample_store, "--format", "ntriples", "--trial", "NCT04590118"]
    )
    assert result.exit_code == 0
    assert "NCT04590118" in result.output


def _write_bad_batch(folder: Path) -> dict[str, str]:
    """A batch of good and bad inputs; returns file name -> what its report must mention."""
    good = _assist()
    (folder / "good.json").write_text(json.dumps(good), encoding="utf-8")
    (folder / "truncated.json").write_text(json.dumps(good)[:500], encoding="utf-8")
    no_id = copy.deepcopy(good)
    del no_id["protocolSection"]["identificationModule"]["nctId"]
    (folder / "no-id.json").write_text(json.dumps(no_id), encoding="utf-8")
    sixty = copy.deepcopy(good)
    sixty["protocolSection"]["identificationModule"]["nctId"] = "NCT09000001"
    sixty["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "sixty"
    (folder / "sixty.json").write_text(json.dumps(sixty), encoding="utf-8")
    enum = copy.deepcopy(good)
    enum["protocolSection"]["identificationModule"]["nctId"] = "NCT09000002"
    enum["protocolSection"]["designModule"]["phases"] = ["PHASE9"]
    (folder / "enum.json").write_text(json.dumps(enum), encoding="utf-8")
    (folder / "empty.json").write_text("", encoding="utf-8")
    (folder / "notes.txt").write_text("not a trial record\n", encoding="utf-8")
    other = copy.deepcopy(good)
    other["protocolSection"]["identificationModule"]["nctId"] = "NCT09000003"
    with zipfile.ZipFile(folder / "bundle.zip", "w") as zf:
        zf.writestr("ok/NCT09000003.json", json.dumps(other))
        zf.writestr("../evil.json", json.dumps(other))
    return {
        "truncated.json": "truncated",
        "no-id.json": "nctId",
        "sixty.json": "enrollment",
        "enum.json": "PHASE9",
        "empty.json": "empty",
        "notes.txt": "notes.txt",
        "bundle.zip": "evil.json",
    }


def test_bad_input_is_reported_and_the_rest_loads(tmp_path, runner):
    batch = tmp_path / "batch"
    batch.mkdir()
    expected = _write_bad_batch(batch)
    report = tmp_path / "report.jsonl"
    store = str(tmp_path / "store")
    result = runner.invoke(cli, ["ingest", "--store", store, "--report", str(report), str(batch)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in report.read_text(encoding="utf-8").splitlines()]
    unreadable = [x for x in lines if x["outcome"] == "unreadable"]
    for name, mention in expected.items():
        hits = [x for x in unreadable if name in (x["file"] or "")]
        assert hits, f"{name} is not reported"
        text = json.dumps(hits).lower()
        assert mention.lower() in text, f"{name}: report does not mention {mention!r}: {text}"
    assert "loaded 2" in result.output  # good.json and the safe zip member
    assert f"unreadable {len(unreadable)}" in result.output


def test_validate_without_store(tmp_path, runner):
    result = runner.invoke(cli, ["validate", str(SAMPLES)])
    assert result.exit_code == 0
    assert "valid 1" in result.output
