"""Map one legacy ``<clinical_study>`` element onto a Trial: the legacy wording to API v2 codes.

The legacy wording is mapped onto the same :mod:`kg.model` codes as API v2 ("Phase 1/Phase 2"
-> ``[PHASE1, PHASE2]``, "Unknown status" -> ``UNKNOWN``, "U.S. Fed" -> ``FED``, "Both" ->
``ALL``, "Double (Participant, Investigator)" -> ``DOUBLE`` masking ``PARTICIPANT`` and
``INVESTIGATOR``); a wording not known is a RecordError naming the element and the codes.
Dates keep their precision ("July 2020" is a month). Notes on the crosswalk:

- ``condition_browse``/``intervention_browse`` give MeSH *names* only; they go to
  ``BrowseModule.unresolved_terms`` for the linker to resolve, never into ``meshes``.
- ``required_header/download_date`` (the day the registry produced the record) becomes
  ``version_holder``, the API v2 field with the same meaning.
- ``source`` is the submitting organisation (``identificationModule.organization``); old
  records' ``firstreceived_date``/``lastchanged_date`` fill the submit dates when the newer
  ``study_first_submitted``/``last_update_submitted`` are absent.
- the pre-2017 free-text ``study_design`` ("Allocation: Randomized, Masking: Double Blind
  (Subject, Caregiver), ...") is split into the structured design fields.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TypeVar
from xml.etree.ElementTree import Element

from kg.errors import RecordError
from kg.model import (
    NCT_ID,
    Age,
    AgencyClass,
    Allocation,
    Arm,
    ArmType,
    AvailIpd,
    BioSpecRetention,
    BrowseModule,
    Code,
    Contact,
    ContactRole,
    DateInfo,
    DateType,
    Design,
    Eligibility,
    EnrollmentType,
    Intervention,
    InterventionModel,
    InterventionType,
    IpdInfoType,
    IpdSharing,
    IpdSharingStatement,
    Location,
    Masking,
    ObservationalModel,
    Official,
    OfficialRole,
    Organization,
    OrgStudyId,
    Outcome,
    OutcomeKind,
    OverallStatus,
    Oversight,
    PartialDate,
    Phase,
    PrimaryPurpose,
    RecruitmentStatus,
    Reference,
    ReferenceType,
    ResponsibleParty,
    ResponsiblePartyType,
    SamplingMethod,
    SecondaryId,
    SeeAlsoLink,
    Sex,
    Source,
    StudyType,
    TimePerspective,
    Trial,
    WhoMasked,
)
from kg.readers.criteria import split_criteria

ROOT = "clinical_study"
C = TypeVar("C", bound=Code)

# Legacy wordings whose normalised form (upper case, runs of non-alphanumerics -> "_") is not
# already the API v2 code.
_ALIASES: dict[type[Code], dict[str, str]] = {
    OverallStatus: {"UNKNOWN_STATUS": "UNKNOWN"},
    RecruitmentStatus: {},
    Phase: {
        "N_A": "NA",
        "PHASE_1": "PHASE1",
        "PHASE_2": "PHASE2",
        "PHASE_3": "PHASE3",
        "PHASE_4": "PHASE4",
        "PHASE_0": "EARLY_PHASE1",
        "EARLY_PHASE_1": "EARLY_PHASE1",
    },
    Allocation: {"N_A": "NA"},
    InterventionModel: {
        "SINGLE_GROUP_ASSIGNMENT": "SINGLE_GROUP",
        "PARALLEL_ASSIGNMENT": "PARALLEL",
        "CROSSOVER_ASSIGNMENT": "CROSSOVER",
        "FACTORIAL_ASSIGNMENT": "FACTORIAL",
        "SEQUENTIAL_ASSIGNMENT": "SEQUENTIAL",
    },
    PrimaryPurpose: {"EDUCATIONAL_COUNSELING_TRAINING": "ECT"},
    AgencyClass: {
        "U_S_FED": "FED",
        "OTHER_U_S_FEDERAL_AGENCY": "FED",
        "INDIVIDUAL": "INDIV",
        "AMBIGUOUS": "AMBIG",
        "OTHER_GOVERNMENT": "OTHER_GOV",
    },
    Sex: {"BOTH": "ALL"},
    IpdInfoType: {
        "STATISTICAL_ANALYSIS_PLAN_SAP": "SAP",
        "INFORMED_CONSENT_FORM_ICF": "ICF",
        "CLINICAL_STUDY_REPORT_CSR": "CSR",
        "ANALYTIC_CODE": "ANALYTIC_CODE",
    },
    DateType: {"ANTICIPATED": "ESTIMATED", "ESTIMATE": "ESTIMATED"},
    EnrollmentType: {"ANTICIPATED": "ESTIMATED", "ESTIMATE": "ESTIMATED"},
    StudyType: {},
    ContactRole: {},
}
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_LEGACY_DATE = re.compile(r"^([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})$")
_DOWNLOAD_DATE = re.compile(r"([A-Z][a-z]+ \d{1,2}, \d{4})\s*$")
_MASK_LEVEL = re.compile(r"^\s*(none|no masking|open label|single|double|triple|quadruple)", re.I)
_MASK_WHO = {
    "PARTICIPANT": WhoMasked.PARTICIPANT,
    "SUBJECT": WhoMasked.PARTICIPANT,
    "CARE_PROVIDER": WhoMasked.CARE_PROVIDER,
    "CAREGIVER": WhoMasked.CARE_PROVIDER,
    "INVESTIGATOR": WhoMasked.INVESTIGATOR,
    "OUTCOMES_ASSESSOR": WhoMasked.OUTCOMES_ASSESSOR,
}
_MASK_BY_COUNT = [None, Masking.SINGLE, Masking.DOUBLE, Masking.TRIPLE, Masking.QUADRUPLE]
_DESIGN_KEYS = (
    "Allocation",
    "Endpoint Classification",
    "Intervention Model",
    "Masking",
    "Primary Purpose",
    "Observational Model",
    "Time Perspective",
)
_DESIGN = re.compile(
    rf"({'|'.join(_DESIGN_KEYS)}):\s*(.*?)\s*(?=,\s*(?:{'|'.join(_DESIGN_KEYS)}):|$)"
)


def element_to_trial(root: Element, source: Source) -> Trial:
    """The Trial of a parsed ``<clinical_study>``; RecordError names the element at fault."""
    return _RecordReader(str(source)).trial(root, source)


@lru_cache(maxsize=65536)
def parse_legacy_date(text: str) -> PartialDate:
    """A legacy date ("July 28, 2020", "July 2020", or ISO) keeping its precision.

    >>> parse_legacy_date("July 28, 2020"), parse_legacy_date("Sept 2020").precision
    (PartialDate(year=2020, month=7, day=28), 'month')
    """
    text = text.strip()
    m = _LEGACY_DATE.match(text)
    if not m:
        return PartialDate.parse(text)
    month = _MONTHS.get(m.group(1)[:3].lower())
    if month is None:
        raise ValueError(f"{text!r} is not a date: unknown month {m.group(1)!r}")
    day = m.group(2)
    return PartialDate.parse(f"{m.group(3)}-{month:02d}" + (f"-{int(day):02d}" if day else ""))


def _normal(text: str) -> str:
    return _NON_ALNUM.sub("_", text.strip().upper()).strip("_")


def _textblock(element: Element | None) -> str | None:
    """A ``<textblock>``'s text with the CRs and the XML's indentation removed."""
    if element is None:
        return None
    block = element.find("textblock")
    text = (block if block is not None else element).text
    if text is None:
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    text = "\n".join(line[indent:].rstrip() for line in lines).strip()
    return text or None


class _RecordReader:
    """Element access with the legacy vocabulary; every failure names the element path."""

    __slots__ = ("file", "nct")

    def __init__(self, file: str) -> None:
        self.file = file
        self.nct: str | None = None

    def fail(self, where: str, reason: str) -> RecordError:
        return RecordError(self.file, reason, record=self.nct, field=where)

    @staticmethod
    def text(parent: Element, tag: str) -> str | None:
        child = parent.find(tag)
        if child is None or child.text is None:
            return None
        return child.text.strip() or None

    @staticmethod
    def texts(parent: Element, tag: str) -> list[str]:
        return [c.text.strip() for c in parent.findall(tag) if c.text and c.text.strip()]

    def code(self, enum: type[C], value: str | None, where: str) -> C | None:
        if value is None:
            return None
        key = _normal(value)
        key = _ALIASES.get(enum, {}).get(key, key)
        member = enum._value2member_map_.get(key)
        if member is None:
            allowed = ", ".join(m.value for m in enum)
            raise self.fail(
                where, f"{value!r} is not a known {enum.__name__} wording (codes: {allowed})"
            )
        return member  # type: ignore[return-value]

    def flag(self, value: str | None, where: str) -> bool | None:
        if value is None:
            return None
        low = value.strip().lower()
        if low in ("yes", "true", "accepts healthy volunteers"):
            return True
        if low in ("no", "false"):
            return False
        raise self.fail(where, f"expected Yes or No, got {value!r}")

    def date(self, parent: Element, tag: str) -> PartialDate | None:
        value = self.text(parent, tag)
        if value is None:
            return None
        try:
            return parse_legacy_date(value)
        except ValueError as exc:
            raise self.fail(f"{ROOT}/{tag}", str(exc)) from None

    def date_info(self, parent: Element, tag: str) -> DateInfo | None:
        day = self.date(parent, tag)
        if day is None:
            return None
        kind = parent.find(tag).get("type")  # type: ignore[union-attr]
        return DateInfo(day, self.code(DateType, kind, f"{ROOT}/{tag}/@type"))

    def age(self, value: str | None, where: str) -> Age | None:
        if value is None or value.upper() in ("N/A", "NONE"):
            return None
        try:
            return Age.parse(value)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None

    # ---- the record

    def trial(self, root: Element, source: Source) -> Trial:
        nct = root.findtext("id_info/nct_id")
        nct = nct.strip() if nct else None
        if not nct:
            raise self.fail(f"{ROOT}/id_info/nct_id", "the record has no NCT id")
        if not NCT_ID.match(nct):
            raise self.fail(f"{ROOT}/id_info/nct_id", f"{nct!r} is not an NCT id")
        self.nct = nct
        t = Trial(nct_id=nct, source=source)
        self._identification(t, root)
        self._status(t, root)
        self._sponsors(t, root)
        t.brief_summary = _textblock(root.find("brief_summary"))
        t.detailed_description = _textblock(root.find("detailed_description"))
        t.conditions = self.texts(root, "condition")
        t.keywords = self.texts(root, "keyword")
        t.design = self._design(root)
        self._arms(t, root)
        t.outcomes = [
            Outcome(
                kind=kind,
                measure=self.text(o, "measure") or "",
                description=self.text(o, "description"),
                time_frame=self.text(o, "time_frame"),
            )
            for kind, tag in (
                (OutcomeKind.PRIMARY, "primary_outcome"),
                (OutcomeKind.SECONDARY, "secondary_outcome"),
                (OutcomeKind.OTHER, "other_outcome"),
            )
            for o in root.findall(tag)
        ]
        eligibility = root.find("eligibility")
        if eligibility is not None:
            t.eligibility = self._eligibility(eligibility)
        self._contacts(t, root)
        self._references(t, root)
        t.condition_browse = BrowseModule(
            unresolved_terms=self.texts(root, "condition_browse/mesh_term")
        )
        t.intervention_browse = BrowseModule(
            unresolved_terms=self.texts(root, "intervention_browse/mesh_term")
        )
        download = self.text(root, "required_header/download_date")
        if download:
            m = _DOWNLOAD_DATE.search(download)
            if m:
                t.version_holder = parse_legacy_date(m.group(1))
        t.has_results = root.find("clinical_results") is not None
        return t

    def _identification(self, t: Trial, root: Element) -> None:
        t.brief_title = self.text(root, "brief_title")
        t.official_title = self.text(root, "official_title")
        t.acronym = self.text(root, "acronym")
        org_id = self.text(root, "id_info/org_study_id")
        if org_id:
            t.org_study_id = OrgStudyId(org_id)
        t.secondary_ids = [SecondaryId(s) for s in self.texts(root, "id_info/secondary_id")]
        t.nct_id_aliases = self.texts(root, "id_info/nct_alias")
        organization = self.text(root, "source")
        if organization:
            t.organization = Organization(organization)

    def _status(self, t: Trial, root: Element) -> None:
        t.overall_status = self.code(
            OverallStatus, self.text(root, "overall_status"), f"{ROOT}/overall_status"
        )
        t.last_known_status = self.code(
            OverallStatus, self.text(root, "last_known_status"), f"{ROOT}/last_known_status"
        )
        t.why_stopped = self.text(root, "why_stopped")
        t.status_verified_date = self.date(root, "verification_date")
        t.has_expanded_access = self.flag(
            self.text(root, "has_expanded_access"), f"{ROOT}/has_expanded_access"
        )
        t.start = self.date_info(root, "start_date")
        t.primary_completion = self.date_info(root, "primary_completion_date")
        t.completion = self.date_info(root, "completion_date")
        t.study_first_submit = self.date(root, "study_first_submitted") or self.date(
            root, "firstreceived_date"
        )
        t.study_first_post = self.date_info(root, "study_first_posted")
        t.results_first_submit = self.date(root, "results_first_submitted") or self.date(
            root, "firstreceived_results_date"
        )
        t.results_first_post = self.date_info(root, "results_first_posted")
        t.last_update_submit = self.date(root, "last_update_submitted") or self.date(
            root, "lastchanged_date"
        )
        t.last_update_post = self.date_info(root, "last_update_posted")

    def _organization(self, element: Element, where: str) -> Organization:
        return Organization(
            self.text(element, "agency") or "",
            self.code(AgencyClass, self.text(element, "agency_class"), f"{where}/agency_class"),
        )

    def _sponsors(self, t: Trial, root: Element) -> None:
        lead = root.find("sponsors/lead_sponsor")
        if lead is not None and self.text(lead, "agency"):
            t.lead_sponsor = self._organization(lead, f"{ROOT}/sponsors/lead_sponsor")
        t.collaborators = [
            self._organization(c, f"{ROOT}/sponsors/collaborator")
            for c in root.findall("sponsors/collaborator")
            if self.text(c, "agency")
        ]
        party = root.find("responsible_party")
        if party is not None:
            t.responsible_party = ResponsibleParty(
                type=self.code(
                    ResponsiblePartyType,
                    self.text(party, "responsible_party_type"),
                    f"{ROOT}/responsible_party/responsible_party_type",
                ),
                investigator_name=self.text(party, "investigator_full_name"),
                investigator_title=self.text(party, "investigator_title"),
                investigator_affiliation=self.text(party, "investigator_affiliation"),
                old_name_title=self.text(party, "name_title"),
                old_organization=self.text(party, "organization"),
            )
        oversight = root.find("oversight_info")
        if oversight is not None:
            at = f"{ROOT}/oversight_info"
            t.oversight = Oversight(
                has_dmc=self.flag(self.text(oversight, "has_dmc"), f"{at}/has_dmc"),
                is_fda_regulated_drug=self.flag(
                    self.text(oversight, "is_fda_regulated_drug"), f"{at}/is_fda_regulated_drug"
                ),
                is_fda_regulated_device=self.flag(
                    self.text(oversight, "is_fda_regulated_device"),
                    f"{at}/is_fda_regulated_device",
                ),
                is_unapproved_device=self.flag(
                    self.text(oversight, "is_unapproved_device"), f"{at}/is_unapproved_device"
                ),
                is_us_export=self.flag(self.text(oversight, "is_us_export"), f"{at}/is_us_export"),
            )

    def _phases(self, value: str | None) -> list[Phase]:
        """``Phase 1/Phase 2`` -> ``[PHASE1, PHASE2]``; ``N/A`` -> ``[NA]``."""
        if value is None:
            return []
        parts = ["N/A"] if value.strip().upper() == "N/A" else value.split("/")
        return [self.code(Phase, part, f"{ROOT}/phase") for part in parts]  # type: ignore[misc]

    def _masking(self, value: str | None, where: str) -> tuple[Masking | None, list[WhoMasked]]:
        """``Double (Participant, Investigator)`` -> (DOUBLE, [PARTICIPANT, INVESTIGATOR])."""
        if value is None:
            return None, []
        value = " ".join(value.split())
        inside = re.search(r"\(([^)]*)\)", value)
        roles = inside.group(1) if inside else value
        who: list[WhoMasked] = []
        for part in roles.split(","):
            role = _MASK_WHO.get(_normal(part))
            if role is not None and role not in who:
                who.append(role)
        level = _MASK_LEVEL.match(value)
        if level:
            word = level.group(1).lower()
            if word in ("none", "no masking", "open label"):
                return Masking.NONE, []
            return Masking[word.upper()], who
        if who:  # "Participant, Investigator": the level is the number of roles masked
            return _MASK_BY_COUNT[min(len(who), 4)], who
        raise self.fail(where, f"{value!r} is not a known masking wording")

    def _design(self, root: Element) -> Design:
        info = root.find("study_design_info")
        fields: dict[str, str] = {}
        legacy = self.text(root, "study_design")
        if legacy:  # pre-2017 free text, "Allocation: Randomized, Masking: ..."
            fields.update((key, value) for key, value in _DESIGN.findall(legacy))
        if info is not None:
            for tag, key in (
                ("allocation", "Allocation"),
                ("intervention_model", "Intervention Model"),
                ("primary_purpose", "Primary Purpose"),
                ("observational_model", "Observational Model"),
                ("time_perspective", "Time Perspective"),
                ("masking", "Masking"),
            ):
                value = self.text(info, tag)
                if value:
                    fields[key] = value
        at = f"{ROOT}/study_design_info"
        study_type_text = self.text(root, "study_type")
        registry = None
        if study_type_text and "[Patient Registry]" in study_type_text:
            study_type_text, registry = study_type_text.replace("[Patient Registry]", ""), True
        study_type = (
            None
            if study_type_text in (None, "N/A")
            else self.code(StudyType, study_type_text, f"{ROOT}/study_type")
        )
        masking, who = self._masking(fields.get("Masking"), f"{at}/masking")
        perspective = fields.get("Time Perspective")
        if perspective:  # "Cross-Sectional, Retrospective/Prospective": the first is the kind
            perspective = re.split(r"[,/]", perspective)[0]
        enrollment = root.find("enrollment")
        count = None
        if enrollment is not None and enrollment.text and enrollment.text.strip():
            try:
                count = int(enrollment.text.strip())
            except ValueError:
                raise self.fail(
                    f"{ROOT}/enrollment", f"expected a whole number, got {enrollment.text!r}"
                ) from None
        return Design(
            study_type=study_type,
            phases=self._phases(self.text(root, "phase")),
            patient_registry=registry,
            target_duration=self.text(root, "target_duration"),
            allocation=self.code(Allocation, fields.get("Allocation"), f"{at}/allocation"),
            intervention_model=self.code(
                InterventionModel, fields.get("Intervention Model"), f"{at}/intervention_model"
            ),
            intervention_model_description=self.text(info, "intervention_model_description")
            if info is not None
            else None,
            primary_purpose=self.code(
                PrimaryPurpose, fields.get("Primary Purpose"), f"{at}/primary_purpose"
            ),
            observational_model=self.code(
                ObservationalModel, fields.get("Observational Model"), f"{at}/observational_model"
            ),
            time_perspective=self.code(TimePerspective, perspective, f"{at}/time_perspective"),
            masking=masking,
            masking_description=self.text(info, "masking_description")
            if info is not None
            else None,
            who_masked=who,
            enrollment_count=count,
            enrollment_type=self.code(
                EnrollmentType,
                enrollment.get("type") if enrollment is not None else None,
                f"{ROOT}/enrollment/@type",
            ),
            bio_spec_retention=self.code(
                BioSpecRetention, self.text(root, "biospec_retention"), f"{ROOT}/biospec_retention"
            ),
            bio_spec_description=_textblock(root.find("biospec_descr")),
        )

    def _arms(self, t: Trial, root: Element) -> None:
        interventions = [
            Intervention(
                name=self.text(i, "intervention_name") or "",
                type=self.code(
                    InterventionType,
                    self.text(i, "intervention_type"),
                    f"{ROOT}/intervention/intervention_type",
                ),
                description=self.text(i, "description"),
                other_names=self.texts(i, "other_name"),
                arm_group_labels=self.texts(i, "arm_group_label"),
            )
            for i in root.findall("intervention")
        ]
        arms = []
        for a in root.findall("arm_group"):
            label = self.text(a, "arm_group_label") or ""
            arms.append(
                Arm(
                    label=label,
                    type=self.code(
                        ArmType,
                        self.text(a, "arm_group_type"),
                        f"{ROOT}/arm_group/arm_group_type",
                    ),
                    description=self.text(a, "description"),
                    # the XML links interventions to arms; API v2 lists "Type: Name" on the arm
                    intervention_names=[
                        i.qualified_name for i in interventions if label in i.arm_group_labels
                    ],
                )
            )
        t.arms, t.interventions = arms, interventions

    def _eligibility(self, e: Element) -> Eligibility:
        at = f"{ROOT}/eligibility"
        text = _textblock(e.find("criteria"))
        inclusion, exclusion = split_criteria(text)
        healthy = self.text(e, "healthy_volunteers")
        return Eligibility(
            criteria_text=text,
            inclusion=inclusion,
            exclusion=exclusion,
            sex=self.code(Sex, self.text(e, "gender"), f"{at}/gender"),
            gender_based=self.flag(self.text(e, "gender_based"), f"{at}/gender_based"),
            gender_description=self.text(e, "gender_description"),
            minimum_age=self.age(self.text(e, "minimum_age"), f"{at}/minimum_age"),
            maximum_age=self.age(self.text(e, "maximum_age"), f"{at}/maximum_age"),
            healthy_volunteers=self.flag(healthy, f"{at}/healthy_volunteers"),
            study_population=_textblock(e.find("study_pop")),
            sampling_method=self.code(
                SamplingMethod, self.text(e, "sampling_method"), f"{at}/sampling_method"
            ),
        )

    def _contact(self, c: Element, role: ContactRole | None) -> Contact:
        return Contact(
            name=self.text(c, "last_name"),
            role=role,
            phone=self.text(c, "phone"),
            phone_ext=self.text(c, "phone_ext"),
            email=self.text(c, "email"),
        )

    def _contacts(self, t: Trial, root: Element) -> None:
        t.central_contacts = [
            self._contact(c, ContactRole.CONTACT)
            for tag in ("overall_contact", "overall_contact_backup")
            for c in root.findall(tag)
        ]
        t.officials = [
            Official(
                name=self.text(o, "last_name") or "",
                role=self.code(OfficialRole, self.text(o, "role"), f"{ROOT}/overall_official/role"),
                affiliation=self.text(o, "affiliation"),
            )
            for o in root.findall("overall_official")
        ]
        locations = []
        for loc in root.findall("location"):
            address = loc.find("facility/address")
            contacts = [
                self._contact(c, ContactRole.CONTACT)
                for tag in ("contact", "contact_backup")
                for c in loc.findall(tag)
            ]
            contacts += [
                Contact(
                    name=self.text(i, "last_name"),
                    role=self.code(
                        ContactRole, self.text(i, "role"), f"{ROOT}/location/investigator/role"
                    ),
                )
                for i in loc.findall("investigator")
            ]
            locations.append(
                Location(
                    facility=self.text(loc, "facility/name"),
                    city=self.text(address, "city") if address is not None else None,
                    state=self.text(address, "state") if address is not None else None,
                    zip=self.text(address, "zip") if address is not None else None,
                    country=self.text(address, "country") if address is not None else None,
                    status=self.code(
                        RecruitmentStatus, self.text(loc, "status"), f"{ROOT}/location/status"
                    ),
                    contacts=contacts,
                )
            )
        t.locations = locations

    def _references(self, t: Trial, root: Element) -> None:
        t.references = [
            Reference(citation=self.text(r, "citation"), pmid=self.text(r, "PMID"), type=kind)
            for tag, kind in (
                ("reference", ReferenceType.BACKGROUND),
                ("results_reference", ReferenceType.RESULT),
            )
            for r in root.findall(tag)
        ]
        t.see_also_links = [
            SeeAlsoLink(url=url, label=self.text(link, "description"))
            for link in root.findall("link")
            if (url := self.text(link, "url"))
        ]
        t.avail_ipds = [
            AvailIpd(
                id=self.text(d, "doc_id"),
                type=self.text(d, "doc_type"),
                url=self.text(d, "doc_url"),
                comment=self.text(d, "doc_comment"),
            )
            for d in root.findall("study_docs/study_doc")
        ]
        ipd = root.find("patient_data")
        if ipd is not None:
            at = f"{ROOT}/patient_data"
            t.ipd_sharing = IpdSharingStatement(
                sharing=self.code(IpdSharing, self.text(ipd, "sharing_ipd"), f"{at}/sharing_ipd"),
                description=self.text(ipd, "ipd_description"),
                info_types=[
                    self.code(IpdInfoType, v, f"{at}/ipd_info_type")  # type: ignore[misc]
                    for v in self.texts(ipd, "ipd_info_type")
                ],
                time_frame=self.text(ipd, "ipd_time_frame"),
                access_criteria=self.text(ipd, "ipd_access_criteria"),
                url=self.text(ipd, "ipd_url"),
            )
