"""Bindings for SPARQL: which variables may be bound, and a ``VALUES`` block of serialised terms.

A value never enters query text as a spliced string: the embedded store hands terms to pyoxigraph
(``substitutions=``), the memory store to rdflib (``initBindings``), and the remote store appends
a ``VALUES`` block whose terms are written by :func:`kg.stores.terms.to_sparql`, so a string
stays one literal whatever it contains. All three follow SEP-0007: in a SELECT a bound variable
must be projected, so appending ``VALUES`` (joined before projection) means the same as
substituting.

>>> print(values_block({"title": Literal('"x" } ; DROP ALL ; {')}))
VALUES (?title) { ("\\"x\\" } ; DROP ALL ; {") }
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pyparsing import ParseException
from rdflib import Literal  # noqa: F401  (used in the doctest)
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from kg.errors import QueryError
from kg.stores.base import Term
from kg.stores.terms import to_sparql

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_projected(prepared: Query, bindings: Mapping[str, Term] | None) -> None:
    """``QueryError`` unless every bound variable is one a SELECT returns (SEP-0007's rule, which
    pyoxigraph enforces; checked for every backend so they all agree)."""
    if not bindings or prepared.algebra.name != "SelectQuery":
        return
    projected = {str(v) for v in prepared.algebra.PV}
    missing = sorted(set(bindings) - projected)
    if missing:
        raise QueryError(
            f"bound variable(s) {', '.join('?' + m for m in missing)} must be in the SELECT "
            "projection (SEP-0007 substitution)"
        )


def check_names(bindings: Mapping[str, Term]) -> None:
    """``QueryError`` for a binding name that is not a plain SPARQL variable name."""
    for name in bindings:
        if not _NAME.match(name):
            raise QueryError(f"binding name {name!r} is not a SPARQL variable name")


def values_block(bindings: Mapping[str, Term]) -> str:
    """One-row ``VALUES`` clause binding each name to its term, written safely."""
    check_names(bindings)
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(to_sparql(term) for term in bindings.values())
    return f"VALUES ({names}) {{ ({terms}) }}"


def with_values(sparql: str, bindings: Mapping[str, Term] | None) -> str:
    """The query with a trailing ``VALUES`` block for ``bindings`` (checked against the query's
    projection first when rdflib can parse it; engine extensions it cannot parse pass unchecked)."""
    if not bindings:
        return sparql
    try:
        prepared = prepareQuery(sparql)
    except ParseException:
        prepared = None
    if prepared is not None:
        check_projected(prepared, bindings)
    return f"{sparql}\n{values_block(bindings)}"


__all__ = ["check_names", "check_projected", "values_block", "with_values"]
