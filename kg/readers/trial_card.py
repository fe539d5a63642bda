"""Read the trial-card text export (one card per ``.txt`` file) into a Trial.

A card is plain lines: the title, ``NCT ID: …``, ``Last Updated: YYYY-MM-DD``, then sections
under fixed headings ("Basic Information", "Study Design", "Study Groups", "Eligibility
Criteria", "Sponsors", "Locations", "Other Identifiers", …), each heading followed by one
explanatory sentence of the site ("Get a concise snapshot of the trial, …"), which is skipped.
The card carries registry codes where the registry has them (``UNKNOWN``, ``PHASE1/PHASE2``,
``RANDOMIZED``, ``OTHER``), so values map straight onto :mod:`kg.model`.

Rules, so that a card from a slightly different export still reads:

- Sections are found by heading, in any order, and may be missing or empty.
- A line that looks like a heading the reader does not know (Title Case, at most six words,
  directly followed by an explanatory sentence in the site's style) starts an *unknown section*
  whose lines are ignored, so they never bleed into the section before it.
- Lines a section cannot interpret are ignored (Basic Information and Study Design classify
  each line by what it is: a status code, phases, "60 participants", a date, a design code).
- Basic Information dates, in order: start, then completion (three dates: start, primary
  completion, completion). Eligibility ends with the facts after the criteria text: ages
  (first is the minimum, second the maximum), sex, healthy volunteers ("Yes"/"No").
- Study Groups: "Type: Label" starts an arm ("Placebo-controlled: Placebo" is a
  ``PLACEBO_COMPARATOR``), the next line is its description, and lines naming an intervention
  of the Interventions section link the arm to it (the line after, when it is that
  intervention's description, is skipped). A card whose groups have no type uses "Label" then
  description.
- Interventions: name, then description. Sponsors: name then class; the first is the lead.
  Locations: facility, then "City, State, Country" (a line with two commas; a location may have
  no facility). Other Identifiers: the id, then "Identifier Type:" and "Identifier Source:"
  (``org_study_id`` or a secondary id). Related and More Related Trials: title, then NCT id.
- Study Results saying the team "has not published" sets ``has_results`` to False; other
  wording leaves it unknown. Countries and Facility Contacts carry nothing the model keeps.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import RecordError
from kg.model import (
    NCT_ID,
    Age,
    AgencyClass,
    Allocation,
    Arm,
    ArmType,
    Code,
    DateInfo,
    Design,
    Eligibility,
    Intervention,
    InterventionModel,
    Location,
    Masking,
    ObservationalModel,
    Organization,
    OrgStudyId,
    OverallStatus,
    PartialDate,
    Phase,
    PrimaryPurpose,
    RecruitmentStatus,
    RelatedTrial,
    ResponsibleParty,
    ResponsiblePartyType,
    SecondaryId,
    SecondaryIdType,
    Sex,
    Source,
    StudyType,
    TimePerspective,
    Trial,
)
from kg.readers.archive import READ_ERRORS, Entry, read_matching
from kg.readers.criteria import split_criteria

FORMAT = "trial-card"
Result = Trial | RecordError

HEADINGS: dict[str, str] = {
    "Study Results": "results",
    "Basic Information": "basic",
    "Brief Summary": "summary",
    "Related Clinical Trials": "related",
    "Detailed Description": "description",
    "Conditions": "conditions",
    "Study Design": "design",
    "Study Groups": "groups",
    "Interventions": "interventions",
    "Eligibility Criteria": "eligibility",
    "Sponsors": "sponsors",
    "Responsible Party": "party",
    "Locations": "locations",
    "Countries": "countries",
    "Facility Contacts": "contacts",
    "Other Identifiers": "identifiers",
    "More Related Trials": "related",
}
"""The card's headings and the section each fills (both related lists go to ``related``)."""

_VERBS = (
    r"(?:Get|Review|Explore|Dive|See|Understand|Learn|Check|Meet|Identify|Find|Additional"
    r"|Discover|Browse|View|Read|Compare|Track)\b"
)
_EXPLAINS = re.compile(rf"^{_VERBS}.*\.$")
"""The site's sentence under a known heading: imperative, one sentence ("Dive into ...")."""
_EXPLANATION = re.compile(rf"^{_VERBS}.*\b(?:trial|study|studies|trials|research)\b.*\.$")
"""Stricter, for telling an unknown heading: the sentence must also speak of the trial."""
_TITLE_CASE = re.compile(r"^(?:[A-Z][\w'-]*)(?: (?:[A-Z][\w'-]*|and|of|or|the|for|to|in)){0,5}$")
_HEADER_FIELD = re.compile(r"^(NCT ID|Last Updated):\s*(.*)$")
_PARTICIPANTS = re.compile(r"^(\d[\d,]*)\s+participants?$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_ARM_HEADER = re.compile(r"^([A-Za-z][A-Za-z /-]{1,40}):\s+(\S.*)$")
_ARM_TYPES = {
    "PLACEBO_CONTROLLED": ArmType.PLACEBO_COMPARATOR,
    "ACTIVE_CONTROLLED": ArmType.ACTIVE_COMPARATOR,
    "SHAM_CONTROLLED": ArmType.SHAM_COMPARATOR,
    "NO_INTERVENTION_CONTROL": ArmType.NO_INTERVENTION,
    **{member.value: member for member in ArmType},
}
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


class TrialCardReader:
    """The ``trial-card`` reader: the site's plain-text trial card, one per file."""

    name = FORMAT
    suffixes: tuple[str, ...] = (".txt",)

    def sniff(self, head: bytes) -> bool:
        """True when the first lines carry ``NCT ID: NCT…``."""
        return b"\nNCT ID: NCT" in head[:2048]

    def read(self, path: Path) -> Iterator[Result]:
        """Every card under ``path`` (file, directory or zip); other files are reported."""
        return read_matching(path, self.suffixes, self.read_entry, "a trial card")

    def read_entry(self, entry: Entry) -> Iterator[Result]:
        """The one card of a file or zip member."""
        source = Source(path=str(entry.path), format=FORMAT, entry=entry.member)
        try:
            with entry.open() as stream:
                data = stream.read()
        except READ_ERRORS as exc:
            yield RecordError(entry.label, f"cannot be read: {exc}")
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            yield RecordError(entry.label, f"not UTF-8 text: {exc}")
            return
        yield parse_card(text, source)


# --------------------------------------------------------------------------- structure


@dataclass
class _Card:
    """A card cut into its header lines and its sections' lines."""

    title: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    sections: dict[str, list[str]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


def split_card(text: str) -> _Card:
    """Cut a card into header and sections, dropping the explanatory sentence under headings.

    >>> card = split_card("T\\nNCT ID: NCT00000102\\nConditions\\nSee the conditions of "
    ...                   "this trial.\\nAsthma\\nNew Thing\\nExplore the study's new thing.\\nx")
    >>> card.title, card.fields["NCT ID"], card.sections["conditions"], card.unknown
    ('T', 'NCT00000102', ['Asthma'], ['New Thing'])
    """
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    card = _Card()
    current: list[str] | None = None  # None: the header, before any heading
    i = 0
    while i < len(lines):
        line = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        section = HEADINGS.get(line)
        if section is not None or (
            current is not None and _TITLE_CASE.match(line) and _EXPLANATION.match(following)
        ):
            if section is None:
                card.unknown.append(line)
                current = []  # an unknown section: its lines go nowhere
            else:
                current = card.sections.setdefault(section, [])
            explained = _EXPLAINS if section is not None else _EXPLANATION
            i += 2 if explained.match(following) else 1
            continue
        if current is None:
            m = _HEADER_FIELD.match(line)
            if m:
                card.fields[m.group(1)] = m.group(2).strip()
            elif card.title is None:
                card.title = line
        else:
            current.append(line)
        i += 1
    return card


# --------------------------------------------------------------------------- facts


def parse_card(text: str, source: Source) -> Result:
    """The Trial of one card, or a RecordError (no NCT id, a malformed date)."""
    card = split_card(text)
    nct = card.fields.get("NCT ID")
    if not nct:
        return RecordError(str(source), "not a trial card: no 'NCT ID:' line", field="NCT ID")
    if not NCT_ID.match(nct):
        return RecordError(str(source), f"{nct!r} is not an NCT id", field="NCT ID")
    try:
        trial = _CardReader(str(source), nct).trial(card, source)
    except RecordError as error:
        return error
    trial.reader_notes += [
        f"unknown heading {heading!r}: its section was not read" for heading in card.unknown
    ]
    return trial


def _code(enum: type[Code], text: str) -> Code | None:
    """The member whose code is ``text`` (exactly, as the card writes codes), else None."""
    return enum._value2member_map_.get(text.strip())  # type: ignore[return-value]


_COUNTRY_TAIL = re.compile(r"^(?:.* of(?: the)?|U\.S\.|British|The)$")


def _is_address(line: str, countries: list[str]) -> bool:
    """Whether a Locations line is "City, State, Country" rather than a facility name.

    With the card's Countries section it must end with one of them; without it, it must have
    two commas (the empty state of "Beijing, , China" keeps its commas).
    """
    if countries:
        return any(line == c or line.endswith(f", {c}") for c in countries)
    return line.count(",") >= 2


def _address(location: Location, line: str, countries: list[str]) -> None:
    """Fill city, state and country from "City, State, Country" ("Korea, Republic of" kept)."""
    country = next((c for c in countries if line == c or line.endswith(f", {c}")), None)
    if country is not None:
        prefix = line[: -len(country)].rstrip().removesuffix(",")
        parts = [p.strip() for p in prefix.split(",")] if line != country else []
    else:
        parts = [p.strip() for p in line.split(",")]
        country = parts.pop() if parts else None
        if parts and _COUNTRY_TAIL.match(country or ""):
            country = f"{parts.pop()}, {country}"
    location.country = country or None
    location.city = (parts[0] or None) if parts else None
    location.state = ", ".join(p for p in parts[1:] if p) or None


def _paragraphs(lines: list[str]) -> str | None:
    return "\n".join(lines) or None


class _CardReader:
    __slots__ = ("file", "nct")

    def __init__(self, file: str, nct: str) -> None:
        self.file = file
        self.nct = nct

    def fail(self, where: str, reason: str) -> RecordError:
        return RecordError(self.file, reason, record=self.nct, field=where)

    def date(self, text: str, where: str) -> PartialDate:
        try:
            return PartialDate.parse(text)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None

    def trial(self, card: _Card, source: Source) -> Trial:
        s = card.sections
        t = Trial(nct_id=self.nct, brief_title=card.title, source=source)
        updated = card.fields.get("Last Updated")
        if updated:
            t.last_update_post = DateInfo(self.date(updated, "Last Updated"))
        results = " ".join(s.get("results", []))
        if "not published" in results:
            t.has_results = False
        self._basic(t, s.get("basic", []))
        t.brief_summary = _paragraphs(s.get("summary", []))
        t.detailed_description = _paragraphs(s.get("description", []))
        t.related = self._related(s.get("related", []))
        t.conditions = list(s.get("conditions", []))
        self._design(t.design, s.get("design", []))
        t.interventions = self._interventions(s.get("interventions", []), s.get("groups", []))
        t.arms = self._arms(s.get("groups", []), t.interventions)
        t.eligibility = self._eligibility(s.get("eligibility", []))
        self._sponsors(t, s.get("sponsors", []))
        t.responsible_party = self._party(s.get("party", []))
        t.locations = self._locations(s.get("locations", []), s.get("countries", []))
        self._identifiers(t, s.get("identifiers", []))
        return t

    def _basic(self, t: Trial, lines: list[str]) -> None:
        dates: list[PartialDate] = []
        for line in lines:
            if status := _code(OverallStatus, line):
                t.overall_status = status  # type: ignore[assignment]
            elif kind := _code(StudyType, line):
                t.design.study_type = kind  # type: ignore[assignment]
            elif m := _PARTICIPANTS.match(line):
                t.design.enrollment_count = int(m.group(1).replace(",", ""))
            elif _ISO_DATE.match(line):
                dates.append(self.date(line, "Basic Information"))
            elif all(_code(Phase, p) for p in line.split("/")):
                t.design.phases = [_code(Phase, p) for p in line.split("/")]  # type: ignore[misc]
        slots = {1: ["start"], 2: ["start", "completion"]}.get(
            len(dates), ["start", "primary_completion", "completion"]
        )
        for slot, day in zip(slots, dates, strict=False):
            setattr(t, slot, DateInfo(day))

    def _related(self, lines: list[str]) -> list[RelatedTrial]:
        related = []
        title = None
        for line in lines:
            if NCT_ID.match(line):
                related.append(RelatedTrial(nct_id=line, title=title))
                title = None
            else:
                title = line
        return related

    def _design(self, design: Design, lines: list[str]) -> None:
        observational = design.study_type is StudyType.OBSERVATIONAL
        slots: list[tuple[str, type[Code]]] = [
            ("allocation", Allocation),
            ("intervention_model", InterventionModel),
            ("primary_purpose", PrimaryPurpose),
            ("masking", Masking),
            ("observational_model", ObservationalModel),
            ("time_perspective", TimePerspective),
        ]
        if observational:  # "OTHER" is then the observational model, not a purpose
            slots = slots[4:] + slots[:4]
        for line in lines:
            for attr, enum in slots:
                value = _code(enum, line)
                if value is not None and getattr(design, attr) is None:
                    setattr(design, attr, value)
                    break

    def _interventions(self, lines: list[str], groups: list[str]) -> list[Intervention]:
        """Name, then description; the group blocks repeat both, which tells a name whose
        description is missing (its next line there is not the next line here)."""
        pairs = set(itertools.pairwise(groups))
        mentioned = set(groups)
        interventions: list[Intervention] = []
        i = 0
        while i < len(lines):
            name = lines[i]
            following = lines[i + 1] if i + 1 < len(lines) else None
            if following is not None and ((name, following) in pairs or name not in mentioned):
                interventions.append(Intervention(name=name, description=following))
                i += 2
            else:
                interventions.append(Intervention(name=name))
                i += 1
        return interventions

    def _arms(self, lines: list[str], interventions: list[Intervention]) -> list[Arm]:
        by_name = {i.name: i for i in interventions}
        typed = any(self._arm_header(line) for line in lines)
        arms: list[Arm] = []
        skip_description: str | None = None
        for line in lines:
            header = self._arm_header(line)
            arm = arms[-1] if arms else None
            if header:
                arms.append(Arm(label=header[1], type=header[0]))
            elif arm is not None and line in by_name and line != skip_description:
                intervention = by_name[line]
                arm.intervention_names.append(intervention.qualified_name)
                if arm.label not in intervention.arm_group_labels:
                    intervention.arm_group_labels.append(arm.label)
                skip_description = intervention.description
            elif arm is not None and line == skip_description:
                skip_description = None
            elif arm is not None and arm.description is None:
                arm.description = line
            elif arm is not None and typed:
                arm.description = f"{arm.description}\n{line}"
            else:
                arms.append(Arm(label=line))
        return arms

    @staticmethod
    def _arm_header(line: str) -> tuple[ArmType, str] | None:
        m = _ARM_HEADER.match(line)
        if not m:
            return None
        kind = _ARM_TYPES.get(_NON_ALNUM.sub("_", m.group(1).upper()).strip("_"))
        return (kind, m.group(2).strip()) if kind else None

    def _eligibility(self, lines: list[str]) -> Eligibility:
        ages: list[Age] = []
        sex = healthy = None
        end = len(lines)
        while end > 0:  # the facts after the criteria text, read from the end
            line = lines[end - 1]
            if (value := _code(Sex, line)) and sex is None:
                sex = value
            elif line in ("Yes", "No") and healthy is None:
                healthy = line == "Yes"
            else:
                try:
                    ages.insert(0, Age.parse(line))
                except ValueError:
                    break
            end -= 1
        text = "\n".join(lines[:end]) or None
        inclusion, exclusion = split_criteria(text)
        return Eligibility(
            criteria_text=text,
            inclusion=inclusion,
            exclusion=exclusion,
            sex=sex,  # type: ignore[arg-type]
            minimum_age=ages[0] if ages else None,
            maximum_age=ages[1] if len(ages) > 1 else None,
            healthy_volunteers=healthy,
        )

    def _sponsors(self, t: Trial, lines: list[str]) -> None:
        sponsors: list[Organization] = []
        for line in lines:
            kind = _code(AgencyClass, line)
            if kind is not None and sponsors and sponsors[-1].agency_class is None:
                sponsors[-1].agency_class = kind  # type: ignore[assignment]
            else:
                sponsors.append(Organization(name=line))
        if sponsors:
            t.lead_sponsor, t.collaborators = sponsors[0], sponsors[1:]

    def _party(self, lines: list[str]) -> ResponsibleParty | None:
        """The party's type code, then investigator name, title and affiliation (if any)."""
        if not lines:
            return None
        party = ResponsibleParty()
        people: list[str | None] = []
        for line in lines:
            kind = _code(ResponsiblePartyType, line)
            if kind is not None and party.type is None:
                party.type = kind  # type: ignore[assignment]
            else:
                people.append(line)
        people += [None, None, None]
        party.investigator_name, party.investigator_title = people[0], people[1]
        party.investigator_affiliation = people[2]
        return party

    def _locations(self, lines: list[str], countries: list[str]) -> list[Location]:
        locations: list[Location] = []
        pending: Location | None = None  # a facility waiting for its address
        for line in lines:
            if status := _code(RecruitmentStatus, line):
                target = pending or (locations[-1] if locations else None)
                if target is not None:
                    target.status = status  # type: ignore[assignment]
            elif _is_address(line, countries):
                location = pending or Location()
                _address(location, line, countries)
                if pending is None:
                    locations.append(location)
                pending = None
            else:
                pending = Location(facility=line)
                locations.append(pending)
        return locations

    def _identifiers(self, t: Trial, lines: list[str]) -> None:
        groups: list[dict[str, str]] = []
        for line in lines:
            key, _, value = line.partition(":")
            if key in ("Identifier Type", "Identifier Source", "Identifier Domain") and groups:
                groups[-1][key] = value.strip()
            else:
                groups.append({"id": line})
        for g in groups:
            kind = g.get("Identifier Type", "-")
            if g.get("Identifier Source") == "org_study_id":
                t.org_study_id = OrgStudyId(g["id"], type=None if kind == "-" else kind)
            else:
                t.secondary_ids.append(
                    SecondaryId(
                        g["id"],
                        type=_code(SecondaryIdType, kind),  # type: ignore[arg-type]
                        domain=g.get("Identifier Domain"),
                    )
                )
