"""The normalised, source-agnostic clinical trial: what a trial *is*, whatever file it came from.

Every reader yields these objects and the mapper consumes them; nothing here parses files or
builds RDF. Enumerations carry the ClinicalTrials.gov API v2 codes as their values, so a
reader of another format (legacy XML, the trial card) maps its wording onto the same members.

Field comments name the API v2 field path each attribute holds (``protocolSection`` omitted
where obvious), the crosswalk the ontology repeats as ``tk:apiField`` annotations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar

# --------------------------------------------------------------------------- enumerations


class Code(str, Enum):  # noqa: UP042  (str() of a member stays "Phase.PHASE2"; .value is the code)
    """A registry enumeration whose values are the API v2 codes (the ontology's skos:notation)."""

    @classmethod
    def parse(cls, value: str) -> Code:
        """The member for a registry code; ``ValueError`` naming the allowed codes otherwise.

        >>> Phase.parse("PHASE2")
        <Phase.PHASE2: 'PHASE2'>
        """
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            message = f"{value!r} is not a {cls.__name__} code (one of: {allowed})"
            raise ValueError(message) from None


class OverallStatus(Code):
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    COMPLETED = "COMPLETED"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    RECRUITING = "RECRUITING"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    WITHDRAWN = "WITHDRAWN"
    AVAILABLE = "AVAILABLE"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING"
    WITHHELD = "WITHHELD"
    UNKNOWN = "UNKNOWN"


class StudyType(Code):
    INTERVENTIONAL = "INTERVENTIONAL"
    OBSERVATIONAL = "OBSERVATIONAL"
    EXPANDED_ACCESS = "EXPANDED_ACCESS"


class Phase(Code):
    NA = "NA"
    EARLY_PHASE1 = "EARLY_PHASE1"
    PHASE1 = "PHASE1"
    PHASE2 = "PHASE2"
    PHASE3 = "PHASE3"
    PHASE4 = "PHASE4"


class DateType(Code):
    ACTUAL = "ACTUAL"
    ESTIMATED = "ESTIMATED"


class Allocation(Code):
    RANDOMIZED = "RANDOMIZED"
    NON_RANDOMIZED = "NON_RANDOMIZED"
    NA = "NA"


class InterventionModel(Code):
    SINGLE_GROUP = "SINGLE_GROUP"
    PARALLEL = "PARALLEL"
    CROSSOVER = "CROSSOVER"
    FACTORIAL = "FACTORIAL"
    SEQUENTIAL = "SEQUENTIAL"


class Masking(Code):
    NONE = "NONE"
    SINGLE = "SINGLE"
    DOUBLE = "DOUBLE"
    TRIPLE = "TRIPLE"
    QUADRUPLE = "QUADRUPLE"


class WhoMasked(Code):
    PARTICIPANT = "PARTICIPANT"
    CARE_PROVIDER = "CARE_PROVIDER"
    INVESTIGATOR = "INVESTIGATOR"
    OUTCOMES_ASSESSOR = "OUTCOMES_ASSESSOR"


class PrimaryPurpose(Code):
    TREATMENT = "TREATMENT"
    PREVENTION = "PREVENTION"
    DIAGNOSTIC = "DIAGNOSTIC"
    ECT = "ECT"
    SUPPORTIVE_CARE = "SUPPORTIVE_CARE"
    SCREENING = "SCREENING"
    HEALTH_SERVICES_RESEARCH = "HEALTH_SERVICES_RESEARCH"
    BASIC_SCIENCE = "BASIC_SCIENCE"
    DEVICE_FEASIBILITY = "DEVICE_FEASIBILITY"
    OTHER = "OTHER"


class ObservationalModel(Code):
    COHORT = "COHORT"
    CASE_CONTROL = "CASE_CONTROL"
    CASE_ONLY = "CASE_ONLY"
    CASE_CROSSOVER = "CASE_CROSSOVER"
    ECOLOGIC_OR_COMMUNITY = "ECOLOGIC_OR_COMMUNITY"
    FAMILY_BASED = "FAMILY_BASED"
    DEFINED_POPULATION = "DEFINED_POPULATION"
    NATURAL_HISTORY = "NATURAL_HISTORY"
    OTHER = "OTHER"


class TimePerspective(Code):
    RETROSPECTIVE = "RETROSPECTIVE"
    PROSPECTIVE = "PROSPECTIVE"
    CROSS_SECTIONAL = "CROSS_SECTIONAL"
    OTHER = "OTHER"


class EnrollmentType(Code):
    ACTUAL = "ACTUAL"
    ESTIMATED = "ESTIMATED"


class BioSpecRetention(Code):
    NONE_RETAINED = "NONE_RETAINED"
    SAMPLES_WITH_DNA = "SAMPLES_WITH_DNA"
    SAMPLES_WITHOUT_DNA = "SAMPLES_WITHOUT_DNA"


class AgencyClass(Code):
    """Sponsor / organisation class (``leadSponsor.class``)."""

    NIH = "NIH"
    FED = "FED"
    OTHER_GOV = "OTHER_GOV"
    INDIV = "INDIV"
    INDUSTRY = "INDUSTRY"
    NETWORK = "NETWORK"
    AMBIG = "AMBIG"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class ResponsiblePartyType(Code):
    SPONSOR = "SPONSOR"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR"
    SPONSOR_INVESTIGATOR = "SPONSOR_INVESTIGATOR"


class ArmType(Code):
    EXPERIMENTAL = "EXPERIMENTAL"
    ACTIVE_COMPARATOR = "ACTIVE_COMPARATOR"
    PLACEBO_COMPARATOR = "PLACEBO_COMPARATOR"
    SHAM_COMPARATOR = "SHAM_COMPARATOR"
    NO_INTERVENTION = "NO_INTERVENTION"
    OTHER = "OTHER"


class InterventionType(Code):
    BEHAVIORAL = "BEHAVIORAL"
    BIOLOGICAL = "BIOLOGICAL"
    COMBINATION_PRODUCT = "COMBINATION_PRODUCT"
    DEVICE = "DEVICE"
    DIAGNOSTIC_TEST = "DIAGNOSTIC_TEST"
    DIETARY_SUPPLEMENT = "DIETARY_SUPPLEMENT"
    DRUG = "DRUG"
    GENETIC = "GENETIC"
    PROCEDURE = "PROCEDURE"
    RADIATION = "RADIATION"
    OTHER = "OTHER"


class OutcomeKind(Code):
    """Which outcome list a measure came from (primary, secondary or other outcomes)."""

    PRIMARY = "PRIMARY"
    SECONDARY = "SECONDARY"
    OTHER = "OTHER"


class Sex(Code):
    ALL = "ALL"
    FEMALE = "FEMALE"
    MALE = "MALE"


class StandardAge(Code):
    CHILD = "CHILD"
    ADULT = "ADULT"
    OLDER_ADULT = "OLDER_ADULT"


class SamplingMethod(Code):
    PROBABILITY_SAMPLE = "PROBABILITY_SAMPLE"
    NON_PROBABILITY_SAMPLE = "NON_PROBABILITY_SAMPLE"


class RecruitmentStatus(Code):
    """A site's status (``locations[].status``)."""

    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    COMPLETED = "COMPLETED"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    RECRUITING = "RECRUITING"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    WITHDRAWN = "WITHDRAWN"
    AVAILABLE = "AVAILABLE"


class OfficialRole(Code):
    STUDY_CHAIR = "STUDY_CHAIR"
    STUDY_DIRECTOR = "STUDY_DIRECTOR"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR"


class ContactRole(Code):
    STUDY_CHAIR = "STUDY_CHAIR"
    STUDY_DIRECTOR = "STUDY_DIRECTOR"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR"
    CONTACT = "CONTACT"


class ReferenceType(Code):
    BACKGROUND = "BACKGROUND"
    RESULT = "RESULT"
    DERIVED = "DERIVED"


class IpdSharing(Code):
    YES = "YES"
    NO = "NO"
    UNDECIDED = "UNDECIDED"


class IpdInfoType(Code):
    STUDY_PROTOCOL = "STUDY_PROTOCOL"
    SAP = "SAP"
    ICF = "ICF"
    CSR = "CSR"
    ANALYTIC_CODE = "ANALYTIC_CODE"


class SecondaryIdType(Code):
    NIH = "NIH"
    FDA = "FDA"
    VA = "VA"
    CDC = "CDC"
    AHRQ = "AHRQ"
    SAMHSA = "SAMHSA"
    OTHER_GRANT = "OTHER_GRANT"
    EUDRACT_NUMBER = "EUDRACT_NUMBER"
    CTIS = "CTIS"
    REGISTRY = "REGISTRY"
    OTHER = "OTHER"


class Relevance(Code):
    """How central a MeSH browse leaf is to the trial (``browseLeaves[].relevance``)."""

    HIGH = "HIGH"
    LOW = "LOW"


CODE_ENUMS: tuple[type[Code], ...] = tuple(Code.__subclasses__())
"""Every registry enumeration, for the ontology/shapes agreement tests and the mapper."""

# --------------------------------------------------------------------------- value types

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
_AGE_ISO = {"year": "Y", "month": "M", "week": "W", "day": "D", "hour": "H", "minute": "M"}
_AGE_IN_YEARS = {
    "year": 1.0,
    "month": 1 / 12,
    "week": 7 / 365.25,
    "day": 1 / 365.25,
    "hour": 1 / 8766,
    "minute": 1 / 525960,
}


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date that may be known only to the month or year; never invents a day.

    >>> PartialDate.parse("2021-04")
    PartialDate(year=2021, month=4, day=None)
    >>> PartialDate.parse("2021-04").precision, str(PartialDate.parse("2021-04-26"))
    ('month', '2021-04-26')
    """

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ``ValueError`` otherwise."""
        m = _DATE.match(text.strip())
        if not m:
            raise ValueError(f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        year, month, day = (int(g) if g else None for g in m.groups())
        assert year is not None
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"{text!r} has no month {month}")
        if day is not None:
            import datetime

            datetime.date(year, month or 1, day)  # raises ValueError for 2021-02-30
        return cls(year, month, day)

    @property
    def precision(self) -> str:
        """``day``, ``month`` or ``year``: how much of the date the registry gave."""
        return "day" if self.day else "month" if self.month else "year"

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
            if self.day:
                text += f"-{self.day:02d}"
        return text

    def earliest(self) -> tuple[int, int, int]:
        """The first day this date can mean, for ordering checks."""
        return (self.year, self.month or 1, self.day or 1)

    def latest(self) -> tuple[int, int, int]:
        """The last day this date can mean (31 is enough for ordering)."""
        return (self.year, self.month or 12, self.day or 31)


@dataclass(frozen=True)
class DateInfo:
    """A registry date struct: the date and whether it is ACTUAL or ESTIMATED (``*DateStruct``)."""

    date: PartialDate
    type: DateType | None = None


@dataclass(frozen=True)
class Age:
    """An eligibility age limit as the registry writes it ("18 Years", "6 Months").

    >>> a = Age.parse("6 Months")
    >>> a.iso_duration, round(a.years, 3)
    ('P6M', 0.5)
    >>> Age.parse("12 Hours").iso_duration
    'PT12H'
    """

    value: float
    unit: str  # year, month, week, day, hour, minute

    @classmethod
    def parse(cls, text: str) -> Age:
        m = _AGE.match(text)
        if not m:
            raise ValueError(f"{text!r} is not an age such as '18 Years' or '6 Months'")
        return cls(float(m.group(1)), m.group(2).lower())

    @property
    def iso_duration(self) -> str:
        """The age as ``xsd:duration`` lexical form."""
        number = int(self.value) if self.value == int(self.value) else self.value
        designator = _AGE_ISO[self.unit]
        if self.unit in ("hour", "minute"):
            return f"PT{number}{designator}"
        if self.unit == "week":
            return f"P{int(self.value * 7)}D"
        return f"P{number}{designator}"

    @property
    def years(self) -> float:
        """The age in (fractional) years, for comparisons and patient-matching queries."""
        return self.value * _AGE_IN_YEARS[self.unit]

    def __str__(self) -> str:
        number = int(self.value) if self.value == int(self.value) else self.value
        return f"{number} {self.unit.capitalize()}{'s' if number != 1 else ''}"


@dataclass(frozen=True)
class GeoPoint:
    """WGS84 coordinates of a site (``locations[].geoPoint``)."""

    lat: float
    lon: float


# --------------------------------------------------------------------------- trial parts


@dataclass
class Organization:
    """A sponsor, collaborator or the submitting organisation, with its agency class."""

    name: str
    agency_class: AgencyClass | None = None


@dataclass
class OrgStudyId:
    """``identificationModule.orgStudyIdInfo``."""

    id: str
    type: str | None = None
    link: str | None = None


@dataclass
class SecondaryId:
    """``identificationModule.secondaryIdInfos[]``: EudraCT, CTIS, grant and other registry ids."""

    id: str
    type: SecondaryIdType | None = None
    domain: str | None = None
    link: str | None = None


@dataclass
class ResponsibleParty:
    """``sponsorCollaboratorsModule.responsibleParty``."""

    type: ResponsiblePartyType | None = None
    investigator_name: str | None = None
    investigator_title: str | None = None
    investigator_affiliation: str | None = None
    old_name_title: str | None = None
    old_organization: str | None = None


@dataclass
class Oversight:
    """``oversightModule``: data monitoring committee and FDA regulation flags."""

    has_dmc: bool | None = None
    is_fda_regulated_drug: bool | None = None
    is_fda_regulated_device: bool | None = None
    is_unapproved_device: bool | None = None
    is_us_export: bool | None = None
    fdaaa801_violation: bool | None = None


@dataclass
class Design:
    """``designModule``."""

    study_type: StudyType | None = None
    phases: list[Phase] = field(default_factory=list)
    patient_registry: bool | None = None
    target_duration: str | None = None
    allocation: Allocation | None = None
    intervention_model: InterventionModel | None = None
    intervention_model_description: str | None = None
    primary_purpose: PrimaryPurpose | None = None
    observational_model: ObservationalModel | None = None
    time_perspective: TimePerspective | None = None
    masking: Masking | None = None
    masking_description: str | None = None
    who_masked: list[WhoMasked] = field(default_factory=list)
    enrollment_count: int | None = None
    enrollment_type: EnrollmentType | None = None
    bio_spec_retention: BioSpecRetention | None = None
    bio_spec_description: str | None = None


@dataclass
class Arm:
    """``armsInterventionsModule.armGroups[]``; ``intervention_names`` are "TYPE: Name" strings."""

    label: str
    type: ArmType | None = None
    description: str | None = None
    intervention_names: list[str] = field(default_factory=list)


@dataclass
class Intervention:
    """``armsInterventionsModule.interventions[]``."""

    name: str
    type: InterventionType | None = None
    description: str | None = None
    other_names: list[str] = field(default_factory=list)
    arm_group_labels: list[str] = field(default_factory=list)

    @property
    def qualified_name(self) -> str:
        """The "TYPE: Name" form that ``armGroups[].interventionNames[]`` uses to refer to it."""
        label = self.type.value.replace("_", " ").title() if self.type else "Other"
        return f"{label}: {self.name}"


@dataclass
class Outcome:
    """``outcomesModule.{primary,secondary,other}Outcomes[]``."""

    kind: OutcomeKind
    measure: str
    description: str | None = None
    time_frame: str | None = None


@dataclass
class Eligibility:
    """``eligibilityModule``; ``inclusion``/``exclusion`` are the criteria text split into items."""

    criteria_text: str | None = None
    inclusion: list[str] = field(default_factory=list)
    exclusion: list[str] = field(default_factory=list)
    sex: Sex | None = None
    gender_based: bool | None = None
    gender_description: str | None = None
    minimum_age: Age | None = None
    maximum_age: Age | None = None
    std_ages: list[StandardAge] = field(default_factory=list)
    healthy_volunteers: bool | None = None
    study_population: str | None = None
    sampling_method: SamplingMethod | None = None


@dataclass
class Official:
    """``contactsLocationsModule.overallOfficials[]``."""

    name: str
    role: OfficialRole | None = None
    affiliation: str | None = None


@dataclass
class Contact:
    """``centralContacts[]`` and ``locations[].contacts[]``."""

    name: str | None = None
    role: ContactRole | None = None
    phone: str | None = None
    phone_ext: str | None = None
    email: str | None = None


@dataclass
class Location:
    """``contactsLocationsModule.locations[]``: one site."""

    facility: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    status: RecruitmentStatus | None = None
    geo: GeoPoint | None = None
    contacts: list[Contact] = field(default_factory=list)


@dataclass
class Reference:
    """``referencesModule.references[]``."""

    citation: str | None = None
    pmid: str | None = None
    type: ReferenceType | None = None


@dataclass
class SeeAlsoLink:
    """``referencesModule.seeAlsoLinks[]``."""

    url: str
    label: str | None = None


@dataclass
class AvailIpd:
    """``referencesModule.availIpds[]``."""

    id: str | None = None
    type: str | None = None
    url: str | None = None
    comment: str | None = None


@dataclass
class IpdSharingStatement:
    """``ipdSharingStatementModule``."""

    sharing: IpdSharing | None = None
    description: str | None = None
    info_types: list[IpdInfoType] = field(default_factory=list)
    time_frame: str | None = None
    access_criteria: str | None = None
    url: str | None = None


@dataclass
class MeshTerm:
    """A MeSH descriptor (or supplementary concept) by id and the registry's term."""

    id: str
    term: str


@dataclass
class BrowseLeaf:
    """``derivedSection.*BrowseModule.browseLeaves[]``."""

    id: str
    name: str
    as_found: str | None = None
    relevance: Relevance | None = None


@dataclass
class BrowseBranch:
    """``derivedSection.*BrowseModule.browseBranches[]``."""

    abbrev: str
    name: str


@dataclass
class BrowseModule:
    """NLM's MeSH indexing of a trial's conditions or interventions (``derivedSection``)."""

    meshes: list[MeshTerm] = field(default_factory=list)
    ancestors: list[MeshTerm] = field(default_factory=list)
    leaves: list[BrowseLeaf] = field(default_factory=list)
    branches: list[BrowseBranch] = field(default_factory=list)
    # MeSH terms known by name only (legacy XML ``condition_browse/mesh_term``): for the linker
    unresolved_terms: list[str] = field(default_factory=list)


@dataclass
class RelatedTrial:
    """A trial the source itself names as related (the trial card's "Related Clinical Trials")."""

    nct_id: str
    title: str | None = None


@dataclass
class Source:
    """Where a record was read from, for provenance and error reports."""

    path: str
    format: str
    entry: str | None = None  # member of a zip, line of an NDJSON file, index in a page

    def __str__(self) -> str:
        return f"{self.path}:{self.entry}" if self.entry else self.path


# --------------------------------------------------------------------------- the trial

NCT_ID = re.compile(r"^NCT\d{8}$")


@dataclass
class Trial:
    """One registered study, as every reader delivers it.

    Results (``resultsSection``) are not modelled yet; ``has_results`` records whether the
    registry holds them so a later results module can be added beside the protocol.
    """

    KIND: ClassVar[str] = "trial"

    # identificationModule
    nct_id: str
    brief_title: str | None = None
    official_title: str | None = None
    acronym: str | None = None
    org_study_id: OrgStudyId | None = None
    secondary_ids: list[SecondaryId] = field(default_factory=list)
    nct_id_aliases: list[str] = field(default_factory=list)
    organization: Organization | None = None
    # statusModule
    overall_status: OverallStatus | None = None
    last_known_status: OverallStatus | None = None
    why_stopped: str | None = None
    status_verified_date: PartialDate | None = None
    has_expanded_access: bool | None = None
    start: DateInfo | None = None
    primary_completion: DateInfo | None = None
    completion: DateInfo | None = None
    study_first_submit: PartialDate | None = None
    study_first_post: DateInfo | None = None
    results_first_submit: PartialDate | None = None
    results_first_post: DateInfo | None = None
    last_update_submit: PartialDate | None = None
    last_update_post: DateInfo | None = None
    # sponsorCollaboratorsModule
    lead_sponsor: Organization | None = None
    collaborators: list[Organization] = field(default_factory=list)
    responsible_party: ResponsibleParty | None = None
    # oversightModule
    oversight: Oversight | None = None
    # descriptionModule
    brief_summary: str | None = None
    detailed_description: str | None = None
    # conditionsModule
    conditions: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    # designModule
    design: Design = field(default_factory=Design)
    # armsInterventionsModule
    arms: list[Arm] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    # outcomesModule
    outcomes: list[Outcome] = field(default_factory=list)
    # eligibilityModule
    eligibility: Eligibility = field(default_factory=Eligibility)
    # contactsLocationsModule
    central_contacts: list[Contact] = field(default_factory=list)
    officials: list[Official] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    # referencesModule
    references: list[Reference] = field(default_factory=list)
    see_also_links: list[SeeAlsoLink] = field(default_factory=list)
    avail_ipds: list[AvailIpd] = field(default_factory=list)
    # ipdSharingStatementModule
    ipd_sharing: IpdSharingStatement | None = None
    # derivedSection
    condition_browse: BrowseModule = field(default_factory=BrowseModule)
    intervention_browse: BrowseModule = field(default_factory=BrowseModule)
    version_holder: PartialDate | None = None  # miscInfoModule.versionHolder
    has_results: bool | None = None
    # what the source says about other trials (trial card); empty for registry JSON
    related: list[RelatedTrial] = field(default_factory=list)
    # where it came from, and what the reader could not place (reported as warnings)
    source: Source | None = None
    reader_notes: list[str] = field(default_factory=list)

    @property
    def version_key(self) -> tuple:
        """Orders versions of one trial: last update posted, then the registry's version date."""
        posted = self.last_update_post.date.earliest() if self.last_update_post else (0, 0, 0)
        holder = self.version_holder.earliest() if self.version_holder else (0, 0, 0)
        return (posted, holder)
