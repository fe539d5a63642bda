"""Named queries: headers and typed binding, and every query's answer on the real v2 corpus.

Expected answers are computed here straight from the JSON records (not through kg.readers or
the mapper); shared nodes are identified by the IRIs :class:`kg.vocab.Iris` mints from their
names, the one rule the graph and this test both follow.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from itertools import combinations

import pytest
from rdflib import Literal, URIRef
from rdflib.plugins.sparql import prepareQuery

from kg.errors import QueryError
from kg.model import OverallStatus, Phase, Sex
from kg.queries import PARAM_TYPES, RESERVED, ParameterError, load_queries, parse_query
from kg.vocab import XSD, Iris, code_iri, mesh_iri

IRIS = Iris()
QUERIES = load_queries()
REQUIRED = {
    "trials-of-sponsor",
    "sponsors-of-condition",
    "co-sponsor-network",
    "related-trials",
    "conditions-of-sponsor",
    "trials-by-phase-status-country",
    "trials-for-patient",
}


# --------------------------------------------------------------------------- headers and binding


def test_the_issue_s_queries_are_shipped():
    assert set(QUERIES) >= REQUIRED


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_header_is_complete_and_parameters_are_projected(name):
    query = QUERIES[name]
    assert query.title and query.description, f"{name}.rq needs a title and a description"
    prepared = prepareQuery(query.sparql)
    projected = {str(v) for v in prepared.algebra.PV}
    for p in query.params:
        assert p.name in projected, f"?{p.name} must be in the SELECT projection of {name}.rq"
        assert p.description
        assert p.name not in RESERVED
    if any(p.required for p in query.params):
        assert query.example, f"{name}.rq has required parameters and no example"
    query.bind(query.example)  # the example binds


@pytest.mark.parametrize("folder", ["examples", "internal"])
def test_other_query_folders_parse(folder):
    for query in load_queries(folder).values():
        prepareQuery(query.sparql)
        assert query.title


@pytest.mark.parametrize(
    ("type_name", "raw", "term"),
    [
        (
            "string",
            'Bayer" } ; DROP ALL ; {',
            Literal('Bayer" } ; DROP ALL ; {', datatype=XSD.string),
        ),
        ("integer", "42", Literal(42, datatype=XSD.integer)),
        ("decimal", "0.5", Literal(Decimal("0.5"), datatype=XSD.decimal)),
        ("boolean", "true", Literal(True)),
        ("date", "2021-04-26", Literal("2021-04-26", datatype=XSD.date)),
        ("nct", "nct04590118", IRIS.trial("NCT04590118")),
        ("nct", str(IRIS.trial("NCT04590118")), IRIS.trial("NCT04590118")),
        ("mesh", "D009369", mesh_iri("D009369")),
        ("mesh", "D000009369", URIRef("http://id.nlm.nih.gov/mesh/D009369")),
        ("mesh", "http://id.nlm.nih.gov/mesh/D001249", mesh_iri("D001249")),
        ("org", "Bayer", IRIS.organization("Bayer")),
        ("org", str(IRIS.organization("Bayer")), IRIS.organization("Bayer")),
        ("condition", "Asthma", IRIS.condition("Asthma")),
        ("phase", "phase2", code_iri(Phase.PHASE2)),
        ("overall-status", "RECRUITING", code_iri(OverallStatus.RECRUITING)),
        ("sex", "FEMALE", code_iri(Sex.FEMALE)),
        ("iri", "https://example.org/x", URIRef("https://example.org/x")),
    ],
)
def test_parameter_types_make_typed_terms(type_name, raw, term):
    assert PARAM_TYPES[type_name].parse(raw, IRIS) == term


@pytest.mark.parametrize(
    ("type_name", "raw"),
    [
        ("integer", "4.2"),
        ("decimal", "forty"),
        ("decimal", "NaN"),
        ("boolean", "maybe"),
        ("date", "2021-02-30"),
        ("nct", "NCT123"),
        ("mesh", "Q000453"),
        ("org", "https://w3id.org/trialkg/trial/NCT04590118"),
        ("phase", "PHASE9"),
        ("sex", "X"),
        ("iri", "not an iri"),
        ("iri", "http://example.org/a b"),
    ],
)
def test_ill_typed_values_are_refused(type_name, raw):
    with pytest.raises(ValueError):
        PARAM_TYPES[type_name].parse(raw, IRIS)


def test_bind_names_the_missing_unknown_or_ill_typed_parameter():
    query = QUERIES["trials-for-patient"]
    with pytest.raises(ParameterError) as missing:
        query.bind({"sex": "MALE", "condition": "D001249"})
    assert missing.value.param == "age" and "missing" in str(missing.value)
    with pytest.raises(ParameterError) as ill:
        query.bind({"age": "old", "sex": "MALE", "condition": "D001249"})
    assert ill.value.param == "age" and "'old'" in str(ill.value)
    with pytest.raises(ParameterError) as unknown:
        query.bind({"age": "40", "sex": "MALE", "condition": "D001249", "gender": "x"})
    assert unknown.value.param == "gender"


def test_bind_uses_the_configured_base():
    other = Iris("https://example.org/kg/")
    bound = QUERIES["related-trials"].bind({"trial": "NCT00000410"}, other)
    assert bound["trial"] == URIRef("https://example.org/kg/trial/NCT00000410")


def test_optional_parameters_stay_unbound():
    assert QUERIES["trials-by-phase-status-country"].bind({"country": "China"}) == {
        "country": Literal("China", datatype=XSD.string)
    }


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("SELECT * { ?s ?p ?o }", "title"),
        ("# title: t\n# @param x integer 1 an x\nSELECT ?y { ?y ?p ?o }", "does not occur"),
        ("# title: t\n# @param x number 1 an x\nSELECT ?x { ?x ?p ?o }", "unknown type"),
        ("# title: t\n# @param x integer one an x\nSELECT ?x { ?x ?p ?o }", "default"),
        ("# title: t\n# @param limit integer 1 rows\nSELECT ?limit { ?limit ?p ?o }", "reserved"),
        ("# title: t\n# @param x\nSELECT ?x { ?x ?p ?o }", "@param <name>"),
        ("# title: t\n# @param x integer required x\nSELECT ?x {}\n# example: x=a", "example"),
    ],
)
def test_malformed_headers_are_reported_with_the_file(text, complaint):
    with pytest.raises(QueryError) as error:
        parse_query("demo", text)
    assert "demo.rq" in str(error.value) and complaint in str(error.value)


def test_header_continuations_and_quoted_defaults():
    query = parse_query(
        "demo",
        "# title: T\n# description: first line\n#   second line\n"
        '# @param who string "Jane Doe" the person,\n#   by name\n'
        "SELECT ?who { ?who ?p ?o }\n",
    )
    assert query.description == "first line second line"
    assert query.params[0].default == "Jane Doe"
    assert query.params[0].description == "the person, by name"


# --------------------------------------------------------------------------- the corpus, from JSON


def _get(d: dict, path: str, default=None):
    for key in path.split("."):
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def orgs(study: dict) -> list[tuple[URIRef, str]]:
    """(organisation IRI, role) for the lead sponsor and each collaborator."""
    module = _get(study, "protocolSection.sponsorCollaboratorsModule", {})
    found = []
    if _get(module, "leadSponsor.name", "").strip():
        found.append((IRIS.organization(module["leadSponsor"]["name"].strip()), "lead sponsor"))
    for c in module.get("collaborators", []):
        if c.get("name", "").strip():
            found.append((IRIS.organization(c["name"].strip()), "collaborator"))
    return found


def org_set(study: dict) -> set[URIRef]:
    return {iri for iri, _ in orgs(study)}


def condition_mesh(study: dict, ancestors: bool = False) -> set[URIRef]:
    module = _get(study, "derivedSection.conditionBrowseModule", {})
    keys = ("meshes", "ancestors") if ancestors else ("meshes",)
    return {mesh_iri(m["id"]) for k in keys for m in module.get(k, [])}


def conditions(study: dict) -> set[URIRef]:
    names = _get(study, "protocolSection.conditionsModule.conditions", [])
    return {IRIS.condition(n.strip()) for n in names if n.strip()}


def interventions(study: dict) -> set[URIRef]:
    items = _get(study, "protocolSection.armsInterventionsModule.interventions", [])
    return {IRIS.intervention(i["name"].strip()) for i in items if i.get("name", "").strip()}


def run(store, name: str, **args: str) -> list[dict]:
    return list(QUERIES[name].run(store, args, IRIS).dicts())


SPONSORS = [
    "Bayer",
    "National Cancer Institute (NCI)",
    "Pfizer",
    "Assistance Publique - Hôpitaux de Paris",
    "Merck Sharp & Dohme LLC",
    "Johns Hopkins University",
]


@pytest.mark.parametrize("sponsor", SPONSORS)
def test_trials_of_sponsor(mapped_corpus, v2_records, sponsor):
    org = IRIS.organization(sponsor)
    expected = {(nct, role) for nct, s in v2_records.items() for iri, role in orgs(s) if iri == org}
    rows = run(mapped_corpus, "trials-of-sponsor", sponsor=sponsor)
    assert expected, f"{sponsor} sponsors nothing in the corpus"
    assert {(str(r["nctId"]), str(r["role"])) for r in rows} == expected
    for r in rows:
        study = v2_records[str(r["nctId"])]
        assert str(r["title"]) == _get(study, "protocolSection.identificationModule.briefTitle")
        assert str(r["status"]) == _get(study, "protocolSection.statusModule.overallStatus")


def test_trials_of_many_sponsors(mapped_corpus, v2_records):
    """Every tenth organisation of the corpus, by IRI: the trial sets match the records."""
    expected: dict[URIRef, set[str]] = defaultdict(set)
    for nct, study in v2_records.items():
        for iri in org_set(study):
            expected[iri].add(nct)
    assert len(expected) > 1000
    for org in sorted(expected)[::10]:
        trials = expected[org]
        rows = run(mapped_corpus, "trials-of-sponsor", sponsor=str(org))
        assert {str(r["nctId"]) for r in rows} == trials, org


@pytest.mark.parametrize("sponsor", SPONSORS[:4])
def test_conditions_of_sponsor(mapped_corpus, v2_records, sponsor):
    org = IRIS.organization(sponsor)
    expected: Counter = Counter()
    for study in v2_records.values():
        if org in org_set(study):
            expected.update((c, "registry") for c in conditions(study))
            expected.update((m, "MeSH") for m in condition_mesh(study))
    rows = run(mapped_corpus, "conditions-of-sponsor", sponsor=sponsor)
    actual = {(r["condition"], str(r["source"])): int(r["trials"]) for r in rows}
    assert actual == dict(expected)
    assert all("name" in r for r in rows)


# Neoplasms and Hypersensitivity are written both zero-padded and not in the corpus; D000091642
# (Urogenital Diseases) is a real nine-digit UI; D001249 (Asthma) has no subtree in the records.
MESH_TOPS = ["D009369", "D006967", "D000091642", "D001249", "D000007172"]


@pytest.mark.parametrize("mesh", MESH_TOPS)
def test_sponsors_of_condition_subtree(mapped_corpus, v2_records, mesh):
    top = mesh_iri(mesh)
    expected: Counter = Counter()
    for study in v2_records.values():
        if top in condition_mesh(study, ancestors=True):
            expected.update(org_set(study))
    rows = run(mapped_corpus, "sponsors-of-condition", mesh=mesh)
    assert expected
    assert {r["sponsor"]: int(r["trials"]) for r in rows} == dict(expected)


def test_subtree_counts_trials_indexed_below_the_descriptor(mapped_corpus, v2_records):
    """Neoplasms reaches trials NLM indexed only with narrower descriptors (via ancestors)."""
    top = mesh_iri("D009369")
    narrower_only = [
        n
        for n, s in v2_records.items()
        if top in condition_mesh(s, ancestors=True) and top not in condition_mesh(s)
    ]
    assert narrower_only
    rows = run(mapped_corpus, "sponsors-of-condition", mesh="D009369")
    found = {r["sponsor"] for r in rows}
    assert org_set(v2_records[narrower_only[0]]) <= found


def test_co_sponsor_network(mapped_corpus, v2_records):
    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for nct, study in v2_records.items():
        for a, b in combinations(sorted(str(o) for o in org_set(study)), 2):
            expected[(a, b)].add(nct)
    rows = run(mapped_corpus, "co-sponsor-network")
    actual = {(str(r["org1"]), str(r["org2"])): set(str(r["trials"]).split()) for r in rows}
    assert actual == dict(expected)
    assert all(int(r["sharedTrials"]) == len(set(str(r["trials"]).split())) for r in rows)


@pytest.mark.parametrize("organisation", SPONSORS[:3])
def test_co_sponsors_of(mapped_corpus, v2_records, organisation):
    org = IRIS.organization(organisation)
    expected: dict[URIRef, set[str]] = defaultdict(set)
    for nct, study in v2_records.items():
        if org in org_set(study):
            for partner in org_set(study) - {org}:
                expected[partner].add(nct)
    rows = run(mapped_corpus, "co-sponsors-of", organisation=organisation)
    assert {r["partner"]: set(str(r["trials"]).split()) for r in rows} == dict(expected)


RELATED = ["NCT00000410", "NCT00377793", "NCT00002708", "NCT04706988"]


@pytest.mark.parametrize("nct", RELATED)
def test_related_trials(mapped_corpus, v2_records, nct):
    def things(study):
        return conditions(study) | condition_mesh(study) | interventions(study) | org_set(study)

    mine = things(v2_records[nct])
    expected = {
        other: len(mine & things(s))
        for other, s in v2_records.items()
        if other != nct and mine & things(s)
    }
    rows = run(mapped_corpus, "related-trials", trial=nct)
    assert expected
    assert {str(r["nctId"]): int(r["score"]) for r in rows} == expected
    scores = [int(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)


FILTERS = [
    {"phase": "PHASE2", "status": "RECRUITING", "country": "China"},
    {"phase": "PHASE3", "status": "COMPLETED", "country": "United States"},
    {"country": "Germany"},
    {"phase": "PHASE1"},
    {"status": "NOT_YET_RECRUITING", "country": "France"},
]


@pytest.mark.parametrize("args", FILTERS, ids=lambda a: "&".join(f"{k}={v}" for k, v in a.items()))
def test_trials_by_phase_status_country(mapped_corpus, v2_records, args):
    expected = set()
    for nct, study in v2_records.items():
        p = study["protocolSection"]
        phases = _get(p, "designModule.phases", [])
        countries = {loc.get("country") for loc in _get(p, "contactsLocationsModule.locations", [])}
        countries.discard(None)
        if not phases or not countries:
            continue
        if "phase" in args and args["phase"] not in phases:
            continue
        if "status" in args and args["status"] != p["statusModule"]["overallStatus"]:
            continue
        if "country" in args and args["country"] not in countries:
            continue
        expected.add(nct)
    rows = run(mapped_corpus, "trials-by-phase-status-country", **args)
    assert expected
    assert {str(r["nctId"]) for r in rows} == expected
    if "country" in args:
        assert {str(r["country"]) for r in rows} == {args["country"]}


_YEARS = {"year": 1, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25, "hour": 1 / 8766}


def _years(text: str | None) -> float | None:
    if not text:
        return None
    number, unit = text.split()
    return float(number) * _YEARS[unit.lower().rstrip("s")]


PATIENTS = [
    {"age": "45", "sex": "FEMALE", "condition": "D001249"},
    {"age": "9", "sex": "MALE", "condition": "D007154"},
    {"age": "67", "sex": "MALE", "condition": "D009369"},
    {"age": "30", "sex": "FEMALE", "condition": "D000091642"},
    {"age": "0.4", "sex": "FEMALE", "condition": "D007154"},
]


@pytest.mark.parametrize("patient", PATIENTS, ids=lambda a: "-".join(a.values()))
def test_trials_for_patient(mapped_corpus, v2_records, patient):
    age, top = float(patient["age"]), mesh_iri(patient["condition"])
    expected = set()
    for nct, study in v2_records.items():
        p = study["protocolSection"]
        if p["statusModule"]["overallStatus"] not in ("RECRUITING", "NOT_YET_RECRUITING"):
            continue
        if top not in condition_mesh(study, ancestors=True):
            continue
        low = _years(_get(p, "eligibilityModule.minimumAge"))
        high = _years(_get(p, "eligibilityModule.maximumAge"))
        sex = _get(p, "eligibilityModule.sex")
        if (low is not None and low > age) or (high is not None and high < age):
            continue
        if sex not in (None, "ALL", patient["sex"]):
            continue
        expected.add(nct)
    rows = run(mapped_corpus, "trials-for-patient", **patient)
    assert expected
    assert {str(r["nctId"]) for r in rows} == expected


def test_a_string_value_cannot_change_the_query(mapped_corpus):
    """A value that would break out of a spliced literal is just a country nobody has."""
    rows = run(mapped_corpus, "trials-by-phase-status-country", country='China" } UNION { ?x ?y ?z')
    assert rows == []


def test_subtree_follows_skos_broader_of_a_loaded_mesh_vocabulary():
    """A trial indexed only with Asthma is under Respiratory Tract Diseases once MeSH says so."""
    from kg.mapper import map_trial
    from kg.model import BrowseModule, Eligibility, MeshTerm, Organization, Trial
    from kg.stores import open_store
    from kg.vocab import SKOS

    trial = Trial(
        "NCT00000001",
        brief_title="An asthma trial",
        overall_status=OverallStatus.RECRUITING,
        lead_sponsor=Organization("Example Sponsor"),
        condition_browse=BrowseModule(meshes=[MeshTerm("D001249", "Asthma")]),
        eligibility=Eligibility(sex=Sex.ALL),
    )
    mapped = map_trial(trial, IRIS)
    mesh = IRIS.vocabulary_graph("mesh")
    hierarchy = [
        (mesh_iri("D001249"), SKOS.broader, mesh_iri("D012130")),  # Respiratory Hypersensitivity
        (mesh_iri("D012130"), SKOS.broader, mesh_iri("D012140")),  # Respiratory Tract Diseases
    ]
    store = open_store("memory:")
    store.replace_graphs({mapped.graph: mapped.triples, mesh: hierarchy})
    for top in ("D001249", "D012130", "D012140"):
        sponsors = run(store, "sponsors-of-condition", mesh=top)
        assert [(r["sponsor"], int(r["trials"])) for r in sponsors] == [
            (IRIS.organization("Example Sponsor"), 1)
        ], top
        patients = run(store, "trials-for-patient", age="30", sex="MALE", condition=top)
        assert [str(r["nctId"]) for r in patients] == ["NCT00000001"], top
    assert run(store, "sponsors-of-condition", mesh="D009369") == []
