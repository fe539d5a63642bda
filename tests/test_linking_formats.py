"""The vocabulary formats users download, on small hand-written fixtures in tests/fixtures/vocab/.

Each fixture is written in the real release's layout (NLM desc2024.xml, MeSH RDF N-Triples,
MONDO SSSOM and OBO, DOID OBO, FDA UNII_Names); the same facts must come out of each, and the
shared TSV tables must agree with the hand-written files where they overlap.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import SKOS

from kg.errors import SourceError
from kg.linking import Linker, drugs, load_vocabulary, mesh, vocabularies_in, xrefs
from kg.linking.concepts import from_triples, to_triples
from kg.linking.organizations import read_curated
from kg.stores import open_store
from kg.vocab import Iris

FIXTURES = Path(__file__).parent / "fixtures" / "vocab"
STROKE_SUBTREE = {"mesh:D020521", "mesh:D000083242"}


@pytest.mark.parametrize("name", ["desc2024_sample.xml", "mesh2024_sample.nt"])
def test_mesh_download_formats_give_labels_terms_and_tree(name):
    vocabulary = mesh.load(FIXTURES / name)
    assert vocabulary.version == "2024"
    stroke = vocabulary.concepts["mesh:D020521"]
    assert stroke.label == "Stroke"
    assert "Cerebrovascular Accident" in stroke.synonyms
    assert "Stroke" not in stroke.synonyms
    assert "C10.228.140.300.775" in stroke.tree_numbers
    assert stroke.parents == ["mesh:D002561"]
    ischemic = vocabulary.concepts["mesh:D000083242"]
    assert ischemic.parents == ["mesh:D020521"]
    # a non-preferred concept's terms are entry terms too
    assert "Cryptogenic Stroke" in ischemic.synonyms


def test_nt_supplementary_concept_maps_to_its_descriptor():
    vocabulary = mesh.load(FIXTURES / "mesh2024_sample.nt")
    scr = vocabulary.concepts["mesh:C000588427"]
    assert scr.parents == ["mesh:D020521"]


def test_xml_agrees_with_the_shared_tsv(vocab_dir):
    xml = mesh.load(FIXTURES / "desc2024_sample.xml")
    tsv = mesh.load(vocab_dir / "mesh" / "mesh_descriptors.tsv", "2024")
    for cid, concept in xml.concepts.items():
        real = tsv.concepts[cid]
        assert real.label == concept.label
        assert set(concept.tree_numbers) <= set(real.tree_numbers)
        assert set(concept.synonyms) <= set(real.synonyms), cid
        assert set(concept.parents) <= set(real.parents)


@pytest.mark.parametrize(
    ("ui", "expected"),
    [
        ("D000007172", "D007172"),
        ("D007172", "D007172"),
        ("D000083242", "D000083242"),
        ("C000565324", "C565324"),
        ("C000588427", "C000588427"),
    ],
)
def test_registry_zero_padding_is_undone(ui, expected):
    assert mesh.canonical_ui(ui) == expected


def test_padding_threshold_matches_the_vocabulary(vocab_dir):
    """Every nine-digit UI NLM issued is at or above the threshold, every six-digit one below."""
    tsv = mesh.load(vocab_dir / "mesh" / "mesh_descriptors.tsv", "2024")
    uis = [c.removeprefix("mesh:") for c in tsv.concepts]
    six = [int(u[1:]) for u in uis if len(u) == 7]
    nine = [int(u[1:]) for u in uis if len(u) == 10]
    assert max(six) < mesh.FIRST_NINE_DIGIT_UI["D"] <= min(nine)


def test_mondo_sssom_keeps_exact_matches_only():
    vocabulary = xrefs.load("mondo", FIXTURES / "mondo_sample.sssom.tsv")
    assert vocabulary.version == "2026-08-04"
    stroke = vocabulary.concepts["MONDO:0005098"]
    assert stroke.xrefs == ["mesh:D020521", "DOID:0051061", "umls:C0038454"]  # closeMatch dropped


def test_mondo_obo_keeps_equivalences_only():
    vocabulary = xrefs.load("mondo", FIXTURES / "mondo_sample.obo")
    stroke = vocabulary.concepts["MONDO:0005098"]
    assert set(stroke.xrefs) == {"DOID:0051061", "mesh:D020521", "snomedct:230690007"}
    assert stroke.synonyms == ["cerebrovascular accident"]
    assert stroke.parents == ["MONDO:0005275"]


def test_doid_obo_reads_xrefs_and_skips_obsolete_terms():
    vocabulary = xrefs.load("doid", FIXTURES / "doid_sample.obo")
    assert "DOID:0000000" not in vocabulary.concepts
    stroke = vocabulary.concepts["DOID:0051061"]
    assert set(stroke.xrefs) == {"mesh:D020521", "snomedct:230690007", "umls:C0038454"}
    assert stroke.parents == ["DOID:6713"]


def test_fda_unii_names_list():
    vocabulary = drugs.load_unii(FIXTURES / "UNII_Names_sample.txt")
    pembrolizumab = vocabulary.concepts["unii:DPT0O3T46P"]
    assert pembrolizumab.label == "PEMBROLIZUMAB"
    assert {"KEYTRUDA", "MK-3475"} <= set(pembrolizumab.synonyms)
    assert not any(s.startswith("IMMUNOGLOBULIN") for s in pembrolizumab.synonyms)  # sys dropped
    index = drugs.DrugIndex([vocabulary])
    assert index.lookup("unii", ["Keytruda (pembrolizumab)", "MK-3475"]) == (
        "unii:DPT0O3T46P",
        "MK-3475",
    )


def test_unknown_format_names_the_file(tmp_path):
    bad = tmp_path / "terms.tsv"
    bad.write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"terms\.tsv"):
        mesh.load(bad)
    with pytest.raises(SourceError, match=r"terms\.tsv"):
        xrefs.load("mondo", bad)


def test_curated_organisations_file():
    curated = read_curated(FIXTURES / "organizations_sample.tsv")
    assert curated["daiichi-sankyo"].ror == "0sample01"
    assert curated["novartis-pharmaceuticals"].ror is None


@pytest.mark.parametrize("name", ["desc2024_sample.xml", "mesh2024_sample.nt"])
def test_vocabulary_round_trips_through_rdf(name):
    vocabulary = mesh.load(FIXTURES / name)
    graph = Iris().vocabulary_graph("mesh")
    back = from_triples("mesh", to_triples(vocabulary, graph))
    assert back.version == vocabulary.version
    for cid, concept in vocabulary.concepts.items():
        other = back.concepts[cid]
        assert other.label == concept.label
        for slot in ("synonyms", "parents", "xrefs", "tree_numbers"):
            assert sorted(getattr(other, slot)) == sorted(getattr(concept, slot)), (cid, slot)


def test_loaded_vocabulary_is_used_by_a_later_linker():
    """`vocab load` into a store, then a linker built from that store links with it."""
    iris = Iris()
    store = open_store("memory:")
    load_vocabulary("mesh", [FIXTURES / "desc2024_sample.xml"], store, iris)
    load_vocabulary("doid", [FIXTURES / "doid_sample.obo"], store, iris)
    assert {v.kind for v in vocabularies_in(store, iris)} == {"mesh", "doid"}
    graph = iris.vocabulary_graph("mesh")
    broader = {(s, o) for s, p, o, _ in store.triples(graph) if p == SKOS.broader}
    assert (
        URIRef("http://id.nlm.nih.gov/mesh/D000083242"),
        URIRef("http://id.nlm.nih.gov/mesh/D020521"),
    ) in broader
    linker = Linker.from_store(store, iris)
    assert linker.conditions.lookup("cerebrovascular accident").target == "mesh:D020521"
    assert {x.target for x in linker.xrefs.lookup("mesh:D020521")} >= {"DOID:0051061"}


def test_rebuilt_vocabularies_are_cached_beside_the_store(tmp_path):
    iris = Iris()
    store = open_store("memory:")
    load_vocabulary("mesh", [FIXTURES / "desc2024_sample.xml"], store, iris)
    cache = tmp_path / "cache"
    first = vocabularies_in(store, iris, cache)
    files = sorted(cache.glob("mesh-*.json"))
    assert len(files) == 1
    again = vocabularies_in(store, iris, cache)
    assert again[0].concepts == first[0].concepts and again[0].version == "2024"
    # loading another version changes the key, so a stale copy is never used
    load_vocabulary("mesh", [FIXTURES / "desc2024_sample.xml"], store, iris, version="2025")
    assert vocabularies_in(store, iris, cache)[0].version == "2025"
    assert len(sorted(cache.glob("mesh-*.json"))) == 2
