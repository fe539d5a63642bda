"""Turn one ClinicalTrials.gov API v2 study object into a Trial, naming the path of any bad field.

The object is what ``GET /api/v2/studies/{nctId}`` returns (``protocolSection``,
``derivedSection``, ``hasResults``; ``resultsSection`` is not modelled yet). Every value is
type-checked and every enumeration goes through the model's codes, so a RecordError names the
API field path (``protocolSection.designModule.phases[0]``) and what was expected. The
criteria text is split into items by :mod:`kg.readers.criteria`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, TypeVar

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
    BrowseBranch,
    BrowseLeaf,
    BrowseModule,
    Code,
    Contact,
    ContactRole,
    DateInfo,
    DateType,
    Design,
    Eligibility,
    EnrollmentType,
    GeoPoint,
    Intervention,
    InterventionModel,
    InterventionType,
    IpdInfoType,
    IpdSharing,
    IpdSharingStatement,
    Location,
    Masking,
    MeshTerm,
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
    Relevance,
    ResponsibleParty,
    ResponsiblePartyType,
    SamplingMethod,
    SecondaryId,
    SecondaryIdType,
    SeeAlsoLink,
    Sex,
    Source,
    StandardAge,
    StudyType,
    TimePerspective,
    Trial,
    WhoMasked,
)
from kg.readers.criteria import split_criteria

C = TypeVar("C", bound=Code)
Result = Trial | RecordError


def study_to_trial(study: Any, source: Source) -> Result:
    """The Trial for one API v2 study object, or a RecordError naming the faulty field.

    >>> t = study_to_trial({"protocolSection": {"identificationModule": {"nctId": "NCT00000102"},
    ...     "designModule": {"phases": ["PHASE1", "PHASE2"]}}}, Source("x.json", "ctgov-json"))
    >>> t.nct_id, [p.value for p in t.design.phases]
    ('NCT00000102', ['PHASE1', 'PHASE2'])
    >>> error = study_to_trial({"protocolSection": {
    ...     "identificationModule": {"nctId": "NCT00000102"},
    ...     "designModule": {"phases": ["PHASE9"]}}}, Source("x.json", "ctgov-json"))
    >>> error.field, error.reason.split(" (")[0]
    ('protocolSection.designModule.phases[0]', "'PHASE9' is not a Phase code")
    """
    if not isinstance(study, dict):
        return RecordError(str(source), f"a study must be a JSON object, not {_kind(study)}")
    try:
        return _StudyReader(str(source)).trial(study, source)
    except RecordError as error:
        return error


def _kind(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), "null")


_EMPTY: Mapping[str, Any] = {}
_CONTACT_KEYS = ("name", "phone", "phoneExt", "email")
_LOCATION_KEYS = ("facility", "city", "state", "zip", "country")
_OUTCOME_KEYS = ("measure", "description", "timeFrame")
_MESH_KEYS = ("id", "term")
_LEAF_KEYS = ("id", "name", "asFound")


@lru_cache(maxsize=65536)
def _parse_date(text: str) -> PartialDate:
    """PartialDate.parse, cached: a batch repeats the same few thousand (frozen) dates."""
    return PartialDate.parse(text)


class _StudyReader:
    """Field access with type checks; every failure names the API field path."""

    __slots__ = ("file", "nct")

    def __init__(self, file: str) -> None:
        self.file = file
        self.nct: str | None = None

    def fail(self, where: str, reason: str) -> RecordError:
        return RecordError(self.file, reason, record=self.nct, field=where)

    # ---- typed access: ``m`` is a mapping, ``key`` its field, ``at`` the path of ``m``

    def obj(self, m: Mapping[str, Any], key: str, at: str) -> Mapping[str, Any]:
        value = m.get(key)
        if value is None:
            return _EMPTY
        if not isinstance(value, dict):
            raise self.fail(f"{at}.{key}", f"expected an object, got {_kind(value)}")
        return value

    def objs(self, m: Mapping[str, Any], key: str, at: str) -> list[tuple[str, Mapping]]:
        """The objects of a list field, each with its path."""
        out = []
        for i, value in enumerate(self.lst(m, key, at)):
            if not isinstance(value, dict):
                raise self.fail(f"{at}.{key}[{i}]", f"expected an object, got {_kind(value)}")
            out.append((f"{at}.{key}[{i}]", value))
        return out

    def lst(self, m: Mapping[str, Any], key: str, at: str) -> list:
        value = m.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{at}.{key}", f"expected a list, got {_kind(value)}")
        return value

    def text(self, m: Mapping[str, Any], key: str, at: str) -> str | None:
        value = m.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self.fail(f"{at}.{key}", f"expected text, got {_kind(value)} {value!r}")

    def strs(self, m: Mapping[str, Any], keys: tuple[str, ...], at: str) -> list[str | None]:
        """Several optional text fields at once (the hot path: sites, contacts, outcomes)."""
        values = [m.get(key) for key in keys]
        for value, key in zip(values, keys, strict=True):
            if value is not None and value.__class__ is not str:
                raise self.fail(f"{at}.{key}", f"expected text, got {_kind(value)} {value!r}")
        return values

    def texts(self, m: Mapping[str, Any], key: str, at: str) -> list[str]:
        values = self.lst(m, key, at)
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{at}.{key}[{i}]", f"expected text, got {_kind(value)}")
        return values

    def flag(self, m: Mapping[str, Any], key: str, at: str) -> bool | None:
        value = m.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise self.fail(f"{at}.{key}", f"expected true or false, got {value!r}")

    def integer(self, m: Mapping[str, Any], key: str, at: str) -> int | None:
        value = m.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise self.fail(f"{at}.{key}", f"expected a whole number, got {value!r}")

    def number(self, m: Mapping[str, Any], key: str, at: str) -> float:
        value = m.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise self.fail(f"{at}.{key}", f"expected a number, got {value!r}")

    def code(self, enum: type[C], m: Mapping[str, Any], key: str, at: str) -> C | None:
        value = m.get(key)
        if value is None:
            return None
        return self._code(enum, value, f"{at}.{key}")

    def codes(self, enum: type[C], m: Mapping[str, Any], key: str, at: str) -> list[C]:
        return [
            self._code(enum, value, f"{at}.{key}[{i}]")
            for i, value in enumerate(self.lst(m, key, at))
        ]

    def _code(self, enum: type[C], value: Any, where: str) -> C:
        member = enum._value2member_map_.get(value) if isinstance(value, str) else None
        if member is not None:
            return member  # type: ignore[return-value]
        if not isinstance(value, str):
            raise self.fail(where, f"expected a {enum.__name__} code, got {value!r}")
        try:
            return enum.parse(value)  # type: ignore[return-value]
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None

    def date(self, m: Mapping[str, Any], key: str, at: str) -> PartialDate | None:
        value = self.text(m, key, at)
        if value is None:
            return None
        try:
            return _parse_date(value)
        except ValueError as exc:
            raise self.fail(f"{at}.{key}", str(exc)) from None

    def date_struct(self, m: Mapping[str, Any], key: str, at: str) -> DateInfo | None:
        struct = self.obj(m, key, at)
        if not struct:
            return None
        where = f"{at}.{key}"
        day = self.date(struct, "date", where)
        if day is None:
            return None
        return DateInfo(day, self.code(DateType, struct, "type", where))

    def age(self, m: Mapping[str, Any], key: str, at: str) -> Age | None:
        value = self.text(m, key, at)
        if value is None:
            return None
        try:
            return Age.parse(value)
        except ValueError as exc:
            raise self.fail(f"{at}.{key}", str(exc)) from None

    # ---- the study

    def trial(self, study: Mapping[str, Any], source: Source) -> Trial:
        protocol = self.obj(study, "protocolSection", "")
        p = "protocolSection"
        ident = self.obj(protocol, "identificationModule", p)
        at = f"{p}.identificationModule"
        nct = ident.get("nctId")
        if not isinstance(nct, str) or not nct:
            raise self.fail(f"{at}.nctId", "the study has no NCT id; it cannot be identified")
        if not NCT_ID.match(nct):
            raise self.fail(f"{at}.nctId", f"{nct!r} is not an NCT id (NCT and 8 digits)")
        self.nct = nct
        trial = Trial(nct_id=nct, source=source)
        self._identification(trial, ident, at)
        self._status(trial, self.obj(protocol, "statusModule", p), f"{p}.statusModule")
        self._sponsors(
            trial,
            self.obj(protocol, "sponsorCollaboratorsModule", p),
            f"{p}.sponsorCollaboratorsModule",
        )
        self._oversight(trial, self.obj(protocol, "oversightModule", p), f"{p}.oversightModule")
        desc = self.obj(protocol, "descriptionModule", p)
        trial.brief_summary = self.text(desc, "briefSummary", f"{p}.descriptionModule")
        trial.detailed_description = self.text(
            desc, "detailedDescription", f"{p}.descriptionModule"
        )
        cond = self.obj(protocol, "conditionsModule", p)
        trial.conditions = self.texts(cond, "conditions", f"{p}.conditionsModule")
        trial.keywords = self.texts(cond, "keywords", f"{p}.conditionsModule")
        trial.design = self._design(self.obj(protocol, "designModule", p), f"{p}.designModule")
        self._arms(
            trial,
            self.obj(protocol, "armsInterventionsModule", p),
            f"{p}.armsInterventionsModule",
        )
        self._outcomes(trial, self.obj(protocol, "outcomesModule", p), f"{p}.outcomesModule")
        trial.eligibility = self._eligibility(
            self.obj(protocol, "eligibilityModule", p), f"{p}.eligibilityModule"
        )
        self._contacts(
            trial, self.obj(protocol, "contactsLocationsModule", p), f"{p}.contactsLocationsModule"
        )
        self._references(trial, self.obj(protocol, "referencesModule", p), f"{p}.referencesModule")
        ipd = self.obj(protocol, "ipdSharingStatementModule", p)
        if ipd:
            trial.ipd_sharing = self._ipd(ipd, f"{p}.ipdSharingStatementModule")
        derived = self.obj(study, "derivedSection", "")
        d = "derivedSection"
        trial.condition_browse = self._browse(
            self.obj(derived, "conditionBrowseModule", d), f"{d}.conditionBrowseModule"
        )
        trial.intervention_browse = self._browse(
            self.obj(derived, "interventionBrowseModule", d), f"{d}.interventionBrowseModule"
        )
        misc = self.obj(derived, "miscInfoModule", d)
        trial.version_holder = self.date(misc, "versionHolder", f"{d}.miscInfoModule")
        trial.has_results = self.flag(study, "hasResults", "")
        return trial

    def _identification(self, trial: Trial, m: Mapping[str, Any], at: str) -> None:
        trial.brief_title = self.text(m, "briefTitle", at)
        trial.official_title = self.text(m, "officialTitle", at)
        trial.acronym = self.text(m, "acronym", at)
        org_id = self.obj(m, "orgStudyIdInfo", at)
        if org_id.get("id") is not None:
            where = f"{at}.orgStudyIdInfo"
            trial.org_study_id = OrgStudyId(
                id=self.text(org_id, "id", where) or "",
                type=self.text(org_id, "type", where),
                link=self.text(org_id, "link", where),
            )
        trial.secondary_ids = [
            SecondaryId(
                id=self.text(s, "id", where) or "",
                type=self.code(SecondaryIdType, s, "type", where),
                domain=self.text(s, "domain", where),
                link=self.text(s, "link", where),
            )
            for where, s in self.objs(m, "secondaryIdInfos", at)
            if s.get("id")
        ]
        trial.nct_id_aliases = self.texts(m, "nctIdAliases", at)
        org = self.obj(m, "organization", at)
        if org.get("fullName") is not None:
            trial.organization = Organization(
                self.text(org, "fullName", f"{at}.organization") or "",
                self.code(AgencyClass, org, "class", f"{at}.organization"),
            )

    def _status(self, trial: Trial, m: Mapping[str, Any], at: str) -> None:
        trial.overall_status = self.code(OverallStatus, m, "overallStatus", at)
        trial.last_known_status = self.code(OverallStatus, m, "lastKnownStatus", at)
        trial.why_stopped = self.text(m, "whyStopped", at)
        trial.status_verified_date = self.date(m, "statusVerifiedDate", at)
        trial.has_expanded_access = self.flag(
            self.obj(m, "expandedAccessInfo", at), "hasExpandedAccess", f"{at}.expandedAccessInfo"
        )
        trial.start = self.date_struct(m, "startDateStruct", at)
        trial.primary_completion = self.date_struct(m, "primaryCompletionDateStruct", at)
        trial.completion = self.date_struct(m, "completionDateStruct", at)
        trial.study_first_submit = self.date(m, "studyFirstSubmitDate", at)
        trial.study_first_post = self.date_struct(m, "studyFirstPostDateStruct", at)
        trial.results_first_submit = self.date(m, "resultsFirstSubmitDate", at)
        trial.results_first_post = self.date_struct(m, "resultsFirstPostDateStruct", at)
        trial.last_update_submit = self.date(m, "lastUpdateSubmitDate", at)
        trial.last_update_post = self.date_struct(m, "lastUpdatePostDateStruct", at)

    def _sponsors(self, trial: Trial, m: Mapping[str, Any], at: str) -> None:
        lead = self.obj(m, "leadSponsor", at)
        if lead.get("name") is not None:
            where = f"{at}.leadSponsor"
            trial.lead_sponsor = Organization(
                self.text(lead, "name", where) or "", self.code(AgencyClass, lead, "class", where)
            )
        trial.collaborators = [
            Organization(
                self.text(c, "name", where) or "", self.code(AgencyClass, c, "class", where)
            )
            for where, c in self.objs(m, "collaborators", at)
            if c.get("name")
        ]
        party = self.obj(m, "responsibleParty", at)
        if party:
            where = f"{at}.responsibleParty"
            trial.responsible_party = ResponsibleParty(
                type=self.code(ResponsiblePartyType, party, "type", where),
                investigator_name=self.text(party, "investigatorFullName", where),
                investigator_title=self.text(party, "investigatorTitle", where),
                investigator_affiliation=self.text(party, "investigatorAffiliation", where),
                old_name_title=self.text(party, "oldNameTitle", where),
                old_organization=self.text(party, "oldOrganization", where),
            )

    def _oversight(self, trial: Trial, m: Mapping[str, Any], at: str) -> None:
        if not m:
            return
        trial.oversight = Oversight(
            has_dmc=self.flag(m, "oversightHasDmc", at),
            is_fda_regulated_drug=self.flag(m, "isFdaRegulatedDrug", at),
            is_fda_regulated_device=self.flag(m, "isFdaRegulatedDevice", at),
            is_unapproved_device=self.flag(m, "isUnapprovedDevice", at),
            is_us_export=self.flag(m, "isUsExport", at),
            fdaaa801_violation=self.flag(m, "fdaaa801Violation", at),
        )

    def _design(self, m: Mapping[str, Any], at: str) -> Design:
        info = self.obj(m, "designInfo", at)
        di = f"{at}.designInfo"
        masking = self.obj(info, "maskingInfo", di)
        mi = f"{di}.maskingInfo"
        enrollment = self.obj(m, "enrollmentInfo", at)
        ei = f"{at}.enrollmentInfo"
        bio = self.obj(m, "bioSpec", at)
        return Design(
            study_type=self.code(StudyType, m, "studyType", at),
            phases=self.codes(Phase, m, "phases", at),
            patient_registry=self.flag(m, "patientRegistry", at),
            target_duration=self.text(m, "targetDuration", at),
            allocation=self.code(Allocation, info, "allocation", di),
            intervention_model=self.code(InterventionModel, info, "interventionModel", di),
            intervention_model_description=self.text(info, "interventionModelDescription", di),
            primary_purpose=self.code(PrimaryPurpose, info, "primaryPurpose", di),
            observational_model=self.code(ObservationalModel, info, "observationalModel", di),
            time_perspective=self.code(TimePerspective, info, "timePerspective", di),
            masking=self.code(Masking, masking, "masking", mi),
            masking_description=self.text(masking, "maskingDescription", mi),
            who_masked=self.codes(WhoMasked, masking, "whoMasked", mi),
            enrollment_count=self.integer(enrollment, "count", ei),
            enrollment_type=self.code(EnrollmentType, enrollment, "type", ei),
            bio_spec_retention=self.code(BioSpecRetention, bio, "retention", f"{at}.bioSpec"),
            bio_spec_description=self.text(bio, "description", f"{at}.bioSpec"),
        )

    def _arms(self, trial: Trial, m: Mapping[str, Any], at: str) -> None:
        trial.arms = [
            Arm(
                label=self.text(a, "label", where) or "",
                type=self.code(ArmType, a, "type", where),
                description=self.text(a, "description", where),
                intervention_names=self.texts(a, "interventionNames", where),
            )
            for where, a in self.objs(m, "armGroups", at)
        ]
        trial.interventions = [
            Intervention(
                name=self.text(i, "name", where) or "",
                type=self.code(InterventionType, i, "type", where),
                description=self.text(i, "description", where),
                other_names=self.texts(i, "otherNames", where),
                arm_group_labels=self.texts(i, "armGroupLabels", where),
            )
            for where, i in self.objs(m, "interventions", at)
        ]

    def _outcomes(self, trial: Trial, m: Mapping[str, Any], at: str) -> None:
        outcomes = []
        for kind, key in (
            (OutcomeKind.PRIMARY, "primaryOutcomes"),
            (OutcomeKind.SECONDARY, "secondaryOutcomes"),
            (OutcomeKind.OTHER, "otherOutcomes"),
        ):
            for where, o in self.objs(m, key, at):
                measure, description, time_frame = self.strs(o, _OUTCOME_KEYS, where)
                if measure is None:
                    raise self.fail(f"{where}.measure", "an outcome without a measure")
                outcomes.append(
                    Outcome(
                        kind=kind,
                        measure=measure,
                        description=description,
                        time_frame=time_frame,
                    )
                )
        trial.outcomes = outcomes

    def _eligibility(self, m: Mapping[str, Any], at: str) -> Eligibility:
        text = self.text(m, "eligibilityCriteria", at)
        inclusion, exclusion = split_criteria(text)
        return Eligibility(
            criteria_text=text,
            inclusion=inclusion,
            exclusion=exclusion,
            sex=self.code(Sex, m, "sex", at),
            gender_based=self.flag(m, "genderBased", at),
            gender_description=self.text(m, "genderDescription", at),
            minimum_age=self.age(m, "minimumAge", at),
            maximum_age=self.age(m, "maximumAge", at),
            std_ages=self.codes(StandardAge, m, "stdAges", at),
            healthy_volunteers=self.flag(m, "healthyVolunteers", at),
            study_population=self.text(m, "studyPopulation", at),
            sampling_method=self.code(SamplingMethod, m, "samplingMethod", at),
        )

    def _contact(self, c: Mapping[str, Any], where: str) -> Contact:
        name, phone, ext, email = self.strs(c, _CONTACT_KEYS, where)
        return Contact(
            name=name,
            role=self.code(ContactRole, c, "role", where),
            phone=phone,
            phone_ext=ext,
            email=email,
        )

    def _contacts(self, trial: Trial, m: Mapping[str, Any], at: str) -> None:
        trial.central_contacts = [
            self._contact(c, where) for where, c in self.objs(m, "centralContacts", at)
        ]
        trial.officials = [
            Official(
                name=self.text(o, "name", where) or "",
                role=self.code(OfficialRole, o, "role", where),
                affiliation=self.text(o, "affiliation", where),
            )
            for where, o in self.objs(m, "overallOfficials", at)
        ]
        locations = []
        for where, loc in self.objs(m, "locations", at):
            facility, city, state, zip_code, country = self.strs(loc, _LOCATION_KEYS, where)
            geo = self.obj(loc, "geoPoint", where)
            contacts = loc.get("contacts")
            locations.append(
                Location(
                    facility=facility,
                    city=city,
                    state=state,
                    zip=zip_code,
                    country=country,
                    status=self.code(RecruitmentStatus, loc, "status", where),
                    geo=GeoPoint(
                        self.number(geo, "lat", f"{where}.geoPoint"),
                        self.number(geo, "lon", f"{where}.geoPoint"),
                    )
                    if geo
                    else None,
                    contacts=[self._contact(c, cw) for cw, c in self.objs(loc, "contacts", where)]
                    if contacts
                    else [],
                )
            )
        trial.locations = locations

    def _references(self, trial: Trial, m: Mapping[str, Any], at: str) -> None:
        trial.references = [
            Reference(
                citation=self.text(r, "citation", where),
                pmid=self.text(r, "pmid", where),
                type=self.code(ReferenceType, r, "type", where),
            )
            for where, r in self.objs(m, "references", at)
        ]
        trial.see_also_links = [
            SeeAlsoLink(url=self.text(s, "url", where) or "", label=self.text(s, "label", where))
            for where, s in self.objs(m, "seeAlsoLinks", at)
            if s.get("url")
        ]
        trial.avail_ipds = [
            AvailIpd(
                id=self.text(a, "id", where),
                type=self.text(a, "type", where),
                url=self.text(a, "url", where),
                comment=self.text(a, "comment", where),
            )
            for where, a in self.objs(m, "availIpds", at)
        ]

    def _ipd(self, m: Mapping[str, Any], at: str) -> IpdSharingStatement:
        return IpdSharingStatement(
            sharing=self.code(IpdSharing, m, "ipdSharing", at),
            description=self.text(m, "description", at),
            info_types=self.codes(IpdInfoType, m, "infoTypes", at),
            time_frame=self.text(m, "timeFrame", at),
            access_criteria=self.text(m, "accessCriteria", at),
            url=self.text(m, "url", at),
        )

    def _mesh(self, m: Mapping[str, Any], key: str, at: str) -> list[MeshTerm]:
        terms = []
        for where, t in self.objs(m, key, at):
            mesh_id, term = self.strs(t, _MESH_KEYS, where)
            if mesh_id:
                terms.append(MeshTerm(id=mesh_id, term=term or ""))
        return terms

    def _leaf(self, leaf: Mapping[str, Any], where: str) -> BrowseLeaf:
        leaf_id, name, as_found = self.strs(leaf, _LEAF_KEYS, where)
        return BrowseLeaf(
            id=leaf_id or "",
            name=name or "",
            as_found=as_found,
            relevance=self.code(Relevance, leaf, "relevance", where),
        )

    def _browse(self, m: Mapping[str, Any], at: str) -> BrowseModule:
        if not m:
            return BrowseModule()
        return BrowseModule(
            meshes=self._mesh(m, "meshes", at),
            ancestors=self._mesh(m, "ancestors", at),
            leaves=[self._leaf(leaf, where) for where, leaf in self.objs(m, "browseLeaves", at)],
            branches=[
                BrowseBranch(
                    abbrev=self.text(b, "abbrev", where) or "",
                    name=self.text(b, "name", where) or "",
                )
                for where, b in self.objs(m, "browseBranches", at)
            ],
        )
