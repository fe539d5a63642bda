"""Validation: broken trials caught with the right message, the corpus judged truly, engines agree.

The mutations start from one real record and break one thing each, at the model level (what a
reader could deliver) or at the triple level (what a buggy mapper or linker could emit). The
corpus tests compare the engine with an oracle computed straight from the raw JSON, so every
rejection or warning on real data is shown to be a real defect of that record.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph
import pytest
from conftest import V2_FILES, XML_FILES, shared
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.errors import ConfigError, RecordError
from kg.linking import Linker
from kg.mapper import MappedTrial, map_trial
from kg.model import Age, DateInfo, DateType, OverallStatus, PartialDate, RecruitmentStatus, Trial
from kg.queries import load_queries
from kg.readers import read_paths
from kg.validation import (
    VALIDATORS,
    FastValidator,
    PyshaclValidator,
    Report,
    compile_shapes,
    report_line,
    shapes_graph,
)
from kg.vocab import SH, TK, Iris, code_iri

IRIS = Iris()
TKS = "https://w3id.org/trialkg/shapes#"
BASE_FILE = shared("ctgov", "v2", "NCT00820820.json")
"""A completed two-arm drug trial with ages, dates, sites and conditions: clean, so each
mutation below is the only thing wrong with it."""


@pytest.fixture(scope="module")
def fast() -> FastValidator:
    return FastValidator()


@pytest.fixture(scope="module")
def reference() -> PyshaclValidator:
    return PyshaclValidator()


@pytest.fixture(scope="module")
def base_trial() -> Trial:
    if not BASE_FILE.exists():
        pytest.skip(f"shared data {BASE_FILE} is absent")
    (trial,) = read_paths([BASE_FILE])
    assert isinstance(trial, Trial)
    return trial


@pytest.fixture(scope="module")
def corpus() -> list[tuple[Path, MappedTrial]]:
    """Every v2 record, mapped (unreadable records are the readers' tests' business)."""
    if not V2_FILES:
        pytest.skip("shared data ctgov/v2 is absent (set TRIALKG_SHARED_DATA)")
    mapped = []
    for item in read_paths([V2_FILES[0].parent]):
        if isinstance(item, RecordError):
            continue
        mapped.append((Path(item.source.path), map_trial(item, IRIS)))
    assert len(mapped) > 1000
    return mapped


def _keys(report: Report) -> set[tuple]:
    return {f.key() for f in report.findings}


def _judged(fast: FastValidator, reference: PyshaclValidator, mapped: MappedTrial) -> Report:
    """The fast engine's report, after checking pySHACL finds exactly the same."""
    ours, theirs = fast.validate(mapped), reference.validate(mapped)
    assert _keys(ours) == _keys(theirs), (
        f"fast only: {_keys(ours) - _keys(theirs)}; pySHACL only: {_keys(theirs) - _keys(ours)}"
    )
    assert ours.conforms == theirs.conforms
    return ours


# --------------------------------------------------------------------------- mutations


def _model(change: Callable[[Trial], None]) -> Callable[[Trial], MappedTrial]:
    def mutate(trial: Trial) -> MappedTrial:
        broken = copy.deepcopy(trial)
        change(broken)
        return map_trial(broken, IRIS)

    return mutate


def _triples(change: Callable[[Trial, list], list]) -> Callable[[Trial], MappedTrial]:
    def mutate(trial: Trial) -> MappedTrial:
        mapped = map_trial(trial, IRIS)
        return MappedTrial(mapped.nct_id, mapped.graph, change(trial, list(mapped.triples)))

    return mutate


def _replace(predicate: URIRef, new: object) -> Callable[[Trial, list], list]:
    def change(trial: Trial, triples: list) -> list:
        subject = IRIS.trial(trial.nct_id)
        kept = [t for t in triples if not (t[0] == subject and t[1] == predicate)]
        assert len(kept) < len(triples), f"the base record has no {predicate}"
        return [*kept, (subject, predicate, new)]

    return change


def _add(make: Callable[[Trial], tuple]) -> Callable[[Trial, list], list]:
    return lambda trial, triples: [*triples, make(trial)]


def _drop(predicate: URIRef) -> Callable[[Trial, list], list]:
    return lambda trial, triples: [t for t in triples if t[1] != predicate]


def _linked(change: Callable[[list], list] | None = None) -> Callable[[Trial], MappedTrial]:
    """The trial mapped with its links (the registry's MeSH indexing, places), then changed."""

    def mutate(trial: Trial) -> MappedTrial:
        mapped = map_trial(trial, IRIS)
        triples = [*mapped.triples, *Linker().link(trial, IRIS)]
        return MappedTrial(mapped.nct_id, mapped.graph, change(triples) if change else triples)

    return mutate


def _first_link(triples: list) -> URIRef:
    return min(s for s, p, o in triples if p == RDF.type and o == TK.Link)


def _link_value(predicate: URIRef, new: object | None) -> Callable[[list], list]:
    """Replace (or with ``None`` drop) one property of one link description."""

    def change(triples: list) -> list:
        node = _first_link(triples)
        kept = [t for t in triples if not (t[0] == node and t[1] == predicate)]
        assert len(kept) < len(triples), f"the link has no {predicate}"
        return kept if new is None else [*kept, (node, predicate, new)]

    return change


def _set(path: str, value: object) -> Callable[[Trial], None]:
    def change(trial: Trial) -> None:
        *parents, last = path.split(".")
        target = trial
        for name in parents:
            target = getattr(target, name)
        setattr(target, last, value)

    return change


def _date(text: str, kind: DateType | None = DateType.ACTUAL) -> DateInfo:
    return DateInfo(PartialDate.parse(text), kind)


def _no_country(trial: Trial) -> None:
    trial.locations[0].country = None


def _arm(trial: Trial) -> URIRef:
    return IRIS.part(trial.nct_id, "arm", 1)


def _trial(trial: Trial) -> URIRef:
    return IRIS.trial(trial.nct_id)


def _site(trial: Trial) -> URIRef:
    return IRIS.part(trial.nct_id, "location", 1)


def _typed(text: str, datatype: URIRef) -> Literal:
    return Literal(text, datatype=datatype)


FOREIGN = IRIS.part("NCT99999999", "intervention", 1)
"""An intervention of another trial."""


MUTATIONS: dict[str, tuple[Callable[[Trial], MappedTrial], str, str, str | None]] = {
    # name: (mutation, expected shape, severity, expected value)
    "negative enrollment": (
        _model(_set("design.enrollment_count", -5)), "Trial-enrollment", "Violation", "-5"
    ),
    "completion before start": (
        _model(_set("completion", _date("2008-12-31"))),
        "Trial-completionAfterStart", "Violation", "2008-12-31",
    ),
    "completion month before start day": (
        _model(_set("completion", _date("2008-12"))),
        "Trial-completionAfterStart", "Violation", "2008-12",
    ),
    "primary completion before start": (
        _model(_set("primary_completion", _date("2008"))),
        "Trial-primaryCompletionAfterStart", "Violation", "2008",
    ),
    "completion before primary completion": (
        _model(_set("completion", _date("2011-01-01"))),
        "Trial-completionAfterPrimaryCompletion", "Warning", "2011-01-01",
    ),
    "minimum age above maximum": (
        _model(_set("eligibility.minimum_age", Age.parse("81 Years"))),
        "Trial-ageRange", "Violation", "81",
    ),
    "minimum age in months above maximum in weeks": (
        _model(_set("eligibility.maximum_age", Age.parse("52 Weeks"))),
        "Trial-ageRange", "Violation", "18",
    ),
    "missing brief title": (
        _model(_set("brief_title", None)), "Trial-briefTitle", "Violation", None
    ),
    "blank brief title": (
        _model(_set("brief_title", "   ")), "Trial-briefTitle", "Violation", None
    ),
    "missing overall status": (
        _model(_set("overall_status", None)), "Trial-overallStatus", "Violation", None
    ),
    "missing lead sponsor": (
        _model(_set("lead_sponsor", None)), "Trial-leadSponsor", "Violation", None
    ),
    "bad NCT id": (
        _triples(_replace(TK.nctId, Literal("NCT123"))), "Trial-nctId", "Violation", "NCT123"
    ),
    "unknown enumeration IRI": (
        _triples(_replace(TK.overallStatus, TK.OverallStatus + "-FINISHED")),
        "Trial-overallStatus", "Violation", str(TK.OverallStatus) + "-FINISHED",
    ),
    "code of another enumeration": (
        _triples(_replace(TK.overallStatus, code_iri(RecruitmentStatus.COMPLETED))),
        "Trial-overallStatus", "Violation", str(code_iri(RecruitmentStatus.COMPLETED)),
    ),
    "arm naming another trial's intervention": (
        _triples(_add(lambda t: (_arm(t), TK.armIntervention, FOREIGN))),
        "Arm-sameTrialIntervention", "Violation",
        str(FOREIGN),
    ),
    "arm without a trial": (_triples(_drop(TK.hasArm)), "Arm-owner", "Violation", None),
    "start date as a plain string": (
        _triples(_replace(TK.startDate, Literal("2009-01-09"))),
        "Trial-startDate", "Violation", "2009-01-09",
    ),
    "two start dates": (
        _triples(_add(lambda t: (_trial(t), TK.startDate, _typed("2009-02-01", XSD.date)))),
        "Trial-startDate", "Violation", None,
    ),
    "class disagrees with study type": (
        _triples(_add(lambda t: (IRIS.trial(t.nct_id), RDF.type, TK.ObservationalTrial))),
        "ObservationalTrial-studyType", "Violation", None,
    ),
    "latitude out of range": (
        _triples(_add(lambda t: (_site(t), TK.latitude, _typed("95.5", XSD.decimal)))),
        "Location-latitude", "Violation", "95.5",
    ),
    "no conditions": (_model(_set("conditions", [])), "Trial-conditionPresent", "Warning", None),
    "site without country": (_model(_no_country), "Location-countryPresent", "Warning", None),
    "completed trial with an estimated completion date": (
        _model(_set("completion", _date("2012-03-26", DateType.ESTIMATED))),
        "Trial-completedDatesActual", "Warning", str(code_iri(DateType.ESTIMATED)),
    ),
    "actual enrollment of zero": (
        _model(_set("design.enrollment_count", 0)), "Trial-zeroEnrollment", "Warning", "0"
    ),
    "link score above one": (
        _linked(_link_value(TK.linkScore, _typed("1.5", XSD.decimal))),
        "Link-score", "Violation", "1.5",
    ),
    "link made by an unknown method": (
        _linked(_link_value(TK.linkMethod, Literal("guessed"))),
        "Link-method", "Violation", "guessed",
    ),
    "link without a vocabulary version": (
        _linked(_link_value(TK.vocabularyVersion, None)), "Link-version", "Violation", None
    ),
    "link target as a literal": (
        _linked(_link_value(TK.linkTarget, Literal("D003920"))),
        "Link-target", "Violation", "D003920",
    ),
    "link of no trial": (
        _linked(lambda triples: [t for t in triples if t[1] != TK.hasLink]),
        "Link-owner", "Violation", None,
    ),
}  # fmt: skip


def _normal(value: str | None) -> object:
    """Numbers compared as numbers (the mapper may write 81 years as ``81.0``)."""
    try:
        return Decimal(value) if value is not None else None
    except InvalidOperation:
        return value


def test_the_base_record_is_clean(fast, reference, base_trial):
    """Each mutation must be the only defect: the record they start from has no finding at all."""
    report = _judged(fast, reference, map_trial(base_trial, IRIS))
    assert report.findings == ()
    assert report.conforms


def test_the_linked_base_record_is_clean(fast, reference, base_trial):
    """Its links (NLM's MeSH indexing, countries, cities, points) satisfy the link shapes too."""
    mapped = _linked()(base_trial)
    assert any(p == TK.hasLink for _, p, _ in mapped.triples)
    report = _judged(fast, reference, mapped)
    assert report.findings == ()


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutation_is_caught_by_both_engines(name, fast, reference, base_trial):
    mutate, shape, severity, value = MUTATIONS[name]
    report = _judged(fast, reference, mutate(base_trial))
    hits = [f for f in report.findings if f.shape == TKS + shape]
    assert hits, f"{name}: expected {shape}, got {[f.shape for f in report.findings]}"
    message = str(shapes_graph().value(URIRef(TKS + shape), SH.message))
    for finding in hits:
        assert finding.severity == severity
        assert finding.message == message
        assert finding.nct_id == base_trial.nct_id
    assert _normal(value) in {_normal(f.value) for f in hits}
    # a Violation keeps the trial out; a Warning alone lets it in
    assert report.conforms == (severity != "Violation" and not report.violations)


def test_dates_of_mixed_precision_compare_at_the_coarser_one(fast, reference, base_trial):
    """Completion 2009-01 (a month) is not before a start of 2009-01-09; nor is a year 2009."""
    for completion in ("2009-01", "2009", "2009-01-09"):
        trial = copy.deepcopy(base_trial)
        trial.completion = trial.primary_completion = _date(completion)
        report = _judged(fast, reference, map_trial(trial, IRIS))
        assert report.findings == (), completion


def test_equal_minimum_and_maximum_age_is_allowed(fast, reference, base_trial):
    trial = copy.deepcopy(base_trial)
    trial.eligibility.minimum_age = Age.parse("12 Months")
    trial.eligibility.maximum_age = Age.parse("1 Year")
    assert _judged(fast, reference, map_trial(trial, IRIS)).findings == ()


def test_withdrawn_trial_may_enrol_nobody(fast, reference, base_trial):
    trial = copy.deepcopy(base_trial)
    trial.design.enrollment_count = 0
    trial.overall_status = OverallStatus.WITHDRAWN
    assert _judged(fast, reference, map_trial(trial, IRIS)).findings == ()


def test_report_line_names_file_record_and_finding(fast, base_trial):
    trial = copy.deepcopy(base_trial)
    trial.design.enrollment_count = -1
    line = report_line(fast.validate(map_trial(trial, IRIS)), "NCT00820820.json")
    assert line["file"] == "NCT00820820.json"
    assert line["nct_id"] == "NCT00820820"
    assert line["severity"] == "Violation"
    assert line["shape"] == TKS + "Trial-enrollment"
    assert line["path"] == str(TK.enrollment)
    assert line["value"] == "-1"
    assert line["conforms"] is False
    assert json.loads(json.dumps(line)) == line


def test_registry_offers_both_engines():
    assert set(VALIDATORS) == {"pyshacl", "fast"}


# --------------------------------------------------------------------------- fail loudly


def _shapes_with(turtle: str) -> Graph:
    graph = Graph()
    for triple in shapes_graph():
        graph.add(triple)
    return graph.parse(data=turtle, format="turtle")


PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix tk: <https://w3id.org/trialkg/ontology#> .
@prefix tks: <https://w3id.org/trialkg/shapes#> .
"""


@pytest.mark.parametrize(
    "turtle",
    [
        "tks:X a sh:NodeShape ; sh:targetNode tk:Trial ; sh:message 'm' .",
        "tks:X a sh:NodeShape ; sh:targetClass tk:Arm ; sh:message 'm' ; sh:closed true .",
        "tks:X a sh:NodeShape ; sh:targetClass tk:Arm ; sh:message 'm' ; sh:property tks:Y .\n"
        "tks:Y a sh:PropertyShape ; sh:path tk:armLabel ; sh:message 'm' ; sh:uniqueLang true .",
        "tks:X a sh:NodeShape ; sh:targetClass tk:Arm ; sh:message 'm' ; sh:sparql tks:Q .\n"
        "tks:Q a sh:SPARQLConstraint ; sh:select 'SELECT $this WHERE { }' .",
        "tks:X a sh:NodeShape ; sh:targetClass tk:Arm .",
        "tks:ArmNamesOwnInterventions sh:deactivated true .",
        "tks:Arm sh:severity sh:Fatal .",
    ],
    ids=[
        "targetNode",
        "closed",
        "uniqueLang",
        "uncompiled SPARQL",
        "no message",
        "deactivated SPARQL",
        "unknown severity",
    ],
)
def test_fast_engine_refuses_what_it_cannot_check(turtle):
    with pytest.raises(ConfigError):
        compile_shapes(_shapes_with(PREFIXES + turtle))


# --------------------------------------------------------------------------- the real corpus


def _years(text: str) -> float:
    number, unit = text.split()
    unit = unit.lower().rstrip("s")
    days = {
        "year": 365.25,
        "month": 365.25 / 12,
        "week": 7,
        "day": 1,
        "hour": 1 / 24,
        "minute": 1 / 1440,
    }
    return float(number) * days[unit] / 365.25


def _before(later: str, earlier: str) -> bool:
    n = min(len(later), len(earlier))
    return later[:n] < earlier[:n]


def _oracle(record: dict) -> set[str]:
    """The shapes a raw API v2 record should trip, worked out from the JSON alone."""
    p = record["protocolSection"]
    ident, status = p["identificationModule"], p.get("statusModule", {})
    design, elig = p.get("designModule", {}), p.get("eligibilityModule", {})
    found: set[str] = set()
    if not (ident.get("briefTitle") or "").strip():
        found.add("Trial-briefTitle")
    if not status.get("overallStatus"):
        found.add("Trial-overallStatus")
    if not (
        p.get("sponsorCollaboratorsModule", {}).get("leadSponsor", {}).get("name") or ""
    ).strip():
        found.add("Trial-leadSponsor")
    if not design.get("studyType"):
        found.add("Trial-studyTypePresent")
    dates = {
        k: status.get(f"{k}DateStruct", {}) for k in ("start", "primaryCompletion", "completion")
    }
    start, primary, done = (
        dates[k].get("date") for k in ("start", "primaryCompletion", "completion")
    )
    if start and done and _before(done, start):
        found.add("Trial-completionAfterStart")
    if start and primary and _before(primary, start):
        found.add("Trial-primaryCompletionAfterStart")
    if primary and done and _before(done, primary):
        found.add("Trial-completionAfterPrimaryCompletion")
    if status.get("overallStatus") == "COMPLETED" and any(
        d.get("type") == "ESTIMATED" for d in dates.values()
    ):
        found.add("Trial-completedDatesActual")
    enrollment = design.get("enrollmentInfo", {})
    if enrollment.get("count") is not None and enrollment["count"] < 0:
        found.add("Trial-enrollment")
    if (
        enrollment.get("count") == 0
        and enrollment.get("type") == "ACTUAL"
        and status.get("overallStatus") != "WITHDRAWN"
    ):
        found.add("Trial-zeroEnrollment")
    ages = elig.get("minimumAge"), elig.get("maximumAge")
    if all(ages) and _years(ages[0]) > _years(ages[1]) + 1e-9:
        found.add("Trial-ageRange")
    if not any((c or "").strip() for c in p.get("conditionsModule", {}).get("conditions", [])):
        found.add("Trial-conditionPresent")
    for site in p.get("contactsLocationsModule", {}).get("locations", []):
        if not (site.get("country") or "").strip():
            found.add("Location-countryPresent")
    return found


def test_corpus_findings_are_the_records_real_defects(fast, corpus, capsys):
    """Each finding on the real corpus is a defect the raw JSON shows; each such defect is found.

    Prints the rejected and warned records with the reasons, for the report.
    """
    expected: dict[str, set[str]] = {}
    actual: dict[str, set[str]] = {}
    lines = []
    for path, mapped in corpus:
        expected[mapped.nct_id] = _oracle(json.loads(path.read_text(encoding="utf-8")))
        report = fast.validate(mapped)
        actual[mapped.nct_id] = {f.shape.removeprefix(TKS) for f in report.findings}
        for finding in report.findings:
            lines.append(f"{finding.severity:9} {path.name}: {finding.message} [{finding.value}]")
    with capsys.disabled():
        rejected = sum(1 for path, m in corpus if not fast.validate(m).conforms)
        print(f"\n{len(corpus)} records: {rejected} rejected, {len(lines)} findings")
        for line in sorted(lines):
            print("  " + line)
    wrong = {n: (actual[n], expected[n]) for n in actual if actual[n] != expected[n]}
    assert wrong == {}, "nct: (engine, raw-JSON oracle)"


def _xml_oracle(text: str) -> set[str]:
    """What a legacy XML record should trip: only the two gaps such records really have."""
    found = set()
    if not re.search(r"<condition>\s*\S", text):
        found.add("Trial-conditionPresent")
    study_type = re.search(r"<study_type>([^<]*)</study_type>", text)
    if study_type is None or study_type.group(1).strip() in ("", "N/A"):
        found.add("Trial-studyTypePresent")
    return found


def test_legacy_xml_findings_are_the_records_real_gaps(fast, capsys):
    """The XML corpus: no rejection; warnings exactly where the XML has no condition/study type."""
    if not XML_FILES:
        pytest.skip("shared data ctgov/xml is absent (set TRIALKG_SHARED_DATA)")
    wrong, lines = {}, []
    for item in read_paths([XML_FILES[0].parent]):
        assert not isinstance(item, RecordError), str(item)
        report = fast.validate(map_trial(item, IRIS))
        assert report.conforms, report.violations
        actual = {f.shape.removeprefix(TKS) for f in report.findings}
        path = Path(item.source.path)
        expected = _xml_oracle(path.read_text(encoding="utf-8"))
        if actual != expected:
            wrong[item.nct_id] = (actual, expected)
        lines += [f"{f.severity} {path.name}: {f.message}" for f in report.findings]
    with capsys.disabled():
        print(f"\nlegacy XML: {len(lines)} findings")
        for line in sorted(lines):
            print("  " + line)
    assert wrong == {}, "nct: (engine, raw-XML oracle)"


def test_trial_card_without_conditions_is_warned_not_rejected(fast, reference, seed_card):
    """The card export lists no conditions: the trial loads, with a warning saying so."""
    (trial,) = read_paths([seed_card])
    report = _judged(fast, reference, map_trial(trial, IRIS))
    assert report.conforms
    assert [f.shape for f in report.findings] == [TKS + "Trial-conditionPresent"]


def test_every_class_the_mapper_emits_has_a_shape(corpus):
    graph = shapes_graph()
    targeted = set(graph.objects(None, SH.targetClass))
    emitted = Counter(o for _, m in corpus for (_, p, o) in m.triples if p == RDF.type)
    from kg.vocab import PROV  # the graph's provenance node

    assert PROV.Entity in emitted
    assert set(emitted) - targeted == set()


@pytest.mark.slow
def test_fast_engine_equals_pyshacl_on_the_whole_corpus(fast, reference, corpus):
    """Same conforms and the same (focus, shape, path, value, severity, component) per trial."""
    differing = []
    for _, mapped in corpus:
        ours, theirs = fast.validate(mapped), reference.validate(mapped)
        if _keys(ours) != _keys(theirs) or ours.conforms != theirs.conforms:
            differing.append((mapped.nct_id, _keys(ours) ^ _keys(theirs)))
    assert differing == []


# --------------------------------------------------------------------------- checks/*.rq


def _ox(term):
    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    assert isinstance(term, Literal), term  # the mapper makes no blank nodes
    if term.language:
        return pyoxigraph.Literal(str(term), language=term.language)
    return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(term.datatype or XSD.string))


def _store(mapped: list[MappedTrial]) -> pyoxigraph.Store:
    """An in-memory Oxigraph store with one named graph per trial, as the real stores hold them."""
    store = pyoxigraph.Store()
    store.bulk_extend(
        pyoxigraph.Quad(_ox(s), _ox(p), _ox(o), _ox(m.graph))
        for m in mapped
        for s, p, o in m.triples
    )
    return store


def _rows(store: pyoxigraph.Store, sparql: str) -> list:
    return list(store.query(sparql, use_default_graph_as_union=True))


CHECKS = load_queries("checks")


def test_checks_are_violation_queries():
    assert CHECKS, "queries/checks holds the quality checks"
    assert all(name.endswith("-violation") for name in CHECKS)


@pytest.fixture(scope="module")
def corpus_store(corpus) -> pyoxigraph.Store:
    return _store([m for _, m in corpus])


@pytest.mark.parametrize("name", list(CHECKS))
def test_check_finds_nothing_on_the_corpus(name, corpus_store):
    """The corpus passes the shapes (test above), so it must pass each check too."""
    assert _rows(corpus_store, CHECKS[name].sparql) == []


CHECK_MUTATIONS = {
    "orphan-intervention-violation": "arm naming another trial's intervention",
    "completion-before-start-violation": "completion before start",
    "age-range-violation": "minimum age above maximum",
    "negative-enrollment-violation": "negative enrollment",
    "missing-title-violation": "missing brief title",
    "malformed-nct-id-violation": "bad NCT id",
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_check_catches_what_the_shapes_catch(name, base_trial, fast):
    """Each check finds the mutation the matching shape rejects, and nothing on the clean base."""
    assert _rows(_store([map_trial(base_trial, IRIS)]), CHECKS[name].sparql) == []
    if name == "part-outside-trial-violation":
        stray = (IRIS.trial(base_trial.nct_id), TK.hasArm, IRIS.part("NCT99999999", "arm", 1))
        broken = _triples(_add(lambda t: stray))(base_trial)
    else:
        mutate, shape, _, _ = MUTATIONS[CHECK_MUTATIONS[name]]
        broken = mutate(base_trial)
        assert TKS + shape in {f.shape for f in fast.validate(broken).violations}
    assert len(_rows(_store([broken]), CHECKS[name].sparql)) >= 1
