"""End to end on the v2 corpus: every record is accounted for; the store says what the JSON says.

The expected values are read straight from the JSON files here, independently of kg.readers,
and the actual values come back from the embedded store through SPARQL.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kg.model import AgencyClass, OverallStatus, Phase
from kg.pipeline import Pipeline
from kg.vocab import TK, Iris, code_iri, mesh_iri
from tests.conftest import V2_FILES, ingest_with_report

IRIS = Iris()


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory, v2_dir):
    """The whole v2 corpus ingested once into an embedded store in a temporary folder."""
    store, summary, lines = ingest_with_report(tmp_path_factory, v2_dir, IRIS)
    yield store, summary, lines
    store.close()


def test_every_record_is_accounted_for(corpus_store):
    store, summary, lines = corpus_store
    print(
        f"\nv2 corpus: read {summary.read}, loaded {summary.loaded}, rejected {summary.rejected}, "
        f"unreadable {summary.unreadable}, warned {summary.warned}, triples {summary.triples}"
    )
    for nct_id in summary.rejected_ids:
        reasons = {
            x["message"] for x in lines if x["nct_id"] == nct_id and x["outcome"] == "rejected"
        }
        print(f"  rejected {nct_id}: {'; '.join(sorted(reasons))}")
    assert summary.read == len(V2_FILES) == 1073
    assert summary.unreadable == 0
    assert summary.accounted() == summary.read
    trial_graphs = [g for g in store.graph_names() if str(g).startswith(str(IRIS.graph("")))]
    assert len(trial_graphs) == summary.loaded


def test_reingest_changes_nothing(corpus_store, v2_dir):
    store, summary, _ = corpus_store
    before = len(store)
    again = Pipeline(iris=IRIS).ingest([v2_dir], store)
    assert again.unchanged == summary.loaded
    assert again.added == again.updated == 0
    assert len(store) == before


def _values(store, predicate: URIRef, nct_id: str) -> list:
    q = "SELECT ?trial ?p ?v WHERE { ?trial ?p ?v }"  # pyoxigraph binds projected variables only
    result = store.query(q, {"trial": IRIS.trial(nct_id), "p": predicate})
    return result.values("v")


def _count(store, predicate: URIRef, nct_id: str) -> int:
    return len(_values(store, predicate, nct_id))


def _get(d: dict, path: str):
    for key in path.split("."):
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def _date_literal(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    kind = {10: "date", 7: "gYearMonth", 4: "gYear"}[len(text)]
    return (text, f"http://www.w3.org/2001/XMLSchema#{kind}")


@pytest.mark.parametrize("path", V2_FILES, ids=[p.stem for p in V2_FILES])
def test_store_says_what_the_json_says(corpus_store, path: Path):
    store, summary, _ = corpus_store
    record = json.loads(path.read_text(encoding="utf-8"))
    p = record["protocolSection"]
    nct_id = p["identificationModule"]["nctId"]
    if nct_id in summary.rejected_ids:
        pytest.skip(f"{nct_id} was rejected by validation (listed in the corpus summary)")

    assert [str(v) for v in _values(store, TK.nctId, nct_id)] == [nct_id]
    assert [str(v) for v in _values(store, TK.briefTitle, nct_id)] == [
        p["identificationModule"]["briefTitle"].strip()
    ]
    status = _values(store, TK.overallStatus, nct_id)
    assert status == [code_iri(OverallStatus(p["statusModule"]["overallStatus"]))]
    phases = set(_values(store, TK.phase, nct_id))
    assert phases == {code_iri(Phase(x)) for x in _get(p, "designModule.phases") or []}
    count = _get(p, "designModule.enrollmentInfo.count")
    enrollment = _values(store, TK.enrollment, nct_id)
    assert [int(v) for v in enrollment] == ([count] if count is not None else [])

    start = _values(store, TK.startDate, nct_id)
    expected_start = _date_literal(_get(p, "statusModule.startDateStruct.date"))
    assert [(str(v), str(v.datatype)) for v in start] == (
        [expected_start] if expected_start else []
    )

    lead = _get(p, "sponsorCollaboratorsModule.leadSponsor")
    q = (
        "SELECT ?trial ?lead ?named ?cls ?name ?class WHERE { ?trial ?lead ?org . "
        "?org ?named ?name . OPTIONAL { ?org ?cls ?class } }"
    )
    bindings = {
        "trial": IRIS.trial(nct_id),
        "lead": TK.leadSponsor,
        "named": TK.organizationName,
        "cls": TK.agencyClass,
    }
    rows = list(store.query(q, bindings).dicts())
    names = {str(r["name"]) for r in rows}
    assert lead["name"].strip() in names
    if lead.get("class"):
        assert code_iri(AgencyClass(lead["class"])) in {r.get("class") for r in rows}

    conditions = Counter(str(v) for v in _values(store, TK.conditionText, nct_id))
    expected = Counter(c.strip() for c in _get(p, "conditionsModule.conditions") or [] if c.strip())
    assert set(conditions) == set(expected)

    d = record.get("derivedSection", {})
    for module, predicate in (
        ("conditionBrowseModule", TK.conditionMesh),
        ("interventionBrowseModule", TK.interventionMesh),
    ):
        # CT.gov zero-pads some six-digit UIs (D000001932); mesh_iri gives NLM's UI (D001932)
        want = {mesh_iri(m["id"]) for m in _get(d, f"{module}.meshes") or []}
        got = set(_values(store, predicate, nct_id))
        assert got == want, module

    aim = p.get("armsInterventionsModule", {})
    assert _count(store, TK.hasArm, nct_id) == len(aim.get("armGroups", []))
    assert _count(store, TK.hasIntervention, nct_id) == len(aim.get("interventions", []))
    om = p.get("outcomesModule", {})
    n_outcomes = sum(
        len(om.get(k, [])) for k in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes")
    )
    assert _count(store, TK.hasOutcome, nct_id) == n_outcomes
    assert _count(store, TK.hasLocation, nct_id) == len(
        _get(p, "contactsLocationsModule.locations") or []
    )
    assert isinstance(_values(store, TK.nctId, nct_id)[0], Literal)
