"""The ontology, its alignments and the JSON-LD context agree with the vocabulary, the model,
the real registry records and the mapper; owlready2 + HermiT prove the ontology consistent."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import V2_FILES, XML_FILES
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg.mapper import map_trial
from kg.model import (
    CODE_ENUMS,
    AgencyClass,
    Allocation,
    ArmType,
    BioSpecRetention,
    Code,
    DateType,
    EnrollmentType,
    InterventionModel,
    InterventionType,
    IpdInfoType,
    IpdSharing,
    ObservationalModel,
    OfficialRole,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    RecruitmentStatus,
    ResponsiblePartyType,
    SamplingMethod,
    Sex,
    StudyType,
    TimePerspective,
    Trial,
)
from kg.ontology import crosswalk, jsonld_context, legacy_codes, load_ontology
from kg.readers import read_paths
from kg.resources import read_text
from kg.vocab import DCTERMS, OWL, RDF, RDFS, SKOS, TK, XSD, Iris, code_iri

TK_NS = str(TK._NS)
TERMS = list(TK.__annotations__)
DECLARATIONS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def onto() -> Graph:
    return load_ontology()


def declared_type(graph: Graph, term: URIRef) -> URIRef | None:
    found = [t for t in DECLARATIONS if (term, RDF.type, t) in graph]
    assert len(found) <= 1, f"{term} is declared as {found}"
    return found[0] if found else None


def literal_types(graph: Graph, prop: URIRef) -> set[URIRef]:
    """The datatypes the rdfs:comment of an rdfs:Literal-ranged property names (xsd:gYear...):
    OWL 2 has no xsd:date or xsd:duration, so the comment is where the real range is written."""
    comment = str(graph.value(prop, RDFS.comment) or "")
    return {XSD[name] for name in re.findall(r"xsd:(\w+)", comment)}


def superclasses(graph: Graph, cls: URIRef) -> set[URIRef]:
    """``cls`` and everything it is a subclass of (transitively, named classes only)."""
    return {c for c in graph.transitive_objects(cls, RDFS.subClassOf) if isinstance(c, URIRef)}


# --------------------------------------------------------------------------- the files


def test_ontology_header(onto: Graph) -> None:
    header = URIRef("https://w3id.org/trialkg/ontology")
    assert (header, RDF.type, OWL.Ontology) in onto
    for prop in (
        OWL.versionIRI,
        OWL.versionInfo,
        DCTERMS.title,
        DCTERMS.description,
        DCTERMS.license,
        DCTERMS.creator,
    ):
        assert onto.value(header, prop) is not None, f"ontology header lacks {prop}"


@pytest.mark.parametrize("name", TERMS)
def test_vocab_term_is_declared_labelled_and_defined(onto: Graph, name: str) -> None:
    term = TK[name]
    assert declared_type(onto, term) is not None, f"tk:{name} is not declared in ontology/*.ttl"
    assert onto.value(term, RDFS.label) is not None, f"tk:{name} has no rdfs:label"
    assert onto.value(term, SKOS.definition) is not None, f"tk:{name} has no skos:definition"


def test_ontology_declares_nothing_the_vocab_lacks(onto: Graph) -> None:
    """TK is a closed namespace: a term only the ontology has could never be emitted."""
    known = {TK[name] for name in TERMS}
    individuals = set(onto.subjects(RDF.type, OWL.NamedIndividual))
    extra = (
        {
            s
            for s in onto.subjects(RDF.type, None)
            if isinstance(s, URIRef) and str(s).startswith(TK_NS)
        }
        - known
        - individuals
    )
    assert not extra, f"declared in the ontology but missing from kg.vocab.TK: {sorted(extra)}"


def test_ranges_are_declared_classes_or_datatypes(onto: Graph) -> None:
    for prop in onto.subjects(RDF.type, OWL.ObjectProperty):
        for rng in onto.objects(prop, RDFS.range):
            assert (rng, RDF.type, OWL.Class) in onto, f"{prop}: range {rng} is not a class"
    for prop in onto.subjects(RDF.type, OWL.DatatypeProperty):
        for rng in onto.objects(prop, RDFS.range):
            assert str(rng).startswith(str(XSD)) or rng == RDFS.Literal, f"{prop}: range {rng}"
    for prop in list(onto.subjects(RDF.type, OWL.ObjectProperty)) + list(
        onto.subjects(RDF.type, OWL.DatatypeProperty)
    ):
        for dom in onto.objects(prop, RDFS.domain):
            assert (dom, RDF.type, OWL.Class) in onto, f"{prop}: domain {dom} is not a class"


@pytest.mark.parametrize("enum", CODE_ENUMS, ids=lambda e: e.__name__)
def test_code_enumeration_individuals(onto: Graph, enum: type[Code]) -> None:
    cls = TK[enum.__name__]
    assert (cls, RDFS.subClassOf, TK.Code) in onto
    assert (TK.Code, RDFS.subClassOf, SKOS.Concept) in onto
    for member in enum:
        iri = code_iri(member)
        assert (iri, RDF.type, cls) in onto, f"{iri} is not typed {cls}"
        assert list(onto.objects(iri, SKOS.notation)) == [Literal(member.value)], iri
        assert onto.value(iri, RDFS.label) is not None, f"{iri} has no rdfs:label"
        assert onto.value(iri, SKOS.definition) is not None, f"{iri} has no skos:definition"
    members = set(onto.subjects(RDF.type, cls))
    assert members == {code_iri(m) for m in enum}, "the ontology's members differ from kg.model"


def test_every_code_is_distinct(onto: Graph) -> None:
    """One owl:AllDifferent lists every registry code, so OWL never merges two of them."""
    [node] = onto.subjects(RDF.type, OWL.AllDifferent)
    listed = set(onto.items(onto.value(node, OWL.distinctMembers)))
    assert listed == {code_iri(m) for enum in CODE_ENUMS for m in enum}


# --------------------------------------------------------------------------- the crosswalk


def _json_paths(value: object, path: str, into: set[str]) -> None:
    if path:
        into.add(path)
    if isinstance(value, dict):
        for key, item in value.items():
            _json_paths(item, f"{path}.{key}" if path else key, into)
    elif isinstance(value, list):
        for item in value:
            _json_paths(item, path + "[]", into)


def _xml_paths(element: ET.Element, path: str, into: set[str]) -> None:
    path = f"{path}/{element.tag}" if path else element.tag
    into.add(path)
    into.update(f"{path}/@{name}" for name in element.attrib)
    for child in element:
        _xml_paths(child, path, into)


@pytest.fixture(scope="module")
def v2_paths(v2_dir: Path) -> set[str]:
    """Every field path in the real API v2 records, lists marked with []."""
    paths: set[str] = set()
    for path in sorted(v2_dir.glob("*.json")):
        _json_paths(json.loads(path.read_text(encoding="utf-8")), "", paths)
    return paths


@pytest.fixture(scope="module")
def xml_paths(xml_dir: Path) -> set[str]:
    paths: set[str] = set()
    for path in sorted(xml_dir.glob("*.xml")):
        _xml_paths(ET.parse(path).getroot(), "", paths)
    return paths


def test_api_fields_name_real_v2_fields(v2_paths: set[str]) -> None:
    mappings = crosswalk()
    assert sum(len(m.api_fields) for m in mappings) > 150
    unknown = [(str(m.term), f) for m in mappings for f in m.api_fields if f not in v2_paths]
    assert not unknown, f"tk:apiField paths found in no API v2 record: {unknown}"


def test_xml_fields_name_real_legacy_elements(xml_paths: set[str]) -> None:
    mappings = crosswalk()
    assert sum(len(m.xml_fields) for m in mappings) > 100
    unknown = [(str(m.term), f) for m in mappings for f in m.xml_fields if f not in xml_paths]
    assert not unknown, f"tk:xmlField paths found in no legacy XML record: {unknown}"


def test_every_field_carrying_property_has_an_api_field() -> None:
    """Every property of trialkg.ttl names its API v2 field, except those no registry field
    carries: provenance and the trial card's stated relations."""
    own = Graph().parse(data=read_text("ontology", "trialkg.ttl"), format="turtle")
    without = {
        str(p)[len(TK_NS) :]
        for kind in (OWL.ObjectProperty, OWL.DatatypeProperty)
        for p in own.subjects(RDF.type, kind)
        if own.value(p, TK.apiField) is None
    }
    assert without == {
        "ordinal",
        "mapperVersion",
        "sourceFormat",
        "statedRelatedTrial",
        "relatedTrial",
        "relatedTrialTitle",
    }


# legacy XML element -> the enumeration its text names; values a reader must split or that
# mean "not given" are the reader's business and listed as skipped
LEGACY_FIELDS: list[tuple[str, type[Code]]] = [
    ("overall_status", OverallStatus),
    ("last_known_status", OverallStatus),
    ("location/status", RecruitmentStatus),
    ("study_type", StudyType),
    ("phase", Phase),
    ("study_design_info/allocation", Allocation),
    ("study_design_info/intervention_model", InterventionModel),
    ("study_design_info/primary_purpose", PrimaryPurpose),
    ("study_design_info/observational_model", ObservationalModel),
    ("study_design_info/time_perspective", TimePerspective),
    ("arm_group/arm_group_type", ArmType),
    ("intervention/intervention_type", InterventionType),
    ("eligibility/gender", Sex),
    ("eligibility/sampling_method", SamplingMethod),
    ("overall_official/role", OfficialRole),
    ("location/investigator/role", OfficialRole),
    ("sponsors/lead_sponsor/agency_class", AgencyClass),
    ("sponsors/collaborator/agency_class", AgencyClass),
    ("responsible_party/responsible_party_type", ResponsiblePartyType),
    ("biospec_retention", BioSpecRetention),
    ("patient_data/sharing_ipd", IpdSharing),
    ("patient_data/ipd_info_type", IpdInfoType),
    ("enrollment/@type", EnrollmentType),
    ("start_date/@type", DateType),
    ("primary_completion_date/@type", DateType),
    ("completion_date/@type", DateType),
    ("study_first_posted/@type", DateType),
    ("last_update_posted/@type", DateType),
    ("results_first_posted/@type", DateType),
]
SPLIT_BY_READER = {"Phase 1/Phase 2", "Phase 2/Phase 3", "N/A"}


@pytest.fixture(scope="module")
def legacy_values(xml_dir: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(xml_dir.glob("*.xml")):
        root = ET.parse(path).getroot()
        for field, _ in LEGACY_FIELDS:
            element, _, attribute = field.partition("/@")
            for node in root.findall(element):
                text = node.get(attribute) if attribute else node.text
                if text and text.strip():
                    found[field].add(text.strip())
    return found


@pytest.mark.parametrize(("field", "enum"), LEGACY_FIELDS, ids=[f for f, _ in LEGACY_FIELDS])
def test_legacy_xml_wording_is_an_alt_label(
    legacy_values: dict[str, set[str]], field: str, enum: type[Code]
) -> None:
    wording = legacy_codes(enum)
    values = legacy_values.get(field, set())
    if not values:
        pytest.skip(f"no legacy XML record holds {field}")
    allowed_unmapped = SPLIT_BY_READER if enum in (Phase, StudyType, Allocation) else set()
    unmapped = {
        v
        for v in values
        if v.casefold() not in wording and v not in allowed_unmapped and "," not in v
    }
    assert not unmapped, f"{field}: no {enum.__name__} member has skos:altLabel {unmapped}"


# --------------------------------------------------------------------------- what the mapper emits


@pytest.fixture(scope="module")
def mapped_records(v2_dir: Path, xml_dir: Path) -> list[list[tuple]]:
    """The mapper's triples for every real record, one list per trial."""
    iris = Iris()
    out = []
    for result in read_paths([v2_dir, xml_dir]):
        if isinstance(result, Trial):
            out.append(map_trial(result, iris).triples)
    assert len(out) >= len(V2_FILES) + len(XML_FILES) - 5
    return out


@pytest.mark.slow
def test_mapper_emits_only_declared_terms_with_their_kinds(
    onto: Graph, mapped_records: list[list[tuple]]
) -> None:
    """Every TK predicate and class the mapper emits over the corpus is declared, object
    properties point to IRIs, datatype properties hold literals of the declared range, and
    codes are individuals of the range's enumeration."""
    ranges = {p: onto.value(p, RDFS.range) for p in onto.subjects(RDFS.range, None)}
    typed = set(onto.subject_objects(RDF.type))
    classes = set(onto.subjects(RDF.type, OWL.Class))
    # per predicate: declared kind, range, whether the range is an enumeration, and the literal
    # types an rdfs:Literal range stands for; looked up once
    seen: dict[URIRef, tuple[URIRef | None, URIRef | None, bool, set[URIRef]] | None] = {}
    problems: set[str] = set()
    for triples in mapped_records:
        for s, p, o in triples:
            if p == RDF.type:
                if o not in classes and str(o).startswith(TK_NS):
                    problems.add(f"class {o} is not declared")
                continue
            if p not in seen:
                rng = ranges.get(p)
                is_code = rng is not None and (rng, RDFS.subClassOf, TK.Code) in onto
                about = (declared_type(onto, p), rng, is_code, literal_types(onto, p))
                seen[p] = about if p.startswith(TK_NS) else None
            about = seen[p]
            if about is None:
                continue
            kind, rng, is_code, literals = about
            if kind == OWL.ObjectProperty:
                if not isinstance(o, URIRef):
                    problems.add(f"{p} is an object property but holds {o!r}")
                elif is_code and (o, rng) not in typed:
                    problems.add(f"{p} holds {o}, not a {rng} individual")
            elif kind == OWL.DatatypeProperty:
                if not isinstance(o, Literal):
                    problems.add(f"{p} is a datatype property but holds {o!r}")
                elif rng == RDFS.Literal:
                    if o.datatype not in literals:
                        problems.add(f"{p} holds {o.datatype}, not a type its comment names")
                elif rng is not None and (o.datatype or XSD.string) != rng:
                    problems.add(f"{p} holds a {o.datatype} literal, range is {rng}")
            else:
                problems.add(f"predicate {p} is not declared as an object or datatype property")
    assert not problems, "\n".join(sorted(problems))


@pytest.mark.slow
def test_mapper_subjects_and_objects_fit_domains_and_ranges(
    onto: Graph, mapped_records: list[list[tuple]]
) -> None:
    """Where the mapper types a node in the same trial graph, it fits the property's domain
    (subject) and class range (object): the ontology's domains and ranges infer nothing false."""
    domains = {p: onto.value(p, RDFS.domain) for p in onto.subjects(RDFS.domain, None)}
    ranges = {
        p: r
        for p, r in ((p, onto.value(p, RDFS.range)) for p in onto.subjects(RDFS.range, None))
        if (r, RDF.type, OWL.Class) in onto and (r, RDFS.subClassOf, TK.Code) not in onto
    }
    closure: dict[URIRef, set[URIRef]] = {}
    problems: set[str] = set()
    for triples in mapped_records:
        types: dict[URIRef, set[URIRef]] = defaultdict(set)
        for s, p, o in triples:
            if p == RDF.type:
                types[s] |= closure.setdefault(o, superclasses(onto, o))
        for s, p, o in triples:
            dom = domains.get(p)
            if dom is not None and dom not in types[s]:
                problems.add(f"{p}: subject typed {sorted(types[s])}, domain is {dom}")
            rng = ranges.get(p)
            if rng is not None and types.get(o) and rng not in types[o]:
                problems.add(f"{p}: object typed {sorted(types[o])}, range is {rng}")
    assert not problems, "\n".join(sorted(problems))


# --------------------------------------------------------------------------- the JSON-LD context

PREFIXES = {
    "tk": TK_NS,
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "mesh": "http://id.nlm.nih.gov/mesh/",
}


def test_context_prefixes() -> None:
    context = jsonld_context()
    assert context["@version"] == 1.1
    for prefix, iri in PREFIXES.items():
        assert context[prefix] == iri, prefix


@pytest.mark.parametrize("name", TERMS)
def test_context_term_agrees_with_the_ontology(onto: Graph, name: str) -> None:
    context = jsonld_context()
    assert name in context, f"ontology/context.jsonld has no term {name!r}"
    entry = context[name]
    entry = entry if isinstance(entry, dict) else {"@id": entry}
    assert entry["@id"] == f"tk:{name}"
    kind = declared_type(onto, TK[name])
    rng = onto.value(TK[name], RDFS.range)
    if kind == OWL.ObjectProperty:
        expected = "@id"
    elif kind == OWL.DatatypeProperty and rng not in (None, RDFS.Literal, XSD.string):
        expected = "xsd:" + str(rng)[len(str(XSD)) :]
    else:  # classes, annotations, strings; dates and durations mix datatypes
        expected = None
    assert entry.get("@type") == expected, f"{name}: @type {entry.get('@type')} != {expected}"


ROUND_TRIP = [p for p in V2_FILES if p.stem in {"NCT00000410", "NCT00001245", "NCT00002708"}]


# rdflib 7.6's own JSON-LD parser still builds a ConjunctiveGraph, which rdflib deprecates
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.stem)
def test_context_round_trips_a_mapped_trial(path: Path) -> None:
    [trial] = list(read_paths([path]))
    assert isinstance(trial, Trial), str(trial)
    graph = Graph()
    for triple in map_trial(trial, Iris()).triples:
        graph.add(triple)
    assert not any(isinstance(t, BNode) for triple in graph for t in triple)
    text = graph.serialize(format="json-ld", context=jsonld_context())
    document = json.loads(text)
    nodes = document["@graph"]
    trial_node = next(n for n in nodes if n.get("nctId") == trial.nct_id)
    # short names and coercions are used, not full IRIs with typed values
    assert "overallStatus" in trial_node and "briefTitle" in trial_node
    assert isinstance(trial_node["enrollment"], int | str)
    assert str(trial_node["overallStatus"]).startswith("tk:OverallStatus-")
    back = Graph().parse(data=text, format="json-ld")
    assert isomorphic(back, graph)


# --------------------------------------------------------------------------- OWL reasoning


def test_hermit_finds_the_ontology_consistent(onto: Graph, tmp_path: Path) -> None:
    """owlready2 loads the merged ontology and HermiT classifies it: consistent, and no class
    is unsatisfiable. owlready2 reads N-Triples, not Turtle, hence the conversion."""
    owlready2 = pytest.importorskip("owlready2")
    if shutil.which("java") is None:
        pytest.skip("HermiT needs a Java runtime on PATH")
    path = tmp_path / "trialkg.nt"
    onto.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    ontology = world.get_ontology(path.as_uri()).load()
    assert ontology.search_one(iri=str(TK.Trial)) is not None
    # raises OwlReadyInconsistentOntologyError when inconsistent
    owlready2.sync_reasoner_hermit(world, debug=0)
    assert list(world.inconsistent_classes()) == []
    interventional = world[str(TK.InterventionalTrial)]
    assert world[str(TK.Trial)] in interventional.ancestors()


# --------------------------------------------------------------------------- alignments


def test_alignments_only_align_declared_terms(onto: Graph) -> None:
    """A typo in alignments.ttl (tk:Phase-PHASE5) would silently align nothing."""
    aligned = Graph().parse(data=read_text("ontology", "alignments.ttl"), format="turtle")
    own = {s for s in onto.subjects(RDF.type, None) if str(s).startswith(TK_NS)}
    used = {
        term
        for triple in aligned
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(TK_NS)
    }
    assert used, "alignments.ttl aligns no TrialKG term"
    assert used <= own, f"aligned but not declared: {sorted(used - own)}"


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("Trial", "https://schema.org/MedicalStudy"),
        ("InterventionalTrial", "https://schema.org/MedicalTrial"),
        ("InterventionalTrial", "http://purl.obolibrary.org/obo/OBI_0003699"),
        ("ObservationalTrial", "https://schema.org/MedicalObservationalStudy"),
        ("ObservationalTrial", "http://purl.obolibrary.org/obo/OBI_0003698"),
        ("Organization", "https://schema.org/Organization"),
        ("Condition", "https://schema.org/MedicalCondition"),
        ("Location", "https://schema.org/Place"),
    ],
)
def test_schema_org_and_obi_superclasses(onto: Graph, ours: str, theirs: str) -> None:
    assert URIRef(theirs) in superclasses(onto, TK[ours])
