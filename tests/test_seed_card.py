"""The seed trial card in the store: one SPARQL question per fact the card states.

The card (``seeds/000_88c94915e5ace25e.txt``) is ingested through the pipeline into an embedded
store; each fact is then asked of the store as an ASK with every value bound, never spliced.
Each ASK is paired with the same question about a value the card does not state, which must be
answered "no": that proves the bindings reached the query (an ASK whose bindings were dropped
would answer "yes" to anything).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kg.model import (
    AgencyClass,
    Allocation,
    ArmType,
    InterventionModel,
    Masking,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    Sex,
    StudyType,
)
from kg.pipeline import Pipeline, ReportWriter
from kg.stores import open_store
from kg.vocab import TK, XSD, Iris, code_iri

IRIS = Iris()
NCT = "NCT04590118"
TRIAL = IRIS.trial(NCT)
ELSEWHERE = Literal("a value the card does not state")

PREFIXES = (
    "PREFIX tk: <https://w3id.org/trialkg/ontology#>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"
)
# one pattern per shape of fact; ?g and ?trial are bound to the seed's graph and trial
ON_TRIAL = "ASK { GRAPH ?g { ?trial ?p ?v } }"
ARM = (
    "ASK { GRAPH ?g { ?trial tk:hasArm ?arm . "
    "?arm tk:armLabel ?label ; tk:armType ?type ; tk:armDescription ?description } }"
)
INTERVENTION = (
    "ASK { GRAPH ?g { ?trial tk:hasIntervention ?iv . "
    "?iv tk:interventionName ?name ; tk:interventionDescription ?description } }"
)
CRITERION = (
    "ASK { GRAPH ?g { ?trial tk:hasCriterion ?c . "
    "?c a ?kind ; tk:ordinal ?n ; tk:criterionText ?text } }"
)
SPONSOR = (
    "ASK { GRAPH ?g { ?trial ?role ?org . "
    "?org tk:organizationName ?name ; tk:agencyClass ?class } }"
)
SITE = (
    "ASK { GRAPH ?g { ?trial tk:hasLocation ?site . "
    "?site tk:facility ?facility ; tk:city ?city ; tk:country ?country } }"
)
RELATED = (
    "ASK { GRAPH ?g { ?trial tk:statedRelatedTrial ?other . "
    "?statement dcterms:isPartOf ?trial ; tk:relatedTrial ?other ; tk:relatedTrialTitle ?title } }"
)

EXPERIMENTAL_ARM = "Single intravenous infusion of 0.5×10\\^6, 1×10\\^6, 2×10\\^6 it-hMSC/kg"
"""As the card writes it: the export keeps a Markdown escape before each caret."""
PLACEBO = "Single intravenous infusion of 1 ml/kg placebo"

INCLUSION = [
    "Clinical diagnosis of ischemic stroke for more than 6 months.",
    "Imaging findings suggestive of ischemic stroke with functional deficits at initial "
    "diagnosis and enrollment.",
    "Severe neurological impairment associated with the diagnosis of ischemic stroke that "
    "resulted in the subject needing assistance to walk or not being able to perform general "
    "daily activities independently.",
    "No substantial improvement in neurologic or functional deficits for the 2 months prior to "
    "enrollment.",
    "NIHSS score between 6-20.",
    "Life expectancy longer than 12 months.",
    "Prior to treatment, the patient received standard medical care for secondary prevention of "
    "ischemic stroke, including but not limited to appropriate blood pressure and cholesterol "
    "control measures, use of antiplatelet agents or anticoagulants (except when prohibited).",
    "Understand and provide signed informed consent, or have a designated legal guardian or "
    "spouse make such decision voluntarily on behalf of the subject.",
    "Expected that the patient will receive standard medical care for secondary prevention of "
    "ischemic stroke and participate in all planned safe follow-up visits reasonably.",
    # the item's continuation line (the thresholds) belongs to it, joined with a space
    "Organ function as defined by the following criteria: AST ≤ 2.5×ULN ALT ≤ 2.5×ULN "
    "TSB ≤1.5×ULN PT ≤1.25×ULN and PTT ≤1.25×ULN in subjects who did not receive antithrombotic "
    "therapy Serum albumin ≥ 3.0g/dL ANC ≥ 1,500/μL Platelets ≥ 150,000/μL Hemoglobin ≥ 9.0g/dL "
    "Serum creatinine ≤ 1.5×ULN Serum amylase or lipase ≤ 1.0×ULN",
]
EXCLUSION = [
    "History of cancer.",
    "History of brain trauma and brain tumor.",
    "Positive for hepatitis B surface antigen, E antigen, E antibody, core antibody, hepatitis C, "
    "HIV or RPR.",
    "Myocardial infarction occurred within six months of study entry.",
    "Any other medical problems of clinical significance, abnormal mental or test results that "
    "the investigator or sponsor determined participating in the study pose a safety risk to the "
    "subject.",
    "Imaging findings suggestive of subarachnoid hemorrhage or intracerebral hemorrhage in the "
    "past 12 months.",
    "Participation in any study of experimental drug or device within 3 months.",
    "Participation in other study related to stem cell-therapy.",
    "History of drug or alcohol abuse within 1 year.",
    "Pregnant, lactating or planning to become pregnant during the trial.",
    "Allergic to cattle or pork products.",
]
RELATED_TRIALS = {
    "NCT07084012": "A Phase IIa Clinical Trial to Evaluate the Efficacy and Safety of "
    "Intravenous Infusion of hUC-MSCs in Patients With AIS",
    "NCT03176498": "Human Umbilical Cord Mesenchymal Stem Cell Therapy (19#iSCLife®-CI) for "
    "Cerebral Infarction Patients in Convalescent Period.",
    "NCT04280003": "Allogeneic Adipose Tissue-derived Mesenchymal Stem Cells in Ischemic Stroke",
    "NCT01518231": "Autologous Hematopoietic Stem Cell Transplantation in Ischemic Stroke",
    "NCT07202143": "Methylprednisolone for Stroke With Large Infarct Core and Post-stroke "
    "Lymphocytopenia",
}


def _on_trial(predicate: URIRef, value) -> tuple[str, dict, str]:
    return (ON_TRIAL, {"p": predicate, "v": value}, "v")


FACTS: dict[str, tuple[str, dict, str]] = {
    "nct-id": _on_trial(TK.nctId, Literal(NCT)),
    "title": _on_trial(
        TK.briefTitle,
        Literal(
            "Allogeneic Mesenchymal Stem Cells for the Survivors of Ischemic Stroke Trial (ASSIST)"
        ),
    ),
    "last-updated": _on_trial(TK.lastUpdatePostDate, Literal("2022-03-31", datatype=XSD.date)),
    "status": _on_trial(TK.overallStatus, code_iri(OverallStatus.UNKNOWN)),
    "phase-1": _on_trial(TK.phase, code_iri(Phase.PHASE1)),
    "phase-2": _on_trial(TK.phase, code_iri(Phase.PHASE2)),
    "enrollment": _on_trial(TK.enrollment, Literal(60)),
    "study-type": _on_trial(TK.studyType, code_iri(StudyType.INTERVENTIONAL)),
    "start": _on_trial(TK.startDate, Literal("2021-04-26", datatype=XSD.date)),
    "completion": _on_trial(TK.completionDate, Literal("2023-08-01", datatype=XSD.date)),
    "allocation": _on_trial(TK.allocation, code_iri(Allocation.RANDOMIZED)),
    "model": _on_trial(TK.interventionModel, code_iri(InterventionModel.PARALLEL)),
    "purpose": _on_trial(TK.primaryPurpose, code_iri(PrimaryPurpose.TREATMENT)),
    "masking": _on_trial(TK.masking, code_iri(Masking.TRIPLE)),
    "arm-experimental": (
        ARM,
        {
            "label": Literal("it-hMSC"),
            "type": code_iri(ArmType.EXPERIMENTAL),
            "description": Literal(EXPERIMENTAL_ARM),
        },
        "description",
    ),
    "arm-placebo": (
        ARM,
        {
            "label": Literal("Placebo"),
            "type": code_iri(ArmType.PLACEBO_COMPARATOR),
            "description": Literal(PLACEBO),
        },
        "type",
    ),
    "intervention-it-hMSC": (
        INTERVENTION,
        {
            "name": Literal("it-hMSC"),
            "description": Literal(
                "Single intravenous infusion of it-hMSC for ischemic stroke patients"
            ),
        },
        "description",
    ),
    "intervention-placebo": (
        INTERVENTION,
        {"name": Literal("Placebo"), "description": Literal(PLACEBO)},
        "description",
    ),
    **{
        f"inclusion-{n}": (
            CRITERION,
            {"kind": TK.InclusionCriterion, "n": Literal(n), "text": Literal(text)},
            "text",
        )
        for n, text in enumerate(INCLUSION, 1)
    },
    **{
        f"exclusion-{n}": (
            CRITERION,
            {"kind": TK.ExclusionCriterion, "n": Literal(n), "text": Literal(text)},
            "text",
        )
        for n, text in enumerate(EXCLUSION, 1)
    },
    "minimum-age": _on_trial(TK.minimumAge, Literal("P18Y", datatype=XSD.duration)),
    "minimum-age-years": _on_trial(TK.minimumAgeYears, Literal("18.0", datatype=XSD.decimal)),
    "sex": _on_trial(TK.sex, code_iri(Sex.ALL)),
    "healthy-volunteers": _on_trial(TK.healthyVolunteers, Literal(False)),
    "no-results-yet": _on_trial(TK.hasResults, Literal(False)),
    "lead-sponsor": (
        SPONSOR,
        {
            "role": TK.leadSponsor,
            "name": Literal("Beijing Tiantan Hospital"),
            "class": code_iri(AgencyClass.OTHER),
        },
        "name",
    ),
    "collaborator": (
        SPONSOR,
        {
            "role": TK.collaborator,
            "name": Literal("Jiuzhitang Maker (Beijing) Cell Technology Co.,Ltd."),
            "class": code_iri(AgencyClass.OTHER),
        },
        "class",
    ),
    "site": (
        SITE,
        {
            "facility": Literal("Beijing Tiantan Hospital, Capital Medical University"),
            "city": Literal("Beijing"),
            "country": Literal("China"),
        },
        "country",
    ),
    "org-study-id": _on_trial(TK.orgStudyId, Literal("STCMSC-CT-001")),
    **{
        f"related-{other}": (
            RELATED,
            {"other": IRIS.trial(other), "title": Literal(title)},
            "title",
        )
        for other, title in RELATED_TRIALS.items()
    },
}


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory, seed_card: Path):
    """The seed card ingested through the pipeline into an embedded store."""
    store = open_store(str(tmp_path_factory.mktemp("seed-store") / "oxi"))
    summary = Pipeline(iris=IRIS).ingest([seed_card], store)
    assert (summary.read, summary.loaded) == (1, 1), summary.as_dict()
    yield store
    store.close()


def _ask(store, query: str, bindings: dict) -> bool:
    bound = {"g": IRIS.graph(NCT), "trial": TRIAL, **bindings}
    result = store.query(PREFIXES + query, bound)
    assert result.kind == "boolean"
    return bool(result.boolean)


@pytest.mark.parametrize("fact", list(FACTS))
def test_the_store_holds_the_fact(seed_store, fact: str):
    query, bindings, altered = FACTS[fact]
    assert _ask(seed_store, query, bindings), f"the store lacks {fact}: {bindings}"
    assert not _ask(seed_store, query, {**bindings, altered: ELSEWHERE}), (
        f"{fact}: the ASK also holds for a value the card does not state; bindings are ignored"
    )


def test_the_experimental_arm_gives_the_three_dose_levels(seed_store):
    q = (
        "SELECT ?g ?trial ?label ?description WHERE { GRAPH ?g { ?trial tk:hasArm ?arm . "
        "?arm tk:armLabel ?label ; tk:armDescription ?description } }"
    )
    bindings = {"g": IRIS.graph(NCT), "trial": TRIAL, "label": Literal("it-hMSC")}
    [description] = [str(v) for v in seed_store.query(PREFIXES + q, bindings).values("description")]
    # the card writes each power of ten with an escaped caret, "10\^6"; the store keeps it as is
    for dose in ("0.5×10\\^6", "1×10\\^6", "2×10\\^6"):
        assert dose in description


def test_the_criteria_are_exactly_the_cards_items(seed_store):
    q = (
        "SELECT ?g ?trial ?kind ?text WHERE { GRAPH ?g { ?trial tk:hasCriterion ?c . "
        "?c a ?kind ; tk:criterionText ?text } }"
    )
    for kind, items in ((TK.InclusionCriterion, INCLUSION), (TK.ExclusionCriterion, EXCLUSION)):
        bindings = {"g": IRIS.graph(NCT), "trial": TRIAL, "kind": kind}
        got = sorted(str(v) for v in seed_store.query(PREFIXES + q, bindings).values("text"))
        assert got == sorted(items)
    assert (len(INCLUSION), len(EXCLUSION)) == (10, 11)


def test_related_trials_are_exactly_the_cards_five(seed_store):
    q = "SELECT ?g ?trial ?other WHERE { GRAPH ?g { ?trial tk:statedRelatedTrial ?other } }"
    got = seed_store.query(PREFIXES + q, {"g": IRIS.graph(NCT), "trial": TRIAL}).values("other")
    assert set(got) == {IRIS.trial(x) for x in RELATED_TRIALS}
    assert len(got) == 5


# ---------------------------------------------------------------------- bad cards in a batch

NO_ID_CARD = "A card without its id\nBasic Information\nCOMPLETED\n"
UNKNOWN_HEADING_CARD = (
    "A card with a heading the reader does not know\n"
    "NCT ID: NCT00000102\n"
    "Basic Information\n"
    "Get a concise snapshot of the trial.\n"
    "COMPLETED\n"
    "INTERVENTIONAL\n"
    "Conditions\n"
    "See the medical conditions that this research is targeting.\n"
    "Asthma\n"
    "Study Officials\n"
    "Meet the investigators who lead this study and oversee its conduct.\n"
    "Judith Prochaska, PhD\n"
    "Stanford University\n"
    "Sponsors\n"
    "Meet the organizations funding or collaborating on the study and learn about their roles.\n"
    "Woebot Health\n"
    "INDUSTRY\n"
)


@pytest.fixture(scope="module")
def batch(tmp_path_factory, seed_card: Path):
    """A folder of three cards (the seed, one without an NCT id, one with an unknown heading)
    ingested in one run into an embedded store, with the JSON-lines report."""
    folder = tmp_path_factory.mktemp("cards")
    (folder / "a_good.txt").write_text(seed_card.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "b_no_id.txt").write_text(NO_ID_CARD, encoding="utf-8")
    (folder / "c_unknown_heading.txt").write_text(UNKNOWN_HEADING_CARD, encoding="utf-8")
    store = open_store(str(tmp_path_factory.mktemp("batch-store") / "oxi"))
    out = io.StringIO()
    summary = Pipeline(iris=IRIS, report=ReportWriter(out)).ingest([folder], store)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    for line in lines:
        print(line)
    yield folder, store, summary, lines
    store.close()


def test_a_card_without_an_nct_id_is_reported_and_the_good_card_loads(batch):
    folder, store, summary, lines = batch
    assert summary.read == 3
    assert summary.accounted() == summary.read
    assert summary.unreadable == 1
    [unreadable] = [x for x in lines if x["outcome"] == "unreadable"]
    assert unreadable["file"] == str(folder / "b_no_id.txt")
    assert unreadable["field"] == "NCT ID"
    assert "no 'NCT ID:' line" in unreadable["reason"]
    assert IRIS.graph(NCT) in set(store.graph_names())
    assert _ask(store, ON_TRIAL, {"p": TK.nctId, "v": Literal(NCT)})


def test_an_unknown_headings_lines_go_nowhere(batch):
    _, store, _, _ = batch
    other = IRIS.trial("NCT00000102")
    q = "SELECT ?trial ?p ?v WHERE { ?trial ?p ?v }"
    sponsors = store.query(q, {"trial": other, "p": TK.leadSponsor}).values("v")
    assert sponsors == [IRIS.organization("Woebot Health")]
    # the officials' names under "Study Officials" did not become sponsors or sites
    for p in (TK.collaborator, TK.hasLocation, TK.hasOfficial):
        assert store.query(q, {"trial": other, "p": p}).values("v") == []


def test_an_unknown_heading_is_reported(batch):
    _, _, _, lines = batch
    about = [x for x in lines if "Study Officials" in json.dumps(x, ensure_ascii=False)]
    assert about, "no report line names the unknown heading 'Study Officials'"
    assert all(x["outcome"] == "noted" and x["nct_id"] == "NCT00000102" for x in about)
