"""The trial-card reader: the seed card fact by fact; hand-written cards against their v2 JSON."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import REPO, shared

from kg.errors import RecordError
from kg.model import Age, Trial
from kg.readers import read_paths
from kg.readers.ctgov_json import CtgovJsonReader
from kg.readers.trial_card import TrialCardReader

READER = TrialCardReader()
CARDS = sorted((REPO / "tests" / "fixtures" / "cards").glob("*.txt"))


def _one(results) -> Trial:
    results = list(results)
    assert not [str(r) for r in results if isinstance(r, RecordError)]
    assert len(results) == 1
    return results[0]


def test_seed_card_every_fact(seed_card: Path) -> None:
    t = _one(READER.read(seed_card))
    assert t.nct_id == "NCT04590118"
    assert t.brief_title == (
        "Allogeneic Mesenchymal Stem Cells for the Survivors of Ischemic Stroke Trial (ASSIST)"
    )
    assert (t.source.path, t.source.format) == (str(seed_card), "trial-card")
    assert str(t.last_update_post.date) == "2022-03-31"
    assert t.has_results is False
    assert t.overall_status.value == "UNKNOWN"
    d = t.design
    assert [p.value for p in d.phases] == ["PHASE1", "PHASE2"]
    assert (d.enrollment_count, d.study_type.value) == (60, "INTERVENTIONAL")
    assert (str(t.start.date), str(t.completion.date)) == ("2021-04-26", "2023-08-01")
    assert (d.allocation.value, d.intervention_model.value) == ("RANDOMIZED", "PARALLEL")
    assert (d.primary_purpose.value, d.masking.value) == ("TREATMENT", "TRIPLE")
    assert t.brief_summary is None and t.conditions == []  # empty on this card
    assert t.detailed_description.startswith("Allogeneic mesenchymal stem cells have been used")

    experimental, placebo = t.arms
    assert (experimental.type.value, experimental.label) == ("EXPERIMENTAL", "it-hMSC")
    assert experimental.description == (
        "Single intravenous infusion of 0.5×10\\^6, 1×10\\^6, 2×10\\^6 it-hMSC/kg"
    )
    assert (placebo.type.value, placebo.label) == ("PLACEBO_COMPARATOR", "Placebo")
    assert placebo.description == "Single intravenous infusion of 1 ml/kg placebo"
    msc, dummy = t.interventions
    assert (msc.name, msc.description) == (
        "it-hMSC",
        "Single intravenous infusion of it-hMSC for ischemic stroke patients",
    )
    assert (dummy.name, dummy.description) == (
        "Placebo",
        "Single intravenous infusion of 1 ml/kg placebo",
    )
    assert experimental.intervention_names == [msc.qualified_name]
    assert placebo.intervention_names == [dummy.qualified_name]
    assert (msc.arm_group_labels, dummy.arm_group_labels) == (["it-hMSC"], ["Placebo"])

    e = t.eligibility
    assert len(e.inclusion) == 10 and len(e.exclusion) == 11
    assert e.inclusion[0] == "Clinical diagnosis of ischemic stroke for more than 6 months."
    assert e.inclusion[-1].startswith("Organ function as defined by the following criteria: AST")
    assert e.inclusion[-1].endswith("Serum amylase or lipase ≤ 1.0×ULN")  # the threshold line
    assert e.exclusion[-1] == "Allergic to cattle or pork products."
    assert (e.minimum_age, e.maximum_age) == (Age.parse("18 Years"), None)
    assert (e.sex.value, e.healthy_volunteers) == ("ALL", False)

    assert (t.lead_sponsor.name, t.lead_sponsor.agency_class.value) == (
        "Beijing Tiantan Hospital",
        "OTHER",
    )
    assert [(c.name, c.agency_class.value) for c in t.collaborators] == [
        ("Jiuzhitang Maker (Beijing) Cell Technology Co.,Ltd.", "OTHER")
    ]
    (site,) = t.locations
    assert (site.facility, site.city, site.state, site.country) == (
        "Beijing Tiantan Hospital, Capital Medical University",
        "Beijing",
        None,
        "China",
    )
    assert t.org_study_id.id == "STCMSC-CT-001" and t.secondary_ids == []
    assert [(r.nct_id, r.title) for r in t.related] == [
        (
            "NCT07084012",
            "A Phase IIa Clinical Trial to Evaluate the Efficacy and Safety of Intravenous "
            "Infusion of hUC-MSCs in Patients With AIS",
        ),
        (
            "NCT03176498",
            "Human Umbilical Cord Mesenchymal Stem Cell Therapy (19#iSCLife®-CI) for Cerebral "
            "Infarction Patients in Convalescent Period.",
        ),
        (
            "NCT04280003",
            "Allogeneic Adipose Tissue-derived Mesenchymal Stem Cells in Ischemic Stroke",
        ),
        ("NCT01518231", "Autologous Hematopoietic Stem Cell Transplantation in Ischemic Stroke"),
        (
            "NCT07202143",
            "Methylprednisolone for Stroke With Large Infarct Core and Post-stroke Lymphocytopenia",
        ),
    ]


# --------------------------------------------------------------------------- card vs JSON


def _flat(text: str | None) -> str | None:
    """Text compared without its line layout: the card has no blank lines."""
    return " ".join(text.split()) if text else None


def _code(value) -> str | None:
    return value.value if value is not None else None


def _card_facts(t: Trial) -> dict:
    """Everything a card carries, in a form both readers must agree on."""
    d, e = t.design, t.eligibility
    return {
        "nct_id": t.nct_id,
        "brief_title": t.brief_title,
        "last_update_post": str(t.last_update_post.date),
        "overall_status": _code(t.overall_status),
        "phases": [p.value for p in d.phases],
        "enrollment": d.enrollment_count,
        "study_type": _code(d.study_type),
        "start": str(t.start.date),
        "completion": str(t.completion.date),
        "design": [
            _code(d.allocation),
            _code(d.intervention_model),
            _code(d.primary_purpose),
            _code(d.masking),
            _code(d.observational_model),
            _code(d.time_perspective),
        ],
        "summary": _flat(t.brief_summary),
        "description": _flat(t.detailed_description),
        "conditions": t.conditions,
        "arms": [
            (
                a.label,
                _code(a.type),
                _flat(a.description),
                [n.split(": ", 1)[1] for n in a.intervention_names],  # the card has no type
            )
            for a in t.arms
        ],
        "interventions": [(i.name, _flat(i.description)) for i in t.interventions],
        "inclusion": e.inclusion,
        "exclusion": e.exclusion,
        "ages": (e.minimum_age, e.maximum_age),
        "sex": _code(e.sex),
        "healthy": e.healthy_volunteers,
        "sponsors": [(o.name, _code(o.agency_class)) for o in [t.lead_sponsor, *t.collaborators]],
        "party": (_code(t.responsible_party.type), t.responsible_party.investigator_name),
        "locations": [(x.facility, x.city, x.state, x.country) for x in t.locations],
        "org_study_id": t.org_study_id.id,
        "secondary_ids": [s.id for s in t.secondary_ids],
    }


@pytest.mark.parametrize("card", CARDS, ids=[c.stem for c in CARDS])
def test_card_and_json_agree(card: Path) -> None:
    json_path = shared("ctgov", "v2", f"{card.stem}.json")
    if not json_path.exists():
        pytest.skip(f"shared data {json_path} is absent (set TRIALKG_SHARED_DATA)")
    from_card = _one(READER.read(card))
    from_json = _one(CtgovJsonReader().read(json_path))
    assert from_card.eligibility.inclusion, "the card's criteria gave no items"
    assert _card_facts(from_card) == _card_facts(from_json)


def test_unknown_heading_is_ignored_and_order_does_not_matter() -> None:
    card = REPO / "tests" / "fixtures" / "cards" / "NCT04925570.txt"
    t = _one(READER.read(card))
    # "Study Officials" is not a known heading: its lines must not become sites or sponsors
    assert [x.facility for x in t.locations] == ["Stanford University"]
    assert t.lead_sponsor.name == "Woebot Health"
    assert t.officials == []


def test_missing_sections_and_bad_cards(tmp_path: Path) -> None:
    (tmp_path / "a_minimal.txt").write_text("A title\nNCT ID: NCT00000102\n")
    (tmp_path / "b_no_id.txt").write_text("A title\nBasic Information\nCOMPLETED\n")
    (tmp_path / "c_bad_date.txt").write_text("T\nNCT ID: NCT00000103\nLast Updated: 2022-13-01\n")
    minimal, no_id, bad_date = READER.read(tmp_path)
    assert isinstance(minimal, Trial) and minimal.nct_id == "NCT00000102"
    assert minimal.brief_title == "A title" and minimal.arms == [] and minimal.locations == []
    assert isinstance(no_id, RecordError) and no_id.file == str(tmp_path / "b_no_id.txt")
    assert "no 'NCT ID:' line" in no_id.reason
    assert isinstance(bad_date, RecordError)
    assert (bad_date.record, bad_date.field) == ("NCT00000103", "Last Updated")


def test_cards_in_a_zip_are_dispatched_by_suffix(tmp_path: Path) -> None:
    archive = tmp_path / "cards.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for card in CARDS:
            zf.write(card, f"cards/{card.name}")
    trials = list(read_paths([archive]))
    assert [t.nct_id for t in trials] == [c.stem for c in CARDS]
    assert all(t.source.format == "trial-card" for t in trials)
