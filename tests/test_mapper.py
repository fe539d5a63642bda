"""The mapper: hand-built trials for each rule, the whole v2 corpus against its JSON, and goldens.

Goldens in ``tests/golden/NCT….ttl`` are our own Turtle output for a few real records, compared by
graph isomorphism; regenerate them with ``TRIALKG_UPDATE_GOLDENS=1 pytest tests/test_mapper.py``
after a deliberate mapping change (and bump ``MAPPER_VERSION``).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyoxigraph
import pytest
from defusedxml import ElementTree
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from kg.errors import RecordError
from kg.mapper import MAPPER_VERSION, MappedTrial, _decimal, _str, map_trial
from kg.model import (
    Age,
    AgencyClass,
    Arm,
    BrowseBranch,
    BrowseLeaf,
    BrowseModule,
    Contact,
    ContactRole,
    DateInfo,
    DateType,
    Design,
    Eligibility,
    EnrollmentType,
    GeoPoint,
    Intervention,
    InterventionType,
    Location,
    MeshTerm,
    Organization,
    Outcome,
    OutcomeKind,
    OverallStatus,
    PartialDate,
    Phase,
    Reference,
    ReferenceType,
    RelatedTrial,
    Relevance,
    SecondaryId,
    SecondaryIdType,
    SeeAlsoLink,
    Source,
    StudyType,
    Trial,
)
from kg.readers import read_paths
from kg.readers.ctgov_json import CtgovJsonReader
from kg.vocab import (
    DCTERMS,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    TK,
    XSD,
    Iris,
    code_iri,
    mesh_iri,
    registry_page,
)
from tests.conftest import V2_FILES, XML_FILES

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN_IDS = {
    "NCT06097962": "interventional, recruiting, three arms, intervention MeSH",
    "NCT02293343": "observational, completed, groups instead of arms",
    "NCT00603785": "withdrawn before enrolment",
    "NCT01691079": "has results",
    "NCT05826366": "32 sites",
}
INGESTED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
STANDARD = tuple(str(ns) for ns in (RDF, RDFS, SKOS, PROV, DCTERMS, XSD, SCHEMA, OWL))
TK_NS = str(TK._NS)
TK_TERMS = frozenset(TK.__annotations__)
IRIS = Iris()


# --------------------------------------------------------------------------- helpers


def index(mapped: MappedTrial) -> dict[tuple[URIRef, URIRef], list]:
    """(subject, predicate) -> objects, in emission order."""
    out: dict[tuple[URIRef, URIRef], list] = defaultdict(list)
    for s, p, o in mapped.triples:
        out[(s, p)].append(o)
    return out


def vocabulary_problems(mapped: MappedTrial) -> list[str]:
    """Predicates and classes neither declared in TK nor from a standard vocabulary."""
    problems = []
    for s, p, o in mapped.triples:
        terms = [p, o] if p == RDF.type else [p]
        for term in terms:
            text = str(term)
            if text.startswith(TK_NS):
                if text[len(TK_NS) :] not in TK_TERMS:
                    problems.append(f"undeclared TK term {text}")
            elif not text.startswith(STANDARD):
                problems.append(f"non-standard term {text} in ({s}, {p}, {o})")
    return problems


def read_v2(path: Path) -> Trial:
    [trial] = list(CtgovJsonReader().read(path))
    assert not isinstance(trial, RecordError), str(trial)
    return trial


def read_one(path: Path) -> Trial:
    """The single trial a file of any known format holds."""
    [trial] = list(read_paths([path]))
    assert not isinstance(trial, RecordError), str(trial)
    return trial


def assert_well_formed(mapped: MappedTrial) -> None:
    """No blank nodes, no repeated triple, only declared terms, arms inside their own trial."""
    assert not [t for t in mapped.triples if any(isinstance(x, BNode) for x in t)]
    assert len(set(mapped.triples)) == len(mapped.triples)
    assert vocabulary_problems(mapped) == []
    ix, t = index(mapped), IRIS.trial(mapped.nct_id)
    interventions = set(ix[(t, TK.hasIntervention)])
    for arm in ix[(t, TK.hasArm)]:
        assert set(ix[(arm, TK.armIntervention)]) <= interventions


def as_graph(mapped: MappedTrial) -> Graph:
    graph = Graph()
    for prefix, ns in (
        ("tk", TK_NS),
        ("trial", IRIS.base + "trial/"),
        ("organization", IRIS.base + "org/"),
        ("condition", IRIS.base + "condition/"),
        ("keyword", IRIS.base + "keyword/"),
        ("intervention", IRIS.base + "intervention/"),
        ("mesh", "http://id.nlm.nih.gov/mesh/"),
        ("ctgov", "https://clinicaltrials.gov/study/"),
        ("skos", str(SKOS)),
        ("prov", str(PROV)),
        ("dcterms", str(DCTERMS)),
    ):
        graph.bind(prefix, ns)
    for triple in mapped.triples:
        graph.add(triple)
    return graph


def date_datatype(text: str) -> URIRef:
    return {10: XSD.date, 7: XSD.gYearMonth, 4: XSD.gYear}[len(text)]


# --------------------------------------------------------------------------- a hand-built trial


def sample_trial() -> Trial:
    """A small trial touching every rule below (not a copy of any record)."""
    return Trial(
        nct_id="NCT01234567",
        brief_title="  Aspirin After Stroke  ",
        official_title="A Randomised Trial of Aspirin After Stroke",
        acronym="",
        secondary_ids=[SecondaryId("2020-001234-56", SecondaryIdType.EUDRACT_NUMBER)],
        organization=Organization("Example University", AgencyClass.OTHER),
        overall_status=OverallStatus.RECRUITING,
        start=DateInfo(PartialDate.parse("2021-04"), DateType.ACTUAL),
        primary_completion=DateInfo(PartialDate.parse("2024-06-30"), DateType.ESTIMATED),
        completion=DateInfo(PartialDate.parse("2025")),
        last_update_post=DateInfo(PartialDate.parse("2023-01-05"), DateType.ACTUAL),
        version_holder=PartialDate.parse("2024-02-01"),
        has_results=False,
        lead_sponsor=Organization("Example University", AgencyClass.OTHER),
        collaborators=[
            Organization("Acme Pharma", AgencyClass.INDUSTRY),
            Organization("Acme Pharma", AgencyClass.INDUSTRY),
            Organization("   "),
        ],
        conditions=["Stroke", " stroke ", "", "Ischemic Stroke"],
        keywords=["antiplatelet"],
        design=Design(
            study_type=StudyType.INTERVENTIONAL,
            phases=[Phase.PHASE2, Phase.PHASE3],
            enrollment_count=120,
            enrollment_type=EnrollmentType.ESTIMATED,
        ),
        arms=[
            Arm("Aspirin", intervention_names=["Drug: Aspirin"]),
            Arm("Placebo", intervention_names=["drug: PLACEBO", "Device: Not In This Trial"]),
            Arm("Both"),
        ],
        interventions=[
            Intervention("Aspirin", InterventionType.DRUG, other_names=["ASA", "ASA", " "]),
            Intervention("Placebo", InterventionType.DRUG, arm_group_labels=["both"]),
        ],
        outcomes=[
            Outcome(OutcomeKind.PRIMARY, "Recurrent stroke", time_frame="1 year"),
            Outcome(OutcomeKind.SECONDARY, "Bleeding"),
            Outcome(OutcomeKind.SECONDARY, "Death"),
        ],
        eligibility=Eligibility(
            inclusion=["Age >= 18", "  "],
            exclusion=["Pregnancy"],
            minimum_age=Age.parse("6 Months"),
            maximum_age=Age.parse("75 Years"),
        ),
        locations=[
            Location(
                facility="General Hospital",
                city="Springfield",
                country="United States",
                geo=GeoPoint(39.78, -0.00001),
                contacts=[Contact("Jane Doe", ContactRole.CONTACT, phone="555", phone_ext="12")],
            )
        ],
        references=[Reference("Doe J. Aspirin. 2020.", "12345678", ReferenceType.BACKGROUND)],
        see_also_links=[SeeAlsoLink("https://example.org/a b", "Study site")],
        condition_browse=BrowseModule(
            meshes=[MeshTerm("D020521", "Stroke")],
            ancestors=[MeshTerm("D002561", "Cerebrovascular Disorders")],
            leaves=[
                BrowseLeaf("M22311", "Stroke", "Stroke", Relevance.HIGH),
                BrowseLeaf("M9999", "Not Among The Terms", None, Relevance.LOW),
            ],
            branches=[BrowseBranch("BC10", "Nervous System Diseases")],
        ),
        intervention_browse=BrowseModule(meshes=[MeshTerm("D001241", "Aspirin")]),
        related=[RelatedTrial("NCT07654321", "An Earlier Trial")],
        source=Source("/home/someone/data/NCT01234567.json", "ctgov-json"),
    )


@pytest.fixture
def mapped() -> MappedTrial:
    return map_trial(sample_trial(), IRIS, ingested_at=INGESTED)


def test_same_trial_gives_identical_triples(mapped: MappedTrial) -> None:
    again = map_trial(sample_trial(), IRIS, ingested_at=INGESTED)
    assert again.triples == mapped.triples
    assert again.graph == mapped.graph == IRIS.graph("NCT01234567")


def test_no_blank_nodes_and_no_duplicates(mapped: MappedTrial) -> None:
    assert not [t for t in mapped.triples if any(isinstance(x, BNode) for x in t)]
    assert len(set(mapped.triples)) == len(mapped.triples)


def test_only_declared_tk_terms_and_standard_vocabularies(mapped: MappedTrial) -> None:
    assert vocabulary_problems(mapped) == []


def test_trial_identity_titles_and_types(mapped: MappedTrial) -> None:
    ix, t = index(mapped), IRIS.trial("NCT01234567")
    assert ix[(t, RDF.type)] == [TK.Trial, TK.InterventionalTrial]
    assert ix[(t, RDFS.label)] == [Literal("Aspirin After Stroke")]
    assert ix[(t, TK.nctId)] == [Literal("NCT01234567")]
    assert ix[(t, RDFS.seeAlso)] == [registry_page("NCT01234567")]
    assert (t, TK.acronym) not in ix  # empty strings are skipped
    assert all(o.datatype is None and o.language is None for o in ix[(t, TK.officialTitle)])


def test_dates_keep_the_registry_precision(mapped: MappedTrial) -> None:
    ix, t = index(mapped), IRIS.trial("NCT01234567")
    assert ix[(t, TK.startDate)] == [Literal("2021-04", datatype=XSD.gYearMonth)]
    assert ix[(t, TK.startDateType)] == [code_iri(DateType.ACTUAL)]
    assert ix[(t, TK.primaryCompletionDate)] == [Literal("2024-06-30", datatype=XSD.date)]
    assert ix[(t, TK.completionDate)] == [Literal("2025", datatype=XSD.gYear)]
    assert (t, TK.completionDateType) not in ix
    assert ix[(t, TK.versionDate)] == [Literal("2024-02-01", datatype=XSD.date)]


def test_sponsors_are_shared_nodes_described_once(mapped: MappedTrial) -> None:
    ix, t = index(mapped), IRIS.trial("NCT01234567")
    uni, acme = IRIS.organization("Example University"), IRIS.organization("Acme Pharma")
    assert ix[(t, TK.leadSponsor)] == [uni] == ix[(t, TK.submittingOrganization)]
    assert ix[(t, TK.collaborator)] == [acme]
    assert ix[(uni, TK.organizationName)] == [Literal("Example University")]
    assert ix[(acme, TK.agencyClass)] == [code_iri(AgencyClass.INDUSTRY)]
    assert ix[(acme, RDF.type)] == [TK.Organization]
    other = map_trial(Trial("NCT07654321", lead_sponsor=Organization("ACME pharma")), IRIS)
    assert (IRIS.trial("NCT07654321"), TK.leadSponsor, acme) in other.triples


def test_conditions_keywords_and_mesh(mapped: MappedTrial) -> None:
    ix, t = index(mapped), IRIS.trial("NCT01234567")
    assert ix[(t, TK.conditionText)] == [
        Literal(x) for x in ("Stroke", "stroke", "Ischemic Stroke")
    ]
    stroke = IRIS.condition("Stroke")
    assert ix[(t, TK.studiesCondition)] == [stroke, IRIS.condition("Ischemic Stroke")]
    assert ix[(stroke, RDFS.label)] == [Literal("Stroke")]  # one label, the first spelling
    assert ix[(t, TK.keyword)] == [IRIS.keyword("antiplatelet")]
    assert ix[(t, TK.conditionMesh)] == [mesh_iri("D020521")]
    assert ix[(t, TK.conditionMeshAncestor)] == [mesh_iri("D002561")]
    assert ix[(t, TK.interventionMesh)] == [mesh_iri("D001241")]
    assert ix[(mesh_iri("D002561"), RDFS.label)] == [Literal("Cerebrovascular Disorders")]
    leaf = IRIS.part("NCT01234567", "mesh-indexing", "condition", "M22311")
    assert ix[(leaf, TK.meshDescriptor)] == [mesh_iri("D020521")]
    assert ix[(leaf, TK.relevance)] == [code_iri(Relevance.HIGH)]
    assert ix[(leaf, TK.browseTarget)] == [Literal("condition")]
    unmatched = IRIS.part("NCT01234567", "mesh-indexing", "condition", "M9999")
    assert (unmatched, TK.meshDescriptor) not in ix
    assert ix[(unmatched, RDFS.label)] == [Literal("Not Among The Terms")]
    branch = IRIS.browse_branch("BC10")
    assert ix[(t, TK.browseBranch)] == [branch]
    assert ix[(branch, RDFS.label)] == [Literal("Nervous System Diseases")]


def test_design_phases_and_enrollment(mapped: MappedTrial) -> None:
    ix, t = index(mapped), IRIS.trial("NCT01234567")
    assert ix[(t, TK.phase)] == [code_iri(Phase.PHASE2), code_iri(Phase.PHASE3)]
    assert ix[(t, TK.enrollment)] == [Literal(120, datatype=XSD.integer)]
    assert ix[(t, TK.enrollmentType)] == [code_iri(EnrollmentType.ESTIMATED)]


def test_arms_link_only_to_interventions_of_the_trial(mapped: MappedTrial) -> None:
    ix = index(mapped)
    arm = [IRIS.part("NCT01234567", "arm", n) for n in (1, 2, 3)]
    iv = [IRIS.part("NCT01234567", "intervention", n) for n in (1, 2)]
    assert ix[(arm[0], TK.armIntervention)] == [iv[0]]  # qualified name
    assert ix[(arm[1], TK.armIntervention)] == [iv[1]]  # case-insensitive; the foreign one: none
    assert ix[(arm[2], TK.armIntervention)] == [iv[1]]  # from the intervention's arm label
    assert [ix[(a, TK.ordinal)] for a in arm] == [[Literal(n)] for n in (1, 2, 3)]
    assert ix[(iv[0], TK.otherName)] == [Literal("ASA")]
    assert ix[(iv[0], TK.usesIntervention)] == [IRIS.intervention("Aspirin")]
    assert ix[(iv[0], TK.interventionType)] == [code_iri(InterventionType.DRUG)]


def test_outcomes_are_numbered_within_their_kind(mapped: MappedTrial) -> None:
    ix, t = index(mapped), IRIS.trial("NCT01234567")
    assert ix[(t, TK.hasOutcome)] == [
        IRIS.outcome("NCT01234567", OutcomeKind.PRIMARY, 1),
        IRIS.outcome("NCT01234567", OutcomeKind.SECONDARY, 1),
        IRIS.outcome("NCT01234567", OutcomeKind.SECONDARY, 2),
    ]
    death = IRIS.outcome("NCT01234567", OutcomeKind.SECONDARY, 2)
    assert ix[(death, TK.measure)] == [Literal("Death")]
    assert ix[(death, TK.ordinal)] == [Literal(2)]


def test_eligibility_criteria_and_ages(mapped: MappedTrial) -> None:
    ix, t = index(mapped), IRIS.trial("NCT01234567")
    inc = IRIS.part("NCT01234567", "criterion", "inclusion", 1)
    exc = IRIS.part("NCT01234567", "criterion", "exclusion", 1)
    assert ix[(t, TK.hasCriterion)] == [inc, exc]  # the blank inclusion item is skipped
    assert ix[(inc, RDF.type)] == [TK.InclusionCriterion]
    assert ix[(exc, TK.criterionText)] == [Literal("Pregnancy")]
    assert ix[(t, TK.minimumAge)] == [Literal("P6M", datatype=XSD.duration)]
    assert ix[(t, TK.minimumAgeYears)] == [Literal("0.5", datatype=XSD.decimal)]
    assert ix[(t, TK.maximumAge)] == [Literal("P75Y", datatype=XSD.duration)]
    assert ix[(t, TK.maximumAgeYears)] == [Literal("75.0", datatype=XSD.decimal)]


def test_locations_contacts_references_links(mapped: MappedTrial) -> None:
    ix = index(mapped)
    site = IRIS.part("NCT01234567", "location", 1)
    assert ix[(site, RDFS.label)] == [Literal("General Hospital")]
    assert ix[(site, TK.latitude)] == [Literal("39.78", datatype=XSD.decimal)]
    assert ix[(site, TK.longitude)] == [Literal("-0.00001", datatype=XSD.decimal)]
    contact = IRIS.part("NCT01234567", "location", 1, "contact", 1)
    assert ix[(site, TK.hasContact)] == [contact]
    assert ix[(contact, TK.phone)] == [Literal("555 ext. 12")]
    ref = IRIS.part("NCT01234567", "reference", 1)
    assert ix[(ref, RDFS.seeAlso)] == [URIRef("https://pubmed.ncbi.nlm.nih.gov/12345678/")]
    assert ix[(IRIS.trial("NCT01234567"), TK.seeAlso)] == [URIRef("https://example.org/a%20b")]


def test_a_site_without_facility_is_labelled_by_its_city() -> None:
    trial = Trial("NCT01234567", locations=[Location(facility="  ", city="Lyon")])
    ix = index(map_trial(trial, IRIS))
    site = IRIS.part("NCT01234567", "location", 1)
    assert ix[(site, RDFS.label)] == [Literal("Lyon")]
    assert (site, TK.facility) not in ix


def test_stated_related_trials(mapped: MappedTrial) -> None:
    ix, t = index(mapped), IRIS.trial("NCT01234567")
    other = IRIS.trial("NCT07654321")
    assert ix[(t, TK.statedRelatedTrial)] == [other]
    statement = IRIS.part("NCT01234567", "related", 1)
    assert ix[(statement, TK.relatedTrial)] == [other]
    assert ix[(statement, TK.relatedTrialTitle)] == [Literal("An Earlier Trial")]


def test_provenance_names_the_file_not_the_folder(mapped: MappedTrial) -> None:
    ix, g = index(mapped), mapped.graph
    assert ix[(g, RDF.type)] == [PROV.Entity]
    assert ix[(g, PROV.wasDerivedFrom)] == [registry_page("NCT01234567")]
    assert ix[(g, DCTERMS.source)] == [Literal("NCT01234567.json")]
    assert ix[(g, TK.sourceFormat)] == [Literal("ctgov-json")]
    assert ix[(g, DCTERMS.modified)] == [Literal("2023-01-05", datatype=XSD.date)]
    assert ix[(g, TK.mapperVersion)] == [Literal(MAPPER_VERSION)]
    assert ix[(g, PROV.generatedAtTime)] == [
        Literal("2026-01-02T03:04:05+00:00", datatype=XSD.dateTime)
    ]


def test_ingest_time_only_when_given_and_in_utc() -> None:
    trial = sample_trial()
    assert not [t for t in map_trial(trial, IRIS).triples if t[1] == PROV.generatedAtTime]
    east = INGESTED.astimezone(timezone(timedelta(hours=8)))
    assert (
        map_trial(trial, IRIS, ingested_at=east).triples
        == map_trial(trial, IRIS, ingested_at=INGESTED).triples
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t: setattr(t, "nct_id", "NCT123"), "identificationModule.nctId"),
        (
            lambda t: t.condition_browse.meshes.append(MeshTerm("X1", "Bad")),
            "derivedSection.conditionBrowseModule.meshes[1].id",
        ),
        (lambda t: t.related.append(RelatedTrial("nct 1")), "related[1].nct_id"),
    ],
)
def test_ids_no_iri_can_be_made_from_are_record_errors(change, field: str) -> None:
    trial = sample_trial()
    change(trial)
    with pytest.raises(RecordError) as err:
        map_trial(trial, IRIS)
    assert err.value.field == field
    assert "NCT01234567.json" in str(err.value)


@pytest.mark.parametrize(
    ("make", "text", "datatype"),
    [
        (_str, "", None),
        (_str, "plain", None),
        (_str, "  spaced ", None),
        (_str, "ünïcödé ☤", None),
        (_str, "line\nbreak", None),
        (lambda x: _decimal(float(x)), "-0.00001", XSD.decimal),
        (lambda x: _decimal(float(x)), "39.78", XSD.decimal),
        (lambda x: _decimal(float(x)), "18.0", XSD.decimal),
    ],
)
def test_fast_literals_are_rdflib_literals(make, text: str, datatype) -> None:
    fast, slow = make(text), Literal(text, datatype=datatype)
    assert fast == slow and hash(fast) == hash(slow) and fast.eq(slow)
    assert (fast.value, fast.datatype, fast.language, fast.ill_typed) == (
        slow.value,
        slow.datatype,
        slow.language,
        slow.ill_typed,
    )
    assert fast.n3() == slow.n3()


def test_other_base_moves_every_minted_iri() -> None:
    iris = Iris("https://example.org/kg/")
    for s, _, o in map_trial(sample_trial(), iris).triples:
        for term in (s, o):
            if isinstance(term, URIRef) and not str(term).startswith(TK_NS):
                assert not str(term).startswith("https://w3id.org/trialkg/")


# --------------------------------------------------------------------------- the v2 corpus


@pytest.mark.slow
@pytest.mark.parametrize("path", V2_FILES, ids=[p.stem for p in V2_FILES])
def test_v2_record_maps_to_what_its_json_says(path: Path) -> None:
    study = json.loads(path.read_text(encoding="utf-8"))
    mapped = map_trial(read_v2(path), IRIS, ingested_at=INGESTED)
    assert_well_formed(mapped)
    # deterministic: the file read again maps to the same triples in the same order
    assert map_trial(read_v2(path), IRIS, ingested_at=INGESTED).triples == mapped.triples

    p = study["protocolSection"]
    ident, status, design = p["identificationModule"], p["statusModule"], p["designModule"]
    nct = ident["nctId"]
    ix, t = index(mapped), IRIS.trial(nct)
    assert mapped.graph == IRIS.graph(nct)
    assert ix[(t, TK.nctId)] == [Literal(nct)]
    assert ix[(t, RDFS.label)] == [Literal(ident["briefTitle"].strip())]
    assert ix[(t, TK.overallStatus)] == [code_iri(OverallStatus(status["overallStatus"]))]
    assert ix[(t, TK.phase)] == [code_iri(Phase(x)) for x in design.get("phases", [])]
    if "hasResults" in study:
        assert ix[(t, TK.hasResults)] == [Literal(study["hasResults"])]

    enrollment = design.get("enrollmentInfo", {})
    if "count" in enrollment:
        assert ix[(t, TK.enrollment)] == [Literal(enrollment["count"], datatype=XSD.integer)]
    else:
        assert (t, TK.enrollment) not in ix

    start = status.get("startDateStruct")
    if start:
        assert ix[(t, TK.startDate)] == [
            Literal(start["date"], datatype=date_datatype(start["date"]))
        ]
        expected_type = [code_iri(DateType(start["type"]))] if "type" in start else []
        assert ix.get((t, TK.startDateType), []) == expected_type
    else:
        assert (t, TK.startDate) not in ix

    lead = p["sponsorCollaboratorsModule"]["leadSponsor"]
    [org] = ix[(t, TK.leadSponsor)]
    assert org == IRIS.organization(lead["name"])
    assert Literal(lead["name"].strip()) in ix[(org, TK.organizationName)]
    assert code_iri(AgencyClass(lead["class"])) in ix[(org, TK.agencyClass)]

    conditions = p.get("conditionsModule", {}).get("conditions", [])
    stated = list(dict.fromkeys(c.strip() for c in conditions if c.strip()))
    assert ix[(t, TK.conditionText)] == [Literal(c) for c in stated]
    assert set(ix[(t, TK.studiesCondition)]) == {IRIS.condition(c) for c in stated}

    derived = study.get("derivedSection", {})
    for module, pred in (
        ("conditionBrowseModule", TK.conditionMesh),
        ("interventionBrowseModule", TK.interventionMesh),
    ):
        meshes = derived.get(module, {}).get("meshes", [])
        assert set(ix[(t, pred)]) == {mesh_iri(m["id"]) for m in meshes}

    arms = p.get("armsInterventionsModule", {})
    outcomes = p.get("outcomesModule", {})
    counts = {
        TK.hasArm: len(arms.get("armGroups", [])),
        TK.hasIntervention: len(arms.get("interventions", [])),
        TK.hasOutcome: sum(
            len(outcomes.get(k, []))
            for k in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes")
        ),
        TK.hasLocation: len(p.get("contactsLocationsModule", {}).get("locations", [])),
    }
    assert {pred: len(ix[(t, pred)]) for pred in counts} == counts
    # every arm that names interventions links to one (true of the whole v2 corpus)
    for n, arm in enumerate(arms.get("armGroups", []), 1):
        linked = ix[(IRIS.part(nct, "arm", n), TK.armIntervention)]
        assert bool(linked) == bool(arm.get("interventionNames")), arm["label"]


@pytest.mark.slow
@pytest.mark.parametrize("path", XML_FILES, ids=[p.stem for p in XML_FILES])
def test_legacy_xml_record_maps_to_what_its_xml_says(path: Path) -> None:
    root = ElementTree.parse(path).getroot()
    mapped = map_trial(read_one(path), IRIS, ingested_at=INGESTED)
    assert_well_formed(mapped)
    nct = root.findtext("id_info/nct_id")
    ix, t = index(mapped), IRIS.trial(nct)
    assert mapped.nct_id == nct
    assert ix[(t, RDFS.label)] == [Literal(root.findtext("brief_title").strip())]
    stated = list(dict.fromkeys(c.text.strip() for c in root.iter("condition") if c.text.strip()))
    assert ix[(t, TK.conditionText)] == [Literal(c) for c in stated]
    counts = {
        TK.hasArm: len(root.findall("arm_group")),
        TK.hasIntervention: len(root.findall("intervention")),
        TK.hasLocation: len(root.findall("location")),
    }
    assert {pred: len(ix[(t, pred)]) for pred in counts} == counts


# --------------------------------------------------------------------------- goldens


def check_golden(mapped: MappedTrial) -> None:
    nct_id = mapped.nct_id
    actual = as_graph(mapped)
    golden = GOLDEN_DIR / f"{nct_id}.ttl"
    if os.environ.get("TRIALKG_UPDATE_GOLDENS") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        actual.serialize(golden, format="turtle", encoding="utf-8")
    assert golden.exists(), f"{golden} is missing; run with TRIALKG_UPDATE_GOLDENS=1 to create it"
    expected = Graph().parse(golden, format="turtle")
    if not isomorphic(expected, actual):
        _, only_expected, only_actual = graph_diff(to_isomorphic(expected), to_isomorphic(actual))
        lines = [f"- {' '.join(x.n3() for x in t)}" for t in sorted(only_expected)]
        lines += [f"+ {' '.join(x.n3() for x in t)}" for t in sorted(only_actual)]
        pytest.fail(f"{nct_id} differs from {golden.name}:\n" + "\n".join(lines[:200]))


@pytest.mark.parametrize("nct_id", list(GOLDEN_IDS), ids=list(GOLDEN_IDS))
def test_golden(nct_id: str, v2_dir: Path) -> None:
    check_golden(map_trial(read_v2(v2_dir / f"{nct_id}.json"), IRIS, ingested_at=INGESTED))


def test_golden_trial_card(seed_card: Path) -> None:
    """The seed trial card (NCT04590118): the only source that states related trials."""
    mapped = map_trial(read_one(seed_card), IRIS, ingested_at=INGESTED)
    assert_well_formed(mapped)
    assert len(index(mapped)[(IRIS.trial("NCT04590118"), TK.statedRelatedTrial)]) == 5
    check_golden(mapped)


@pytest.mark.parametrize("nct_id", list(GOLDEN_IDS), ids=list(GOLDEN_IDS))
def test_triples_load_into_oxigraph_as_one_named_graph(nct_id: str, v2_dir: Path) -> None:
    """Every term survives N-Triples into the default store, in the trial's own graph."""
    mapped = map_trial(read_v2(v2_dir / f"{nct_id}.json"), IRIS, ingested_at=INGESTED)
    ntriples = as_graph(mapped).serialize(format="nt")
    store = pyoxigraph.Store()
    graph = pyoxigraph.NamedNode(str(mapped.graph))
    store.load(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=graph)
    assert len(store) == len(mapped.triples)
    assert len(list(store.quads_for_pattern(None, None, None, graph))) == len(mapped.triples)
    [[nct]] = store.query(
        "SELECT ?id WHERE { ?t <https://w3id.org/trialkg/ontology#nctId> ?id }",
        use_default_graph_as_union=True,
    )
    assert nct.value == nct_id
