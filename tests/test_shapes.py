"""The shapes in ``shapes/`` as artefacts: they parse, explain themselves, match ontology, model."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from kg.linking.links import METHOD_JUSTIFICATIONS
from kg.model import CODE_ENUMS
from kg.ontology import load_ontology
from kg.resources import files_in, shapes_dir
from kg.validation import shapes_graph
from kg.vocab import SH, TK, code_iri

SHAPE_FILES = files_in(shapes_dir(), ".ttl")
STANDARD = (str(RDFS), str(SKOS), str(PROV), str(DCTERMS))
"""Namespaces whose terms shapes may use without the TrialKG ontology declaring them."""


def _shapes(graph: Graph) -> list[URIRef]:
    return sorted(
        set(graph.subjects(RDF.type, SH.NodeShape))
        | set(graph.subjects(RDF.type, SH.PropertyShape))
    )


def _label(node: URIRef) -> str:
    return node.split("#")[-1]


SHAPES = _shapes(shapes_graph())


@pytest.mark.parametrize("entry", SHAPE_FILES, ids=lambda e: e.name)
def test_each_file_parses_alone(entry):
    """Every file is valid Turtle with its own prefixes, so it can be read and edited on its own."""
    graph = Graph().parse(data=entry.read_text(encoding="utf-8"), format="turtle")
    assert len(graph) > 0


def test_one_file_per_target_class():
    """The house layout: each node shape lives in its own file, named after what it targets."""
    for entry in SHAPE_FILES:
        graph = Graph().parse(data=entry.read_text(encoding="utf-8"), format="turtle")
        node_shapes = list(graph.subjects(RDF.type, SH.NodeShape))
        if entry.name == "prefixes.ttl":
            assert node_shapes == []
            continue
        assert len(node_shapes) == 1, f"{entry.name} holds {len(node_shapes)} node shapes"


@pytest.mark.parametrize("shape", SHAPES, ids=_label)
def test_shape_documents_itself(shape):
    """Every shape has one sh:name, one sh:message and an rdfs:comment saying what it protects."""
    graph = shapes_graph()
    for predicate in (SH.name, SH.message, RDFS.comment):
        values = list(graph.objects(shape, predicate))
        assert len(values) == 1, f"{_label(shape)} has {len(values)} {predicate}"
        assert str(values[0]).strip(), f"{_label(shape)} has an empty {predicate}"


def test_shape_names_and_messages_differ_between_shapes_on_one_path():
    """Two shapes on the same focus class and path must say different things (else merge them)."""
    graph = shapes_graph()
    seen: dict[tuple, URIRef] = {}
    for owner in graph.subjects(RDF.type, SH.NodeShape):
        for prop in graph.objects(owner, SH.property):
            key = (owner, graph.value(prop, SH.path), str(graph.value(prop, SH.message)))
            assert key not in seen, f"{_label(prop)} repeats {_label(seen[key])}"
            seen[key] = prop


def _declared(ontology: Graph, term: URIRef, kinds: tuple[URIRef, ...]) -> bool:
    return any((term, RDF.type, kind) in ontology for kind in kinds)


def test_paths_and_targets_exist_in_the_ontology():
    """A shape on a term the ontology does not declare protects nothing: a typo or a stale shape."""
    ontology, graph = load_ontology(), shapes_graph()
    properties = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
    problems = []
    paths = set(graph.objects(None, SH.path)) | set(graph.objects(None, SH.inversePath))
    for path in paths - set(graph.subjects(SH.inversePath, None)):
        if str(path).startswith(str(TK)):
            if not _declared(ontology, path, properties):
                problems.append(f"sh:path {path} is not a property of the ontology")
        elif not str(path).startswith(STANDARD):
            problems.append(f"sh:path {path} is neither TrialKG's nor a standard vocabulary's")
    classes = set(graph.objects(None, SH.targetClass)) | set(graph.objects(None, SH["class"]))
    for cls in classes:
        if str(cls).startswith(str(TK)):
            if not _declared(ontology, cls, (OWL.Class, RDFS.Class)):
                problems.append(f"class {cls} is not a class of the ontology")
        elif not str(cls).startswith(STANDARD):
            problems.append(f"class {cls} is neither TrialKG's nor a standard vocabulary's")
    assert problems == []


def _in_lists(graph: Graph) -> list[tuple[URIRef, frozenset]]:
    return [
        (shape, frozenset(Collection(graph, head)))
        for shape, head in graph.subject_objects(SH["in"])
    ]


def test_every_sh_in_list_is_exactly_one_model_enumeration():
    """An sh:in of ontology individuals lists every member of one Code enum, and nothing else."""
    enums = {frozenset(code_iri(m) for m in enum): enum.__name__ for enum in CODE_ENUMS}
    for shape, members in _in_lists(shapes_graph()):
        if all(isinstance(m, URIRef) for m in members):
            assert members in enums, (
                f"{_label(shape)}: sh:in is no model enum; differs from the nearest by "
                f"{sorted(members ^ max(enums, key=lambda e: len(e & members)))}"
            )


def test_every_model_enumeration_is_checked_by_some_shape():
    """Each registry enumeration the model knows is enforced somewhere (the mapper emits all)."""
    used = {members for _, members in _in_lists(shapes_graph())}
    missing = [
        enum.__name__ for enum in CODE_ENUMS if frozenset(code_iri(m) for m in enum) not in used
    ]
    assert missing == []


def test_sh_in_individuals_are_typed_in_the_ontology():
    """The individuals the shapes allow are the ontology's, of the enumeration class they name."""
    ontology = load_ontology()
    for enum in CODE_ENUMS:
        for member in enum:
            assert (code_iri(member), RDF.type, TK[enum.__name__]) in ontology, code_iri(member)


def test_sparql_constraints_declare_their_prefixes():
    """pySHACL needs sh:prefixes on each SPARQL constraint; each one resolves to declarations."""
    graph = shapes_graph()
    constraints = set(graph.objects(None, SH.sparql))
    assert constraints, "the cross-field rules are SPARQL constraints"
    for constraint in constraints:
        prefixes = graph.value(constraint, SH.prefixes)
        assert prefixes is not None, constraint
        declared = {str(graph.value(d, SH.prefix)) for d in graph.objects(prefixes, SH.declare)}
        assert "tk" in declared
        assert graph.value(constraint, SH.select) is not None


def test_link_method_pattern_allows_exactly_the_linker_methods():
    """The Link shape's method pattern and the methods with an SSSOM justification agree."""
    pattern = re.compile(
        str(shapes_graph().value(URIRef("https://w3id.org/trialkg/shapes#Link-method"), SH.pattern))
    )
    assert all(pattern.search(m) for m in METHOD_JUSTIFICATIONS)
    words = {w for m in METHOD_JUSTIFICATIONS for w in m.split("-")}
    assert not any(pattern.search(w) for w in words - set(METHOD_JUSTIFICATIONS))
    assert not pattern.search("lexical-guess")
