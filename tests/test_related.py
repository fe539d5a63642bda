"""Related trials on the real corpus: the seed's trials, topical precision, honest reasons, updates.

One store holds the MeSH vocabulary, the v2 and XML corpora and the seed trial card; relations are
computed once for the module. The MeSH hierarchy the checks use is read here from the shared TSV
(tree numbers), independently of kg.related.
"""

from __future__ import annotations

import copy
import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from kg.linking import linker_for, load_vocabulary
from kg.pipeline import Pipeline
from kg.related import compute_all, related_of, update
from kg.related.scoring import RelationIndex
from kg.stores import open_store
from kg.vocab import MESH, TK, Iris
from tests.conftest import require, shared

IRIS = Iris()
SEED_NAMED = {"NCT03176498", "NCT04280003", "NCT01518231"}


def _mesh_tsv() -> Path:
    return require(shared("vocab", "mesh", "mesh_descriptors.tsv"))


@pytest.fixture(scope="module")
def tree() -> dict[str, set[str]]:
    """MeSH descriptor IRI -> its ancestors within two ``broader`` steps (from the TSV).

    MeSH is a polyhierarchy: a parent reached through one tree position has parents through its
    other positions too, and all of them are ancestors of the descriptor.
    """
    ui_of_tree: dict[str, str] = {}
    trees: dict[str, list[str]] = {}
    with _mesh_tsv().open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            numbers = [t for t in row["tree_numbers"].split("|") if t]
            trees[row["ui"]] = numbers
            for t in numbers:
                ui_of_tree[t] = row["ui"]
    parents = {
        ui: {ui_of_tree[t.rsplit(".", 1)[0]] for t in numbers if "." in t}
        for ui, numbers in trees.items()
    }
    near: dict[str, set[str]] = defaultdict(set)
    for ui, ups in parents.items():
        two = set(ups) | {g for p in ups for g in parents.get(p, ())}
        near[str(MESH[ui])] = {str(MESH[x]) for x in two}
    return near


@pytest.fixture(scope="module")
def related_store(tmp_path_factory, v2_dir, xml_dir, seed_card):
    store = open_store(str(tmp_path_factory.mktemp("related") / "store"))
    load_vocabulary("mesh", [_mesh_tsv()], store, IRIS)
    pipeline = Pipeline(iris=IRIS, link=linker_for(store, IRIS).link)
    summary = pipeline.ingest([v2_dir, xml_dir, seed_card], store)
    assert summary.unreadable == 0
    run = compute_all(store, IRIS)
    print(
        f"\nrelated: {run.trials} trials, {run.relations} relations, "
        f"index {run.seconds_index:.1f} s, scoring {run.seconds_scoring:.1f} s"
    )
    yield store, pipeline
    store.close()


def _features(store, predicate) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    q = "SELECT ?p ?id ?nct ?v WHERE { ?t ?p ?v ; ?id ?nct }"
    for row in store.query(q, {"p": predicate, "id": TK.nctId}).dicts():
        found[str(row["nct"])].add(str(row["v"]))
    return found


def _all_relations(store) -> list[dict]:
    """Every stored relation, read trial by trial from its related graph."""
    out = []
    for nct in _trial_ids(store):
        for item in related_of(store, IRIS, nct, computed_only=True):
            reasons = {(r["kind"], r["entity"] or "", r["contribution"]) for r in item["reasons"]}
            out.append({"a": nct, "b": item["nct_id"], "score": item["score"], "reasons": reasons})
    return out


def _trial_ids(store) -> list[str]:
    q = "SELECT ?id ?nct WHERE { ?t ?id ?nct }"
    return sorted({str(v) for v in store.query(q, {"id": TK.nctId}).values("nct")})


def test_seed_named_trials_in_computed_top10(related_store):
    store, _ = related_store
    top = related_of(store, IRIS, "NCT04590118", top=10, computed_only=True)
    print("\nNCT04590118 computed top 10:")
    for item in top:
        kinds = sorted({r["kind"] for r in item["reasons"]})
        print(f"  {item['nct_id']}  {item['score']:.3f}  {', '.join(kinds)}")
    assert all(item["score"] is not None for item in top)  # computed scores only
    assert SEED_NAMED <= {item["nct_id"] for item in top}


def test_top5_share_a_descriptor_or_near_ancestor(related_store, tree):
    store, _ = related_store
    conditions = _features(store, TK.conditionMesh)
    relations = defaultdict(list)
    for rel in _all_relations(store):
        relations[rel["a"]].append(rel)
    hits = total = 0
    misses = []
    for nct, descriptors in conditions.items():
        top5 = sorted(relations.get(nct, []), key=lambda r: (-r["score"], r["b"]))[:5]
        mine = descriptors | {a for d in descriptors for a in tree.get(d, ())}
        for rel in top5:
            theirs = conditions.get(rel["b"], set())
            theirs_up = theirs | {a for d in theirs for a in tree.get(d, ())}
            total += 1
            if descriptors & theirs or mine & theirs_up:
                hits += 1
            else:
                misses.append((nct, rel["b"]))
    share = hits / total
    print(f"\ntop-5 topical share: {hits}/{total} = {share:.3f}; misses e.g. {misses[:5]}")
    assert share >= 0.90


def test_reasons_add_up_and_name_shared_entities(related_store, tree):
    store, _ = related_store
    conditions = _features(store, TK.conditionMesh)
    interventions = _features(store, TK.interventionMesh)
    sponsors = defaultdict(set)
    for p in (TK.leadSponsor, TK.collaborator):
        for k, v in _features(store, p).items():
            sponsors[k] |= v
    codes = defaultdict(set)
    for p in (TK.studyType, TK.phase, TK.primaryPurpose):
        for k, v in _features(store, p).items():
            codes[k] |= v
    relations = _all_relations(store)
    assert relations
    for rel in relations:
        a, b = rel["a"], rel["b"]
        assert abs(sum(c for _, _, c in rel["reasons"]) - rel["score"]) < 1e-5, rel
        for kind, entity, _ in rel["reasons"]:
            if kind == "condition":
                assert entity in conditions[a] and entity in conditions[b], (rel, entity)
            elif kind == "condition-ancestor":
                for side in (a, b):
                    near = conditions[side] | {x for d in conditions[side] for x in tree.get(d, ())}
                    assert entity in near, (side, entity)
            elif kind == "intervention":
                assert entity in interventions[a] and entity in interventions[b]
            elif kind == "sponsor":
                assert entity in sponsors[a] and entity in sponsors[b]
            elif kind in ("studyType", "phase", "purpose"):
                assert entity in codes[a] and entity in codes[b]
            else:
                assert kind == "text" and entity == ""


def _relation_graphs(store) -> dict[str, set]:
    prefix = str(IRIS.related_graph(""))
    out: dict[str, set] = defaultdict(set)
    for s, p, o, g in store.triples():
        if str(g).startswith(prefix):
            out[str(g)].add((s, p, o))
    return out


def test_update_equals_full_recompute(related_store, v2_dir, tmp_path):
    store, pipeline = related_store
    record = json.loads((v2_dir / "NCT00001245.json").read_text(encoding="utf-8"))
    changed = copy.deepcopy(record)
    status = changed["protocolSection"]["statusModule"]
    status["lastUpdatePostDateStruct"] = {"date": "2099-01-01", "type": "ACTUAL"}
    derived = changed["derivedSection"]["conditionBrowseModule"]
    derived["meshes"] = [{"id": "D020521", "term": "Stroke"}]
    derived["ancestors"] = []
    changed["protocolSection"]["conditionsModule"]["conditions"] = ["Stroke"]
    path = tmp_path / "NCT00001245.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    before = _relation_graphs(store)
    summary = pipeline.ingest([path], store)
    assert summary.updated == 1
    run = update(store, IRIS, summary.changed_ids)
    incremental = _relation_graphs(store)
    print(f"\nupdate recomputed {run.recomputed} of {run.trials} trials")
    assert run.recomputed < run.trials
    untouched = [g for g in before if before[g] != incremental.get(g)]
    assert len(untouched) <= run.recomputed
    compute_all(store, IRIS)
    assert _relation_graphs(store) == incremental


def test_index_is_symmetric(related_store):
    store, _ = related_store
    from kg.related import build_index

    index: RelationIndex = build_index(store)
    pairs = 0
    for a in sorted(index.features)[:200]:
        for b in sorted(index.candidates(a))[:20]:
            ab, ba = index.score(a, b), index.score(b, a)
            assert ab.score == ba.score
            assert {(r.kind, r.entity, r.contribution) for r in ab.reasons} == {
                (r.kind, r.entity, r.contribution) for r in ba.reasons
            }
            pairs += 1
    assert pairs > 100
