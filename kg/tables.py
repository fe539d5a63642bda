"""Query results for a terminal: an aligned text table, CSV, or SPARQL 1.1 JSON results."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from typing import TextIO

from rdflib import BNode, Literal, URIRef

from kg.stores.base import QueryResult, Term


def _plain(term: Term | None) -> str:
    return "" if term is None else str(term)


def json_term(term: Term) -> dict[str, str]:
    """A term in the SPARQL 1.1 Query Results JSON shape."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def sparql_json(variables: list[str], rows: Iterable[Sequence[Term | None]]) -> dict:
    """Rows in the SPARQL 1.1 Query Results JSON shape."""
    bindings = [
        {v: json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
        for row in rows
    ]
    return {"head": {"vars": variables}, "results": {"bindings": bindings}}


def write_result(result: QueryResult, fmt: str, out: TextIO) -> None:
    """Write a query result; graphs (CONSTRUCT/DESCRIBE) come out as N-Triples whatever ``fmt``.

    >>> import io
    >>> r = QueryResult("bindings", ["n", "m"], iter([(Literal(1), None), (None, Literal("x"))]))
    >>> buf = io.StringIO(); write_result(r, "csv", buf); buf.getvalue().splitlines()
    ['n,m', '1,', ',x']
    """
    if result.kind == "boolean":
        out.write(("true" if result.boolean else "false") + "\n")
        return
    if result.kind == "graph":
        for s, p, o in result.triples:
            out.write(f"{s.n3()} {p.n3()} {o.n3()} .\n")
        return
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow([_plain(t) for t in row])
    elif fmt == "json":
        json.dump(sparql_json(result.variables, result.rows), out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        rows = [[_plain(t) for t in row] for row in result.rows]
        widths = [max([len(v), *(len(r[i]) for r in rows)]) for i, v in enumerate(result.variables)]
        line = "  ".join(v.ljust(w) for v, w in zip(result.variables, widths, strict=True))
        out.write(line.rstrip() + "\n" + "  ".join("-" * w for w in widths) + "\n")
        for r in rows:
            out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
        out.write(f"({len(rows)} rows)\n")
