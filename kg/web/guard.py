"""Read SPARQL text without running it: find SERVICE and LOAD, apply ``using-graph-uri``.

A tokenizer that knows SPARQL's strings, IRIs, comments, variables and prefixed names finds the
keywords, so ``"SERVICE"`` in a literal, ``?load`` or ``ex:service`` do not trip it, while
``service <http://evil/>`` in any letter case does. It is a lexer, not a parser: the store's
parser still decides whether the text is valid.

>>> keywords("SELECT * { ?s ?p 'SERVICE' # SERVICE in a comment\\n  ?service ex:LOAD <urn:load> }")
set()
>>> sorted(keywords("select * { Service <http://example.org/sparql> { ?s ?p ?o } }"))
['SERVICE']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal, NamedTuple

from rdflib import URIRef

from kg.web.errors import Refused

_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\r\n]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                |'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7\u00c0-\uffff]+)
    | (?P<bnode>_:[\w.\-]+)
    | (?P<pname>(?:[A-Za-z\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*)?
                 :[\w.:%\\\-\u00b7\u00c0-\uffff]*)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<word>[A-Za-z_][\w\u00c0-\uffff]*)
    | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
    | (?P<open>\{)
    | (?P<close>\})
    | (?P<other>[^\s])
    """,
    re.VERBOSE | re.DOTALL,
)

_FORMS: dict[str, Literal["bindings", "boolean", "graph"]] = {
    "SELECT": "bindings",
    "ASK": "boolean",
    "CONSTRUCT": "graph",
    "DESCRIBE": "graph",
}
# Keywords that make the server fetch from the network on the requester's behalf.
OUTBOUND = {"SERVICE": "allow_service", "LOAD": "allow_load"}


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    depth: int  # curly-brace nesting depth where the token starts


def tokens(text: str) -> tuple[Token, ...]:
    """The SPARQL tokens of ``text`` (whitespace dropped), each with its brace depth.

    Remembered for the last few texts: one request asks several questions of the same query.
    """
    return _tokens(text)


@lru_cache(maxsize=32)
def _tokens(text: str) -> tuple[Token, ...]:
    found = []
    depth = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind == "close":
            depth = max(depth - 1, 0)
        found.append(Token(kind, m.group(), m.start(), depth))
        if kind == "open":
            depth += 1
    return tuple(found)


def keywords(text: str) -> set[str]:
    """The outbound keywords (SERVICE, LOAD) used as keywords in ``text``."""
    return {t.text.upper() for t in tokens(text) if t.kind == "word" and t.text.upper() in OUTBOUND}


def check_outbound(text: str, *, allow_service: bool, allow_load: bool) -> None:
    """Refuse (403) a query or update that would make the server fetch a URL, unless allowed."""
    allowed = {"SERVICE": allow_service, "LOAD": allow_load}
    for word in sorted(keywords(text)):
        if not allowed[word]:
            raise Refused(
                f"{word} is disabled on this endpoint: it would make the server send requests "
                f"to other hosts on your behalf (an operator can enable it with "
                f"TRIALKG_{OUTBOUND[word].upper()}=1)"
            )


def query_kind(text: str) -> Literal["bindings", "boolean", "graph"]:
    """What a query answers, from its first query-form keyword (the store still parses it).

    >>> query_kind("PREFIX ex: <http://ex/select#> ASK { ?s ex:construct ?o }")
    'boolean'
    >>> query_kind("# DESCRIBE\\nCONSTRUCT WHERE { ?s ?p ?o }")
    'graph'
    """
    for token in tokens(text):
        if token.kind == "word" and token.text.upper() in _FORMS:
            return _FORMS[token.text.upper()]
    return "bindings"


_SCHEME = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:")


def with_base(text: str, base: str) -> str:
    """``text`` with ``base`` declared first if it uses a relative IRI (else unchanged, so the
    parser's line and column numbers still point into the user's own text).

    >>> with_base("ASK { <s> ?p 1 }", "http://localhost/sparql")
    'BASE <http://localhost/sparql> ASK { <s> ?p 1 }'
    >>> with_base("ASK { <urn:x:s> ?p '<s>' }", "http://localhost/sparql")
    "ASK { <urn:x:s> ?p '<s>' }"
    """
    relative = any(t.kind == "iri" and not _SCHEME.match(t.text) for t in tokens(text))
    return f"BASE {iri_term(base)} {text}" if relative else text


def capped(query: str, max_rows: int) -> str:
    """The query with its solutions limited to ``max_rows`` (a server constant, never user text).

    A top-level LIMIT above the cap is lowered to it, a missing one is added before a trailing
    VALUES block or at the end; subqueries and ASK are left alone.

    >>> capped("SELECT * { ?s ?p ?o } # all", 100)
    'SELECT * { ?s ?p ?o } # all\\nLIMIT 100'
    >>> capped("SELECT * { { SELECT ?s { ?s ?p ?o } LIMIT 5 } } LIMIT 1000 OFFSET 2", 100)
    'SELECT * { { SELECT ?s { ?s ?p ?o } LIMIT 5 } } LIMIT 100 OFFSET 2'
    >>> capped("SELECT ?s { ?s ?p ?o } VALUES ?s { <urn:a> }", 10)
    'SELECT ?s { ?s ?p ?o } LIMIT 10 VALUES ?s { <urn:a> }'
    """
    found = tokens(query)
    if query_kind(query) == "boolean":
        return query
    for i, token in enumerate(found):
        if token.depth == 0 and token.kind == "word" and token.text.upper() == "LIMIT":
            number = found[i + 1] if i + 1 < len(found) else None
            if number is None or not number.text.isdigit() or int(number.text) <= max_rows:
                return query
            end = number.start + len(number.text)
            return f"{query[: number.start]}{max_rows}{query[end:]}"
    values = [t for t in found if t.depth == 0 and t.kind == "word" and t.text.upper() == "VALUES"]
    if values:
        at = values[-1].start
        return f"{query[:at]}LIMIT {max_rows} {query[at:]}"
    return f"{query}\nLIMIT {max_rows}"


def with_using(update: str, default: Sequence[str], named: Sequence[str]) -> str:
    """Apply the protocol's ``using-graph-uri``/``using-named-graph-uri`` as USING clauses.

    Each IRI is checked and serialised as an IRI term; an operation that already says USING or
    WITH conflicts with the parameters (400), as the SPARQL 1.1 Protocol requires.

    >>> with_using("INSERT { ?s a ?t } WHERE { ?s a ?t }", ["http://ex/g"], [])
    'INSERT { ?s a ?t } USING <http://ex/g> WHERE { ?s a ?t }'
    """
    if not default and not named:
        return update
    clauses = " ".join(
        [f"USING {iri_term(i)}" for i in default] + [f"USING NAMED {iri_term(i)}" for i in named]
    )
    out: list[str] = []
    last = 0
    previous: Token | None = None
    for token in tokens(update):
        word = token.text.upper() if token.kind == "word" else ""
        if token.depth == 0 and word in ("USING", "WITH"):
            raise Refused(
                f"the update says {word} and the request gives using-graph-uri or "
                "using-named-graph-uri; the SPARQL 1.1 Protocol forbids both at once",
                status=400,
            )
        prev_word = previous.text.upper() if previous and previous.kind == "word" else ""
        if token.depth == 0 and word == "WHERE" and prev_word != "DELETE":
            out.append(update[last : token.start])
            out.append(clauses + " ")
            last = token.start
        previous = token
    out.append(update[last:])
    return "".join(out)


def iri_term(value: str) -> str:
    """An absolute IRI as a SPARQL term, or a 400 naming the bad parameter value."""
    term = URIRef(value)
    if ":" not in value or not _TOKEN.fullmatch(f"<{value}>") or term.n3() != f"<{value}>":
        raise Refused(f"graph IRI {value!r} is not a valid absolute IRI", status=400)
    return term.n3()
