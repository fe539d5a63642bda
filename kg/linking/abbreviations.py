"""Abbreviations a record defines for itself: "Non-small-cell Lung Carcinoma (NSCLC)".

Registry records often list a condition only by its abbreviation ("NSCLC", "BPH") and spell it
out once in the title or summary. This finds those definitions with the Schwartz–Hearst
algorithm (A. Schwartz, M. Hearst, *A simple algorithm for identifying abbreviation definitions
in biomedical text*, PSB 2003): for every ``long form (SHORT)`` the long form is the shortest run
of preceding words that holds the short form's letters in order, its first letter starting a
word. Nothing outside the record is consulted, so "ALL" means acute lymphoblastic leukaemia only
in a record that says so.

>>> definitions("Carboplatin in Non-small-cell Lung Carcinoma (NSCLC) and benign prostatic "
...             "hyperplasia (BPH); see the protocol (v2)")
{'nsclc': 'Non-small-cell Lung Carcinoma', 'bph': 'benign prostatic hyperplasia'}
>>> definitions("a study (phase 2) of tumours (solid)")
{}
"""

from __future__ import annotations

import re

_PARENTHESIS = re.compile(r"\(\s*([^()]{2,10}?)\s*\)")
_MAX_SHORT_WORDS = 2


def definitions(text: str) -> dict[str, str]:
    """Short form (lower case) -> long form, for every definition found in ``text``."""
    found: dict[str, str] = {}
    for match in _PARENTHESIS.finditer(text):
        short = match.group(1)
        if not _is_short_form(short):
            continue
        words = text[: match.start()].split()
        window = words[-min(len(short) + 5, len(short) * 2) :]
        long = _long_form(short, " ".join(window))
        if long and long.lower() != short.lower():
            found.setdefault(short.lower(), long)
    return found


_LOOKS_LIKE_ONE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/&]{1,9}")


def looks_like_one(text: str) -> bool:
    """Whether a whole text could be an abbreviation: one short word with a capital letter.

    >>> [looks_like_one(t) for t in ("NSCLC", " BPH ", "B-ALL", "asthmatic", "Lung Cancer")]
    [True, True, True, False, False]
    """
    text = text.strip()
    return bool(_LOOKS_LIKE_ONE.fullmatch(text)) and any(c.isupper() for c in text)


def _is_short_form(text: str) -> bool:
    """Schwartz–Hearst's test: up to two words, a letter in it, a letter or digit first."""
    return (
        len(text.split()) <= _MAX_SHORT_WORDS
        and text[0].isalnum()
        and any(c.isalpha() for c in text)
        and not text.isdigit()
    )


def _long_form(short: str, candidate: str) -> str | None:
    """The shortest end of ``candidate`` holding ``short``'s characters in order, or ``None``.

    Characters are matched right to left; the short form's first character must begin a word
    of the long form. Every word of the long form must be used, so a short form whose letters
    cannot all be found yields nothing.

    >>> _long_form("BPH", "men with benign prostatic hyperplasia")
    'benign prostatic hyperplasia'
    >>> _long_form("XYZ", "men with benign prostatic hyperplasia") is None
    True
    """
    s, lower_short = len(short) - 1, short.lower()
    lower = candidate.lower()
    i = len(lower) - 1
    while s >= 0:
        c = lower_short[s]
        if not c.isalnum():
            s -= 1
            continue
        while i >= 0 and (lower[i] != c or (s == 0 and i > 0 and lower[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
        s -= 1
    start = lower.rfind(" ", 0, i + 1) + 1
    long = candidate[start:].strip()
    if len(long.split()) > len(short) + 5 or len(long) <= len(short):
        return None
    return long
