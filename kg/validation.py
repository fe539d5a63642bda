"""SHACL validation of one mapped trial against ``shapes/``: pySHACL reference, compiled fast path.

The shapes are the single source of truth. :class:`PyshaclValidator` hands them to pySHACL
unchanged; :class:`FastValidator` reads the same shapes graph once at start-up and compiles each
constraint it finds into a Python check, refusing (``ConfigError``) any SHACL feature it does not
implement, so a new shape can never be silently ignored. The SPARQL-based constraints, which
Core SHACL cannot say, are re-implemented in Python and registered by the constraint's IRI in
:data:`SPARQL_CHECKS`; ``tests/test_validation.py`` proves both engines give the same findings on
the whole corpus and on deliberately broken trials.

A Violation keeps a trial out of the store; a Warning loads it and is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Protocol

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD

from kg.errors import ConfigError
from kg.model import DateType, EnrollmentType, OverallStatus
from kg.resources import files_in, shapes_dir
from kg.vocab import SH, TK, code_iri

if TYPE_CHECKING:
    from kg.mapper import MappedTrial

SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_RANK = {"Violation": 0, "Warning": 1, "Info": 2}

# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Finding:
    """One validation result, in the words a data manager reads."""

    nct_id: str
    severity: str  # "Violation" | "Warning" | "Info"
    shape: str  # the IRI of the shape whose constraint failed
    path: str | None  # the property IRI, "^IRI" for an inverse path
    value: str | None
    message: str
    focus: str  # the node that failed: the trial or one of its parts
    component: str = ""  # the SHACL constraint component, e.g. sh:MinCountConstraintComponent

    def key(self) -> tuple[str, str, str | None, str | None, str, str]:
        """What two engines must agree on: focus, shape, path, value, severity, component."""
        return (self.focus, self.shape, self.path, self.value, self.severity, self.component)


@dataclass(frozen=True)
class Report:
    """The findings of one trial; it ``conforms`` when none is a Violation."""

    nct_id: str
    findings: tuple[Finding, ...] = ()

    @property
    def conforms(self) -> bool:
        return not self.violations

    @property
    def violations(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "Violation")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "Warning")


def _report(nct_id: str, findings: Iterable[Finding]) -> Report:
    ordered = sorted(set(findings), key=lambda f: (_RANK.get(f.severity, 3), *map(str, f.key())))
    return Report(nct_id, tuple(ordered))


def report_line(report: Report, file: str) -> dict:
    """One JSON-lines record for a trial: its worst finding flat, every finding under ``findings``.

    >>> warning = Finding("NCT00000001", "Warning", "tks:S", None, None, "message", "focus")
    >>> r = Report("NCT00000001", (warning,))
    >>> line = report_line(r, "a.json")
    >>> line["severity"], line["conforms"], len(line["findings"])
    ('Warning', True, 1)
    """
    worst = report.findings[0] if report.findings else None
    return {
        "file": file,
        "nct_id": report.nct_id,
        "conforms": report.conforms,
        "severity": worst.severity if worst else None,
        "shape": worst.shape if worst else None,
        "path": worst.path if worst else None,
        "value": worst.value if worst else None,
        "message": worst.message if worst else None,
        "findings": [
            {
                "severity": f.severity,
                "shape": f.shape,
                "path": f.path,
                "value": f.value,
                "message": f.message,
                "focus": f.focus,
            }
            for f in report.findings
        ],
    }


class Validator(Protocol):
    """Judges one mapped trial against the shapes."""

    def validate(self, mapped: MappedTrial) -> Report: ...


@cache
def shapes_graph() -> Graph:
    """Every ``shapes/*.ttl`` file in one graph (cached: do not modify it)."""
    graph = Graph()
    for entry in files_in(shapes_dir(), ".ttl"):
        graph.parse(data=entry.read_text(encoding="utf-8"), format="turtle")
    return graph


# --------------------------------------------------------------------------- reference engine


class PyshaclValidator:
    """The reference: pySHACL over the trial's own triples, no inference.

    The shapes need no ontology (enumerations are checked with ``sh:in``, classes are asserted
    by the mapper), so ``ontology`` is off by default; pass a graph to mix it in.
    """

    def __init__(self, shapes: Graph | None = None, ontology: Graph | None = None) -> None:
        self.shapes = shapes if shapes is not None else shapes_graph()
        self.ontology = ontology

    def validate(self, mapped: MappedTrial) -> Report:
        import pyshacl  # imported here: it is slow to import and only this engine needs it

        data = _PreparedQueryGraph()
        for triple in mapped.triples:
            data.add(triple)
        _, results, text = pyshacl.validate(
            data, shacl_graph=self.shapes, ont_graph=self.ontology, inference="none"
        )
        if not isinstance(results, Graph):  # pySHACL reports a broken shape instead of raising
            raise ConfigError(f"shapes: pySHACL cannot use them: {text}")
        return _report(mapped.nct_id, _findings_of(mapped.nct_id, results))


class _PreparedQueryGraph(Graph):
    """A data graph that parses each SPARQL text once per process.

    pySHACL hands rdflib the same constraint query for every focus node, and rdflib parses it
    afresh each time: most of pySHACL's time on our shapes. The query is the same text, the
    engine the same rdflib evaluator; only the parsing is remembered.
    """

    def query(self, query_object, *args, **kwargs):  # type: ignore[override]
        if isinstance(query_object, str):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


@cache
def _prepared(text: str):
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(text)


def _findings_of(nct_id: str, results: Graph) -> Iterator[Finding]:
    for r in results.subjects(RDF.type, SH.ValidationResult):
        messages = sorted(str(m) for m in results.objects(r, SH.resultMessage))
        value = results.value(r, SH.value)
        yield Finding(
            nct_id=nct_id,
            severity=SEVERITY_NAMES[results.value(r, SH.resultSeverity)],
            shape=str(results.value(r, SH.sourceShape)),
            path=_path_text(results, results.value(r, SH.resultPath)),
            value=None if value is None else str(value),
            message=messages[0] if messages else "",
            focus=str(results.value(r, SH.focusNode)),
            component=str(results.value(r, SH.sourceConstraintComponent)),
        )


def _path_text(graph: Graph, path) -> str | None:
    if path is None:
        return None
    if isinstance(path, URIRef):
        return str(path)
    inverse = graph.value(path, SH.inversePath)
    if isinstance(inverse, URIRef):
        return "^" + str(inverse)
    raise ConfigError(f"shape path {path!r} is neither an IRI nor an inverse path")


# --------------------------------------------------------------------------- fast engine


class _Trial:
    """One trial's triples indexed for the checks.

    Subjects, predicates and classes are keyed by their plain string (rdflib terms compare in
    Python, strings in C: this is most of the engine's speed); values stay rdflib terms, kept
    once each in insertion order, as a graph would hold them.
    """

    __slots__ = ("_inverse", "nodes", "out", "types")

    def __init__(self, triples: Iterable[tuple], names: dict[URIRef, str]) -> None:
        """Index ``triples``; ``names`` caches each predicate's string across trials."""
        out: dict[str, dict[str, dict]] = {}
        nodes: dict[str, object] = {}
        last = by_predicate = None
        for s, p, o in triples:
            if s is not last:  # the mapper emits a node's triples together
                last, key = s, str(s)
                by_predicate = out.get(key)
                if by_predicate is None:
                    by_predicate = out[key] = {}
                    nodes[key] = s
            name = names.get(p)
            if name is None:
                name = names[p] = str(p)
            found = by_predicate.get(name)
            if found is None:
                by_predicate[name] = {o: None}
            else:
                found[o] = None
        types: dict[str, set[str]] = {}
        sub_class: list[tuple[str, str]] = []
        for key, by_predicate in out.items():
            for cls in by_predicate.get(_TYPE, ()):
                types.setdefault(str(cls), set()).add(key)
            for sup in by_predicate.get(_SUB_CLASS_OF, ()):
                sub_class.append((key, str(sup)))
        # SHACL instances are rdf:type/rdfs:subClassOf* within the data graph
        changed = bool(sub_class)
        while changed:
            changed = False
            for sub, sup in sub_class:
                below = types.get(sub, set())
                if not below <= types.setdefault(sup, set()):
                    types[sup] |= below
                    changed = True
        self.out, self.nodes, self.types = out, nodes, types
        self._inverse: dict[str, dict[str, dict]] = {}

    def values(self, node: str, path: str) -> dict:
        """The values of ``path`` at ``node`` (a dict used as an ordered set)."""
        by_predicate = self.out.get(node)
        return by_predicate.get(path, _NONE) if by_predicate else _NONE

    def inverse(self, node: str, path: str) -> dict:
        """The subjects that have ``node`` as a value of ``path``."""
        index = self._inverse.get(path)
        if index is None:
            index = self._inverse[path] = {}
            for key, by_predicate in self.out.items():
                for o in by_predicate.get(path, ()):
                    index.setdefault(str(o), {})[self.nodes[key]] = None
        return index.get(node, _NONE)

    def is_instance(self, node, cls: str) -> bool:
        return not isinstance(node, Literal) and str(node) in self.types.get(cls, ())


_NONE: dict = {}
_TYPE = str(RDF.type)
_SUB_CLASS_OF = str(RDFS.subClassOf)


ValueCheck = Callable[[object, _Trial], bool]
SparqlCheck = Callable[[_Trial, object], Iterable[tuple[URIRef | None, object]]]
"""A SPARQL constraint as Python: (trial, focus) -> its rows as (?path or None, ?value)."""


@dataclass(frozen=True)
class _Constraint:
    component: URIRef
    check: ValueCheck


@dataclass(frozen=True)
class _PropertyShape:
    iri: URIRef
    path: str
    inverse: bool
    severity: str
    message: str
    min_count: int | None
    max_count: int | None
    has_value: tuple[object, ...]
    constraints: tuple[_Constraint, ...]
    sparql: tuple[SparqlCheck, ...]


@dataclass(frozen=True)
class _NodeShape:
    iri: URIRef
    targets: tuple[str, ...]
    severity: str
    message: str
    constraints: tuple[_Constraint, ...]
    sparql: tuple[SparqlCheck, ...]
    properties: tuple[_PropertyShape, ...]


# SHACL terms a shape may carry that constrain nothing (documentation and structure)
_DESCRIPTIVE = {RDF.type, RDFS.comment, RDFS.label, SH.name, SH.description, SH.message, SH.order}
_STRUCTURE = {SH.targetClass, SH.property, SH.path, SH.severity, SH.sparql}
_COUNTS = {SH.minCount, SH.maxCount, SH.hasValue}
_SPARQL_CONSTRAINT_TERMS = {RDF.type, RDFS.comment, SH.prefixes, SH.select}
_NUMERIC = (int, Decimal, float)


def _datatype_check(dt: URIRef) -> ValueCheck:
    """As pySHACL: the datatype matches, the literal is well typed and of the right Python type."""
    python_type = {
        XSD.string: (str, bytes),
        XSD.integer: int,
        XSD.decimal: Decimal,
        XSD.boolean: bool,
        XSD.float: float,
        XSD.date: date,
        XSD.time: time,
        XSD.dateTime: datetime,
    }.get(dt)
    if dt in (RDF.langString, RDFS.Literal, RDFS.Datatype):
        raise ConfigError(f"shapes: sh:datatype {dt} is not supported by the fast engine")

    wanted, plain_ok = str(dt), dt == XSD.string
    same = str.__eq__  # compares URIRefs as strings, in C

    def check(v, _t) -> bool:
        if not isinstance(v, Literal):
            return False
        datatype = v.datatype
        if datatype is None:
            return plain_ok and v.language is None and isinstance(v.value, str)
        if not same(datatype, wanted) or v.ill_typed is True:
            return False
        return python_type is None or isinstance(v.value, python_type)

    return check


def _value_constraints(shapes: Graph, node) -> list[_Constraint]:
    """The constraints on each value node that a shape (or an sh:or member) declares."""
    found: list[_Constraint] = []
    for p, o in shapes.predicate_objects(node):
        if p == SH.datatype:
            found.append(_Constraint(SH.DatatypeConstraintComponent, _datatype_check(o)))
        elif p == SH.nodeKind:
            kinds = {SH.IRI: (URIRef,), SH.Literal: (Literal,), SH.BlankNode: (BNode,)}
            if o not in kinds:
                raise ConfigError(f"shapes: {node}: sh:nodeKind {o} is not supported")
            allowed = kinds[o]
            found.append(
                _Constraint(
                    SH.NodeKindConstraintComponent, lambda v, _t, a=allowed: isinstance(v, a)
                )
            )
        elif p == SH["in"]:
            members = list(Collection(shapes, o))
            found.append(_Constraint(SH.InConstraintComponent, _in_check(members)))
        elif p == SH.pattern:
            flags = str(shapes.value(node, SH.flags) or "").lower()  # as pySHACL: i and m
            regex = re.compile(
                str(o), (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
            )
            found.append(
                _Constraint(
                    SH.PatternConstraintComponent,
                    lambda v, _t, r=regex: not isinstance(v, BNode) and bool(r.search(str(v))),
                )
            )
        elif p in (SH.minLength, SH.maxLength):
            bound, is_min = int(o), p == SH.minLength
            component = (
                SH.MinLengthConstraintComponent if is_min else SH.MaxLengthConstraintComponent
            )

            def length(v, _t, b=bound, m=is_min) -> bool:
                if isinstance(v, BNode):
                    return False
                return len(str(v)) >= b if m else len(str(v)) <= b

            found.append(_Constraint(component, length))
        elif p in _RANGES:
            if not isinstance(o, Literal) or not isinstance(o.value, _NUMERIC):
                raise ConfigError(f"shapes: {node}: {p} must be a number for the fast engine")
            component, compare = _RANGES[p]
            found.append(_Constraint(component, lambda v, _t, b=o.value, c=compare: _num(v, b, c)))
        elif p == SH["class"]:
            found.append(
                _Constraint(SH.ClassConstraintComponent, lambda v, t, c=str(o): t.is_instance(v, c))
            )
        elif p == SH["or"]:
            alternatives = [_or_member(shapes, node, m) for m in Collection(shapes, o)]
            found.append(
                _Constraint(
                    SH.OrConstraintComponent,
                    lambda v, t, alts=alternatives: any(
                        all(c.check(v, t) for c in alt) for alt in alts
                    ),
                )
            )
        elif p in (SH.flags,) or p in _DESCRIPTIVE or p in _STRUCTURE or p in _COUNTS:
            continue
        else:
            raise ConfigError(f"shapes: {node}: {p} is not supported by the fast engine")
    return found


def _or_member(shapes: Graph, owner, member) -> list[_Constraint]:
    allowed = {SH.datatype, SH.nodeKind, SH.pattern, SH["in"], SH["class"], SH.flags}
    for p in shapes.predicates(member):
        if p not in allowed:
            raise ConfigError(f"shapes: {owner}: sh:or member uses {p}, not supported")
    return _value_constraints(shapes, member)


def _in_check(members: list) -> ValueCheck:
    """sh:in by RDF term equality; IRIs are looked up by their string, which is faster."""
    iris = frozenset(str(m) for m in members if isinstance(m, URIRef))
    others = frozenset(m for m in members if not isinstance(m, URIRef))

    def check(v, _t) -> bool:
        if isinstance(v, URIRef):
            return str(v) in iris
        return v in others

    return check


def _num(v, bound, compare: Callable[[object, object], bool]) -> bool:
    if not isinstance(v, Literal):
        return False
    value = v.value
    if not isinstance(value, _NUMERIC) or isinstance(value, bool) or v.ill_typed is True:
        return False
    return compare(value, bound)


_RANGES = {
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, lambda a, b: a >= b),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, lambda a, b: a <= b),
    SH.minExclusive: (SH.MinExclusiveConstraintComponent, lambda a, b: a > b),
    SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, lambda a, b: a < b),
}


def _one(shapes: Graph, node, p, what: str) -> object:
    values = list(shapes.objects(node, p))
    if len(values) != 1:
        raise ConfigError(f"shapes: {node} must have exactly one {what}, has {len(values)}")
    return values[0]


def _common(shapes: Graph, node) -> tuple[str, str, tuple[SparqlCheck, ...]]:
    if not isinstance(node, URIRef):
        raise ConfigError(f"shapes: every shape needs an IRI, {node!r} has none")
    level = shapes.value(node, SH.severity) or SH.Violation
    if level not in SEVERITY_NAMES:
        raise ConfigError(f"shapes: {node}: sh:severity {level} is not Violation/Warning/Info")
    severity = SEVERITY_NAMES[level]
    message = str(_one(shapes, node, SH.message, "sh:message"))
    sparql = []
    for constraint in shapes.objects(node, SH.sparql):
        if str(constraint) not in SPARQL_CHECKS:
            raise ConfigError(
                f"shapes: {node}: SPARQL constraint {constraint} has no compiled check in "
                "kg.validation.SPARQL_CHECKS; add one (and a mutation test) before using it"
            )
        extra = set(shapes.predicates(constraint)) - _SPARQL_CONSTRAINT_TERMS
        if extra:  # sh:message would add a second message, sh:deactivated would skip it
            raise ConfigError(f"shapes: {constraint}: {sorted(extra)} not supported here")
        sparql.append(SPARQL_CHECKS[str(constraint)])
    return severity, message, tuple(sparql)


def _property_shape(shapes: Graph, node) -> _PropertyShape:
    severity, message, sparql = _common(shapes, node)
    path = _one(shapes, node, SH.path, "sh:path")
    inverse = False
    if isinstance(path, BNode):
        extra = set(shapes.predicates(path)) - {SH.inversePath}
        path, inverse = shapes.value(path, SH.inversePath), True
        if extra or not isinstance(path, URIRef):
            raise ConfigError(f"shapes: {node}: only IRI and sh:inversePath paths are supported")
    min_count = shapes.value(node, SH.minCount)
    max_count = shapes.value(node, SH.maxCount)
    return _PropertyShape(
        iri=node,
        path=str(path),
        inverse=inverse,
        severity=severity,
        message=message,
        min_count=None if min_count is None else int(min_count),
        max_count=None if max_count is None else int(max_count),
        has_value=tuple(shapes.objects(node, SH.hasValue)),
        constraints=tuple(_value_constraints(shapes, node)),
        sparql=sparql,
    )


def compile_shapes(shapes: Graph) -> tuple[_NodeShape, ...]:
    """The node shapes and their property shapes as Python checks; ``ConfigError`` on the rest."""
    compiled = []
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    property_shapes = set(shapes.subjects(RDF.type, SH.PropertyShape))
    linked = set(shapes.objects(None, SH.property))
    for loose in (linked - property_shapes) | (property_shapes - linked):
        raise ConfigError(f"shapes: {loose} must be an sh:PropertyShape used by an sh:NodeShape")
    for target in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
        for s in shapes.subjects(target, None):
            raise ConfigError(f"shapes: {s}: {target} is not supported; use sh:targetClass")
    for node in sorted(node_shapes):
        if (node, RDF.type, RDFS.Class) in shapes:
            raise ConfigError(f"shapes: {node}: implicit class targets are not supported")
        if shapes.value(node, SH.deactivated) is not None:
            raise ConfigError(f"shapes: {node}: sh:deactivated is not supported")
        severity, message, sparql = _common(shapes, node)
        compiled.append(
            _NodeShape(
                iri=node,
                targets=tuple(sorted(str(c) for c in shapes.objects(node, SH.targetClass))),
                severity=severity,
                message=message,
                constraints=tuple(_value_constraints(shapes, node)),
                sparql=sparql,
                properties=tuple(
                    _property_shape(shapes, p) for p in sorted(shapes.objects(node, SH.property))
                ),
            )
        )
    return tuple(compiled)


class _Plan:
    """One node shape arranged for speed: property shapes by the predicate they read.

    A focus node is checked by walking its own predicates (most of a trial's hundred optional
    fields are absent), plus the few property shapes that must run anyway: those requiring a
    value (sh:minCount, sh:hasValue), inverse paths and SPARQL constraints.
    """

    __slots__ = ("always", "by_path", "required", "shape")

    def __init__(self, shape: _NodeShape) -> None:
        self.shape = shape
        by_path: dict[str, list[_PropertyShape]] = {}  # then: (shape, max, (component, check)…)
        always: list[_PropertyShape] = []
        required: list[tuple[_PropertyShape, str, int]] = []
        for p in shape.properties:
            if p.inverse or p.sparql or p.has_value:
                always.append(p)
                if p.inverse or p.sparql:
                    continue
            elif p.min_count:
                required.append((p, p.path, p.min_count))
            if p.max_count is not None or p.constraints:
                by_path.setdefault(p.path, []).append(p)
        self.required = tuple(required)
        self.by_path = {
            path: tuple(
                (p, p.max_count, tuple((c.component, c.check) for c in p.constraints)) for p in ps
            )
            for path, ps in by_path.items()
        }
        self.always = tuple(always)


class FastValidator:
    """The shapes compiled to Python checks: the same findings as pySHACL, far faster."""

    def __init__(self, shapes: Graph | None = None) -> None:
        self.shapes = compile_shapes(shapes if shapes is not None else shapes_graph())
        self._plans = tuple(_Plan(shape) for shape in self.shapes)
        self._names: dict[URIRef, str] = {}  # predicate -> str: few predicates, reused objects

    def validate(self, mapped: MappedTrial) -> Report:
        trial = _Trial(mapped.triples, self._names)
        found: list[Finding] = []
        for plan in self._plans:
            targets = plan.shape.targets
            focus_nodes = (
                trial.types.get(targets[0], _NONE)
                if len(targets) == 1
                else set().union(*(trial.types.get(c, ()) for c in targets))
            )
            for focus in focus_nodes:
                self._node(mapped.nct_id, plan, focus, trial, found)
        return _report(mapped.nct_id, found) if found else Report(mapped.nct_id)

    def _node(self, nct_id: str, plan: _Plan, focus: str, trial: _Trial, found: list) -> None:
        shape = plan.shape

        def result(component, value, path=None, p=None) -> None:
            owner = p or shape
            found.append(
                Finding(
                    nct_id, owner.severity, str(owner.iri), path,
                    None if value is None else str(value), owner.message, focus, str(component),
                )
            )  # fmt: skip

        for c in shape.constraints:
            if not c.check(trial.nodes[focus], trial):
                result(c.component, focus)
        for check in shape.sparql:
            for row_path, value in check(trial, focus):
                result(SH.SPARQLConstraintComponent, value, row_path and str(row_path))
        own = trial.out.get(focus, _NONE)
        by_path = plan.by_path
        for path, values in own.items():
            checks = by_path.get(path)
            if checks is None:
                continue
            for p, max_count, constraints in checks:
                if max_count is not None and len(values) > max_count:
                    result(SH.MaxCountConstraintComponent, None, path, p)
                for component, check in constraints:
                    for v in values:
                        if not check(v, trial):
                            result(component, v, path, p)
        for p, path, min_count in plan.required:
            if len(own.get(path, _NONE)) < min_count:
                result(SH.MinCountConstraintComponent, None, path, p)
        for p in plan.always:
            if p.inverse:
                values = trial.inverse(focus, p.path)
                path = "^" + p.path
            else:
                values = own.get(p.path, _NONE)
                path = p.path
            if p.min_count is not None and len(values) < p.min_count:
                result(SH.MinCountConstraintComponent, None, path, p)
            for required in p.has_value:
                if required not in values:
                    result(SH.HasValueConstraintComponent, None, path, p)
            if p.inverse or p.sparql:
                if p.max_count is not None and len(values) > p.max_count:
                    result(SH.MaxCountConstraintComponent, None, path, p)
                for c in p.constraints:
                    for v in values:
                        if not c.check(v, trial):
                            result(c.component, v, path, p)
            for check in p.sparql:
                for row_path, value in check(trial, focus):
                    result(SH.SPARQLConstraintComponent, value, str(row_path or path), p)


# --------------------------------------------------------------------------- SPARQL constraints


def _date_prefixes(a: Literal, b: Literal) -> tuple[str, str]:
    """Two dates of maybe different precision cut to the shorter one, as the shapes' SPARQL does."""
    n = min(len(str(a)), len(str(b)))
    return str(a)[:n], str(b)[:n]


def _before(later_path: URIRef, earlier_path: URIRef) -> SparqlCheck:
    """Values of ``later_path`` that fall before ``earlier_path`` at their common precision."""
    later_key, earlier_key = str(later_path), str(earlier_path)

    def check(t: _Trial, focus: str) -> Iterator[tuple[None, object]]:
        for later in t.values(focus, later_key):
            for earlier in t.values(focus, earlier_key):
                x, y = _date_prefixes(later, earlier)
                if x < y:
                    yield None, later

    return check


def _numbers(*literals) -> bool:
    return all(
        isinstance(x, Literal) and isinstance(x.value, _NUMERIC) and not isinstance(x.value, bool)
        for x in literals
    )


_K = {name: str(TK[name]) for name in (
    "minimumAgeYears", "maximumAgeYears", "hasArm", "hasIntervention", "armIntervention",
    "overallStatus", "startDateType", "primaryCompletionDateType", "completionDateType",
    "enrollment", "enrollmentType",
)}  # fmt: skip
_COMPLETED = code_iri(OverallStatus.COMPLETED)
_WITHDRAWN = code_iri(OverallStatus.WITHDRAWN)
_ESTIMATED = code_iri(DateType.ESTIMATED)
_ACTUAL_ENROLLMENT = code_iri(EnrollmentType.ACTUAL)
_DATE_TYPES = (TK.startDateType, TK.primaryCompletionDateType, TK.completionDateType)


def _min_age_above_max(t: _Trial, focus: str) -> Iterator[tuple[None, object]]:
    for low in t.values(focus, _K["minimumAgeYears"]):
        for high in t.values(focus, _K["maximumAgeYears"]):
            if _numbers(low, high) and low.value > high.value:
                yield None, low


def _foreign_intervention(t: _Trial, arm: str) -> Iterator[tuple[None, object]]:
    for trial in t.inverse(arm, _K["hasArm"]):
        own = t.values(str(trial), _K["hasIntervention"])
        for intervention in t.values(arm, _K["armIntervention"]):
            if intervention not in own:
                yield None, intervention


def _completed_with_estimates(t: _Trial, focus: str) -> Iterator[tuple[URIRef, object]]:
    if _COMPLETED in t.values(focus, _K["overallStatus"]):
        for path in _DATE_TYPES:
            if _ESTIMATED in t.values(focus, str(path)):
                yield path, _ESTIMATED


def _zero_enrollment(t: _Trial, focus: str) -> Iterator[tuple[None, object]]:
    if _ACTUAL_ENROLLMENT not in t.values(focus, _K["enrollmentType"]):
        return
    if _WITHDRAWN in t.values(focus, _K["overallStatus"]):
        return
    for count in t.values(focus, _K["enrollment"]):
        if _numbers(count) and count.value == 0:
            yield None, count


SPARQL_CHECKS: dict[str, SparqlCheck] = {
    "https://w3id.org/trialkg/shapes#CompletionNotBeforeStart": _before(
        TK.completionDate, TK.startDate
    ),
    "https://w3id.org/trialkg/shapes#PrimaryCompletionNotBeforeStart": _before(
        TK.primaryCompletionDate, TK.startDate
    ),
    "https://w3id.org/trialkg/shapes#CompletionNotBeforePrimaryCompletion": _before(
        TK.completionDate, TK.primaryCompletionDate
    ),
    "https://w3id.org/trialkg/shapes#MinimumAgeNotAboveMaximum": _min_age_above_max,
    "https://w3id.org/trialkg/shapes#ArmNamesOwnInterventions": _foreign_intervention,
    "https://w3id.org/trialkg/shapes#CompletedTrialDatesActual": _completed_with_estimates,
    "https://w3id.org/trialkg/shapes#ActualEnrollmentZeroOnlyIfWithdrawn": _zero_enrollment,
}
"""The SPARQL constraints of ``shapes/`` as Python, keyed by the constraint's IRI."""

VALIDATORS: dict[str, Callable[[], Validator]] = {
    "pyshacl": PyshaclValidator,
    "fast": FastValidator,
}
"""The validation engines by name; each factory loads the shapes itself."""
