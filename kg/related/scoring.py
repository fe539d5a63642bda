"""Scores between trials with reasons: an inverted index over shared keys, then per-pair extras.

A trial's *keys* are its MeSH condition descriptors with their ancestors up to two levels
(``("condition", iri)``, with the distance), its intervention identities (MeSH/UNII), its
sponsors, and the content words of its titles (``("word", w)``: these only find candidates;
the text score below weighs them, with the summary). Two trials are candidates when they share a key
whose posting list is below ``CAP`` (``WORD_CAP`` for words); they are scored by

* each shared condition key ``c``: ``2 x spec(c) x rarity(c) x 0.5^(dA + dB)`` where ``dA``, ``dB``
  are how far above each trial's own descriptors ``c`` sits (0 for the descriptor itself), so an
  identical descriptor counts fully and a shared parent or grandparent gives partial credit;
* each shared intervention: ``1.5 x rarity``; each shared sponsor: ``1.0 x rarity``;
* design, only beside a topical reason: same study type 0.05, a shared phase 0.1, same purpose 0.05;
* text: ``1.5 x cosine`` of the two trials' title/summary term vectors.

``spec`` grows with MeSH depth (a deep descriptor is specific); ``rarity = 1/log2(1 + df)`` with
``df`` the key's posting length, capped at ``CAP`` so that keys held by thousands of trials weigh a
constant little. Every weight depends only on the two trials and the postings of their own keys,
which is what lets an update recompute only the trials that share a key with the updated one.
Contributions are rounded to six decimals and the score is their sum, so reasons add up exactly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.related.features import TrialFeatures, cosine
from kg.related.hierarchy import MeshHierarchy

CAP = 2000
"""Posting lists at least this long neither generate candidates nor change weight any more."""
WORD_CAP = 100
"""Words held by this many trials are too common to make two trials candidates."""
MAX_CANDIDATES = 400
"""A trial with more candidates scores only those sharing the most key weight with it."""
WORD_WEIGHT = 0.05
"""What one shared title word adds when ranking candidates (not part of any score)."""
ANCESTOR_LEVELS = 2
WEIGHT = {"condition": 2.0, "intervention": 1.5, "sponsor": 1.0, "text": 1.5}
DESIGN = {"studyType": 0.05, "phase": 0.1, "purpose": 0.05}

Key = tuple[str, str]  # (kind, IRI)


@dataclass(frozen=True)
class Reason:
    """One contribution to a relation's score and the entity both trials have."""

    kind: (
        str  # condition, condition-ancestor, intervention, sponsor, studyType, phase, purpose, text
    )
    entity: str | None  # the shared descriptor/intervention/sponsor/code IRI; None for text
    contribution: float
    distance: int = 0  # condition-ancestor: steps above the trials' own descriptors (dA + dB)


@dataclass(frozen=True)
class Relation:
    """A trial and one of its related trials, with the reasons that add up to the score."""

    nct_id: str
    other: str
    score: float
    reasons: tuple[Reason, ...]


def rarity(df: int) -> float:
    """``1/log2(1 + df)``, constant from ``CAP`` on.

    >>> round(rarity(2), 4), rarity(CAP) == rarity(CAP * 10)
    (0.6309, True)
    """
    return 1.0 / math.log2(1 + min(max(df, 1), CAP))


def specificity(depth: int) -> float:
    """0.67 for a top MeSH category up to 1.5 for a descriptor six or more levels deep."""
    return 0.5 + min(depth, 6) / 6


@dataclass
class RelationIndex:
    """Keys of every trial and the postings of every key; built once per computation."""

    hierarchy: MeshHierarchy
    features: dict[str, TrialFeatures] = field(default_factory=dict)
    keys: dict[str, dict[Key, int]] = field(default_factory=dict)  # nct -> topical key -> distance
    words: dict[str, set[str]] = field(default_factory=dict)  # nct -> title words
    postings: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, feats: TrialFeatures) -> None:
        keys = trial_keys(feats, self.hierarchy)
        self.features[feats.nct_id] = feats
        self.keys[feats.nct_id] = keys
        self.words[feats.nct_id] = words = {w for w in feats.title_words if len(w) > 3}
        for key in [*keys, *(("word", w) for w in words)]:
            self.postings[key].add(feats.nct_id)

    def all_keys(self, nct_id: str) -> list[Key]:
        """Topical keys and title-word keys of a trial."""
        return [*self.keys.get(nct_id, {}), *(("word", w) for w in self.words.get(nct_id, ()))]

    def weight(self, key: Key) -> float:
        kind, iri = key
        base = WEIGHT[kind] * rarity(len(self.postings.get(key, ())))
        if kind == "condition":
            base *= specificity(self.hierarchy.depth(iri))
        return base

    def candidates(self, nct_id: str, keys: Iterable[Key] | None = None) -> set[str]:
        """Trials sharing a key (below ``CAP``) with this trial, itself excluded."""
        found: set[str] = set()
        for key in keys if keys is not None else self.all_keys(nct_id):
            posting = self.postings.get(key, ())
            if 1 < len(posting) < (WORD_CAP if key[0] == "word" else CAP):
                found.update(posting)
        found.discard(nct_id)
        return found

    def boundary(self, keys: Iterable[Key]) -> set[str]:
        """Trials holding a key whose posting length sits at its cap's edge.

        Adding or removing one trial there moves the key across the cap, which changes which
        pairs are candidates through it; an update recomputes those trials too.
        """
        found: set[str] = set()
        for key in keys:
            posting = self.postings.get(key, ())
            cap = WORD_CAP if key[0] == "word" else CAP
            if cap - 1 <= len(posting) <= cap:
                found.update(posting)
        return found

    def score(self, a: str, b: str) -> Relation | None:
        """The relation of ``a`` to ``b`` (symmetric in its score and reasons), or None."""
        ka, kb = self.keys[a], self.keys[b]
        reasons: list[Reason] = []
        for key in sorted(ka.keys() & kb.keys()):
            kind, iri = key
            distance = ka[key] + kb[key]
            value = self.weight(key) * 0.5**distance
            label = "condition-ancestor" if kind == "condition" and distance else kind
            reasons.append(Reason(label, iri, round(value, 6), distance))
        fa, fb = self.features[a], self.features[b]
        text = round(WEIGHT["text"] * cosine(fa.words, fb.words), 6)
        if not reasons and text <= 0:
            return None
        for kind, attr in (
            ("studyType", "study_type"),
            ("phase", "phases"),
            ("purpose", "purpose"),
        ):
            shared = sorted(getattr(fa, attr) & getattr(fb, attr))
            if shared:
                reasons.append(Reason(kind, shared[0], DESIGN[kind]))
        if text > 0:
            reasons.append(Reason("text", None, text))
        total = round(sum(r.contribution for r in reasons), 6)
        return Relation(a, b, total, tuple(reasons))

    def shortlist(self, nct_id: str) -> list[str]:
        """The candidates worth scoring: all of them, or the ``MAX_CANDIDATES`` sharing most weight.

        The ranking sums the weights of shared keys over the postings (no text, no design), so
        it depends only on this trial's keys and their postings, like the score itself.
        """
        candidates = self.candidates(nct_id)
        if len(candidates) <= MAX_CANDIDATES:
            return sorted(candidates)
        shared: dict[str, float] = defaultdict(float)
        for key in self.all_keys(nct_id):
            posting = self.postings.get(key, ())
            if 1 < len(posting) < (WORD_CAP if key[0] == "word" else CAP):
                weight = WORD_WEIGHT if key[0] == "word" else self.weight(key)
                for other in posting:
                    shared[other] += weight
        shared.pop(nct_id, None)
        # rounded: float sums depend on the order of addition, the shortlist must not
        return sorted(shared, key=lambda b: (-round(shared[b], 9), b))[:MAX_CANDIDATES]

    def top(self, nct_id: str, k: int) -> list[Relation]:
        """The ``k`` best-scoring related trials among the shortlist, ties broken by NCT id."""
        scored = [r for b in self.shortlist(nct_id) if (r := self.score(nct_id, b)) is not None]
        scored.sort(key=lambda r: (-r.score, r.other))
        return scored[:k]


def trial_keys(feats: TrialFeatures, hierarchy: MeshHierarchy) -> dict[Key, int]:
    """A trial's keys with their distance (0 for its own descriptors, interventions, sponsors)."""
    keys: dict[Key, int] = {}
    for descriptor in feats.conditions:
        keys[("condition", descriptor)] = 0
    for descriptor in feats.conditions:
        for ancestor, distance in hierarchy.ancestors(descriptor, ANCESTOR_LEVELS).items():
            key = ("condition", ancestor)
            keys[key] = min(keys.get(key, distance), distance)
    for iri in feats.interventions:
        keys[("intervention", iri)] = 0
    for iri in feats.sponsors:
        keys[("sponsor", iri)] = 0
    return keys
