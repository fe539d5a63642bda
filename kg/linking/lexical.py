"""Lexical matching of free text (conditions, keywords, drug names) against vocabulary labels.

Three levels, tried in order, each reported with its own method name and score so a link says how
it was made:

* ``exact``: the text equals a preferred label or a synonym, ignoring case and spacing;
* ``normalised``: equal after folding accents, punctuation, plurals, spelling variants, word
  order, stop words, hyphens inside words and a trailing ``(ABBR)`` (MeSH writes "Leukemia,
  Myeloid, Acute" where a registry writes "Acute Myeloid Leukemias");
* ``token``: a run of words inside a longer text whose normalised form is a label ("Spinal Cord
  Injury in Male Veterans" contains "Spinal Cord Injuries").

Everything here is pure: an index is built once from ``(id, label, is_preferred)`` rows and then
answers many look-ups.

>>> index = LexicalIndex([("D003920", "Diabetes Mellitus", True),
...                       ("D003924", "Diabetes Mellitus, Type 2", True),
...                       ("D003924", "Type 2 Diabetes", False)])
>>> [(m.target, m.method) for m in index.match("diabetes mellitus")]
[('D003920', 'exact')]
>>> [(m.target, m.method) for m in index.match("Type-2 Diabetes Mellitus")]
[('D003924', 'normalised')]
>>> [(m.target, m.method, m.text) for m in index.match("Insulin in type 2 diabetes")]
[('D003924', 'token', 'type 2 diabetes')]
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "without",
    ]
)
"""Words that carry no meaning for label equality ("Cancer of the Prostate" = "Prostate Cancer")."""

UNITS = frozenset(
    ["mg", "gm", "mcg", "ug", "ml", "kg", "mmol", "meq", "iu", "unit", "mbq", "gy", "hr", "min"]
)
"""Units of measure: in "L-arginine 5 gm" the word "gm" is a dose, not the Gm(m) allotype, so a
single word of these is never matched inside a longer text."""

METHOD_SCORES: dict[str, float] = {"exact": 1.0, "normalised": 0.9, "token": 0.8}
"""The base score of each matching level; synonyms score a little lower than preferred labels."""

SYNONYM_PENALTY = 0.05
MAX_ACRONYM = 8
"""An all-capitals label this long or shorter is an acronym and matches only capitals ("SHAM",
salicylhydroxamic acid, is not the comparator "Sham")."""
MAX_WINDOW = 8
"""The longest run of words the token level tries to match (longer labels are rare)."""

_TRAILING_ABBREVIATION = re.compile(r"\s*[\(\[]\s*[A-Za-z0-9\-/&\.]{1,12}\s*[\)\]]\s*$")
_WORD = re.compile(r"[a-z0-9]+", re.IGNORECASE)
_SPLIT_WORD = re.compile(r"[a-z]+|[0-9]+", re.IGNORECASE)
"""With ``split_digits`` a word is a run of letters or of digits: "Type2 Diabetes" reads as "type 2
diabetes". Measured against NLM's indexing of the v2 corpus this finds 3 more conditions and no
wrong ones, but drug names need their digits attached ("IL13", "B12"), so it is per index."""
_INVARIANT_ENDINGS = ("ss", "us", "is", "ous", "sis", "xis")
_HYPHEN_IN_WORD = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")
"""A hyphen inside a word: "Pre-diabetes" is also looked up as "Prediabetes" (MeSH writes most
prefixed words solid). Only whole texts are retried so: inside a longer text the hyphenated parts
("Non-Small-Cell") are words of their own."""


def fold(text: str) -> str:
    """Lower case without accents and with single spaces: the ``exact`` level's key.

    >>> fold("  Sjögren   Syndrome ")
    'sjogren syndrome'
    """
    return _ascii(text).lower()


def _ascii(text: str) -> str:
    """The text without accents and with single spaces, its case kept."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(ascii_text.split())


def is_acronym(text: str) -> bool:
    """Whether a label is written as an acronym: one short word, its letters all capitals.

    >>> is_acronym("SHAM"), is_acronym("COPD"), is_acronym("Sham"), is_acronym("Gm(m)")
    (True, True, False, False)
    """
    text = text.strip()
    return " " not in text and len(text) <= MAX_ACRONYM and text.isupper()


def stem(word: str) -> str:
    """A singular form good enough for label matching (not a linguistic stemmer).

    >>> [stem(w) for w in ("injuries", "neoplasms", "diabetes", "sepsis", "virus", "glasses")]
    ['injury', 'neoplasm', 'diabete', 'sepsis', 'virus', 'glass']
    """
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(_INVARIANT_ENDINGS):
        return word[:-1]
    return word


SPELLING_VARIANTS: tuple[tuple[str, str], ...] = (
    ("aemia", "emia"),
    ("haem", "hem"),
    ("oedem", "edem"),
    ("oesophag", "esophag"),
    ("tumour", "tumor"),
    ("diarrhoea", "diarrhea"),
    ("paediatr", "pediatr"),
    ("ischaem", "ischem"),
    ("foet", "fet"),
    ("oestr", "estr"),
    ("aesthe", "esthe"),
    ("orrhoea", "orrhea"),
    ("coeliac", "celiac"),
    ("leukaem", "leukem"),
    ("disk", "disc"),
)
"""Word parts spelt two ways, and the one the keys use: British English against MeSH's American
English, and MeSH's own "Disk" entry terms against its "Disc" preferred labels ("Herniated Disk",
"Intervertebral Disc Displacement")."""


def spelling(word: str) -> str:
    """The one spelling the keys use: ``leukaemia`` -> ``leukemia``, ``tumour`` -> ``tumor``.

    >>> spelling("leukaemia"), spelling("haemophilia"), spelling("tumours"), spelling("disk")
    ('leukemia', 'hemophilia', 'tumors', 'disc')
    """
    for variant, kept in SPELLING_VARIANTS:
        if variant in word:
            word = word.replace(variant, kept)
    return word


def words(text: str, pattern: re.Pattern[str] = _WORD) -> list[str]:
    """The stemmed words of a text, in order, stop words kept (the token level needs positions)."""
    return [stem(spelling(w)) for w in pattern.findall(fold(text))]


def key(text: str, pattern: re.Pattern[str] = _WORD) -> str:
    """The ``normalised`` level's key: stemmed content words, sorted, a trailing "(ABBR)" dropped.

    >>> key("Leukemia, Myeloid, Acute") == key("Acute Myeloid Leukemias (AML)")
    True
    >>> key("Cancer of the Prostate") == key("prostate cancer")
    True
    >>> key("Type2 Diabetes", _SPLIT_WORD) == key("Type 2 Diabetes")
    True
    """
    stripped = _TRAILING_ABBREVIATION.sub("", text) or text
    return _key_of(words(stripped, pattern))


def _key_of(tokens: Iterable[str]) -> str:
    return " ".join(sorted({t for t in tokens if t not in STOP_WORDS}))


@dataclass(frozen=True)
class Match:
    """One label found in a text: which concept, how, how sure, and which words matched."""

    target: str
    method: str
    score: float
    text: str


class LexicalIndex:
    """Preferred labels and synonyms of one vocabulary, indexed for the three matching levels.

    A key shared by several concepts is resolved towards the concept whose *preferred* label it
    is; a key that is only a synonym of several concepts is ambiguous and not used, because a
    wrong link is worse than none. Keys without a letter are not kept: a dose ("5 mg") would
    otherwise name a chemical whose synonym's key is "5".
    """

    def __init__(
        self,
        rows: Iterable[tuple[str, str, bool]],
        *,
        min_length: int = 3,
        split_digits: bool = False,
    ) -> None:
        self._word = _SPLIT_WORD if split_digits else _WORD
        exact: dict[str, dict[str, bool]] = defaultdict(dict)
        normal: dict[str, dict[str, bool]] = defaultdict(dict)
        acronym_keys: set[str] = set()
        plain_keys: set[str] = set()
        for target, label, preferred in rows:
            if len(label) < min_length:
                continue
            kind = acronym_keys if is_acronym(label) else plain_keys
            for table, k in ((exact, fold(label)), (normal, key(label, self._word))):
                if _has_letter(k):
                    table[k][target] = table[k].get(target, False) or preferred
                    kind.add(k)
        self._acronyms = frozenset(acronym_keys - plain_keys)
        self._exact = {k: v for k, v in ((k, _resolve(c)) for k, c in exact.items()) if v}
        self._normal = {k: v for k, v in ((k, _resolve(c)) for k, c in normal.items()) if v}
        self._window = min(MAX_WINDOW, max((len(k.split()) for k in self._normal), default=1))

    def __len__(self) -> int:
        return len(self._normal)

    def lookup(self, text: str) -> Match | None:
        """The whole text as one label (``exact`` then ``normalised``), or ``None``.

        >>> LexicalIndex([("D011236", "Prediabetic State", True),
        ...               ("D011236", "Prediabetes", False)]).lookup("Pre-diabetes").method
        'normalised'
        """
        capitals = is_acronym(text)
        for method, table, k in self._keys(text):
            found = table.get(k)
            if found and (capitals or k not in self._acronyms):
                return _match(found, method, text)
        return None

    def _keys(self, text: str) -> Iterator[tuple[str, dict[str, tuple[str, bool]], str]]:
        """The whole text's keys in the order they are tried, each computed only when needed."""
        yield "exact", self._exact, fold(text)
        yield "normalised", self._normal, key(text, self._word)
        if "-" in text:
            yield "normalised", self._normal, key(_HYPHEN_IN_WORD.sub("", text), self._word)

    def match(self, text: str, *, tokens: bool = True) -> list[Match]:
        """The concepts a text names: the whole text if it is a label, else the labels inside it.

        The token level scans left to right and keeps the longest label starting at each word,
        then jumps past it, so "low back pain" yields Low Back Pain and not also Pain.
        """
        whole = self.lookup(text)
        if whole or not tokens:
            return [whole] if whole else []
        return self.spot(text)

    def spot(self, text: str, *, nested: bool = False) -> list[Match]:
        """Labels found as runs of words inside ``text`` (longest first at each position).

        With ``nested`` every label-shaped run counts, also those inside a longer one
        ("acute myeloid leukemia" then also yields Leukemia), as NLM's own indexing does.
        """
        stripped = _TRAILING_ABBREVIATION.sub("", text) or text
        cased = self._word.findall(_ascii(stripped))
        raw = [w.lower() for w in cased]
        seq = [stem(spelling(w)) for w in raw]
        found: list[Match] = []
        i = 0
        while i < len(seq):
            if seq[i] in STOP_WORDS:
                i += 1
                continue
            for n in range(min(self._window, len(seq) - i), 0, -1):
                if seq[i + n - 1] in STOP_WORDS:
                    continue
                k = _key_of(seq[i : i + n])
                hit = None if n == 1 and k in UNITS else self._normal.get(k)
                if hit and (k not in self._acronyms or (n == 1 and is_acronym(cased[i]))):
                    found.append(_match(hit, "token", " ".join(raw[i : i + n])))
                    if not nested:
                        i += n
                        break
            else:
                i += 1
                continue
            if nested:
                i += 1
        return found


def _has_letter(text: str) -> bool:
    """Whether a key can name anything: "5" (of "5-(3-pyridinyl)-...") or "1,2" cannot."""
    return any(c.isalpha() for c in text)


def _resolve(candidates: dict[str, bool]) -> tuple[str, bool] | None:
    """One target for a key: the only candidate, or the only one whose preferred label it is."""
    if len(candidates) == 1:
        return next(iter(candidates.items()))
    preferred = [t for t, p in candidates.items() if p]
    return (preferred[0], True) if len(preferred) == 1 else None


def _match(found: tuple[str, bool], method: str, text: str) -> Match:
    target, preferred = found
    score = METHOD_SCORES[method] - (0.0 if preferred else SYNONYM_PENALTY)
    return Match(target, method, round(score, 3), text)
