"""One study as v2 JSON and as a trial card: the same triples for every field the card carries.

The cards in ``tests/fixtures/cards`` were written from corpus records; each is mapped with
:func:`kg.mapper.map_trial` beside its v2 JSON (``../shared/data/ctgov/v2/<NCT>.json``). A field
is the path of predicates from the trial to a subject plus the predicate on it (``tk:hasArm /
tk:armType``); the fields compared are every one the card's graph uses, minus provenance and
minus the few in ``NOT_COMPARED`` with the reason. For each, the set of (subject, value) pairs
must be equal; part IRIs are minted from the part's kind and ordinal below the trial
(``…/trial/NCT…/arm/2``), so a value is keyed by its path and ordinal. Free text is compared
with empty lines dropped (``FREE_TEXT``); what the card cannot say is listed in ``CARD_LACKS``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager

from kg.errors import RecordError
from kg.mapper import Triple, map_trial
from kg.readers import read_paths
from kg.vocab import DCTERMS, PROV, TK, Iris
from tests.conftest import REPO, shared

IRIS = Iris()
NAMESPACES = NamespaceManager(Graph())
NAMESPACES.bind("tk", TK._NS)
CARDS = sorted((REPO / "tests" / "fixtures" / "cards").glob("*.txt"))

PROVENANCE = {DCTERMS.source, TK.sourceFormat, TK.mapperVersion, DCTERMS.modified}
FREE_TEXT = {TK.briefSummary, TK.detailedDescription, TK.armDescription, TK.interventionDescription}
"""Compared line by line with empty lines dropped: the card export writes no empty lines, so a
paragraph break is information the card genuinely lacks."""
NOT_COMPARED: dict[URIRef, str] = {
    # the card renders the criteria under its own headings ("Inclusion Criteria", no colon) and
    # without empty lines; the items themselves are compared (tk:hasCriterion / tk:criterionText)
    TK.eligibilityCriteriaText: "re-rendered by the card; its items are compared instead",
    # the card's "Related Clinical Trials" are the site's similarity suggestions; the registry
    # record has no such field, so the JSON can never state them
    TK.statedRelatedTrial: "card only: the site's related-trial suggestions",
}
CARD_LACKS: dict[URIRef, str] = {
    # never in the card's graph, so never compared; listed so that a reader emitting one
    # later is noticed (then it is compared like any other field)
    TK.interventionType: "the card names interventions without DRUG/DEVICE/…",
    TK.startDateType: "the card's dates carry no ACTUAL/ESTIMATED",
    TK.primaryCompletionDateType: "the card's dates carry no ACTUAL/ESTIMATED",
    TK.completionDateType: "the card's dates carry no ACTUAL/ESTIMATED",
    TK.enrollmentType: "'258 participants' says neither ACTUAL nor ESTIMATED",
}


def _triples(path: Path) -> list[Triple]:
    [trial] = list(read_paths([path]))
    assert not isinstance(trial, RecordError), str(trial)
    return map_trial(trial, IRIS).triples


def _fields(triples: list[Triple], trial: URIRef) -> dict[tuple, set]:
    """Values by field: (path of predicates from the trial to the subject, predicate) ->
    {(subject, value)}. A shared node reached two ways (lead sponsor and submitting
    organisation) counts under both paths; provenance is left out."""
    out: dict[URIRef, list[tuple[URIRef, URIRef | Literal]]] = defaultdict(list)
    for s, p, o in triples:
        if p not in PROVENANCE and not str(p).startswith(str(PROV)):
            out[s].append((p, _without_empty_lines(o) if p in FREE_TEXT else o))
    found: dict[tuple, set] = defaultdict(set)
    todo: list[tuple[URIRef, tuple]] = [(trial, ())]
    while todo:
        node, path = todo.pop()
        for p, o in out[node]:
            found[(path, p)].add((node, o))
            if isinstance(o, URIRef) and o in out and len(path) < 3 and o != trial:
                todo.append((o, (*path, p)))
    return found


def _without_empty_lines(text: Literal) -> Literal:
    return Literal("\n".join(line for line in text.splitlines() if line.strip()))


def _name(key: tuple) -> str:
    path, p = key
    return " / ".join(x.n3(NAMESPACES) for x in (*path, p))


def _short(term, trial: URIRef) -> str:
    text = str(term)
    return "<trial>" + text[len(str(trial)) :] if text.startswith(str(trial)) else repr(term)


def _compare(card: Path, json_path: Path) -> tuple[list[tuple], list[str]]:
    """The fields the card carries, and one line per (field, subject, value) on one side only."""
    trial = IRIS.trial(json_path.stem)
    card_fields = _fields(_triples(card), trial)
    json_fields = _fields(_triples(json_path), trial)
    used = {p for path, p in card_fields for p in (*path, p)}
    assert not used & set(CARD_LACKS), "the card now carries a field listed as lacking"
    compared = sorted((k for k in card_fields if not {*k[0], k[1]} & set(NOT_COMPARED)), key=_name)
    differences = []
    for key in compared:
        only_card = card_fields[key] - json_fields.get(key, set())
        only_json = json_fields.get(key, set()) - card_fields[key]
        for side, pairs in (("card only", only_card), ("JSON only", only_json)):
            for s, o in sorted(pairs):
                differences.append(
                    f"{_name(key)}  {side}: {_short(s, trial)} -> {_short(o, trial)}"
                )
    return compared, differences


def _json_for(stem: str) -> Path:
    json_path = shared("ctgov", "v2", f"{stem}.json")
    if not json_path.exists():
        pytest.skip(f"shared data {json_path} is absent (set TRIALKG_SHARED_DATA)")
    return json_path


@pytest.mark.parametrize("card", CARDS, ids=[c.stem for c in CARDS])
def test_card_and_json_give_the_same_triples(card: Path):
    compared, differences = _compare(card, _json_for(card.stem))
    print(f"\n{card.stem}: {len(compared)} fields compared, {len(differences)} differences")
    for line in differences:
        print("  " + line)
    assert len(compared) > 20, "the card's graph uses suspiciously few fields"
    assert not differences, f"{len(differences)} differences (printed above)"


def test_a_changed_card_fact_is_a_difference(tmp_path: Path):
    """The comparison can fail: one fact changed in a copy of a card shows as that field."""
    card = REPO / "tests" / "fixtures" / "cards" / "NCT04925570.txt"
    text = card.read_text(encoding="utf-8")
    assert "258 participants" in text and "Stanford University" in text
    changed = tmp_path / card.name
    changed.write_text(text.replace("258 participants", "259 participants"), encoding="utf-8")
    _, differences = _compare(changed, _json_for(card.stem))
    assert differences == [
        "tk:enrollment  card only: <trial> -> rdflib.term.Literal('259', "
        "datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))",
        "tk:enrollment  JSON only: <trial> -> rdflib.term.Literal('258', "
        "datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))",
    ]
