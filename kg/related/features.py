"""What the relation engine compares: descriptors, interventions, sponsors, design, words.

Features are read back from the store (``queries/internal/related-features.rq``), so they are the
same whichever reader a trial came from and include the links ``kg.linking`` added.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rdflib import URIRef

from kg.resources import read_text
from kg.stores.base import Store

_WORD = re.compile(r"[a-z][a-z0-9\-]+")
_STOPWORD_TEXT = """a an and are as at be by for from in into is of on or the to with without study
trial trials phase patients patient subjects participants versus vs evaluate evaluation efficacy
safety randomized randomised controlled double blind placebo open label single multicenter multi
center clinical effect effects treatment therapy compared comparison use using after during among
who this that than will been has have not its their our which these those"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Words too common in trial titles and summaries to say what a trial is about."""


@dataclass
class TrialFeatures:
    """One trial's comparable facts; IRIs as strings, words as a unit-length term vector."""

    nct_id: str
    trial: str
    conditions: set[str] = field(default_factory=set)
    interventions: set[str] = field(default_factory=set)
    sponsors: set[str] = field(default_factory=set)
    study_type: set[str] = field(default_factory=set)
    phases: set[str] = field(default_factory=set)
    purpose: set[str] = field(default_factory=set)
    words: dict[str, float] = field(default_factory=dict)
    title_words: set[str] = field(default_factory=set)


def term_vector(texts: list[str]) -> dict[str, float]:
    """Sublinear term frequencies of content words, scaled to unit length.

    No corpus-wide IDF on purpose: a trial's vector depends on that trial alone, so updating one
    trial never changes the similarity of two others (incremental equals full recompute).

    >>> v = term_vector(["Stem Cells in Ischemic Stroke", "ischemic stroke"])
    >>> sorted(v), round(sum(x * x for x in v.values()), 6)
    (['cells', 'ischemic', 'stem', 'stroke'], 1.0)
    """
    counts = Counter(
        w
        for text in texts
        for w in _WORD.findall(text.lower())
        if w not in STOPWORDS and len(w) > 2
    )
    weights = {w: 1.0 + math.log(c) for w, c in counts.items()}
    norm = math.sqrt(sum(x * x for x in weights.values())) or 1.0
    return {w: x / norm for w, x in weights.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(w, 0.0) for w, x in a.items())


_KINDS = {
    "condition": "conditions",
    "intervention": "interventions",
    "sponsor": "sponsors",
    "studyType": "study_type",
    "phase": "phases",
    "purpose": "purpose",
}


def read_features(store: Store, trials: list[URIRef] | None = None) -> dict[str, TrialFeatures]:
    """Features of the given trials (all trials when ``None``), keyed by NCT id.

    The trials go into the query as a VALUES block of IRIs serialised with ``n3()``.
    """
    sparql = read_text("queries", "internal/related-features.rq")
    if trials is None:
        sparql = sparql.replace("  VALUES ?trial { }\n", "", 1)
    else:
        if not trials:
            return {}
        values = " ".join(t.n3() for t in trials)
        sparql = sparql.replace("VALUES ?trial { }", f"VALUES ?trial {{ {values} }}", 1)
    found: dict[str, TrialFeatures] = {}
    texts: dict[str, list[str]] = defaultdict(list)
    for trial, nct, kind, value in store.query(sparql).rows:
        nct_id = str(nct)
        feats = found.get(nct_id)
        if feats is None:
            feats = found[nct_id] = TrialFeatures(nct_id, str(trial))
        if str(kind) in ("text", "title"):
            texts[nct_id].append(str(value))
            if str(kind) == "title":
                feats.title_words |= set(term_vector([str(value)]))
        else:
            getattr(feats, _KINDS[str(kind)]).add(str(value))
    for nct_id, parts in texts.items():
        found[nct_id].words = term_vector(sorted(set(parts)))
    return found
