"""End to end on the legacy XML corpus: every record accounted for; the store says what XML says.

The expected values are read straight from the XML files here with ElementTree, independently
of kg.readers (its own small crosswalk of the legacy wording), and the actual values come back
from the embedded store through SPARQL, restricted to the trial's own named graph.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import URIRef

from kg.vocab import TK, XSD, Iris
from tests.conftest import XML_FILES, ingest_with_report

IRIS = Iris()
ONTOLOGY = "https://w3id.org/trialkg/ontology#"

MONTHS = {
    m: n
    for n, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


@pytest.fixture(scope="module")
def xml_store(tmp_path_factory, xml_dir):
    """The whole legacy XML corpus ingested once into an embedded store in a temporary folder."""
    store, summary, lines = ingest_with_report(tmp_path_factory, xml_dir, IRIS)
    yield store, summary, lines
    store.close()


# ---------------------------------------------------------------------- the independent reading


def _text(root: ET.Element, path: str) -> str | None:
    node = root.find(path)
    if node is None or node.text is None or not node.text.strip():
        return None
    return node.text.strip()


def _code(text: str) -> str:
    """Legacy wording -> API v2 code: upper case, runs of other characters to "_"."""
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def _status(text: str) -> URIRef:
    code = _code(text)
    return URIRef(f"{ONTOLOGY}OverallStatus-{'UNKNOWN' if code == 'UNKNOWN_STATUS' else code}")


def _phases(text: str | None) -> set[URIRef]:
    """ "Phase 1/Phase 2" -> PHASE1, PHASE2; "N/A" -> NA; "Early Phase 1" -> EARLY_PHASE1."""
    if text is None:
        return set()
    if text == "N/A":
        return {URIRef(f"{ONTOLOGY}Phase-NA")}
    out = set()
    for part in text.split("/"):
        code = _code(part).replace("PHASE_", "PHASE")
        out.add(URIRef(f"{ONTOLOGY}Phase-{code}"))
    return out


def _date(text: str | None) -> tuple[str, str] | None:
    """ "July 28, 2020" -> ("2020-07-28", xsd:date); "July 2020" -> ("2020-07", xsd:gYearMonth)."""
    if text is None:
        return None
    m = re.fullmatch(r"([A-Za-z]+)\.? (?:(\d{1,2}), )?(\d{4})", text)
    assert m, f"unexpected legacy date {text!r}"
    month = MONTHS[m.group(1)[:3].lower()]
    if m.group(2):
        return (f"{m.group(3)}-{month:02d}-{int(m.group(2)):02d}", str(XSD.date))
    return (f"{m.group(3)}-{month:02d}", str(XSD.gYearMonth))


# ---------------------------------------------------------------------- reading the store back


def _values(store, nct_id: str, predicate: URIRef) -> list:
    q = "SELECT ?g ?trial ?p ?v WHERE { GRAPH ?g { ?trial ?p ?v } }"
    bindings = {"g": IRIS.graph(nct_id), "trial": IRIS.trial(nct_id), "p": predicate}
    return store.query(q, bindings).values("v")


def _org_names(store, nct_id: str, predicate: URIRef) -> set[str]:
    q = "SELECT ?g ?trial ?p ?named ?name WHERE { GRAPH ?g { ?trial ?p ?org . ?org ?named ?name } }"
    bindings = {
        "g": IRIS.graph(nct_id),
        "trial": IRIS.trial(nct_id),
        "p": predicate,
        "named": TK.organizationName,
    }
    return {str(v) for v in store.query(q, bindings).values("name")}


# ---------------------------------------------------------------------- tests


def test_every_record_is_accounted_for(xml_store):
    store, summary, lines = xml_store
    print(
        f"\nXML corpus: read {summary.read}, loaded {summary.loaded}, rejected {summary.rejected}, "
        f"unreadable {summary.unreadable}, warned {summary.warned}, triples {summary.triples}"
    )
    for line in lines:
        if line["outcome"] in ("unreadable", "warned"):
            where = f"{line.get('path')} = {line.get('value')!r}"
            print(f"  {line['outcome']} {line.get('nct_id')}: {where}: {line.get('message')}")
    for nct_id in summary.rejected_ids:
        reasons = sorted(
            {
                f"{x['path']} = {x['value']!r}: {x['message']}"
                for x in lines
                if x["nct_id"] == nct_id and x["outcome"] == "rejected"
            }
        )
        assert reasons, f"{nct_id} was rejected without a reason in the report"
        print(f"  rejected {nct_id}: {'; '.join(reasons)}")
    assert summary.read == len(XML_FILES) == 294
    assert summary.unreadable == 0
    assert summary.accounted() == summary.read == summary.loaded + summary.rejected
    trial_graphs = [g for g in store.graph_names() if str(g).startswith(str(IRIS.graph("")))]
    assert len(trial_graphs) == summary.loaded


@pytest.mark.parametrize("path", XML_FILES, ids=[p.stem for p in XML_FILES])
def test_store_says_what_the_xml_says(xml_store, path: Path):
    store, summary, _ = xml_store
    root = ET.parse(path).getroot()
    nct_id = _text(root, "id_info/nct_id")
    assert nct_id == path.stem
    if nct_id in summary.rejected_ids:
        pytest.skip(f"{nct_id} was rejected by validation (listed in the corpus summary)")

    assert [str(v) for v in _values(store, nct_id, TK.nctId)] == [nct_id]
    assert [str(v) for v in _values(store, nct_id, TK.briefTitle)] == [_text(root, "brief_title")]
    assert _values(store, nct_id, TK.overallStatus) == [_status(_text(root, "overall_status"))]
    assert set(_values(store, nct_id, TK.phase)) == _phases(_text(root, "phase"))

    enrollment = _text(root, "enrollment")
    assert [int(v) for v in _values(store, nct_id, TK.enrollment)] == (
        [int(enrollment)] if enrollment is not None else []
    )

    for element, predicate in (
        ("start_date", TK.startDate),
        ("completion_date", TK.completionDate),
    ):
        expected = _date(_text(root, element))
        got = [(str(v), str(v.datatype)) for v in _values(store, nct_id, predicate)]
        assert got == ([expected] if expected else []), element

    assert _org_names(store, nct_id, TK.leadSponsor) == {
        _text(root, "sponsors/lead_sponsor/agency")
    }
    collaborators = {
        x.text.strip() for x in root.findall("sponsors/collaborator/agency") if x.text.strip()
    }
    assert _org_names(store, nct_id, TK.collaborator) == collaborators

    conditions = {x.text.strip() for x in root.findall("condition") if x.text and x.text.strip()}
    assert {str(v) for v in _values(store, nct_id, TK.conditionText)} == conditions

    for element, predicate in (
        ("arm_group", TK.hasArm),
        ("intervention", TK.hasIntervention),
        ("location", TK.hasLocation),
    ):
        assert len(_values(store, nct_id, predicate)) == len(root.findall(element)), element
