"""The named-query REST API: list the queries of ``queries/``, describe them in OpenAPI, run them.

``GET /api/queries`` lists them (JSON), ``GET /api/openapi.json`` is an OpenAPI 3 document with
one operation per query, and ``GET /api/queries/<name>?param=value`` runs one. Request values
become typed RDF terms by :mod:`kg.queries` and reach the store as bindings; a missing, unknown
or ill-typed parameter is a 400 that names it. Answers are plain JSON rows (the default), CSV,
TSV or SPARQL JSON results, by ``Accept`` or ``format=``; ``limit=`` asks for fewer rows than
the server's cap.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from decimal import Decimal
from importlib.metadata import version
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from rdflib import BNode, Literal
from rdflib.term import Identifier
from werkzeug.exceptions import NotAcceptable, NotFound

from kg.queries import NamedQuery, Param, ParameterError, load_queries
from kg.tables import sparql_json
from kg.vocab import XSD, Iris
from kg.web import guard
from kg.web.negotiation import Format, by_name, negotiate
from kg.web.state import current_settings, current_store

bp = Blueprint("api", __name__)

ROWS = Format("json", "application/json")
CSV = Format("csv", "text/csv")
TSV = Format("tsv", "text/tab-separated-values", ("text/tsv",))
SPARQL_JSON = Format("sparql-json", "application/sparql-results+json", ("srj",))
FORMATS = (ROWS, CSV, TSV, SPARQL_JSON)
"""What a named query answers in; the first is the default for ``Accept: */*``."""

_TEXT = {"type": "string"}
_NUMERIC = {XSD.integer, XSD.int, XSD.long, XSD.decimal, XSD.double, XSD.float}


@bp.get("/api/queries")
def list_queries() -> Response:
    return jsonify({"queries": [describe(q) for q in load_queries().values()]})


@bp.get("/api/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(list(load_queries().values()), request.url_root.rstrip("/")))


@bp.get("/api/queries/<name>")
def run(name: str) -> Response:
    query = load_queries().get(name)
    if query is None:
        raise NotFound(f"there is no named query {name!r}; GET /api/queries lists them")
    fmt = _format()
    settings = current_settings()
    limit = _limit(query, settings.max_rows)
    args = {}
    for key in request.args:
        if key in ("format", "limit"):
            continue
        values = request.args.getlist(key)
        if len(values) > 1:
            raise ParameterError(query.name, key, f"given {len(values)} times; give it once")
        args[key] = values[0]
    iris = Iris(settings.base)
    result = query.run(
        current_store(),
        args,
        iris,
        timeout=settings.query_timeout,
        sparql=guard.capped(query.sparql, limit + 1),
    )
    variables = result.variables
    rows = list(itertools.islice(result.rows, limit + 1))
    truncated = len(rows) > limit
    rows = rows[:limit]
    if fmt is ROWS:
        response = jsonify(
            {
                "query": query.name,
                "parameters": {k: str(t) for k, t in query.bind(args, iris).items()},
                "variables": variables,
                "rows": [
                    {v: plain(t) for v, t in zip(variables, row, strict=True) if t is not None}
                    for row in rows
                ],
                "truncated": truncated,
            }
        )
    else:
        body = SERIALIZERS[fmt.name](variables, rows)
        response = Response(body, content_type=f"{fmt.media_type}; charset=utf-8")
    if truncated:
        response.headers["X-TrialKG-Truncated"] = "true"
    return response


@bp.errorhandler(ParameterError)
def _bad_parameter(exc: ParameterError) -> tuple[Response, int]:
    body = {
        "status": 400,
        "error": "Bad Request",
        "message": str(exc),
        "query": exc.query,
        "parameter": exc.param,
    }
    return jsonify(body), 400


def _format() -> Format:
    requested = request.args.getlist("format")
    chosen = (
        by_name(FORMATS, requested)
        if requested
        else negotiate(FORMATS, request.headers.get("Accept"))
    )
    if chosen is None:
        offered = ", ".join(f"{f.name} ({f.media_type})" for f in FORMATS)
        raise NotAcceptable(f"a named query answers in {offered}")
    return chosen


def _limit(query: NamedQuery, cap: int) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return cap
    if not re.fullmatch(r"\d+", raw) or not 1 <= int(raw) <= cap:
        raise ParameterError(query.name, "limit", f"{raw!r} is not a row count from 1 to {cap}")
    return int(raw)


Row = tuple[Identifier | None, ...]


def csv_results(variables: list[str], rows: list[Row]) -> str:
    """SPARQL 1.1 Query Results CSV: plain values, RFC 4180 quoting, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(variables)
    for row in rows:
        writer.writerow(["" if t is None else _csv_value(t) for t in row])
    return out.getvalue()


def _csv_value(term: Identifier) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def tsv_results(variables: list[str], rows: list[Row]) -> str:
    r"""SPARQL 1.1 Query Results TSV: ``?var`` headers, terms written as in Turtle.

    >>> from rdflib import URIRef
    >>> tsv_results(["x", "y"], [(URIRef("urn:a"), None), (None, Literal("b"))])
    '?x\t?y\n<urn:a>\t\n\t"b"\n'
    """
    lines = ["\t".join("?" + v for v in variables)]
    lines += ["\t".join("" if t is None else t.n3() for t in row) for row in rows]
    return "\n".join(lines) + "\n"


def json_results(variables: list[str], rows: list[Row]) -> str:
    """SPARQL 1.1 Query Results JSON."""
    return json.dumps(sparql_json(variables, rows))


SERIALIZERS = {"csv": csv_results, "tsv": tsv_results, "sparql-json": json_results}


def plain(term: Identifier) -> Any:
    """A term as a JSON value: numbers and booleans as such, IRIs and other literals as text.

    >>> from rdflib import URIRef
    >>> plain(Literal("2.50", datatype=XSD.decimal)), plain(Literal(True)), plain(URIRef("urn:x"))
    (2.5, True, 'urn:x')
    """
    if isinstance(term, Literal):
        if term.datatype in _NUMERIC:
            value = term.toPython()
            if isinstance(value, Decimal):
                return float(value)
            if isinstance(value, int | float):
                return value
        if term.datatype == XSD.boolean:
            return bool(term.toPython())
    return str(term)


def describe(query: NamedQuery) -> dict[str, Any]:
    """A named query as ``/api/queries`` lists it."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "parameters": [
            {
                "name": p.name,
                "type": p.type.name,
                "required": p.required,
                "default": p.default,
                "description": p.description,
            }
            for p in query.params
        ],
        "example": query.example,
        "url": url_for("api.run", name=query.name),
        "example_url": url_for("api.run", name=query.name, **query.example),
    }


def _parameter(p: Param, example: str | None) -> dict[str, Any]:
    schema = dict(p.type.schema)
    if p.default is not None:
        schema["default"] = p.default
    spec: dict[str, Any] = {
        "name": p.name,
        "in": "query",
        "required": p.required,
        "description": f"{p.description} ({p.type.doc})".strip(),
        "schema": schema,
    }
    if example is not None:
        spec["example"] = example
    return spec


def openapi_document(queries: list[NamedQuery], server: str) -> dict[str, Any]:
    """An OpenAPI 3.0 document with one GET operation per named query."""
    error = {"$ref": "#/components/responses/BadParameter"}
    paths: dict[str, Any] = {
        "/api/queries": {
            "get": {
                "operationId": "listQueries",
                "summary": "The named queries, their descriptions and parameters",
                "responses": {
                    "200": {
                        "description": "The named queries",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        }
    }
    common = [
        {
            "name": "format",
            "in": "query",
            "required": False,
            "description": "Answer format; wins over the Accept header",
            "schema": {"type": "string", "enum": [f.name for f in FORMATS]},
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Return at most this many rows (the server caps it)",
            "schema": {"type": "integer", "minimum": 1},
        },
    ]
    for q in queries:
        paths[f"/api/queries/{q.name}"] = {
            "get": {
                "operationId": _camel(q.name),
                "summary": q.title,
                "description": q.description,
                "parameters": [_parameter(p, q.example.get(p.name)) for p in q.params] + common,
                "responses": {
                    "200": {"$ref": "#/components/responses/Rows"},
                    "400": error,
                },
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "TrialKG named queries",
            "version": version("trialkg"),
            "description": "Parameterised SPARQL queries over the TrialKG clinical-trials graph. "
            "Parameters are bound as typed RDF terms, never pasted into query text.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": {
                "Rows": {
                    "type": "object",
                    "required": ["query", "variables", "rows", "truncated"],
                    "properties": {
                        "query": {"type": "string"},
                        "parameters": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        },
                        "variables": {"type": "array", "items": {"type": "string"}},
                        "rows": {"type": "array", "items": {"type": "object"}},
                        "truncated": {"type": "boolean"},
                    },
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "integer"},
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "query": {"type": "string"},
                        "parameter": {"type": "string"},
                    },
                },
            },
            "responses": {
                "Rows": {
                    "description": "The answer: JSON rows, CSV, TSV or SPARQL JSON results",
                    "content": {
                        ROWS.media_type: {"schema": {"$ref": "#/components/schemas/Rows"}},
                        CSV.media_type: {"schema": {"type": "string"}},
                        TSV.media_type: {"schema": {"type": "string"}},
                        SPARQL_JSON.media_type: {"schema": {"type": "object"}},
                    },
                },
                "BadParameter": {
                    "description": "A parameter is missing, unknown or not of its type",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        },
    }


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(w.capitalize() for w in rest)
