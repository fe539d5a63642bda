"""The legacy <clinical_study> XML reader against the real corpus, a zip dump, and hostile input."""

from __future__ import annotations

import dataclasses
import datetime
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from conftest import XML_FILES

from kg.errors import RecordError
from kg.model import PartialDate, Trial
from kg.readers import read_paths
from kg.readers.ctgov_xml import CtgovXmlReader

READER = CtgovXmlReader()

# The legacy wordings found in the corpus and the API v2 codes they stand for, written out
# here independently of the reader's normalisation rules.
STATUS = {
    "Active, not recruiting": "ACTIVE_NOT_RECRUITING",
    "Approved for marketing": "APPROVED_FOR_MARKETING",
    "Available": "AVAILABLE",
    "Completed": "COMPLETED",
    "Enrolling by invitation": "ENROLLING_BY_INVITATION",
    "No longer available": "NO_LONGER_AVAILABLE",
    "Not yet recruiting": "NOT_YET_RECRUITING",
    "Recruiting": "RECRUITING",
    "Suspended": "SUSPENDED",
    "Terminated": "TERMINATED",
    "Unknown status": "UNKNOWN",
    "Withdrawn": "WITHDRAWN",
    "Withheld": "WITHHELD",
}
PHASES = {
    "N/A": ["NA"],
    "Early Phase 1": ["EARLY_PHASE1"],
    "Phase 1": ["PHASE1"],
    "Phase 2": ["PHASE2"],
    "Phase 3": ["PHASE3"],
    "Phase 4": ["PHASE4"],
    "Phase 1/Phase 2": ["PHASE1", "PHASE2"],
    "Phase 2/Phase 3": ["PHASE2", "PHASE3"],
}
AGENCY = {"Industry": "INDUSTRY", "NIH": "NIH", "Other": "OTHER", "U.S. Fed": "FED"}
STUDY_TYPE = {
    "Interventional": "INTERVENTIONAL",
    "Observational": "OBSERVATIONAL",
    "Expanded Access": "EXPANDED_ACCESS",
    "N/A": None,
}


def _date(text: str | None) -> PartialDate | None:
    if text is None:
        return None
    for fmt, precision in (("%B %d, %Y", "day"), ("%B %Y", "month")):
        try:
            day = datetime.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
        return PartialDate(day.year, day.month, day.day if precision == "day" else None)
    raise AssertionError(f"unexpected date {text!r}")


def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path)
    return found.text.strip() if found is not None and found.text else None


def _only(results: list) -> Trial:
    assert not [str(r) for r in results if isinstance(r, RecordError)]
    assert len(results) == 1
    return results[0]


@pytest.mark.parametrize("path", XML_FILES, ids=[p.stem for p in XML_FILES])
def test_record_matches_its_xml(path: Path) -> None:
    root = ET.parse(path).getroot()
    trial = _only(list(READER.read(path)))

    assert trial.nct_id == _text(root, "id_info/nct_id") == path.stem
    assert trial.source is not None and trial.source.format == "ctgov-xml"
    assert trial.brief_title == _text(root, "brief_title")
    assert trial.official_title == _text(root, "official_title")
    assert trial.overall_status.value == STATUS[_text(root, "overall_status")]
    phase = _text(root, "phase")
    assert [p.value for p in trial.design.phases] == (PHASES[phase] if phase else [])
    kind = STUDY_TYPE[_text(root, "study_type")]
    assert (trial.design.study_type.value if trial.design.study_type else None) == kind
    enrollment = _text(root, "enrollment")
    assert trial.design.enrollment_count == (int(enrollment) if enrollment else None)
    for attr, tag in [
        ("start", "start_date"),
        ("primary_completion", "primary_completion_date"),
        ("completion", "completion_date"),
        ("last_update_post", "last_update_posted"),
    ]:
        info = getattr(trial, attr)
        expected = _date(_text(root, tag))
        assert (info.date if info else None) == expected
        if expected is not None:
            assert info.date.precision == ("day" if expected.day else "month")
    assert trial.status_verified_date == _date(_text(root, "verification_date"))
    lead = root.find("sponsors/lead_sponsor")
    assert trial.lead_sponsor.name == _text(lead, "agency")
    lead_class = _text(lead, "agency_class")
    assert (trial.lead_sponsor.agency_class.value if lead_class else None) == (
        AGENCY[lead_class] if lead_class else None
    )
    assert [(c.name, c.agency_class.value) for c in trial.collaborators] == [
        (_text(c, "agency"), AGENCY[_text(c, "agency_class")])
        for c in root.findall("sponsors/collaborator")
    ]
    assert trial.conditions == [c.text.strip() for c in root.findall("condition")]
    assert [a.label for a in trial.arms] == [
        _text(a, "arm_group_label") for a in root.findall("arm_group")
    ]
    assert [i.name for i in trial.interventions] == [
        _text(i, "intervention_name") for i in root.findall("intervention")
    ]
    assert len(trial.locations) == len(root.findall("location"))
    assert [loc.country for loc in trial.locations] == [
        _text(loc, "facility/address/country") for loc in root.findall("location")
    ]
    assert trial.condition_browse.unresolved_terms == [
        m.text for m in root.findall("condition_browse/mesh_term")
    ]
    assert trial.condition_browse.meshes == []  # names only: the linker resolves ids
    assert trial.has_results is (root.find("clinical_results") is not None)
    criteria = _text(root, "eligibility/criteria/textblock") or ""
    if "inclusion criteria" in criteria.lower():
        assert trial.eligibility.inclusion


def test_legacy_wordings_map_to_v2_codes(tmp_path) -> None:
    record = tmp_path / "NCT00000102.xml"
    record.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<clinical_study>
  <id_info><nct_id>NCT00000102</nct_id></id_info>
  <overall_status>Active, not recruiting</overall_status>
  <start_date type="Actual">July 28, 2020</start_date>
  <completion_date type="Anticipated">July 2021</completion_date>
  <phase>Phase 1/Phase 2</phase>
  <study_type>Observational [Patient Registry]</study_type>
  <study_design_info>
    <allocation>N/A</allocation>
    <intervention_model>Single Group Assignment</intervention_model>
    <masking>Double (Participant, Investigator)</masking>
  </study_design_info>
  <sponsors><lead_sponsor><agency>US Agency</agency><agency_class>U.S. Fed</agency_class>
  </lead_sponsor></sponsors>
  <arm_group><arm_group_label>A</arm_group_label><arm_group_type>Placebo Comparator</arm_group_type>
  </arm_group>
  <intervention><intervention_type>Dietary Supplement</intervention_type>
    <intervention_name>Fish oil</intervention_name><arm_group_label>A</arm_group_label>
  </intervention>
  <eligibility><gender>Both</gender><minimum_age>18 Years</minimum_age>
    <maximum_age>N/A</maximum_age>
    <healthy_volunteers>Accepts Healthy Volunteers</healthy_volunteers>
  </eligibility>
</clinical_study>
""",
        encoding="utf-8",
    )
    trial = _only(list(READER.read(record)))
    assert trial.overall_status.value == "ACTIVE_NOT_RECRUITING"
    assert (str(trial.start.date), trial.start.type.value) == ("2020-07-28", "ACTUAL")
    assert (str(trial.completion.date), trial.completion.type.value) == ("2021-07", "ESTIMATED")
    design = trial.design
    assert [p.value for p in design.phases] == ["PHASE1", "PHASE2"]
    assert (design.study_type.value, design.patient_registry) == ("OBSERVATIONAL", True)
    assert (design.allocation.value, design.intervention_model.value) == ("NA", "SINGLE_GROUP")
    assert design.masking.value == "DOUBLE"
    assert [w.value for w in design.who_masked] == ["PARTICIPANT", "INVESTIGATOR"]
    assert trial.lead_sponsor.agency_class.value == "FED"
    assert trial.arms[0].type.value == "PLACEBO_COMPARATOR"
    assert trial.arms[0].intervention_names == ["Dietary Supplement: Fish oil"]
    assert trial.interventions[0].type.value == "DIETARY_SUPPLEMENT"
    eligibility = trial.eligibility
    assert eligibility.sex.value == "ALL"
    assert str(eligibility.minimum_age) == "18 Years" and eligibility.maximum_age is None
    assert eligibility.healthy_volunteers is True


def test_unknown_wording_names_the_element(tmp_path) -> None:
    record = tmp_path / "bad.xml"
    record.write_text(
        "<clinical_study><id_info><nct_id>NCT00000102</nct_id></id_info>"
        "<phase>Phase 7</phase></clinical_study>"
    )
    (error,) = READER.read(record)
    assert isinstance(error, RecordError)
    assert (error.record, error.field) == ("NCT00000102", "clinical_study/phase")
    assert "'Phase 7'" in error.reason and "PHASE1" in error.reason


# --------------------------------------------------------------------------- the zip dump


def test_allpublicxml_zip_gives_the_same_trials(tmp_path, xml_dir) -> None:
    dump = tmp_path / "AllPublicXML.zip"
    with zipfile.ZipFile(dump, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in XML_FILES:
            archive.write(path, f"{path.stem[:7]}xxxx/{path.name}")
        archive.writestr("Contents.txt", "file list, not a record")
    results = list(read_paths([dump]))
    errors = [r for r in results if isinstance(r, RecordError)]
    # the .txt member goes to the trial-card reader, which says it is not a card
    assert [(e.file, "not a trial" in e.reason) for e in errors] == [(f"{dump}:Contents.txt", True)]
    trials = [r for r in results if isinstance(r, Trial)]
    expected = [_only(list(READER.read(p))) for p in XML_FILES]
    assert [dataclasses.replace(t, source=None) for t in trials] == [
        dataclasses.replace(t, source=None) for t in expected
    ]
    assert trials[0].source.entry == f"{XML_FILES[0].stem[:7]}xxxx/{XML_FILES[0].name}"


def test_zip_with_non_record_files_is_reported(tmp_path, xml_dir) -> None:
    dump = tmp_path / "dump.zip"
    with zipfile.ZipFile(dump, "w") as archive:
        archive.writestr("notes.xml", "<notes>not a trial</notes>")
        archive.writestr("readme.md", "# hello")
        archive.write(XML_FILES[0], XML_FILES[0].name)
    results = list(READER.read(dump))
    notes, readme = (r for r in results if isinstance(r, RecordError))
    assert notes.file == f"{dump}:notes.xml" and "<notes>" in notes.reason
    assert readme.file == f"{dump}:readme.md" and "not an XML file" in readme.reason
    assert [r.nct_id for r in results if isinstance(r, Trial)] == [XML_FILES[0].stem]


# --------------------------------------------------------------------------- hostile input

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE clinical_study [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<clinical_study><id_info><nct_id>NCT00000102</nct_id></id_info>
<brief_title>&lol9;</brief_title></clinical_study>
"""


def test_hostile_and_broken_files_are_reported(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a9c")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_bomb.xml").write_text(BILLION_LAUGHS)
    (folder / "b_xxe.xml").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE clinical_study [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<clinical_study><id_info><nct_id>NCT00000102</nct_id></id_info>"
        "<brief_title>&x;</brief_title></clinical_study>"
    )
    (folder / "c_utf16_xxe.xml").write_bytes(
        (folder / "b_xxe.xml")
        .read_text()
        .replace('"1.0"?>', '"1.0" encoding="UTF-16"?>')
        .encode("utf-16")
    )
    good = "<clinical_study><id_info><nct_id>NCT00000103</nct_id></id_info></clinical_study>"
    (folder / "d_truncated.xml").write_text(good[:40])
    (folder / "e_no_id.xml").write_text(
        "<clinical_study><brief_title>x</brief_title></clinical_study>"
    )
    (folder / "f_good.xml").write_text(good)

    results = list(READER.read(folder))
    assert len(results) == 6
    bomb, xxe, utf16, truncated, no_id, trial = results
    for error in (bomb, xxe, utf16):
        assert isinstance(error, RecordError) and error.reason.startswith("refused")
    assert bomb.file == str(folder / "a_bomb.xml")
    assert isinstance(truncated, RecordError) and "invalid XML" in truncated.reason
    assert "line 1, column" in truncated.reason
    assert isinstance(no_id, RecordError) and no_id.field == "clinical_study/id_info/nct_id"
    assert isinstance(trial, Trial) and trial.nct_id == "NCT00000103"
    assert all("TOP-SECRET" not in str(r) and "TOP-SECRET" not in repr(r) for r in results)
