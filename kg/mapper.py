"""Map one normalised Trial to RDF triples: pure, deterministic, no blank nodes.

Every node is an IRI minted by :class:`kg.vocab.Iris` (trial parts below the trial, shared
organisations/conditions/keywords/interventions from their normalised names), every enumeration
value is the ontology individual :func:`kg.vocab.code_iri` names, and every predicate is a
:class:`kg.vocab.TK` term or a standard one (rdf, rdfs, skos, prov, dcterms). The same ``Trial``
and ``ingested_at`` always give the same triples in the same order, so re-ingest is idempotent
and goldens compare exactly.

Choices a reader of the graph should know:

- Dates keep the registry's precision: ``xsd:date``, ``xsd:gYearMonth`` ("2021-04") or
  ``xsd:gYear``; a day is never invented. ``…DateType`` says ACTUAL/ESTIMATED where given.
- Parts are numbered 1-based in record order and carry ``tk:ordinal``, so order survives.
- Browse leaves carry CT.gov's own leaf ids (``M9625``), not MeSH UIs; a leaf gets
  ``tk:meshDescriptor`` only when its name is one of the module's ``meshes``/``ancestors`` terms
  (the registry gives no other id), otherwise the linker resolves it by name.
- Arms link (``tk:armIntervention``) only to intervention parts of the same trial, found from the
  arm's "TYPE: Name" strings and from the interventions' arm labels; an unmatched name links
  nothing.
- A shared node (organisation, condition, keyword, MeSH term, browse branch, and the
  ``skos:Concept`` an intervention part ``tk:usesIntervention``) is typed and labelled once per
  trial, with the first spelling; a value a record repeats is stated once.
- A related-trial statement (trial card) is ``dcterms:isPartOf`` the trial that states it.
- The source file is kept as a literal of its file name (plus archive member), not its local
  directory: a published graph should not leak a home folder, and re-reading the same file from
  another folder must give the same triples.

>>> from kg.model import Trial, OverallStatus
>>> mapped = map_trial(Trial("NCT04590118", brief_title=" ASSIST ",
...                          overall_status=OverallStatus.RECRUITING), Iris())
>>> str(mapped.graph)
'https://w3id.org/trialkg/graph/NCT04590118'
>>> (Iris().trial("NCT04590118"), RDFS.label, Literal("ASSIST")) in mapped.triples
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import PurePath
from types import SimpleNamespace
from urllib.parse import quote

from rdflib import Literal, URIRef

from kg.errors import RecordError
from kg.model import (
    NCT_ID,
    Age,
    BrowseModule,
    Code,
    Contact,
    DateInfo,
    Organization,
    PartialDate,
    StudyType,
    Trial,
)
from kg.vocab import (
    DCTERMS,
    PROV,
    PUBMED,
    RDF,
    RDFS,
    SKOS,
    TK,
    XSD,
    Iris,
    code_iri,
    mesh_iri,
    registry_page,
)

MAPPER_VERSION = "1.1.0"
"""Bumped whenever the triples for the same input change (goldens are regenerated with it)."""

Triple = tuple[URIRef, URIRef, URIRef | Literal]


@dataclass(frozen=True)
class MappedTrial:
    """One trial's triples and the named graph they belong in."""

    nct_id: str
    graph: URIRef
    triples: list[Triple]


# DefinedNamespace lookups cost ~2 µs each and a record needs ~1,000: resolve the terms once
_TK = SimpleNamespace(**{name: getattr(TK, name) for name in TK.__annotations__})
_A = RDF.type
_LABEL = RDFS.label
_SEE_ALSO = RDFS.seeAlso
_NOTATION = SKOS.notation
_CONCEPT = SKOS.Concept
_DECIMAL = XSD.decimal

_STUDY_TYPE_CLASS = {
    StudyType.INTERVENTIONAL: _TK.InterventionalTrial,
    StudyType.OBSERVATIONAL: _TK.ObservationalTrial,
    StudyType.EXPANDED_ACCESS: _TK.ExpandedAccessStudy,
}
_DATE_DATATYPE = {"day": XSD.date, "month": XSD.gYearMonth, "year": XSD.gYear}
_TRUE = Literal(True)
_FALSE = Literal(False)
_CONDITION = Literal("condition")
_INTERVENTION = Literal("intervention")
_MAPPER_VERSION = Literal(MAPPER_VERSION)
# characters an IRI may not hold unescaped (RFC 3987); everything else in a URL is kept as is
_IRI_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in '<>"{}|\\^`')


def _code(code: Code) -> URIRef:
    """``code_iri`` cached by enumeration *and* value: members are ``str``, so
    ``DateType.ESTIMATED == EnrollmentType.ESTIMATED`` and a cache keyed on the member alone
    would hand out the wrong individual."""
    return _code_iri(type(code), code.value)


@cache
def _code_iri(enum: type[Code], value: str) -> URIRef:
    return code_iri(enum(value))


@lru_cache(maxsize=4096)
def _date(date: PartialDate) -> Literal:
    return Literal(str(date), datatype=_DATE_DATATYPE[date.precision])


@lru_cache(maxsize=1024)
def _integer(value: int) -> Literal:
    return Literal(value)


@lru_cache(maxsize=1024)
def _duration(age: Age) -> Literal:
    return Literal(age.iso_duration, datatype=XSD.duration)


@lru_cache(maxsize=1024)
def _years(age: Age) -> Literal:
    """Age in years as ``xsd:decimal``, 4 places (a day is 0.0027 years), trailing zeros dropped.

    >>> [str(_years(Age.parse(a))) for a in ("18 Years", "6 Months", "1 Day")]
    ['18.0', '0.5', '0.0027']
    """
    return _decimal(round(age.years, 4))


def _str(text: str) -> Literal:
    """A plain (xsd:string) literal, built the way ``Literal(text)`` ends up (~6x cheaper).

    A record needs ~180 string literals and ``Literal.__new__`` spends most of its time trying
    datatypes a plain ``str`` never has. ``test_fast_literals_are_rdflib_literals`` proves the
    result equals ``Literal(text)`` in every attribute, so an rdflib upgrade that changes the
    layout fails a test instead of the graph.
    """
    lit = str.__new__(Literal, text)
    lit._language = None
    lit._datatype = None
    lit._value = text
    lit._ill_typed = None
    return lit


def _typed(lexical: str, datatype: URIRef, value: object) -> Literal:
    """A well-formed typed literal whose Python value is already known (see :func:`_str`)."""
    lit = str.__new__(Literal, lexical)
    lit._language = None
    lit._datatype = datatype
    lit._value = value
    lit._ill_typed = False
    return lit


def _decimal(value: float) -> Literal:
    """A float as a canonical ``xsd:decimal``: fixed-point (never ``1e-05``), ``18.0`` not ``18``.

    Canonical, because stores compare literals by lexical form and Turtle writes ``18.0``.
    """
    text = repr(value)
    if "e" in text or "E" in text:
        text = f"{Decimal(text):f}"
    if "." not in text:
        text += ".0"
    text = text.rstrip("0")
    if text.endswith("."):
        text += "0"
    return _typed(text, _DECIMAL, Decimal(text))


@lru_cache(maxsize=1 << 16)
def _mesh(mesh_id: str) -> URIRef:
    return mesh_iri(mesh_id)


@lru_cache(maxsize=1 << 16)
def _shared(iris: Iris, kind: str, name: str) -> URIRef:
    """Shared-node IRIs (organisation, condition, keyword…), cached: slugging is slow."""
    return getattr(iris, kind)(name)


def _web_iri(url: str | None) -> URIRef | None:
    """An absolute URL as an IRI, escaping the few characters IRIs forbid; None if not absolute."""
    if not url:
        return None
    url = url.strip()
    scheme, sep, rest = url.partition(":")
    if not sep or not rest or not scheme.isascii() or not scheme[:1].isalpha():
        return None
    return URIRef(quote(url, safe=_IRI_SAFE))


def _source_label(trial: Trial) -> str | None:
    source = trial.source
    if source is None:
        return None
    path = source.path if "://" in source.path else PurePath(source.path).name
    return f"{path}:{source.entry}" if source.entry else path


class _Mapping:
    """The triples of one trial, built by one method per registry module."""

    def __init__(self, trial: Trial, iris: Iris) -> None:
        self.trial = trial
        self.iris = iris
        self.nct = trial.nct_id
        self.subject = iris.trial(self.nct)
        self.out: list[Triple] = []
        self.add = self.out.append
        # triples that a record may repeat (a condition listed twice, the lead sponsor also the
        # submitting organisation) go through once(); parts have unique IRIs and need no check
        self.seen: set[Triple] = set()
        self.described: set[URIRef] = set()

    # ------------------------------------------------------------------ small emitters

    def fail(self, field: str, reason: str) -> RecordError:
        source = str(self.trial.source) if self.trial.source else "<no source>"
        return RecordError(source, reason, record=self.nct, field=field)

    def once(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        triple = (s, p, o)
        if triple not in self.seen:
            self.seen.add(triple)
            self.add(triple)

    def first_time(self, node: URIRef) -> bool:
        """Whether a shared node (organisation, condition, MeSH term…) is not yet described."""
        if node in self.described:
            return False
        self.described.add(node)
        return True

    def text(self, s: URIRef, p: URIRef, value: str | None) -> None:
        if value:
            value = value.strip()
            if value:
                self.add((s, p, _str(value)))

    def texts(self, s: URIRef, p: URIRef, values: Iterable[str]) -> None:
        """A multi-valued text field; a value given twice is stated once."""
        for value in values:
            value = value.strip() if value else ""
            if value:
                self.once(s, p, _str(value))

    def codes(self, s: URIRef, p: URIRef, values: Iterable[Code]) -> None:
        for value in values:
            self.once(s, p, _code(value))

    def code(self, s: URIRef, p: URIRef, value: Code | None) -> None:
        if value is not None:
            self.add((s, p, _code(value)))

    def flag(self, s: URIRef, p: URIRef, value: bool | None) -> None:
        if value is not None:
            self.add((s, p, _TRUE if value else _FALSE))

    def date(self, s: URIRef, p: URIRef, value: PartialDate | None) -> None:
        if value is not None:
            self.add((s, p, _date(value)))

    def date_info(self, s: URIRef, p: URIRef, ptype: URIRef | None, value: DateInfo | None) -> None:
        if value is not None:
            self.add((s, p, _date(value.date)))
            if ptype is not None:
                self.code(s, ptype, value.type)

    def part(self, p: URIRef, cls: URIRef, *path: str | int, ordinal: int) -> URIRef:
        """A numbered part below the trial, linked from it, typed and ordered."""
        node = self.iris.part(self.nct, *path)
        self.add((self.subject, p, node))
        self.add((node, _A, cls))
        self.add((node, _TK.ordinal, _integer(ordinal)))
        return node

    def labelled(self, node: URIRef, cls: URIRef, label: str) -> URIRef:
        self.add((node, _A, cls))
        self.text(node, _LABEL, label)
        return node

    def organization(self, org: Organization) -> URIRef | None:
        name = org.name.strip() if org.name else ""
        if not name:
            return None
        node = _shared(self.iris, "organization", name)
        if self.first_time(node):
            self.labelled(node, _TK.Organization, name)
            self.add((node, _TK.organizationName, _str(name)))
        # a trial may give one organisation two classes (as sponsor and as submitter)
        if org.agency_class is not None:
            self.once(node, _TK.agencyClass, _code(org.agency_class))
        return node

    def shared(self, kind: str, cls: URIRef, name: str) -> URIRef:
        """A shared node named by ``name`` (typed and labelled once per trial)."""
        node = _shared(self.iris, kind, name)
        if self.first_time(node):
            self.labelled(node, cls, name)
        return node

    def mesh(self, mesh_id: str, term: str | None, field: str) -> URIRef:
        try:
            node = _mesh(mesh_id.strip())
        except ValueError as err:
            raise self.fail(field, str(err)) from None
        if self.first_time(node):
            self.text(node, _LABEL, term)
        return node

    # ------------------------------------------------------------------ modules

    def identification(self) -> None:
        t, s = self.trial, self.subject
        if not NCT_ID.match(self.nct):
            raise self.fail("identificationModule.nctId", f"{self.nct!r} is not an NCT id")
        self.add((s, _A, _TK.Trial))
        study_type = t.design.study_type
        if study_type is not None:
            self.add((s, _A, _STUDY_TYPE_CLASS[study_type]))
        self.add((s, _TK.nctId, _str(self.nct)))
        self.add((s, _SEE_ALSO, registry_page(self.nct)))
        self.text(s, _LABEL, t.brief_title)
        self.text(s, _TK.briefTitle, t.brief_title)
        self.text(s, _TK.officialTitle, t.official_title)
        self.text(s, _TK.acronym, t.acronym)
        if t.org_study_id is not None:
            self.text(s, _TK.orgStudyId, t.org_study_id.id)
            self.text(s, _TK.orgStudyIdType, t.org_study_id.type)
        for n, sid in enumerate(t.secondary_ids, 1):
            node = self.part(
                _TK.secondaryIdentifier, _TK.SecondaryIdentifier, "secondary-id", n, ordinal=n
            )
            self.text(node, _TK.identifierValue, sid.id)
            self.code(node, _TK.identifierType, sid.type)
            self.text(node, _TK.identifierDomain, sid.domain)
            link = _web_iri(sid.link)
            if link is not None:
                self.add((node, _SEE_ALSO, link))
        self.texts(s, _TK.nctIdAlias, t.nct_id_aliases)
        if t.organization is not None:
            org = self.organization(t.organization)
            if org is not None:
                self.once(s, _TK.submittingOrganization, org)

    def status(self) -> None:
        t, s = self.trial, self.subject
        self.code(s, _TK.overallStatus, t.overall_status)
        self.code(s, _TK.lastKnownStatus, t.last_known_status)
        self.text(s, _TK.whyStopped, t.why_stopped)
        self.date(s, _TK.statusVerifiedDate, t.status_verified_date)
        self.flag(s, _TK.hasExpandedAccess, t.has_expanded_access)
        self.date_info(s, _TK.startDate, _TK.startDateType, t.start)
        self.date_info(
            s, _TK.primaryCompletionDate, _TK.primaryCompletionDateType, t.primary_completion
        )
        self.date_info(s, _TK.completionDate, _TK.completionDateType, t.completion)
        self.date(s, _TK.studyFirstSubmitDate, t.study_first_submit)
        self.date_info(s, _TK.studyFirstPostDate, _TK.studyFirstPostDateType, t.study_first_post)
        self.date(s, _TK.resultsFirstSubmitDate, t.results_first_submit)
        self.date_info(
            s, _TK.resultsFirstPostDate, _TK.resultsFirstPostDateType, t.results_first_post
        )
        self.date(s, _TK.lastUpdateSubmitDate, t.last_update_submit)
        self.date_info(s, _TK.lastUpdatePostDate, _TK.lastUpdatePostDateType, t.last_update_post)
        self.date(s, _TK.versionDate, t.version_holder)
        self.flag(s, _TK.hasResults, t.has_results)

    def sponsors(self) -> None:
        t, s = self.trial, self.subject
        if t.lead_sponsor is not None:
            org = self.organization(t.lead_sponsor)
            if org is not None:
                self.once(s, _TK.leadSponsor, org)
        for collaborator in t.collaborators:
            org = self.organization(collaborator)
            if org is not None:
                self.once(s, _TK.collaborator, org)
        rp = t.responsible_party
        if rp is not None:
            self.code(s, _TK.responsiblePartyType, rp.type)
            # records from before 2017 hold the investigator in the old free-text fields only
            self.text(s, _TK.responsibleInvestigatorName, rp.investigator_name or rp.old_name_title)
            self.text(s, _TK.responsibleInvestigatorTitle, rp.investigator_title)
            self.text(
                s,
                _TK.responsibleInvestigatorAffiliation,
                rp.investigator_affiliation or rp.old_organization,
            )
        o = t.oversight
        if o is not None:
            self.flag(s, _TK.hasDataMonitoringCommittee, o.has_dmc)
            self.flag(s, _TK.isFdaRegulatedDrug, o.is_fda_regulated_drug)
            self.flag(s, _TK.isFdaRegulatedDevice, o.is_fda_regulated_device)
            self.flag(s, _TK.isUnapprovedDevice, o.is_unapproved_device)
            self.flag(s, _TK.isUsExport, o.is_us_export)
            self.flag(s, _TK.fdaaa801Violation, o.fdaaa801_violation)
        self.text(s, _TK.briefSummary, t.brief_summary)
        self.text(s, _TK.detailedDescription, t.detailed_description)

    def conditions(self) -> None:
        t, s = self.trial, self.subject
        for name in t.conditions:
            name = name.strip()
            if name:
                self.once(s, _TK.conditionText, _str(name))
                self.once(s, _TK.studiesCondition, self.shared("condition", _TK.Condition, name))
        for name in t.keywords:
            name = name.strip()
            if name:
                self.once(s, _TK.keyword, self.shared("keyword", _TK.Keyword, name))
        self.browse(
            t.condition_browse,
            "condition",
            _TK.conditionMesh,
            _TK.conditionMeshAncestor,
            "derivedSection.conditionBrowseModule",
        )
        self.browse(
            t.intervention_browse,
            "intervention",
            _TK.interventionMesh,
            _TK.interventionMeshAncestor,
            "derivedSection.interventionBrowseModule",
        )

    def browse(
        self, module: BrowseModule, target: str, p_mesh: URIRef, p_ancestor: URIRef, field: str
    ) -> None:
        s = self.subject
        by_term: dict[str, URIRef] = {}
        for terms, p, key in (
            (module.meshes, p_mesh, "meshes"),
            (module.ancestors, p_ancestor, "ancestors"),
        ):
            for i, term in enumerate(terms):
                node = self.mesh(term.id, term.term, f"{field}.{key}[{i}].id")
                self.once(s, p, node)
                by_term.setdefault(term.term.strip().casefold(), node)
        target_literal = _CONDITION if target == "condition" else _INTERVENTION
        for leaf in module.leaves:
            leaf_id = leaf.id.strip()
            if not leaf_id:
                continue
            node = self.iris.part(self.nct, "mesh-indexing", target, leaf_id)
            if not self.first_time(node):
                continue  # the same leaf listed twice
            self.add((s, _TK.meshIndexing, node))
            self.labelled(node, _TK.MeshIndexing, leaf.name)
            self.add((node, _NOTATION, _str(leaf_id)))
            self.add((node, _TK.browseTarget, target_literal))
            descriptor = by_term.get(leaf.name.strip().casefold())
            if descriptor is not None:
                self.add((node, _TK.meshDescriptor, descriptor))
            self.text(node, _TK.asFound, leaf.as_found)
            self.code(node, _TK.relevance, leaf.relevance)
        for branch in module.branches:
            abbrev = branch.abbrev.strip()
            if abbrev:
                node = _shared(self.iris, "browse_branch", abbrev)
                self.once(s, _TK.browseBranch, node)
                if self.first_time(node):
                    self.labelled(node, _TK.BrowseBranch, branch.name)
                    self.add((node, _NOTATION, _str(abbrev)))

    def design(self) -> None:
        d, s = self.trial.design, self.subject
        self.code(s, _TK.studyType, d.study_type)
        self.codes(s, _TK.phase, d.phases)
        self.flag(s, _TK.patientRegistry, d.patient_registry)
        self.text(s, _TK.targetDuration, d.target_duration)
        self.code(s, _TK.allocation, d.allocation)
        self.code(s, _TK.interventionModel, d.intervention_model)
        self.text(s, _TK.interventionModelDescription, d.intervention_model_description)
        self.code(s, _TK.primaryPurpose, d.primary_purpose)
        self.code(s, _TK.observationalModel, d.observational_model)
        self.code(s, _TK.timePerspective, d.time_perspective)
        self.code(s, _TK.masking, d.masking)
        self.text(s, _TK.maskingDescription, d.masking_description)
        self.codes(s, _TK.whoMasked, d.who_masked)
        if d.enrollment_count is not None:
            self.add((s, _TK.enrollment, _integer(d.enrollment_count)))
        self.code(s, _TK.enrollmentType, d.enrollment_type)
        self.code(s, _TK.bioSpecRetention, d.bio_spec_retention)
        self.text(s, _TK.bioSpecDescription, d.bio_spec_description)

    def arms_and_interventions(self) -> None:
        t = self.trial
        by_name: dict[str, URIRef] = {}
        intervention_nodes: list[URIRef] = []
        for n, iv in enumerate(t.interventions, 1):
            node = self.part(_TK.hasIntervention, _TK.Intervention, "intervention", n, ordinal=n)
            intervention_nodes.append(node)
            name = iv.name.strip()
            self.text(node, _LABEL, name)
            self.text(node, _TK.interventionName, name)
            self.code(node, _TK.interventionType, iv.type)
            self.text(node, _TK.interventionDescription, iv.description)
            self.texts(node, _TK.otherName, iv.other_names)
            if name:
                self.add((node, _TK.usesIntervention, self.shared("intervention", _CONCEPT, name)))
            # qualified names win over bare names: "Drug: Placebo" vs "Device: Placebo"
            by_name.setdefault(iv.qualified_name, node)
            by_name.setdefault("q:" + iv.qualified_name.casefold(), node)
        for iv, node in zip(t.interventions, intervention_nodes, strict=True):
            by_name.setdefault("n:" + iv.name.strip().casefold(), node)
        arm_nodes: dict[str, URIRef] = {}
        for n, arm in enumerate(t.arms, 1):
            node = self.part(_TK.hasArm, _TK.Arm, "arm", n, ordinal=n)
            label = arm.label.strip()
            arm_nodes.setdefault(label, node)
            arm_nodes.setdefault("c:" + label.casefold(), node)
            self.text(node, _LABEL, label)
            self.text(node, _TK.armLabel, label)
            self.code(node, _TK.armType, arm.type)
            self.text(node, _TK.armDescription, arm.description)
            for ref in arm.intervention_names:
                target = _match_intervention(by_name, ref.strip())
                if target is not None:
                    self.once(node, _TK.armIntervention, target)
        # the legacy XML names arms from the intervention side only
        for iv, iv_node in zip(t.interventions, intervention_nodes, strict=True):
            for label in iv.arm_group_labels:
                label = label.strip()
                arm = arm_nodes.get(label) or arm_nodes.get("c:" + label.casefold())
                if arm is not None:
                    self.once(arm, _TK.armIntervention, iv_node)

    def outcomes(self) -> None:
        counts: dict[Code, int] = {}
        for outcome in self.trial.outcomes:
            n = counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
            node = self.iris.outcome(self.nct, outcome.kind, n)
            self.add((self.subject, _TK.hasOutcome, node))
            self.add((node, _A, _TK.Outcome))
            self.add((node, _TK.ordinal, _integer(n)))
            self.code(node, _TK.outcomeKind, outcome.kind)
            self.text(node, _LABEL, outcome.measure)
            self.text(node, _TK.measure, outcome.measure)
            self.text(node, _TK.outcomeDescription, outcome.description)
            self.text(node, _TK.timeFrame, outcome.time_frame)

    def eligibility(self) -> None:
        e, s = self.trial.eligibility, self.subject
        self.text(s, _TK.eligibilityCriteriaText, e.criteria_text)
        for kind, cls, items in (
            ("inclusion", _TK.InclusionCriterion, e.inclusion),
            ("exclusion", _TK.ExclusionCriterion, e.exclusion),
        ):
            n = 0
            for item in items:
                item = item.strip()
                if item:
                    n += 1
                    node = self.part(_TK.hasCriterion, cls, "criterion", kind, n, ordinal=n)
                    self.add((node, _TK.criterionText, _str(item)))
        self.code(s, _TK.sex, e.sex)
        self.flag(s, _TK.genderBased, e.gender_based)
        self.text(s, _TK.genderDescription, e.gender_description)
        if e.minimum_age is not None:
            self.add((s, _TK.minimumAge, _duration(e.minimum_age)))
            self.add((s, _TK.minimumAgeYears, _years(e.minimum_age)))
        if e.maximum_age is not None:
            self.add((s, _TK.maximumAge, _duration(e.maximum_age)))
            self.add((s, _TK.maximumAgeYears, _years(e.maximum_age)))
        self.codes(s, _TK.standardAge, e.std_ages)
        self.flag(s, _TK.healthyVolunteers, e.healthy_volunteers)
        self.text(s, _TK.studyPopulation, e.study_population)
        self.code(s, _TK.samplingMethod, e.sampling_method)

    def contact(self, node: URIRef, c: Contact) -> None:
        self.text(node, _LABEL, c.name)
        self.text(node, _TK.contactName, c.name)
        self.code(node, _TK.contactRole, c.role)
        phone = (c.phone or "").strip()
        ext = (c.phone_ext or "").strip()
        self.text(node, _TK.phone, f"{phone} ext. {ext}" if phone and ext else phone)
        self.text(node, _TK.email, c.email)

    def contacts_and_locations(self) -> None:
        t = self.trial
        for n, c in enumerate(t.central_contacts, 1):
            node = self.part(_TK.hasCentralContact, _TK.Contact, "central-contact", n, ordinal=n)
            self.contact(node, c)
        for n, official in enumerate(t.officials, 1):
            node = self.part(_TK.hasOfficial, _TK.Official, "official", n, ordinal=n)
            self.text(node, _LABEL, official.name)
            self.text(node, _TK.officialName, official.name)
            self.code(node, _TK.officialRole, official.role)
            self.text(node, _TK.affiliation, official.affiliation)
        for n, loc in enumerate(t.locations, 1):
            node = self.part(_TK.hasLocation, _TK.Location, "location", n, ordinal=n)
            self.text(node, _LABEL, (loc.facility or "").strip() or loc.city)
            self.text(node, _TK.facility, loc.facility)
            self.text(node, _TK.city, loc.city)
            self.text(node, _TK.state, loc.state)
            self.text(node, _TK.postalCode, loc.zip)
            self.text(node, _TK.country, loc.country)
            self.code(node, _TK.recruitmentStatus, loc.status)
            if loc.geo is not None:
                self.add((node, _TK.latitude, _decimal(loc.geo.lat)))
                self.add((node, _TK.longitude, _decimal(loc.geo.lon)))
            for m, c in enumerate(loc.contacts, 1):
                contact = self.iris.part(self.nct, "location", n, "contact", m)
                self.add((node, _TK.hasContact, contact))
                self.add((contact, _A, _TK.Contact))
                self.add((contact, _TK.ordinal, _integer(m)))
                self.contact(contact, c)

    def references(self) -> None:
        t, s = self.trial, self.subject
        for n, ref in enumerate(t.references, 1):
            node = self.part(_TK.hasReference, _TK.Reference, "reference", n, ordinal=n)
            self.text(node, _TK.citation, ref.citation)
            pmid = (ref.pmid or "").strip()
            if pmid:
                self.add((node, _TK.pmid, _str(pmid)))
                if pmid.isdigit():
                    self.add((node, _SEE_ALSO, PUBMED[pmid + "/"]))
            self.code(node, _TK.referenceType, ref.type)
        for link in t.see_also_links:
            iri = _web_iri(link.url)
            if iri is not None:
                self.once(s, _TK.seeAlso, iri)
                if link.label and link.label.strip():
                    self.once(iri, _LABEL, _str(link.label.strip()))
        ipd = t.ipd_sharing
        if ipd is not None:
            self.code(s, _TK.ipdSharing, ipd.sharing)
            self.text(s, _TK.ipdSharingDescription, ipd.description)
            self.codes(s, _TK.ipdInfoType, ipd.info_types)
            self.text(s, _TK.ipdTimeFrame, ipd.time_frame)
            self.text(s, _TK.ipdAccessCriteria, ipd.access_criteria)
            url = _web_iri(ipd.url)
            if url is not None:
                self.add((s, _TK.ipdUrl, url))

    def related(self) -> None:
        for n, rel in enumerate(self.trial.related, 1):
            other_id = rel.nct_id.strip()
            if not NCT_ID.match(other_id):
                raise self.fail(f"related[{n - 1}].nct_id", f"{other_id!r} is not an NCT id")
            other = self.iris.trial(other_id)
            self.once(self.subject, _TK.statedRelatedTrial, other)
            node = self.iris.part(self.nct, "related", n)
            self.add((node, _A, _TK.RelatedTrialStatement))
            self.add((node, DCTERMS.isPartOf, self.subject))
            self.add((node, _TK.ordinal, _integer(n)))
            self.add((node, _TK.relatedTrial, other))
            self.text(node, _TK.relatedTrialTitle, rel.title)

    def provenance(self, graph: URIRef, ingested_at: datetime | None) -> None:
        t = self.trial
        self.add((graph, _A, PROV.Entity))
        self.add((graph, PROV.wasDerivedFrom, registry_page(self.nct)))
        self.text(graph, DCTERMS.source, _source_label(t))
        if t.source is not None:
            self.text(graph, _TK.sourceFormat, t.source.format)
        updated = t.last_update_post.date if t.last_update_post else t.last_update_submit
        self.date(graph, DCTERMS.modified, updated)
        self.date(graph, _TK.versionDate, t.version_holder)
        self.add((graph, _TK.mapperVersion, _MAPPER_VERSION))
        if ingested_at is not None:
            when = (
                ingested_at.astimezone(UTC)
                if ingested_at.tzinfo
                else ingested_at.replace(tzinfo=UTC)
            )
            self.add((graph, PROV.generatedAtTime, Literal(when, datatype=XSD.dateTime)))


def _match_intervention(by_name: dict[str, URIRef], ref: str) -> URIRef | None:
    """The intervention an arm's "TYPE: Name" string means: qualified name, then bare name."""
    if not ref:
        return None
    found = by_name.get(ref) or by_name.get("q:" + ref.casefold())
    if found is None:
        _, sep, name = ref.partition(":")
        if sep:
            found = by_name.get("n:" + name.strip().casefold())
        if found is None:
            found = by_name.get("n:" + ref.casefold())
    return found


def map_trial(trial: Trial, iris: Iris, *, ingested_at: datetime | None = None) -> MappedTrial:
    """The triples saying everything ``trial`` holds, for its own named graph.

    Deterministic: the same trial and ``ingested_at`` give the same list. ``ingested_at``
    (``prov:generatedAtTime``) is stated only when given, in UTC (naive times are taken as UTC).
    Raises :class:`kg.errors.RecordError` naming the field when the trial holds an id no IRI
    can be made from (a malformed NCT or MeSH id).
    """
    m = _Mapping(trial, iris)
    m.identification()
    m.status()
    m.sponsors()
    m.conditions()
    m.design()
    m.arms_and_interventions()
    m.outcomes()
    m.eligibility()
    m.contacts_and_locations()
    m.references()
    m.related()
    graph = iris.graph(trial.nct_id)
    m.provenance(graph, ingested_at)
    return MappedTrial(trial.nct_id, graph, m.out)


__all__ = ["MAPPER_VERSION", "MappedTrial", "Triple", "map_trial"]
