"""Serving related trials: the named queries and the trial page section, on the real v2 corpus.

One store holds the MeSH vocabulary and the mapped v2 corpus, with relations computed once for
the module. The explained query is checked against :func:`kg.related.related_of`; the sponsor
network and condition co-occurrence against what the JSON records say, read here with json
(organisations meet at the IRIs :meth:`kg.vocab.Iris.organization` mints from their names, MeSH
descriptors at :func:`kg.vocab.mesh_iri` of the browse modules' ids).
"""

from __future__ import annotations

import html
from collections import defaultdict
from itertools import combinations

import pytest

from kg.linking import load_vocabulary
from kg.queries import load_queries
from kg.related import compute_all, related_of
from kg.resources import read_text
from kg.stores import open_store
from kg.vocab import Iris, mesh_iri
from kg.web.app import create_app
from kg.web.settings import Settings
from tests.conftest import load_mapped, require, shared

IRIS = Iris()
QUERIES = load_queries()
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
TRIALS = ["NCT00000410", "NCT00377793", "NCT00002708", "NCT04706988"]
SUBTREES = ["D001249", "D009369", "D003920"]  # asthma, neoplasms, diabetes mellitus


@pytest.fixture(scope="module")
def store(tmp_path_factory, v2_dir):
    """MeSH, the mapped v2 corpus (no linking) and the computed relations, built once."""
    mesh = require(shared("vocab", "mesh", "mesh_descriptors.tsv"))
    built = open_store(str(tmp_path_factory.mktemp("related-serving") / "store"))
    load_vocabulary("mesh", [mesh], built, IRIS)
    load_mapped(built, [v2_dir], IRIS)
    compute_all(built, IRIS)
    yield built
    built.close()


def _orgs(study: dict) -> set[str]:
    module = study["protocolSection"].get("sponsorCollaboratorsModule", {})
    names = [module.get("leadSponsor", {}).get("name", "")]
    names += [c.get("name", "") for c in module.get("collaborators", [])]
    return {str(IRIS.organization(n.strip())) for n in names if n.strip()}


def _meshes(study: dict, ancestors: bool = False) -> set[str]:
    module = study.get("derivedSection", {}).get("conditionBrowseModule", {})
    keys = ("meshes", "ancestors") if ancestors else ("meshes",)
    return {str(mesh_iri(m["id"])) for k in keys for m in module.get(k, [])}


def _in_subtree(records: dict[str, dict], subtree: str | None) -> dict[str, dict]:
    if subtree is None:
        return records
    top = str(mesh_iri(subtree))
    return {n: s for n, s in records.items() if top in _meshes(s, ancestors=True)}


def _run(store, name: str, **args: str) -> list[dict]:
    return list(QUERIES[name].run(store, args, IRIS).dicts())


# --------------------------------------------------------------------------- explained relations


@pytest.mark.parametrize("nct", TRIALS)
def test_explained_rows_are_the_computed_relations(store, nct):
    expected = related_of(store, IRIS, nct, computed_only=True)
    rows = _run(store, "related-trials-explained", trial=nct)
    assert expected, f"{nct} has no computed relations"
    actual: dict[str, dict] = {}
    for row in rows:
        item = actual.setdefault(
            str(row["nctId"]), {"nct_id": str(row["nctId"]), "score": float(row["score"])}
        )
        assert float(row["score"]) == item["score"], "one score per related trial"
        item.setdefault("reasons", []).append(
            {
                "kind": str(row["kind"]),
                "entity": str(row["entity"]) if row.get("entity") is not None else None,
                "contribution": float(row["contribution"]),
            }
        )
    assert [i["nct_id"] for i in actual.values()] == [e["nct_id"] for e in expected]
    for item in expected:
        got = actual[item["nct_id"]]
        assert got["score"] == item["score"]
        assert got["reasons"] == item["reasons"], f"reasons of {nct} ~ {item['nct_id']}"


@pytest.mark.parametrize("nct", TRIALS[:3])
def test_explained_reasons_name_their_entities(store, v2_records, nct):
    rows = _run(store, "related-trials-explained", trial=nct)
    for row in rows:
        if str(row["kind"]) in ("condition", "condition-ancestor"):
            assert str(row["entity"]).startswith("http://id.nlm.nih.gov/mesh/")
            assert row.get("entityLabel"), f"no MeSH label for {row['entity']}"
        if str(row["kind"]) == "condition":  # both trials were indexed with it
            shared_meshes = _meshes(v2_records[nct]) & _meshes(v2_records[str(row["nctId"])])
            assert str(row["entity"]) in shared_meshes
        if str(row["kind"]) == "sponsor":
            other = v2_records[str(row["nctId"])]
            assert str(row["entity"]) in _orgs(v2_records[nct]) & _orgs(other)
            assert row.get("entityLabel")
        if str(row["kind"]) == "text":
            assert row.get("entity") is None and row.get("entityLabel") is None
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)


# --------------------------------------------------------------------------- sponsor network


def _sponsor_network(
    records: dict[str, dict], subtree: str | None
) -> dict[tuple[str, str], tuple[int, int]]:
    """Pairs sharing a trial (of the subtree): shared trials, shared descriptors of all trials."""
    trials: dict[tuple[str, str], set[str]] = defaultdict(set)
    for nct, study in _in_subtree(records, subtree).items():
        for a, b in combinations(sorted(_orgs(study)), 2):
            trials[(a, b)].add(nct)
    conditions: dict[str, set[str]] = defaultdict(set)
    for study in records.values():
        for org in _orgs(study):
            conditions[org] |= _meshes(study)
    return {(a, b): (len(t), len(conditions[a] & conditions[b])) for (a, b), t in trials.items()}


@pytest.mark.parametrize("subtree", [None, "D001249"])
def test_sponsor_network_counts_shared_trials_and_conditions(store, v2_records, subtree):
    expected = _sponsor_network(v2_records, subtree)
    args = {"subtree": subtree} if subtree else {}
    rows = _run(store, "sponsor-network", **args)
    actual = {
        (str(r["org1"]), str(r["org2"])): (int(r["sharedTrials"]), int(r["sharedConditions"]))
        for r in rows
    }
    assert len(actual) == len(rows), "each pair once"
    assert all(a < b for a, b in actual)
    assert actual == expected
    strongest = [(-int(r["sharedTrials"]), -int(r["sharedConditions"])) for r in rows]
    assert strongest == sorted(strongest)


# --------------------------------------------------------------------------- co-occurrence


@pytest.mark.parametrize("subtree", [None, *SUBTREES])
def test_condition_cooccurrence_counts_trials(store, v2_records, subtree):
    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for nct, study in _in_subtree(v2_records, subtree).items():
        for pair in combinations(sorted(_meshes(study)), 2):
            expected[pair].add(nct)
    args = {"subtree": subtree} if subtree else {}
    rows = _run(store, "condition-cooccurrence", **args)
    actual = {(str(r["condition1"]), str(r["condition2"])): r for r in rows}
    assert len(actual) == len(rows), "each pair once"
    assert {p: set(str(r["trialIds"]).split()) for p, r in actual.items()} == dict(expected)
    assert all(int(r["trials"]) == len(expected[p]) for p, r in actual.items())
    counts = [int(r["trials"]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert all(r.get("name1") and r.get("name2") for r in rows[:10])


# --------------------------------------------------------------------------- the trial page


@pytest.fixture(scope="module")
def client(store):
    return create_app(Settings(), store).test_client()


def _page(client, nct: str) -> str:
    answer = client.get(f"/trial/{nct}", headers={"Accept": BROWSER_ACCEPT})
    assert answer.status_code == 200
    return html.unescape(answer.get_data(as_text=True))


@pytest.mark.parametrize("nct", TRIALS[:3])
def test_trial_page_lists_related_trials_with_reasons(client, store, nct):
    page = _page(client, nct)
    assert '<h2 id="related">Related trials</h2>' in page
    section = page.split('<h2 id="related">', 1)[1].split("</table>", 1)[0]
    related = related_of(store, IRIS, nct)
    for item in related:
        assert f'data-related="{item["nct_id"]}"' in section
        assert f'href="/trial/{item["nct_id"]}"' in section
    best = related[0]
    row = section.split(f'data-related="{best["nct_id"]}"', 1)[1].split("</tr>", 1)[0]
    assert f"score {best['score']:.3f}" in row
    for reason in best["reasons"]:
        assert f"{reason['kind']}" in row
        assert f"+{reason['contribution']:.3f}" in row


def test_trial_page_marks_stated_relations(client, store):
    every = store.query(read_text("queries", "internal/stated-relations.rq")).dicts()
    linked = sorted({str(row["trial"]).rsplit("/", 1)[-1] for row in every})
    assert linked, "the corpus has trials sharing a publication or a registration"
    nct = linked[0]
    items = [i for i in related_of(store, IRIS, nct) if i["stated"]]
    section = _page(client, nct).split('<h2 id="related">', 1)[1].split("</table>", 1)[0]
    row = section.split(f'data-related="{items[0]["nct_id"]}"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="badge">stated</span>' in row
    assert items[0]["reasons"][-1]["kind"].removeprefix("stated:") in row


def test_pages_of_other_resources_have_no_related_section(client, v2_records):
    study = v2_records["NCT00000410"]
    org = IRIS.organization(
        study["protocolSection"]["sponsorCollaboratorsModule"]["leadSponsor"]["name"].strip()
    )
    page = _page_path(client, str(org)[len(IRIS.base) :])
    assert 'id="related"' not in page


def _page_path(client, path: str) -> str:
    answer = client.get(f"/{path}", headers={"Accept": BROWSER_ACCEPT})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)
