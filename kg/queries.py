"""Named queries: load ``queries/*.rq`` with their headers and bind typed parameters safely.

A named query is a SPARQL file whose leading comment block says what it is::

    # title: Trials of a sponsor
    # description: Every trial whose lead sponsor or a collaborator is the organisation,
    #   with the role the organisation plays.
    # @param sponsor org required The organisation, by its registry name or its IRI
    # @param status overall-status optional Only trials with this overall status
    # @param minAge decimal 18 Youngest age in years
    # example: sponsor=Bayer&status=COMPLETED
    PREFIX tk: <https://w3id.org/trialkg/ontology#>
    SELECT ?sponsor ?trial ...

Header lines (all before the first non-comment line):

``# title: …``
    One line, required: what the query answers.
``# description: …``
    Free text; following ``#`` lines indented by two or more spaces continue it.
``# @param <name> <type> <default> <description>``
    One typed parameter. ``<name>`` is the SPARQL variable (``?name``) it binds; ``<type>`` is a
    key of :data:`PARAM_TYPES`; ``<default>`` is ``required`` (the caller must give it),
    ``optional`` (left unbound when absent, so the pattern matches any value), a bare token, or a
    double-quoted string. The description may continue on indented lines.
``# example: name=value&…``
    A query string that shows the query at work (the home page and the OpenAPI document offer
    it, the tests run it).

Values never touch the query text: each one is parsed by its type into an RDF term and handed to
:meth:`Store.query` as a binding (``bindings={"sponsor": URIRef(…)}``). Stores bind by initial
solution (pyoxigraph ``substitutions``, rdflib ``initBindings``), and pyoxigraph accepts only
variables of the top-level ``SELECT`` projection, so a query lists every parameter variable in
its projection (and in its ``GROUP BY`` when it aggregates) and does not use parameters inside
sub-queries or ``HAVING``. An ``optional`` parameter belongs in a triple pattern, where unbound
means "any": ``FILTER(!BOUND(?p) || …)`` does not work, as pyoxigraph's optimiser folds
``BOUND`` of a variable the pattern never binds to false before the substitution happens.

>>> q = parse_query("demo", '''# title: Trials in a phase
... # @param phase phase PHASE2 The trial phase
... SELECT ?phase ?trial WHERE { ?trial <https://w3id.org/trialkg/ontology#phase> ?phase }''')
>>> q.title, [p.name for p in q.params]
('Trials in a phase', ['phase'])
>>> str(q.bind({"phase": "phase3"})["phase"])
'https://w3id.org/trialkg/ontology#Phase-PHASE3'
>>> q.bind({"phase": "PHASE9"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
kg.queries.ParameterError: query demo: parameter 'phase': 'PHASE9' is not a Phase code (one of: ...)
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from urllib.parse import parse_qsl, urlsplit

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from kg import resources
from kg.errors import QueryError
from kg.model import CODE_ENUMS, NCT_ID, Code
from kg.stores.base import QueryResult, Store
from kg.vocab import MESH, XSD, Iris, code_iri, mesh_iri

RESERVED = frozenset({"format", "limit"})
"""Request parameters the web layer keeps for itself; no query may declare them."""

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARAM = re.compile(r'^@param\s+(\S+)\s+(\S+)\s+("(?:[^"\\]|\\.)*"|\S+)\s*(.*)$')
_KEY = re.compile(r"^(title|description|example):\s*(.*)$")
_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')


class ParameterError(QueryError):
    """A request parameter that is missing, unknown or not of its declared type; names it."""

    def __init__(self, query: str, param: str, reason: str) -> None:
        self.query = query
        self.param = param
        self.reason = reason
        super().__init__(f"query {query}: parameter {param!r}: {reason}")


# --------------------------------------------------------------------------- parameter types


@dataclass(frozen=True)
class ParamType:
    """How one kind of request value becomes an RDF term, and how OpenAPI describes it."""

    name: str
    parse: Callable[[str, Iris], Identifier]  # ValueError with a readable reason if ill-typed
    schema: Mapping[str, object]  # OpenAPI 3 schema of the raw request value
    doc: str


def _string(value: str, iris: Iris) -> Identifier:
    return Literal(value, datatype=XSD.string)


def _integer(value: str, iris: Iris) -> Identifier:
    if not re.fullmatch(r"[+-]?\d+", value.strip()):
        raise ValueError(f"{value!r} is not an integer")
    return Literal(int(value), datatype=XSD.integer)


def _decimal(value: str, iris: Iris) -> Identifier:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal number")
    return Literal(number, datatype=XSD.decimal)


def _boolean(value: str, iris: Iris) -> Identifier:
    lowered = value.strip().lower()
    if lowered not in ("true", "false", "1", "0"):
        raise ValueError(f"{value!r} is not a boolean (true or false)")
    return Literal(lowered in ("true", "1"), datatype=XSD.boolean)


def _date(value: str, iris: Iris) -> Identifier:
    try:
        return Literal(datetime.date.fromisoformat(value.strip()), datatype=XSD.date)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _iri(value: str, iris: Iris) -> URIRef:
    text = value.strip()
    parts = urlsplit(text)
    if not parts.scheme or _IRI_FORBIDDEN.search(text) or not (parts.netloc or parts.path):
        raise ValueError(f"{value!r} is not an absolute IRI")
    return URIRef(text)


def _nct(value: str, iris: Iris) -> URIRef:
    text = value.strip()
    if text.startswith(iris.base + "trial/"):
        text = text[len(iris.base + "trial/") :]
    if not NCT_ID.match(text.upper()):
        raise ValueError(f"{value!r} is not an NCT id (NCT followed by 8 digits) or a trial IRI")
    return iris.trial(text.upper())


def _mesh(value: str, iris: Iris) -> URIRef:
    text = value.strip()
    if text.startswith(str(MESH)):
        text = text[len(str(MESH)) :]
    text = text.removeprefix("MESH:").removeprefix("mesh:")
    return mesh_iri(text.upper())


def _minted(kind: str, mint: Callable[[Iris, str], URIRef]) -> Callable[[str, Iris], URIRef]:
    """A shared entity given by its name (slugged the way the mapper does) or by its IRI."""

    def parse(value: str, iris: Iris) -> URIRef:
        text = value.strip()
        if not text:
            raise ValueError(f"an empty {kind} name")
        if text.startswith(iris.base):
            if not text.startswith(f"{iris.base}{kind}/"):
                raise ValueError(f"{value!r} is not a {kind} IRI")
            return _iri(text, iris)
        return mint(iris, text)

    return parse


def _code(enum: type[Code]) -> Callable[[str, Iris], URIRef]:
    def parse(value: str, iris: Iris) -> URIRef:
        return code_iri(enum.parse(value.strip().upper()))

    return parse


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _param_types() -> dict[str, ParamType]:
    text: dict[str, object] = {"type": "string"}
    types = [
        ParamType("string", _string, text, "any text, bound as an xsd:string literal"),
        ParamType("integer", _integer, {"type": "integer"}, "an xsd:integer"),
        ParamType("decimal", _decimal, {"type": "number"}, "an xsd:decimal"),
        ParamType("boolean", _boolean, {"type": "boolean"}, "an xsd:boolean"),
        ParamType("date", _date, {"type": "string", "format": "date"}, "an xsd:date"),
        ParamType("iri", _iri, {"type": "string", "format": "iri"}, "an absolute IRI"),
        ParamType(
            "nct",
            _nct,
            {"type": "string", "pattern": "^NCT[0-9]{8}$"},
            "an NCT id, bound as the trial's IRI",
        ),
        ParamType(
            "mesh",
            _mesh,
            {"type": "string", "pattern": "^[DC][0-9]{6,9}$"},
            "a MeSH UI (D…/C…), bound as its id.nlm.nih.gov IRI",
        ),
        ParamType(
            "org",
            _minted("org", Iris.organization),
            text,
            "an organisation's name as the registry writes it, or its IRI",
        ),
        ParamType(
            "condition",
            _minted("condition", Iris.condition),
            text,
            "a condition as the registry writes it, or its IRI",
        ),
        ParamType(
            "intervention",
            _minted("intervention", Iris.intervention),
            text,
            "an intervention's name, or its IRI",
        ),
    ]
    for enum in CODE_ENUMS:
        codes = [m.value for m in enum]
        types.append(
            ParamType(
                _kebab(enum.__name__),
                _code(enum),
                {"type": "string", "enum": codes},
                f"a registry {enum.__name__} code, bound as its ontology individual",
            )
        )
    return {t.name: t for t in types}


PARAM_TYPES: dict[str, ParamType] = _param_types()
"""Every parameter type a query header may name: ``string``, ``integer``, ``decimal``,
``boolean``, ``date``, ``iri``, ``nct``, ``mesh``, ``org``, ``condition``, ``intervention``, and
one per registry enumeration (``phase``, ``overall-status``, ``sex``, ``agency-class``…)."""


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Param:
    """One declared parameter of a named query."""

    name: str
    type: ParamType
    default: str | None  # lexical default, None when required or optional
    required: bool
    description: str

    def to_term(self, value: str, iris: Iris, query: str) -> Identifier:
        try:
            return self.type.parse(value, iris)
        except ValueError as exc:
            raise ParameterError(query, self.name, str(exc)) from None


@dataclass(frozen=True)
class NamedQuery:
    """A parsed ``queries/<name>.rq``: its header and its SPARQL text (never modified)."""

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    sparql: str
    example: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def bind(self, args: Mapping[str, str], iris: Iris | None = None) -> dict[str, Identifier]:
        """Request values (or defaults) as typed RDF terms keyed by variable name.

        ``ParameterError`` names the first parameter that is unknown, missing or ill-typed.
        """
        iris = iris or Iris()
        for given in args:
            if self.param(given) is None:
                known = ", ".join(p.name for p in self.params) or "none"
                raise ParameterError(self.name, given, f"unknown parameter (known: {known})")
        bindings: dict[str, Identifier] = {}
        for p in self.params:
            value = args.get(p.name)
            if value is None or value == "":
                if p.required:
                    raise ParameterError(self.name, p.name, f"missing ({p.type.doc})")
                value = p.default
            if value is not None:
                bindings[p.name] = p.to_term(value, iris, self.name)
        return bindings

    def run(
        self,
        store: Store,
        args: Mapping[str, str],
        iris: Iris | None = None,
        *,
        timeout: float | None = None,
        sparql: str | None = None,
    ) -> QueryResult:
        """Bind ``args`` and run the query (or ``sparql``, a capped copy of it) on ``store``.

        Rows that bind nothing but the parameters are dropped: when an aggregate matches
        nothing, both pyoxigraph and rdflib answer one row holding only the bound values
        instead of none.
        """
        bindings = self.bind(args, iris)
        result = store.query(sparql or self.sparql, bindings=bindings, timeout=timeout)
        answers = [i for i, v in enumerate(result.variables) if v not in bindings]
        rows = result.rows
        result.rows = (row for row in rows if any(row[i] is not None for i in answers))
        return result

    def checked(self) -> NamedQuery:
        """Itself, once the header is known coherent: unique names, an example that binds."""
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise QueryError(f"{self.source}: a parameter is declared twice")
        try:
            self.bind(self.example)
        except ParameterError as exc:
            raise QueryError(f"{self.source}: the example does not bind: {exc}") from None
        return self


def parse_query(name: str, text: str, source: str = "") -> NamedQuery:
    """A named query from its file text; ``QueryError`` naming the file and line if malformed."""
    where = source or f"{name}.rq"
    if not _NAME.match(name):
        raise QueryError(f"{where}: query names are kebab-case ([a-z0-9] words joined by '-')")
    title = ""
    description: list[str] = []
    params: list[dict[str, object]] = []
    example = ""
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("#"):
            if stripped:
                break
            current = None
            continue
        body = stripped[1:]
        content = body.strip()
        if content.startswith("@param"):
            m = _PARAM.match(content)
            if not m:
                raise QueryError(
                    f"{where}:{number}: write '# @param <name> <type> <default> <description>'"
                )
            pname, ptype, default, pdesc = m.groups()
            current = [pdesc] if pdesc else []
            params.append(
                {"name": pname, "type": ptype, "default": default, "desc": current, "line": number}
            )
        elif m := _KEY.match(content):
            key, value = m.groups()
            current = None
            if key == "title":
                title = value.strip()
            elif key == "example":
                example = value.strip()
            else:
                description = [value] if value else []
                current = description
        elif current is not None and body.startswith("  ") and content:
            current.append(content)
        else:
            current = None
    if not title:
        raise QueryError(f"{where}: the header has no '# title:' line")
    return NamedQuery(
        name=name,
        title=title,
        description=" ".join(description),
        params=tuple(_param(where, name, text, p) for p in params),
        sparql=text,
        example=dict(parse_qsl(example, keep_blank_values=True)),
        source=where,
    ).checked()


def _param(where: str, query: str, text: str, raw: Mapping[str, object]) -> Param:
    name, type_name, default = str(raw["name"]), str(raw["type"]), str(raw["default"])
    at = f"{where}:{raw['line']}"
    if not _VARIABLE.match(name) or name in RESERVED:
        raise QueryError(f"{at}: {name!r} cannot name a parameter (reserved or not a variable)")
    if not re.search(rf"[?$]{re.escape(name)}\b", text):
        raise QueryError(f"{at}: parameter {name!r} does not occur as ?{name} in the query")
    ptype = PARAM_TYPES.get(type_name)
    if ptype is None:
        raise QueryError(f"{at}: unknown type {type_name!r} (one of: {', '.join(PARAM_TYPES)})")
    required = default == "required"
    value: str | None = None
    if default.startswith('"'):
        value = re.sub(r"\\(.)", r"\1", default[1:-1])
    elif default not in ("required", "optional"):
        value = default
    param = Param(name, ptype, value, required, " ".join(raw["desc"]))  # type: ignore[arg-type]
    if value is not None:
        try:
            ptype.parse(value, Iris())
        except ValueError as exc:
            raise QueryError(f"{at}: default of {name!r}: {exc}") from None
    return param


@cache
def load_queries(folder: str = "") -> dict[str, NamedQuery]:
    """The named queries in ``queries/`` (or a subfolder such as ``examples``), by name; cached.

    Subfolders are not searched: ``checks/``, ``internal/`` and ``examples/`` hold queries with
    other roles.
    """
    root = resources.queries_dir()
    for part in filter(None, folder.split("/")):
        root = root / part
    found: dict[str, NamedQuery] = {}
    for entry in sorted(root.iterdir(), key=lambda t: t.name):
        if entry.is_file() and entry.name.endswith(".rq"):
            name = entry.name[: -len(".rq")]
            where = f"{folder}/{entry.name}" if folder else entry.name
            found[name] = parse_query(name, entry.read_text(encoding="utf-8"), where)
    return found


def get_query(name: str) -> NamedQuery:
    """One named query; ``KeyError`` if there is none by that name."""
    return load_queries()[name]


__all__ = [
    "PARAM_TYPES",
    "RESERVED",
    "NamedQuery",
    "Param",
    "ParamType",
    "ParameterError",
    "get_query",
    "load_queries",
    "parse_query",
]
