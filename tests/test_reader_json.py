"""The API v2 JSON reader against the real corpus, in every input shape, and against bad input."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import zipfile
from pathlib import Path

import pytest
from conftest import V2_FILES

from kg.errors import ConfigError, RecordError
from kg.model import Age, OutcomeKind, PartialDate, Trial
from kg.readers import READERS, read_paths
from kg.readers import ctgov_json as ctgov_json_module
from kg.readers.criteria import split_criteria
from kg.readers.ctgov_json import CtgovJsonReader

READER = CtgovJsonReader()
INCLUSION_HEADING = re.compile(r"(?im)^\W*(?:key |main )?inclusion criteria\b")


def _date(text: str | None) -> PartialDate | None:
    """An independent reading of a registry date, keeping its precision."""
    if text is None:
        return None
    parts = [int(p) for p in text.split("-")]
    return PartialDate(*parts)


def _only(results: list) -> Trial:
    errors = [r for r in results if isinstance(r, RecordError)]
    assert not errors, [str(e) for e in errors]
    assert len(results) == 1
    return results[0]


def _bare(trial: Trial) -> Trial:
    """The trial without its provenance, for comparing the same record read from two shapes."""
    return dataclasses.replace(trial, source=None)


@pytest.mark.parametrize("path", V2_FILES, ids=[p.stem for p in V2_FILES])
def test_record_matches_its_json(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    trial = _only(list(READER.read(path)))
    protocol = raw["protocolSection"]
    ident = protocol["identificationModule"]
    status = protocol["statusModule"]
    design = protocol.get("designModule", {})
    sponsors = protocol.get("sponsorCollaboratorsModule", {})
    arms = protocol.get("armsInterventionsModule", {})
    outcomes = protocol.get("outcomesModule", {})
    eligibility = protocol.get("eligibilityModule", {})
    derived = raw.get("derivedSection", {})

    assert trial.nct_id == ident["nctId"] == path.stem
    assert trial.source is not None
    assert (trial.source.path, trial.source.format) == (str(path), "ctgov-json")
    assert trial.brief_title == ident.get("briefTitle")
    assert trial.official_title == ident.get("officialTitle")
    assert trial.overall_status is not None
    assert trial.overall_status.value == status["overallStatus"]
    assert [p.value for p in trial.design.phases] == design.get("phases", [])
    assert trial.design.enrollment_count == design.get("enrollmentInfo", {}).get("count")
    for attr, key in [
        ("start", "startDateStruct"),
        ("primary_completion", "primaryCompletionDateStruct"),
        ("completion", "completionDateStruct"),
        ("last_update_post", "lastUpdatePostDateStruct"),
    ]:
        struct = status.get(key)
        info = getattr(trial, attr)
        if struct is None:
            assert info is None
        else:
            assert info.date == _date(struct["date"])
            assert str(info.date) == struct["date"]  # precision kept: "2021-04" stays a month
            assert (info.type.value if info.type else None) == struct.get("type")
    assert trial.status_verified_date == _date(status.get("statusVerifiedDate"))
    lead = sponsors["leadSponsor"]
    assert trial.lead_sponsor is not None
    assert (trial.lead_sponsor.name, trial.lead_sponsor.agency_class.value) == (
        lead["name"],
        lead["class"],
    )
    assert [
        (c.name, c.agency_class.value if c.agency_class else None) for c in trial.collaborators
    ] == [(c["name"], c.get("class")) for c in sponsors.get("collaborators", [])]
    assert trial.conditions == protocol.get("conditionsModule", {}).get("conditions", [])
    for module, browse in [
        ("conditionBrowseModule", trial.condition_browse),
        ("interventionBrowseModule", trial.intervention_browse),
    ]:
        expected = derived.get(module, {})
        assert [m.id for m in browse.meshes] == [m["id"] for m in expected.get("meshes", [])]
        assert [m.id for m in browse.ancestors] == [m["id"] for m in expected.get("ancestors", [])]
        assert [leaf.id for leaf in browse.leaves] == [
            leaf["id"] for leaf in expected.get("browseLeaves", [])
        ]
        assert len(browse.branches) == len(expected.get("browseBranches", []))
    assert len(trial.arms) == len(arms.get("armGroups", []))
    assert len(trial.interventions) == len(arms.get("interventions", []))
    for kind, key in [
        (OutcomeKind.PRIMARY, "primaryOutcomes"),
        (OutcomeKind.SECONDARY, "secondaryOutcomes"),
        (OutcomeKind.OTHER, "otherOutcomes"),
    ]:
        assert [o.measure for o in trial.outcomes if o.kind is kind] == [
            o["measure"] for o in outcomes.get(key, [])
        ]
    locations = protocol.get("contactsLocationsModule", {}).get("locations", [])
    assert len(trial.locations) == len(locations)
    assert [loc.country for loc in trial.locations] == [loc.get("country") for loc in locations]
    text = eligibility.get("eligibilityCriteria")
    assert trial.eligibility.criteria_text == text
    if text and INCLUSION_HEADING.search(text):
        assert trial.eligibility.inclusion, "criteria text has an inclusion heading but no items"
    if "minimumAge" in eligibility:
        assert trial.eligibility.minimum_age == Age.parse(eligibility["minimumAge"])
    assert trial.version_holder == _date(derived["miscInfoModule"]["versionHolder"])
    assert trial.has_results is raw["hasResults"]


# --------------------------------------------------------------------------- input shapes


@pytest.fixture(scope="module")
def corpus() -> list[tuple[Path, dict]]:
    if not V2_FILES:
        pytest.skip("shared data ctgov/v2 is absent (set TRIALKG_SHARED_DATA)")
    return [(p, json.loads(p.read_text(encoding="utf-8"))) for p in V2_FILES]


@pytest.fixture(scope="module")
def expected(corpus) -> list[Trial]:
    return [_bare(_only(list(READER.read(path)))) for path, _ in corpus]


def _write_shapes(folder: Path, corpus: list[tuple[Path, dict]]) -> dict[str, Path]:
    studies = [study for _, study in corpus]
    shapes = {
        "page": folder / "page.json",
        "array": folder / "ctg-studies.json",
        "ndjson": folder / "studies.ndjson",
        "ndjson.gz": folder / "studies.ndjson.gz",
        "json.gz": folder / "page.json.gz",
        "zip": folder / "ctg-studies.json.zip",
    }
    raw = [path.read_bytes().strip() for path, _ in corpus]  # compact: one line each
    page = b'{"studies": [' + b",\n".join(raw) + b'], "nextPageToken": "abc"}'
    shapes["page"].write_bytes(page)
    shapes["array"].write_text(json.dumps(studies), encoding="utf-8")  # ASCII-escaped form
    lines = b"\n".join(raw) + b"\n"
    shapes["ndjson"].write_bytes(lines)
    shapes["ndjson.gz"].write_bytes(gzip.compress(lines, compresslevel=1))
    shapes["json.gz"].write_bytes(gzip.compress(page, compresslevel=1))
    with zipfile.ZipFile(shapes["zip"], "w", zipfile.ZIP_DEFLATED) as archive:
        for path, _ in corpus:
            archive.write(path, f"ctg-studies/{path.name}")
    return shapes


@pytest.fixture(scope="module")
def shapes(tmp_path_factory, corpus) -> dict[str, Path]:
    return _write_shapes(tmp_path_factory.mktemp("shapes"), corpus)


@pytest.mark.parametrize("shape", ["page", "array", "ndjson", "ndjson.gz", "json.gz", "zip"])
def test_every_shape_gives_the_same_trials(shape, shapes, expected) -> None:
    results = list(read_paths([shapes[shape]]))
    assert not [str(r) for r in results if isinstance(r, RecordError)]
    assert [_bare(t) for t in results] == expected


STREAMED = 150
"""Studies in the streamed shapes: enough to cross many ijson read blocks, cheap on 2 cores."""


@pytest.fixture(scope="module")
def small_shapes(tmp_path_factory, corpus) -> dict[str, Path]:
    return _write_shapes(tmp_path_factory.mktemp("small"), corpus[:STREAMED])


@pytest.mark.parametrize("shape", ["page", "array", "json.gz"])
def test_streaming_path_gives_the_same_trials(shape, small_shapes, expected, monkeypatch) -> None:
    """Inputs above FAST_LIMIT are streamed with ijson; the trials must not change."""
    monkeypatch.setattr(ctgov_json_module, "FAST_LIMIT", 1024)
    results = list(read_paths([small_shapes[shape]]))
    assert not [str(r) for r in results if isinstance(r, RecordError)]
    assert [_bare(t) for t in results] == expected[:STREAMED]


def test_source_names_the_entry(small_shapes) -> None:
    first = {name: next(iter(read_paths([path]))).source for name, path in small_shapes.items()}
    assert first["page"].entry == "studies[0]"
    assert first["array"].entry == "[0]"
    assert first["ndjson"].entry == "line 1"
    assert first["zip"].entry == f"ctg-studies/{V2_FILES[0].name}"
    assert first["zip"].path == str(small_shapes["zip"])


# --------------------------------------------------------------------------- bad input


def _study(corpus, index: int = 0) -> dict:
    return json.loads(json.dumps(corpus[index][1]))


def _errors(results) -> list[RecordError]:
    return [r for r in results if isinstance(r, RecordError)]


def _trials(results) -> list[Trial]:
    return [r for r in results if isinstance(r, Trial)]


def test_bad_records_are_reported_and_the_batch_goes_on(tmp_path, corpus) -> None:
    good = [_study(corpus, i) for i in range(3)]
    no_id = _study(corpus, 3)
    del no_id["protocolSection"]["identificationModule"]["nctId"]
    sixty = _study(corpus, 4)
    sixty["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "sixty"
    phase = _study(corpus, 5)
    phase["protocolSection"]["designModule"]["phases"] = ["PHASE9"]
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": [good[0], no_id, sixty, phase, good[1], good[2]]}))

    results = list(read_paths([page]))
    assert len(results) == 6  # every record ends as a trial or an error
    assert [t.nct_id for t in _trials(results)] == [
        s["protocolSection"]["identificationModule"]["nctId"] for s in good
    ]
    missing, count, code = _errors(results)
    assert missing.file == f"{page}:studies[1]"
    assert missing.field == "protocolSection.identificationModule.nctId"
    assert "no NCT id" in missing.reason
    assert count.record == sixty["protocolSection"]["identificationModule"]["nctId"]
    assert count.field == "protocolSection.designModule.enrollmentInfo.count"
    assert "'sixty'" in count.reason
    assert code.field == "protocolSection.designModule.phases[0]"
    assert "PHASE9" in code.reason and "PHASE1" in code.reason and "EARLY_PHASE1" in code.reason


def test_truncated_and_empty_files(tmp_path, corpus) -> None:
    whole = json.dumps(_study(corpus))
    (tmp_path / "a_truncated.json").write_text(whole[: len(whole) // 2])
    (tmp_path / "b_empty.json").write_text("")
    (tmp_path / "c_good.json").write_text(whole)
    results = list(read_paths([tmp_path]))
    truncated, empty = _errors(results)
    assert truncated.file == str(tmp_path / "a_truncated.json")
    assert "invalid JSON at line 1, column" in truncated.reason
    assert empty.file == str(tmp_path / "b_empty.json") and empty.reason == "empty file"
    assert [t.nct_id for t in _trials(results)] == [corpus[0][0].stem]


def test_truncated_stream_keeps_the_studies_before_the_break(tmp_path, corpus, monkeypatch) -> None:
    monkeypatch.setattr(ctgov_json_module, "FAST_LIMIT", 1024)
    studies = [_study(corpus, i) for i in range(3)]
    text = json.dumps({"studies": studies})
    cut = len(json.dumps({"studies": studies[:2]})) + 50
    path = tmp_path / "page.json"
    path.write_text(text[:cut])
    results = list(read_paths([path]))
    assert len(_trials(results)) == 2
    (error,) = _errors(results)
    assert error.file == str(path) and "invalid JSON after 2 studies" in error.reason


def test_non_json_file_in_a_directory_is_reported(tmp_path, corpus) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "study.json").write_text(json.dumps(_study(corpus)))
    (tmp_path / "notes.md").write_text("# my notes\n")
    results = list(READER.read(tmp_path))
    (error,) = _errors(results)
    assert error.file == str(tmp_path / "notes.md") and "not a JSON file" in error.reason
    assert [t.nct_id for t in _trials(results)] == [corpus[0][0].stem]
    # read_paths with no format: nobody claims the file, and it says so
    (error,) = _errors(read_paths([tmp_path]))
    assert error.file == str(tmp_path / "notes.md") and "not a trial record" in error.reason


def test_ndjson_errors_name_the_line(tmp_path, corpus) -> None:
    path = tmp_path / "studies.jsonl"
    path.write_text(
        json.dumps(_study(corpus)) + "\n\n{broken\n" + json.dumps(_study(corpus, 1)) + "\n"
    )
    results = list(read_paths([path]))
    assert [t.source.entry for t in _trials(results)] == ["line 1", "line 4"]
    (error,) = _errors(results)
    assert error.file == f"{path}:line 3" and "invalid JSON" in error.reason


def test_ndjson_named_json_is_read_as_lines(tmp_path, corpus) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_study(corpus)) + "\n" + json.dumps(_study(corpus, 1)) + "\n")
    results = list(read_paths([path]))
    assert [(t.nct_id, t.source.entry) for t in results] == [
        (corpus[0][0].stem, "line 1"),
        (corpus[1][0].stem, "line 2"),
    ]


def test_zip_refuses_escaping_members(tmp_path, corpus) -> None:
    path = tmp_path / "ctg-studies.json.zip"
    body = json.dumps(_study(corpus))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("../evil.json"), body)
        archive.writestr(zipfile.ZipInfo("/abs.json"), body)
        archive.writestr("README.txt", "not a study")
        archive.writestr("ok/NCT.json", body)
    results = list(READER.read(path))
    evil, absolute, readme = _errors(results)
    assert evil.file == f"{path}:../evil.json" and "refused" in evil.reason and ".." in evil.reason
    assert absolute.file == f"{path}:/abs.json" and "absolute" in absolute.reason
    assert readme.file == f"{path}:README.txt" and "not a JSON file" in readme.reason
    (trial,) = _trials(results)
    assert trial.source.entry == "ok/NCT.json"


def test_damaged_gzip_and_zip_member_are_reported(tmp_path, corpus) -> None:
    body = json.dumps(_study(corpus)).encode()
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(body)[:-30])  # cut before the end
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("NCT.json", body)
    raw = archive.read_bytes()
    at = raw.index(body[:40]) + 20
    archive.write_bytes(raw[:at] + b"X" + raw[at + 1 :])  # same length, wrong CRC
    (tmp_path / "c.json").write_bytes(body)
    results = list(read_paths([tmp_path]))
    gz, member = _errors(results)
    assert gz.file == str(tmp_path / "a.json.gz") and "cannot be read" in gz.reason
    assert member.file == f"{archive}:NCT.json" and "cannot be read" in member.reason
    assert [t.nct_id for t in _trials(results)] == [corpus[0][0].stem]


def test_unknown_format_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ctgov-json"):
        list(read_paths(["x"], fmt="nope"))
    assert "ctgov-json" in READERS


# --------------------------------------------------------------------------- criteria


@pytest.mark.parametrize(
    ("text", "inclusion", "exclusion"),
    [
        pytest.param(
            "Key Inclusion Criteria:\n\n- a\n- b\n\nKey Exclusion Criteria:\n\n- c",
            ["a", "b"],
            ["c"],
            id="key-headings-dashes",
        ),
        pytest.param(
            "INCLUSION CRITERIA\n1. one\n2. two\n   continued\nEXCLUSION CRITERIA\n1\\. three",
            ["one", "two continued"],
            ["three"],
            id="caps-numbered-wrapped",
        ),
        pytest.param(
            "Inclusion Criteria:\n\n* Organ function:\n\n"
            "  * ANC ≥ 1500\n  * Platelets \\>= 100\n* Consent",
            ["Organ function: ANC ≥ 1500 Platelets >= 100", "Consent"],
            [],
            id="nested-sub-bullets-join-parent",
        ),
        pytest.param(
            "* INCLUSION CRITERIA:\n\nAdults who:\n\n* are 18\n\nEXCLUSION CRITERIA:\n\nPregnancy",
            ["Adults who:", "are 18"],
            ["Pregnancy"],
            id="bulleted-heading-plain-lines",
        ),
        pytest.param(
            "DISEASE CHARACTERISTICS:\n\n* Stage II\n\nExclusion Criteria: none",
            ["DISEASE CHARACTERISTICS:", "Stage II"],
            ["none"],
            id="no-inclusion-heading-text-after-colon",
        ),
        pytest.param(
            "Intro text.\n\nInclusion criteria:\n* x\n"
            "* Other inclusion/exclusion criteria may apply.",
            ["x", "Other inclusion/exclusion criteria may apply."],
            [],
            id="intro-dropped-mixed-sentence-is-item",
        ),
        pytest.param(
            "Inclusion Criteria:- Males with ED- Stable relationship Exclusion Criteria:- "
            "Primary hypoactive sexual desire- History of life-threatening arrhythmia",
            ["Males with ED", "Stable relationship"],
            ["Primary hypoactive sexual desire", "History of life-threatening arrhythmia"],
            id="flattened-onto-one-line",
        ),
    ],
)
def test_split_criteria(text, inclusion, exclusion) -> None:
    assert split_criteria(text) == (inclusion, exclusion)
