"""Linking trials to external vocabularies: the ``Linker`` (Trial -> triples), ``load_vocabulary``.

Vocabularies are loaded once into the store, each into its own named graph
(``Iris.vocabulary_graph(kind)``) as SKOS; :meth:`Linker.from_store` rebuilds the matching
indexes from those graphs, so a vocabulary loaded into a store is used by every later ingest into
it. :meth:`Linker.link` is pure given the loaded vocabularies and returns the triples to add to a
trial's named graph: MeSH for conditions and interventions (the registry's own indexing first,
lexical matching otherwise), MONDO/DOID/UMLS/SNOMED CT/ICD-10-CM/NCIT through the cross-reference
tables, UNII/DrugBank/ChEBI for drugs, organisation keys and curated ROR/Wikidata ids, ISO 3166
country codes, cities and GeoSPARQL points. Every link carries a ``tk:Link`` node (see
:mod:`kg.linking.links`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg.errors import ConfigError
from kg.linking import abbreviations, concepts, drugs, mesh, xrefs
from kg.linking.concepts import Concept, Vocabulary, from_triples, iri, to_triples
from kg.linking.lexical import LexicalIndex, Match
from kg.linking.links import Link
from kg.linking.organizations import CuratedOrganization, organization_key
from kg.linking.places import city_key, country_code, wkt_point
from kg.model import InterventionType, Trial
from kg.vocab import GEO, TK, Iris

Loader = Callable[[Path, str | None], Vocabulary]

VOCABULARY_LOADERS: dict[str, Loader] = {
    "mesh": mesh.load,
    "mesh-scr": mesh.load,
    "mondo": lambda path, version: xrefs.load("mondo", path, version),
    "doid": lambda path, version: xrefs.load("doid", path, version),
    "unii": drugs.load_unii,
    "drugbank": drugs.load_drugbank,
    "chebi": drugs.load_chebi,
}
"""Vocabulary kind -> loader; ``trialkg vocab load KIND FILE`` offers exactly these kinds."""

CONDITION_BRANCHES = ("C", "F03", "F01.145.126")
"""MeSH tree branches a condition may link to: Diseases, Mental Disorders, and Behavioral
Symptoms (Depression, Stress, Psychological, Suicidal Ideation: registries list them as conditions
and NLM indexes them so; the rest of F01, Behavior and Behavior Mechanisms, is not a condition)."""
ABBREVIATION_FACTOR = 0.9
"""A match through an abbreviation the record defines scores this much of its long form's."""
INTERVENTION_BRANCHES = ("D",)
"""MeSH tree branches a drug or biological may link to: Chemicals and Drugs."""
INTERVENTION_EXCLUDED = ("D26.660", "D26.255")
"""Parts of D that name no drug: Placebos (a comparator; NLM never indexes it as an intervention)
and Dosage Forms ("Tablets" in "Abrocitinib 200 MG Oral Tablet"). Measured on the v2 corpus
(tests/test_linking_quality.py) leaving them out, with keys that have no letter, takes drug
precision from 0.742 to 0.880 at the same recall."""
DRUG_TYPES = frozenset(
    {
        InterventionType.DRUG,
        InterventionType.BIOLOGICAL,
        InterventionType.DIETARY_SUPPLEMENT,
        InterventionType.COMBINATION_PRODUCT,
        InterventionType.GENETIC,
    }
)
GENERIC_DEPTH = 2
"""A single word matched inside a longer text is not linked to a descriptor this near the top of
its tree (Neoplasms, Disease, Syndrome): such words qualify, they do not name the condition."""


def load_vocabulary(
    kind: str, paths: Iterable[Path], store, iris: Iris, version: str | None = None
) -> Vocabulary:
    """Load vocabulary files of one kind and replace its named graph in ``store`` with them."""
    loader = VOCABULARY_LOADERS.get(kind)
    if loader is None:
        raise ConfigError(
            f"unknown vocabulary kind {kind!r}; one of: {', '.join(VOCABULARY_LOADERS)}"
        )
    vocabulary = Vocabulary(kind, "")
    for path in paths:
        part = loader(Path(path), version)
        part.kind = kind
        vocabulary.merge(part)
    graph = iris.vocabulary_graph(kind)
    store.replace_graphs({graph: list(to_triples(vocabulary, graph))})
    return vocabulary


def vocabularies_in(store, iris: Iris, cache_dir: Path | None = None) -> list[Vocabulary]:
    """Every vocabulary loaded into ``store``, rebuilt from its named graph.

    With ``cache_dir`` each rebuilt vocabulary is also kept there as JSON, keyed by its graph,
    version and triple count, and read from there next time instead of from the store (reading
    full MeSH back from the embedded store takes about a minute; the JSON a few seconds).
    """
    names = {str(g) for g in store.graph_names()}
    found = []
    for kind in VOCABULARY_LOADERS:
        graph = iris.vocabulary_graph(kind)
        if str(graph) not in names:
            continue
        cached = _cache_path(store, graph, kind, cache_dir) if cache_dir else None
        if cached is not None and cached.exists():
            found.append(concepts.read_json(cached))
            continue
        vocabulary = from_triples(kind, ((s, p, o) for s, p, o, _ in store.triples(graph)))
        if cached is not None:
            concepts.write_json(vocabulary, cached)
        found.append(vocabulary)
    return found


def _cache_path(store, graph: URIRef, kind: str, cache_dir: Path) -> Path:
    """Where a vocabulary graph's JSON copy is kept: named by graph, version and size."""
    result = store.query(CACHE_KEY_QUERY, {"g": graph})
    row = next(result.dicts(), {})
    key = hashlib.sha256(
        f"{graph} {row.get('version', '')} {row.get('n', 0)}".encode()
    ).hexdigest()[:20]
    return Path(cache_dir) / f"{kind}-{key}.json"


CACHE_KEY_QUERY = (
    "SELECT ?g (COUNT(*) AS ?n) (SAMPLE(?v) AS ?version) WHERE { GRAPH ?g { ?s ?p ?o "
    "OPTIONAL { ?g <http://www.w3.org/2002/07/owl#versionInfo> ?v } } } GROUP BY ?g"
)


def linker_for(store, iris: Iris | None = None, cache_dir: Path | None = None, **options) -> Linker:
    """The linker an ingest into ``store`` uses: every vocabulary loaded there."""
    if store is None:
        return Linker(**options)
    return Linker.from_store(store, iris or Iris(), cache_dir=cache_dir, **options)


def _depth(concept: Concept) -> int:
    return min((n.count(".") + 1 for n in concept.tree_numbers), default=99)


class Linker:
    """Links trials to the given vocabularies; build once (indexes are built here), link many."""

    def __init__(
        self,
        vocabularies: Iterable[Vocabulary] = (),
        *,
        organizations: Mapping[str, CuratedOrganization] | None = None,
    ) -> None:
        vocabularies = list(vocabularies)
        self.versions = {v.kind: v.version for v in vocabularies}
        self.organizations = dict(organizations or {})
        self.mesh: dict[str, Concept] = {}
        for v in vocabularies:
            if v.kind in ("mesh", "mesh-scr"):
                self.mesh.update(v.concepts)
        self.conditions = LexicalIndex(self._rows(CONDITION_BRANCHES, scr=False), split_digits=True)
        self.interventions = LexicalIndex(
            self._rows(INTERVENTION_BRANCHES, scr=True, excluded=INTERVENTION_EXCLUDED)
        )
        self._trees = {c.id: tuple(c.tree_numbers) for c in self.mesh.values() if c.tree_numbers}
        self._generic = {
            c.id
            for c in self.mesh.values()
            if c.tree_numbers
            and (_depth(c) <= GENERIC_DEPTH or all(n.startswith("C23") for n in c.tree_numbers))
        }
        self.xrefs = xrefs.XrefIndex([v for v in vocabularies if v.kind in ("mondo", "doid")])
        self.drugs = drugs.DrugIndex(
            [v for v in vocabularies if v.kind in ("unii", "drugbank", "chebi")]
        )

    @classmethod
    def from_store(cls, store, iris: Iris, cache_dir: Path | None = None, **options) -> Linker:
        """A linker over every vocabulary in ``store`` (with none: countries, orgs, geo only)."""
        return cls(vocabularies_in(store, iris, cache_dir), **options)

    def _rows(
        self, branches: tuple[str, ...], *, scr: bool, excluded: tuple[str, ...] = ()
    ) -> Iterable[tuple[str, str, bool]]:
        """Label rows of the descriptors with a tree number in ``branches`` and not only in
        ``excluded`` (with ``scr``, supplementary concepts too)."""
        for concept in self.mesh.values():
            if concept.tree_numbers:
                kept = [n for n in concept.tree_numbers if n.startswith(branches)]
                if not kept or (excluded and all(n.startswith(excluded) for n in kept)):
                    continue
            elif not (scr and concept.id.startswith("mesh:C")):
                continue
            yield concept.id, concept.label, True
            for synonym in concept.synonyms:
                yield concept.id, synonym, False

    def _version(self, kind: str) -> str:
        name = {"mesh": "MeSH", "mondo": "MONDO", "doid": "DOID", "unii": "FDA UNII"}.get(
            kind, kind
        )
        return f"{name} {self.versions.get(kind) or 'unknown'}"

    # ------------------------------------------------------------------ matching (pure)

    def condition_matches(self, trial: Trial) -> list[tuple[str, Match]]:
        """Lexical MeSH matches for a trial's conditions, keywords and, failing both, its title.

        In order, each step measured against NLM's indexing of the v2 corpus
        (tests/test_linking_quality.py prints the figures; before these steps P 0.896, R 0.789):

        * every condition, whole or as runs of words (``LexicalIndex.match``); a condition that
          is only an abbreviation the record defines ("NSCLC" with "Non-small-cell Lung
          Carcinoma (NSCLC)" in its title) is read as its long form (3 more found, 1 wrong);
        * every keyword, whole only; a keyword is kept when it is corroborated: the conditions
          name at most one descriptor, or it is broader or narrower than one they name, or the
          titles or the brief summary name it too. Keywords of records whose conditions already
          name several descriptors are mostly comorbidities and context ("Erectile
          Dysfunction" with "Obesity", "Hypertension"); NLM indexed 7 of the 19 that lack
          corroboration;
        * only when neither names anything, the brief title's runs of words (12 found, 2 wrong).

        Broader descriptors are not added. NLM lists a matched descriptor's parent only now and
        then (Leukemia with Leukemia, Myeloid, Acute, yes; Rhinitis with Rhinitis, Allergic, or
        Dermatitis with Dermatitis, Atopic, no). Each of these lowered precision more than it
        raised recall: adding parents named in the text (P 0.883, R 0.798), adding the head of a
        permuted label ("Leukemia" of "Leukemia, Myeloid, Acute"; P about 0.81, R 0.81), all of
        F01 (behaviour) on the whole text (P 0.888, R 0.793; only its Behavioral Symptoms
        subtree is kept, see ``CONDITION_BRANCHES``), linking depth-2 descriptors from single
        words (P 0.893, R 0.789), spotting the title when the conditions name something
        (P 0.866, R 0.811), reading "carcinoma" or "cancer" as "neoplasm" (10 found, all wrong).
        """
        found: list[tuple[str, Match]] = []
        defined: dict[str, str] | None = None
        for i, text in enumerate(trial.conditions):
            matches = [m for m in self.conditions.match(text) if self._keep(m)]
            if not matches and abbreviations.looks_like_one(text):
                if defined is None:
                    defined = abbreviations.definitions(_record_text(trial))
                matches = self._expanded(text, defined)
            found += [(f"conditions[{i}]", m) for m in matches]
        named = {m.target for _, m in found}
        corroborating: set[str] | None = None
        for i, text in enumerate(trial.keywords):
            m = self.conditions.lookup(text)
            if m is None or m.target in named:
                continue
            if len(named) > 1 and not any(self._related(m.target, n) for n in named):
                if corroborating is None:
                    corroborating = self._named_in(
                        trial.brief_title, trial.official_title, trial.brief_summary
                    )
                if m.target not in corroborating:
                    continue
            found.append((f"keywords[{i}]", m))
        if not found and trial.brief_title:
            found += [
                ("briefTitle", m) for m in self.conditions.spot(trial.brief_title) if self._keep(m)
            ]
        return _first_per_target(found)

    def _expanded(self, text: str, defined: dict[str, str]) -> list[Match]:
        """The matches of an abbreviation's long form, as ``abbreviation`` matches."""
        long = defined.get(text.strip().lower())
        if not long:
            return []
        return [
            Match(
                m.target,
                "abbreviation",
                round(m.score * ABBREVIATION_FACTOR, 3),
                f"{text.strip()} = {long}",
            )
            for m in self.conditions.match(long)
            if self._keep(m)
        ]

    def _named_in(self, *texts: str | None) -> set[str]:
        return {m.target for t in texts if t for m in self.conditions.spot(t) if self._keep(m)}

    def _related(self, a: str, b: str) -> bool:
        """Whether one descriptor sits below the other in some MeSH tree."""
        ta, tb = self._trees.get(a, ()), self._trees.get(b, ())
        return any(x.startswith(y + ".") or y.startswith(x + ".") for x in ta for y in tb)

    def intervention_matches(self, names: list[str]) -> list[Match]:
        """Lexical MeSH matches for one intervention's name and other names (main name first)."""
        for name in names:
            whole = self.interventions.lookup(name)
            if whole:
                return [whole]
        return [m for m in self.interventions.spot(names[0]) if self._keep(m)] if names else []

    def _keep(self, match: Match) -> bool:
        return not (
            match.method == "token" and " " not in match.text and match.target in self._generic
        )

    # ------------------------------------------------------------------ triples

    def link(self, trial: Trial, iris: Iris) -> list[tuple]:
        """The extra triples for ``trial``'s named graph: links, their provenance, places."""
        links: list[Link] = []
        links += self._condition_links(trial, iris)
        links += self._intervention_links(trial, iris)
        links += self._organization_links(trial, iris)
        out: list[tuple] = []
        for link in _first_per_triple(links):
            out += link.triples(iris, trial.nct_id)
        out += self._place_triples(trial, iris)
        return list(dict.fromkeys(out))

    __call__ = link  # the pipeline's LinkFn: linker(trial, iris) -> triples

    def _registry_version(self, trial: Trial) -> str:
        held = f" {trial.version_holder}" if trial.version_holder else ""
        return f"ClinicalTrials.gov MeSH indexing{held}"

    def _condition_links(self, trial: Trial, iris: Iris) -> list[Link]:
        s = iris.trial(trial.nct_id)
        links: list[Link] = []
        linked: list[str] = []
        if trial.condition_browse.meshes:
            for i, term in enumerate(trial.condition_browse.meshes):
                target = mesh.curie(term.id)
                linked.append(target)
                field = f"derivedSection.conditionBrowseModule.meshes[{i}]"
                links.append(
                    Link(
                        s,
                        TK.conditionMesh,
                        iri(target),
                        "registry",
                        1.0,
                        self._registry_version(trial),
                        field,
                        term.term,
                    )
                )
        else:
            for field, m in self.condition_matches(trial):
                linked.append(m.target)
                links.append(
                    Link(
                        s,
                        TK.conditionMesh,
                        iri(m.target),
                        f"lexical-{m.method}",
                        m.score,
                        self._version("mesh"),
                        field,
                        m.text,
                    )
                )
        for target in dict.fromkeys(linked):
            for ref in self.xrefs.lookup(target):
                version = f"{self._version(ref.kind)}"
                links.append(
                    Link(iri(ref.subject), SKOS.exactMatch, iri(ref.target), "xref", 1.0, version)
                )
        return links

    def _intervention_links(self, trial: Trial, iris: Iris) -> list[Link]:
        s = iris.trial(trial.nct_id)
        links: list[Link] = []
        mesh_ids: list[str] = []
        for i, term in enumerate(trial.intervention_browse.meshes):
            target = mesh.curie(term.id)
            mesh_ids.append(target)
            field = f"derivedSection.interventionBrowseModule.meshes[{i}]"
            links.append(
                Link(
                    s,
                    TK.interventionMesh,
                    iri(target),
                    "registry",
                    1.0,
                    self._registry_version(trial),
                    field,
                    term.term,
                )
            )
        for n, iv in enumerate(trial.interventions, 1):
            if iv.type is not None and iv.type not in DRUG_TYPES:
                continue
            names = [x.strip() for x in [iv.name, *iv.other_names] if x and x.strip()]
            if not names:
                continue
            field = f"interventions[{n - 1}]"
            node = iris.part(trial.nct_id, "intervention", n)
            if not trial.intervention_browse.meshes:
                for m in self.intervention_matches(names):
                    mesh_ids.append(m.target)
                    links.append(
                        Link(
                            s,
                            TK.interventionMesh,
                            iri(m.target),
                            f"lexical-{m.method}",
                            m.score,
                            self._version("mesh"),
                            field,
                            m.text,
                        )
                    )
            ids: list[str] = []
            for kind in ("unii", "drugbank"):
                hit = self.drugs.lookup(kind, names)
                if hit:
                    ids.append(hit[0])
                    score = 0.95 if hit[1] == names[0] else 0.9
                    links.append(
                        Link(
                            node,
                            SKOS.closeMatch,
                            iri(hit[0]),
                            "name-exact",
                            score,
                            self._version(kind),
                            field,
                            hit[1],
                        )
                    )
            for source in dict.fromkeys([*ids, *mesh_ids]):
                for chebi in sorted(self.drugs.chebi.get(source, ())):
                    links.append(
                        Link(
                            iri(source),
                            SKOS.exactMatch,
                            iri(chebi),
                            "xref",
                            1.0,
                            self._version("drugbank" if source.startswith("drugbank") else "chebi"),
                        )
                    )
        return links

    def _organization_links(self, trial: Trial, iris: Iris) -> list[Link]:
        links: list[Link] = []
        orgs = [trial.organization, trial.lead_sponsor, *trial.collaborators]
        for org in orgs:
            if org is None or not org.name or not org.name.strip():
                continue
            curated = self.organizations.get(organization_key(org.name))
            if curated is None:
                continue
            node = iris.organization(org.name)
            for curie in (
                f"ror:{curated.ror}" if curated.ror else None,
                f"wikidata:{curated.wikidata}" if curated.wikidata else None,
            ):
                if curie:
                    links.append(
                        Link(
                            node,
                            SKOS.exactMatch,
                            iri(curie),
                            "curated",
                            1.0,
                            "curated organisation mapping",
                            None,
                            curated.name,
                        )
                    )
        return links

    def _place_triples(self, trial: Trial, iris: Iris) -> list[tuple]:
        out: list[tuple] = []
        for org in [trial.organization, trial.lead_sponsor, *trial.collaborators]:
            if org is not None and org.name and org.name.strip():
                node = iris.organization(org.name)
                out.append((node, _ORG_KEY, _literal(organization_key(org.name))))
        for n, loc in enumerate(trial.locations, 1):
            node = iris.part(trial.nct_id, "location", n)
            code = country_code(loc.country) if loc.country else None
            if code:
                out.append((node, _COUNTRY_CODE, _literal(code)))
            if loc.city and loc.city.strip():
                city = _city(iris, loc.city.strip(), code)
                out += [
                    (node, _IN_CITY, city),
                    (city, RDF.type, _CITY),
                    (city, RDFS.label, _literal(loc.city.strip())),
                ]
                if code:
                    out.append((city, _COUNTRY_CODE, _literal(code)))
            if loc.geo is not None:
                geometry = iris.part(trial.nct_id, "location", n, "geometry")
                wkt = Literal(wkt_point(loc.geo.lat, loc.geo.lon), datatype=_WKT)
                out += [
                    (node, _HAS_GEOMETRY, geometry),
                    (geometry, _TYPE, _GEOMETRY),
                    (geometry, _AS_WKT, wkt),
                ]
        return out


_ORG_KEY, _COUNTRY_CODE, _IN_CITY, _CITY = TK.organizationKey, TK.countryCode, TK.inCity, TK.City
_TYPE, _LABEL = RDF.type, RDFS.label
_HAS_GEOMETRY, _GEOMETRY, _AS_WKT, _WKT = GEO.hasGeometry, GEO.Geometry, GEO.asWKT, GEO.wktLiteral


@lru_cache(maxsize=1 << 14)
def _literal(text: str) -> Literal:
    return Literal(text)


@lru_cache(maxsize=1 << 14)
def _city(iris: Iris, name: str, code: str | None) -> URIRef:
    return iris.city(city_key(name, code))


def _first_per_triple(links: list[Link]) -> list[Link]:
    """One link per asserted triple, the first made: a drug named by two interventions, or a
    cross-reference reached from two descriptors, is one link with one method, field and score."""
    seen: dict[tuple, Link] = {}
    for link in links:
        seen.setdefault((link.subject, link.predicate, link.target), link)
    return list(seen.values())


def _record_text(trial: Trial) -> str:
    """The record's own prose, where it defines its abbreviations."""
    parts = [
        trial.brief_title,
        trial.official_title,
        trial.brief_summary,
        *trial.conditions,
        *trial.keywords,
    ]
    return " . ".join(p for p in parts if p)


def _first_per_target(found: list[tuple[str, Match]]) -> list[tuple[str, Match]]:
    seen: dict[str, tuple[str, Match]] = {}
    for field, match in found:
        seen.setdefault(match.target, (field, match))
    return list(seen.values())


__all__ = [
    "DRUG_TYPES",
    "VOCABULARY_LOADERS",
    "Link",
    "Linker",
    "URIRef",
    "Vocabulary",
    "linker_for",
    "load_vocabulary",
    "vocabularies_in",
]
