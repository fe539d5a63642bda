"""Computed related trials: score every trial against its candidates, keep the top k with reasons.

``compute_all`` rebuilds every trial's relations; ``update`` recomputes only the trials an
ingest touched and those sharing a key with them (see :mod:`kg.related.scoring` for why that
equals a full recompute). Each trial's top k live in their own named graph
(``Iris.related_graph``) as ``tk:TrialRelation`` nodes with ``tk:RelationReason`` parts, plus the
keys used, so the next update knows what the trial shared before it changed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.related.features import read_features
from kg.related.hierarchy import MeshHierarchy
from kg.related.scoring import Reason, Relation, RelationIndex
from kg.resources import read_text
from kg.stores.base import Store, Triple
from kg.vocab import TK, Iris

DEFAULT_TOP = 10
METHOD = "trialkg-related-1"


@dataclass
class RelatedRun:
    """What a computation did, for the CLI and the benchmark."""

    trials: int
    recomputed: int
    relations: int
    seconds_index: float
    seconds_scoring: float


def has_relations(store: Store, iris: Iris) -> bool:
    """Whether relations were ever computed in this store."""
    prefix = str(iris.related_graph(""))
    return any(str(g).startswith(prefix) for g in store.graph_names())


def build_index(store: Store) -> RelationIndex:
    """Features of every trial in the store, and the MeSH hierarchy if MeSH is loaded."""
    index = RelationIndex(MeshHierarchy.from_store(store))
    for feats in read_features(store).values():
        index.add(feats)
    return index


def compute_all(store: Store, iris: Iris, top: int = DEFAULT_TOP) -> RelatedRun:
    """Recompute every trial's related trials from scratch."""
    start = time.perf_counter()
    index = build_index(store)
    built = time.perf_counter()
    stale = [g for g in store.graph_names() if str(g).startswith(str(iris.related_graph("")))]
    store.remove_graphs(stale)
    relations = _write(store, iris, index, sorted(index.features), top)
    return RelatedRun(
        len(index.features),
        len(index.features),
        relations,
        built - start,
        time.perf_counter() - built,
    )


def update(store: Store, iris: Iris, changed: Iterable[str], top: int = DEFAULT_TOP) -> RelatedRun:
    """Recompute the relations of changed trials and of every trial sharing a key with them."""
    start = time.perf_counter()
    changed = sorted(set(changed))
    index = build_index(store)
    built = time.perf_counter()
    previous = _previous_keys(store, iris, changed)
    affected: set[str] = set()
    for nct_id in changed:
        affected.add(nct_id)
        old_keys = previous.get(nct_id, [])
        affected |= index.candidates(nct_id)
        affected |= index.candidates(nct_id, old_keys)
        affected |= index.boundary([*index.all_keys(nct_id), *old_keys])
        affected |= _pointing_at(store, iris, nct_id)
    gone = [n for n in affected if n not in index.features]
    store.remove_graphs([iris.related_graph(n) for n in gone])
    todo = sorted(n for n in affected if n in index.features)
    relations = _write(store, iris, index, todo, top)
    return RelatedRun(
        len(index.features), len(todo), relations, built - start, time.perf_counter() - built
    )


def _write(store: Store, iris: Iris, index: RelationIndex, nct_ids: list[str], top: int) -> int:
    count = 0
    batch: dict[URIRef, list[Triple]] = {}
    for nct_id in nct_ids:
        relations = index.top(nct_id, top)
        count += len(relations)
        batch[iris.related_graph(nct_id)] = relation_triples(
            iris, nct_id, relations, index.all_keys(nct_id)
        )
        if len(batch) >= 500:
            store.replace_graphs(batch)
            batch = {}
    if batch:
        store.replace_graphs(batch)
    return count


def _key_literal(kind: str, iri: str) -> Literal:
    return Literal(f"{kind} {iri}")


def relation_triples(
    iris: Iris, nct_id: str, relations: list[Relation], keys: Iterable[tuple[str, str]] = ()
) -> list[Triple]:
    """The triples of one trial's related graph: its relations, their reasons, its keys."""
    trial = iris.trial(nct_id)
    triples: list[Triple] = []
    keys = list(keys)
    for kind, iri in sorted(k for k in keys if k[0] != "word"):
        triples.append((trial, TK.relationKey, _key_literal(kind, iri)))
    words = sorted(iri for kind, iri in keys if kind == "word")
    if words:  # one literal: a trial has dozens of words
        triples.append((trial, TK.relationKey, _key_literal("words", " ".join(words))))
    for relation in relations:
        other = iris.trial(relation.other)
        node = iris.relation(nct_id, relation.other)
        triples += [
            (trial, TK.computedRelatedTrial, other),
            (node, RDF.type, TK.TrialRelation),
            (node, TK.relates, trial),
            (node, TK.relates, other),
            (node, TK.relationScore, Literal(f"{relation.score:.6f}", datatype=XSD.decimal)),
            (node, TK.relationMethod, Literal(METHOD)),
        ]
        for n, reason in enumerate(relation.reasons, 1):
            part = iris.relation_reason(nct_id, relation.other, n)
            triples += [
                (node, TK.hasReason, part),
                (part, RDF.type, TK.RelationReason),
                (part, TK.reasonKind, Literal(reason.kind)),
                (
                    part,
                    TK.contribution,
                    Literal(f"{reason.contribution:.6f}", datatype=XSD.decimal),
                ),
            ]
            if reason.entity:
                triples.append((part, TK.reasonEntity, URIRef(reason.entity)))
    return triples


def _previous_keys(
    store: Store, iris: Iris, nct_ids: list[str]
) -> dict[str, list[tuple[str, str]]]:
    """The keys each trial had when its relations were last computed."""
    found: dict[str, list[tuple[str, str]]] = {}
    for nct_id in nct_ids:
        result = store.query(
            "SELECT ?g ?trial ?p ?key WHERE { GRAPH ?g { ?trial ?p ?key } }",
            {"g": iris.related_graph(nct_id), "trial": iris.trial(nct_id), "p": TK.relationKey},
        )
        keys: list[tuple[str, str]] = []
        for row in result.dicts():
            kind, value = str(row["key"]).split(" ", 1)
            if kind == "words":
                keys += [("word", w) for w in value.split()]
            else:
                keys.append((kind, value))
        found[nct_id] = keys
    return found


def _pointing_at(store: Store, iris: Iris, nct_id: str) -> set[str]:
    """Trials whose stored top k include this trial."""
    result = store.query(
        read_text("queries", "internal/related-pointing-at.rq"),
        {"other": iris.trial(nct_id), "p": TK.computedRelatedTrial, "id": TK.nctId},
    )
    return {str(row["nct"]) for row in result.dicts()}


def related_of(
    store: Store, iris: Iris, nct_id: str, *, top: int | None = None, computed_only: bool = False
) -> list[dict]:
    """A trial's related trials as plain data: computed (score, reasons) and stated links."""
    rows = store.query(
        read_text("queries", "internal/related-of.rq"),
        {"trial": iris.trial(nct_id), "g": iris.related_graph(nct_id)},
    )
    by_other: dict[str, dict] = {}
    for row in rows.dicts():
        other, score, kind = row["other"], row["score"], row["kind"]
        entity, contribution = row.get("entity"), row["contribution"]
        item = by_other.setdefault(
            str(other),
            {
                "nct_id": str(other).rsplit("/", 1)[-1],
                "score": float(score),
                "reasons": [],
                "stated": False,
            },
        )
        item["reasons"].append(
            {
                "kind": str(kind),
                "entity": str(entity) if entity is not None else None,
                "contribution": float(contribution),
            }
        )
    items = sorted(by_other.values(), key=lambda x: (-x["score"], x["nct_id"]))
    for item in items:
        item["reasons"].sort(key=lambda r: (-r["contribution"], r["kind"], r["entity"] or ""))
    if not computed_only:
        stated = store.query(
            read_text("queries", "internal/stated-relations.rq"), {"trial": iris.trial(nct_id)}
        )
        for row in stated.dicts():
            other, how, detail = row["other"], row["how"], row["detail"]
            key = str(other)
            item = by_other.get(key)
            if item is None:
                item = {
                    "nct_id": key.rsplit("/", 1)[-1],
                    "score": None,
                    "reasons": [],
                    "stated": True,
                }
                by_other[key] = item
                items.append(item)
            item["stated"] = True
            item["reasons"].append(
                {"kind": f"stated:{how}", "entity": str(detail), "contribution": None}
            )
    return items[:top] if top else items


__all__ = [
    "DEFAULT_TOP",
    "Reason",
    "RelatedRun",
    "Relation",
    "compute_all",
    "has_relations",
    "related_of",
    "update",
]
