"""Namespaces and IRI minting: the only place TrialKG makes IRIs.

The ontology's own terms live in the closed namespace :class:`TK`, so a typo in the mapper is an
``AttributeError`` instead of a silently new property. Instance IRIs hang below one configurable
base (default ``https://w3id.org/trialkg/``); shared things (organisations, conditions without a
MeSH id, interventions) get IRIs from a normalised key so two trials meet at one node.

>>> iris = Iris()
>>> iris.trial("NCT04590118")
rdflib.term.URIRef('https://w3id.org/trialkg/trial/NCT04590118')
>>> iris.organization("Beijing Tiantan Hospital")
rdflib.term.URIRef('https://w3id.org/trialkg/org/beijing-tiantan-hospital')
>>> str(code_iri(Phase.PHASE2))
'https://w3id.org/trialkg/ontology#Phase-PHASE2'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

from kg.model import Code, OutcomeKind, Phase  # noqa: F401  (Phase used in the doctest)

DEFAULT_BASE = "https://w3id.org/trialkg/"
ONTOLOGY_IRI = "https://w3id.org/trialkg/ontology"

SCHEMA = Namespace("https://schema.org/")
MESH = Namespace("http://id.nlm.nih.gov/mesh/")
CTGOV = Namespace("https://clinicaltrials.gov/study/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
FHIR = Namespace("http://hl7.org/fhir/")
SH = Namespace("http://www.w3.org/ns/shacl#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
WGS84 = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
PUBMED = Namespace("https://pubmed.ncbi.nlm.nih.gov/")
SSSOM = Namespace("https://w3id.org/sssom/")


class TK(DefinedNamespace):
    """The TrialKG ontology (``ontology/trialkg.ttl``); every term the mapper may emit."""

    _NS = Namespace(ONTOLOGY_IRI + "#")
    _fail = True

    # classes
    Trial: URIRef
    InterventionalTrial: URIRef
    ObservationalTrial: URIRef
    ExpandedAccessStudy: URIRef
    Organization: URIRef
    Condition: URIRef
    Keyword: URIRef
    Intervention: URIRef
    Arm: URIRef
    Outcome: URIRef
    EligibilityCriterion: URIRef
    InclusionCriterion: URIRef
    ExclusionCriterion: URIRef
    Location: URIRef
    Contact: URIRef
    Official: URIRef
    Reference: URIRef
    SecondaryIdentifier: URIRef
    MeshIndexing: URIRef  # a browse leaf: descriptor + relevance for one trial
    BrowseBranch: URIRef
    RelatedTrialStatement: URIRef
    Code: URIRef  # superclass of every enumeration class below
    OverallStatus: URIRef
    StudyType: URIRef
    Phase: URIRef
    DateType: URIRef
    Allocation: URIRef
    InterventionModel: URIRef
    Masking: URIRef
    WhoMasked: URIRef
    PrimaryPurpose: URIRef
    ObservationalModel: URIRef
    TimePerspective: URIRef
    EnrollmentType: URIRef
    BioSpecRetention: URIRef
    AgencyClass: URIRef
    ResponsiblePartyType: URIRef
    ArmType: URIRef
    InterventionType: URIRef
    OutcomeKind: URIRef
    Sex: URIRef
    StandardAge: URIRef
    SamplingMethod: URIRef
    RecruitmentStatus: URIRef
    OfficialRole: URIRef
    ContactRole: URIRef
    ReferenceType: URIRef
    IpdSharing: URIRef
    IpdInfoType: URIRef
    SecondaryIdType: URIRef
    Relevance: URIRef

    # identification
    nctId: URIRef
    briefTitle: URIRef
    officialTitle: URIRef
    acronym: URIRef
    orgStudyId: URIRef
    orgStudyIdType: URIRef
    secondaryIdentifier: URIRef
    identifierValue: URIRef
    identifierType: URIRef
    identifierDomain: URIRef
    nctIdAlias: URIRef
    submittingOrganization: URIRef
    # status
    overallStatus: URIRef
    lastKnownStatus: URIRef
    whyStopped: URIRef
    statusVerifiedDate: URIRef
    hasExpandedAccess: URIRef
    startDate: URIRef
    startDateType: URIRef
    primaryCompletionDate: URIRef
    primaryCompletionDateType: URIRef
    completionDate: URIRef
    completionDateType: URIRef
    studyFirstSubmitDate: URIRef
    studyFirstPostDate: URIRef
    studyFirstPostDateType: URIRef
    resultsFirstSubmitDate: URIRef
    resultsFirstPostDate: URIRef
    resultsFirstPostDateType: URIRef
    lastUpdateSubmitDate: URIRef
    lastUpdatePostDate: URIRef
    lastUpdatePostDateType: URIRef
    versionDate: URIRef
    hasResults: URIRef
    # sponsors
    leadSponsor: URIRef
    collaborator: URIRef
    agencyClass: URIRef
    organizationName: URIRef
    responsiblePartyType: URIRef
    responsibleInvestigatorName: URIRef
    responsibleInvestigatorTitle: URIRef
    responsibleInvestigatorAffiliation: URIRef
    # oversight
    hasDataMonitoringCommittee: URIRef
    isFdaRegulatedDrug: URIRef
    isFdaRegulatedDevice: URIRef
    isUnapprovedDevice: URIRef
    isUsExport: URIRef
    fdaaa801Violation: URIRef
    # description
    briefSummary: URIRef
    detailedDescription: URIRef
    # conditions
    conditionText: URIRef
    studiesCondition: URIRef
    keyword: URIRef
    conditionMesh: URIRef
    conditionMeshAncestor: URIRef
    interventionMesh: URIRef
    interventionMeshAncestor: URIRef
    meshIndexing: URIRef
    meshDescriptor: URIRef
    asFound: URIRef
    relevance: URIRef
    browseBranch: URIRef
    browseTarget: URIRef  # "condition" or "intervention" indexing
    # design
    studyType: URIRef
    phase: URIRef
    patientRegistry: URIRef
    targetDuration: URIRef
    allocation: URIRef
    interventionModel: URIRef
    interventionModelDescription: URIRef
    primaryPurpose: URIRef
    observationalModel: URIRef
    timePerspective: URIRef
    masking: URIRef
    maskingDescription: URIRef
    whoMasked: URIRef
    enrollment: URIRef
    enrollmentType: URIRef
    bioSpecRetention: URIRef
    bioSpecDescription: URIRef
    # arms and interventions
    hasArm: URIRef
    armLabel: URIRef
    armType: URIRef
    armDescription: URIRef
    armIntervention: URIRef
    hasIntervention: URIRef
    usesIntervention: URIRef  # trial-level intervention -> shared intervention entity
    interventionName: URIRef
    interventionType: URIRef
    interventionDescription: URIRef
    otherName: URIRef
    # outcomes
    hasOutcome: URIRef
    outcomeKind: URIRef
    measure: URIRef
    outcomeDescription: URIRef
    timeFrame: URIRef
    # eligibility
    eligibilityCriteriaText: URIRef
    hasCriterion: URIRef
    criterionText: URIRef
    sex: URIRef
    genderBased: URIRef
    genderDescription: URIRef
    minimumAge: URIRef
    maximumAge: URIRef
    minimumAgeYears: URIRef
    maximumAgeYears: URIRef
    standardAge: URIRef
    healthyVolunteers: URIRef
    studyPopulation: URIRef
    samplingMethod: URIRef
    # contacts and locations
    hasLocation: URIRef
    facility: URIRef
    city: URIRef
    state: URIRef
    postalCode: URIRef
    country: URIRef
    recruitmentStatus: URIRef
    latitude: URIRef
    longitude: URIRef
    hasContact: URIRef
    hasCentralContact: URIRef
    contactName: URIRef
    contactRole: URIRef
    phone: URIRef
    email: URIRef
    hasOfficial: URIRef
    officialName: URIRef
    officialRole: URIRef
    affiliation: URIRef
    # references and IPD
    hasReference: URIRef
    citation: URIRef
    pmid: URIRef
    referenceType: URIRef
    seeAlso: URIRef
    ipdSharing: URIRef
    ipdSharingDescription: URIRef
    ipdInfoType: URIRef
    ipdTimeFrame: URIRef
    ipdAccessCriteria: URIRef
    ipdUrl: URIRef
    # stated relations (trial card)
    statedRelatedTrial: URIRef
    relatedTrial: URIRef
    relatedTrialTitle: URIRef
    # computed relations (kg.related)
    TrialRelation: URIRef
    RelationReason: URIRef
    computedRelatedTrial: URIRef
    relates: URIRef
    relationScore: URIRef
    hasReason: URIRef
    reasonKind: URIRef
    reasonEntity: URIRef
    contribution: URIRef
    relationMethod: URIRef
    relationKey: URIRef
    # order and provenance
    ordinal: URIRef
    mapperVersion: URIRef
    sourceFormat: URIRef
    # ontology annotations
    apiField: URIRef
    xmlField: URIRef
    fhirElement: URIRef
    # links to external vocabularies (kg/linking; declared in ontology/linking.ttl)
    Link: URIRef
    City: URIRef
    hasLink: URIRef
    linkSubject: URIRef
    linkPredicate: URIRef
    linkTarget: URIRef
    linkMethod: URIRef
    linkScore: URIRef
    linkField: URIRef
    matchedText: URIRef
    vocabularyVersion: URIRef
    treeNumber: URIRef
    countryCode: URIRef
    inCity: URIRef
    organizationKey: URIRef


def slug(text: str) -> str:
    """A stable, readable key for a name: accents and case folded, punctuation to hyphens.

    >>> slug("Jiuzhitang Maker (Beijing) Cell Technology Co.,Ltd.")
    'jiuzhitang-maker-beijing-cell-technology-co-ltd'
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    key = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if key:
        return key
    # names written only in non-Latin script still need a stable key
    return "u-" + quote(text.strip().lower(), safe="")


def code_iri(code: Code) -> URIRef:
    """The ontology individual of a registry enumeration value, ``tk:Phase-PHASE2``."""
    return URIRef(f"{ONTOLOGY_IRI}#{type(code).__name__}-{code.value}")


def mesh_iri(mesh_id: str) -> URIRef:
    """A MeSH descriptor or supplementary concept IRI (``http://id.nlm.nih.gov/mesh/D006331``).

    CT.gov writes some old descriptors zero-padded to nine digits (``D000009369`` beside
    ``D009369`` for Neoplasms, in the same corpus); NLM's UI is the six-digit one, since nine-digit
    descriptor UIs start at D000066388 (the last six-digit one is D066331). Padded forms below
    that are folded to the six-digit UI so both meet at one node and join with MeSH itself.

    >>> str(mesh_iri("D000009369")), str(mesh_iri("D000091642"))
    ('http://id.nlm.nih.gov/mesh/D009369', 'http://id.nlm.nih.gov/mesh/D000091642')
    """
    if not re.fullmatch(r"[DC]\d{6,9}", mesh_id):
        raise ValueError(f"{mesh_id!r} is not a MeSH UI (D… or C… followed by digits)")
    if len(mesh_id) == 10 and mesh_id.startswith("D000") and int(mesh_id[1:]) < 66388:
        mesh_id = "D" + mesh_id[4:]
    return MESH[mesh_id]


def registry_page(nct_id: str) -> URIRef:
    """The trial's page on ClinicalTrials.gov."""
    return CTGOV[nct_id]


@lru_cache(maxsize=1 << 16)
def _segment(part: str | int) -> str:
    """One percent-encoded path segment; cached, as the mapper mints ~50 IRIs per record."""
    return quote(str(part), safe="")


class Iris:
    """Mints instance IRIs below one base; all instance IRIs come from here."""

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        if not base.endswith(("/", "#")):
            base += "/"
        self.base = base

    def _iri(self, *parts: str | int) -> URIRef:
        return URIRef(self.base + "/".join(map(_segment, parts)))

    def trial(self, nct_id: str) -> URIRef:
        return self._iri("trial", nct_id)

    def graph(self, nct_id: str) -> URIRef:
        """The named graph that holds one trial (and nothing else)."""
        return self._iri("graph", nct_id)

    def part(self, nct_id: str, *path: str | int) -> URIRef:
        """A part of a trial: ``part(id, "arm", 1)`` -> ``…/trial/NCT…/arm/1``."""
        return self._iri("trial", nct_id, *path)

    def outcome(self, nct_id: str, kind: OutcomeKind, ordinal: int) -> URIRef:
        return self.part(nct_id, "outcome", kind.value.lower(), ordinal)

    def organization(self, name: str) -> URIRef:
        """An organisation by its normalised key, so "Pfizer Inc." and "Pfizer" meet at one node."""
        from kg.linking.organizations import organization_key  # kg.linking imports this module

        return self._iri("org", organization_key(name))

    def condition(self, name: str) -> URIRef:
        return self._iri("condition", slug(name))

    def intervention(self, name: str) -> URIRef:
        return self._iri("intervention", slug(name))

    def keyword(self, name: str) -> URIRef:
        return self._iri("keyword", slug(name))

    def city(self, key: str) -> URIRef:
        """A city by ``kg.linking.places.city_key`` (``br/sao-paulo``): ``…/city/br/sao-paulo``."""
        return self._iri("city", *key.split("/"))

    def browse_branch(self, abbrev: str) -> URIRef:
        return self._iri("browse-branch", abbrev)

    def relation(self, a: str, b: str) -> URIRef:
        """A computed relation between two trials; the same node whichever way it is asked."""
        first, second = sorted((a, b))
        return self._iri("relation", f"{first}-{second}")

    def relation_reason(self, a: str, b: str, n: int) -> URIRef:
        """The n-th reason of a computed relation."""
        first, second = sorted((a, b))
        return self._iri("relation", f"{first}-{second}", "reason", str(n))

    def related_graph(self, nct_id: str) -> URIRef:
        """The named graph holding one trial's computed top-k relations."""
        return self._iri("related", nct_id)

    def vocabulary_graph(self, kind: str) -> URIRef:
        """The named graph a loaded external vocabulary lives in (``vocab/mesh``)."""
        return self._iri("vocab", kind)

    def is_minted(self, iri: str) -> bool:
        return iri.startswith(self.base)


__all__ = [
    "CTGOV",
    "DCTERMS",
    "FHIR",
    "GEO",
    "MESH",
    "OBO",
    "OWL",
    "PROV",
    "PUBMED",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SD",
    "SH",
    "SKOS",
    "SSSOM",
    "TK",
    "VOID",
    "WGS84",
    "XSD",
    "Iris",
    "code_iri",
    "mesh_iri",
    "registry_page",
    "slug",
]
