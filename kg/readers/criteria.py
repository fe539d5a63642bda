"""Split free-text eligibility criteria into inclusion and exclusion items.

Every source carries the criteria as one text (``eligibilityModule.eligibilityCriteria`` in API
v2, ``eligibility/criteria/textblock`` in the legacy XML, the card's "Eligibility Criteria"
section); the ontology wants one node per criterion. The registry's texts vary a lot, so the
rules below are deliberately simple and predictable:

- A *heading* names one list: "Inclusion Criteria:", "Key Exclusion Criteria", "EXCLUSION
  CRITERIA", "* INCLUSION CRITERIA:", "Disease-specific exclusion criteria:", "Inclusion
  requirements for all subjects", "Pre-inclusion criteria :". It has the word inclusion or
  exclusion among its first four words and speaks of criteria/requirements in a title (at most
  eight words, no verb such as "apply", no closing period), or among its first eight words and
  ends with a colon. Text after the colon ("Exclusion Criteria: none") is an item. A heading
  naming both ("Inclusion and Exclusion Criteria:") keeps the current list; "Non-inclusion
  criteria" (and "No inclusion / Exclusion Criteria") are exclusion headings.
- An *item* starts at a top-level bullet line (``*``, ``-``, ``+``, ``•``, ``●``, ``1.``, ``1)``,
  ``a.``, ``(a)``, ``ii.``, also markdown-escaped as ``1\\.``) or at a plain line that does not
  directly continue an item. The bullet marker is removed and markdown backslash escapes are
  undone (``\\>=18`` -> ``>=18``).
- **Nested sub-bullets stay with their parent** (a bullet indented deeper than the list's first
  bullet) and so do plain lines directly under an item (wrapped text, "AST ≤ 2.5×ULN ..." under
  "Organ function as defined by the following criteria:"): they are joined to the parent with a
  single space. A threshold list means nothing without the line that introduces it.
- A criteria text flattened onto one line by its source ("Inclusion Criteria:- Males- Stable
  relationship Exclusion Criteria:- ...", seen in the registry) is first cut back into lines
  at its headings and at "- " bullets glued to the previous word.
- Lines before the first heading count as inclusion items only when the text has no inclusion
  heading at all (old NCI texts list "DISEASE CHARACTERISTICS" etc. with no heading); otherwise
  they are an introduction and stay only in the full ``criteria_text``.

>>> split_criteria("Inclusion Criteria:\\n\\n* Age \\\\>= 18\\n* Able to consent:\\n  * written\\n"
...                "\\nExclusion Criteria:\\n\\n1. Pregnancy\\n2. Prior\\n   chemotherapy")
(['Age >= 18', 'Able to consent: written'], ['Pregnancy', 'Prior chemotherapy'])
"""

from __future__ import annotations

import re

_BULLET = re.compile(
    r"^(?:[*•●○▪◦·+\-–]|\\[*+\-]|\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{2,5})\\?[.)])(?:\s+|$)"
)
_EMPHASIS = re.compile(r"^[#*_\s]+|[*_\s]+$")
_KIND_WORD = re.compile(r"\b(inclusion|exclusion)\b", re.IGNORECASE)
_LEADING_WORDS = re.compile(r"^(?:\S+\s+){0,3}?(?:\w+-)?(?:inclusion|exclusion)\b", re.IGNORECASE)
_COLON_WORDS = re.compile(r"^(?:\S+\s+){0,7}?(?:\w+-)?(?:inclusion|exclusion)\b", re.IGNORECASE)
_AFTER_COLON = re.compile(r"^(.{0,80}?criteri\w*)\s*(?:[:：]|-\s)\s*(\S.*)$", re.IGNORECASE)
_BARE = re.compile(r"^(?:key |main )?(?:inclusion|exclusion) criteri\w*\W*$", re.IGNORECASE)
_NON_INCLUSION = re.compile(r"^no[nt]?[\s-]*inclusion\b", re.IGNORECASE)
_SENTENCE = re.compile(r"\b(?:apply|applies|may|will|must|should|are|is|be|met|meet)\b")
_INLINE_HEADING = re.compile(r"\s*\b((?:key |main )?(?:inclusion|exclusion) criteria\s*:)", re.I)
_INLINE_BULLET = re.compile(r"(?:(?<=\S)|\s+)- (?=[A-Z])")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~^=&])")

INCLUSION = "inclusion"
EXCLUSION = "exclusion"
MIXED = "mixed"


def unescape(text: str) -> str:
    r"""Undo markdown backslash escapes (``\>=`` -> ``>=``).

    >>> unescape(r"10\^6 cells, \>= 18")
    '10^6 cells, >= 18'
    """
    return _ESCAPE.sub(r"\1", text) if "\\" in text else text


def heading_kind(text: str) -> tuple[str, str | None] | None:
    """``(kind, trailing item)`` when ``text`` (bullet removed) is a heading, else None.

    >>> heading_kind("Key Inclusion Criteria:")
    ('inclusion', None)
    >>> heading_kind("Exclusion Criteria: none")
    ('exclusion', 'none')
    >>> heading_kind("Other inclusion/exclusion criteria may apply.") is None
    True
    >>> heading_kind("Other exclusion criteria apply according to the label") is None
    True
    """
    clean = _EMPHASIS.sub("", text)
    leading = _COLON_WORDS if clean.endswith((":", "：")) else _LEADING_WORDS
    if len(clean) > 120 or not leading.match(clean):
        return None
    words = {w.lower() for w in _KIND_WORD.findall(clean)}
    kind = MIXED if len(words) > 1 else words.pop()
    if _NON_INCLUSION.match(clean):  # "Non-inclusion criteria", "No inclusion / Exclusion"
        kind = EXCLUSION
    trailing = None
    tail = _AFTER_COLON.match(clean)
    if tail:
        trailing = tail.group(2).strip()
    elif clean.endswith((":", "：", "-")) or _BARE.match(clean):
        pass
    else:  # no colon: a heading only if it reads like a title, not like a sentence
        low = clean.lower()
        if (
            kind == MIXED
            or not ("criteri" in low or "requirement" in low)
            or clean.endswith((".", ";"))
            or len(clean.split()) > 8
            or _SENTENCE.search(low)
        ):
            return None
    return kind, trailing


def split_criteria(text: str | None) -> tuple[list[str], list[str]]:
    """The inclusion and exclusion items of a criteria text (see the module docstring)."""
    if not text:
        return [], []
    if "\n" not in text.strip() and _INLINE_HEADING.search(text):
        text = _INLINE_BULLET.sub("\n- ", _INLINE_HEADING.sub(r"\n\1\n", text))
    lists: dict[str, list[str]] = {INCLUSION: [], EXCLUSION: [], "": []}
    current = ""  # the list being filled; "" is the text before any heading
    seen_inclusion = False
    item: list[str] | None = None  # parts of the item being built
    top_indent: int | None = None  # indent of the current list's first bullet
    previous_blank = True

    def flush() -> None:
        nonlocal item
        if item:
            joined = " ".join(part for part in item if part)
            if joined:
                lists[current].append(joined)
        item = None

    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped:
            previous_blank = True
            continue
        indent = len(raw) - len(raw.lstrip())
        marker = _BULLET.match(stripped)
        body = unescape(stripped[marker.end() :].strip() if marker else stripped)
        heading = (
            heading_kind(body)
            if "clusion" in body.lower() and (not marker or indent <= (top_indent or 0))
            else None
        )
        if heading:
            flush()
            kind, trailing = heading
            if kind != MIXED:  # "Inclusion and Exclusion Criteria:" keeps the list it is in
                current = kind
            seen_inclusion = seen_inclusion or current == INCLUSION
            top_indent = None
            if trailing:
                lists[current].append(trailing)
            previous_blank = False
            continue
        if marker:
            if top_indent is None or indent <= top_indent:
                flush()
                top_indent = indent
                item = [body]
            elif item is not None:
                item.append(body)
            else:
                item = [body]
        elif item is not None and not previous_blank:
            item.append(body)
        else:
            flush()
            item = [body]
            if top_indent is not None and indent > top_indent:
                # an indented paragraph under a bulleted list belongs to its last item
                parent = lists[current].pop() if lists[current] else ""
                item = [parent, body]
        previous_blank = False
    flush()
    inclusion = lists[INCLUSION]
    if not seen_inclusion:
        inclusion = lists[""] + inclusion
    return inclusion, lists[EXCLUSION]
