"""The MeSH descriptor hierarchy as the relation engine needs it: depth and near ancestors.

Built from the MeSH vocabulary graph in the store (``skos:broader`` and ``tk:treeNumber``, written
by ``trialkg vocab load mesh``). Without that graph every descriptor has depth 1 and no ancestors,
so only identical descriptors count: the engine degrades, it does not guess.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from kg.resources import read_text
from kg.stores.base import Store


@dataclass
class MeshHierarchy:
    """Parents and depth of each descriptor, by IRI string.

    >>> h = MeshHierarchy({"stroke": {"cvd"}, "cvd": {"brain"}, "isch": {"stroke"}},
    ...                   {"brain": 2, "cvd": 3, "stroke": 4, "isch": 5})
    >>> h.ancestors("isch", 2)
    {'stroke': 1, 'cvd': 2}
    >>> h.common("isch", "cvd", 2)
    ('cvd', 2)
    """

    parents: dict[str, set[str]] = field(default_factory=dict)
    depths: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._near = lru_cache(maxsize=200_000)(self._ancestors)

    @classmethod
    def from_store(cls, store: Store) -> MeshHierarchy:
        parents: dict[str, set[str]] = defaultdict(set)
        depths: dict[str, int] = {}
        for descriptor, broader, tree in store.query(
            read_text("queries", "internal/mesh-hierarchy.rq")
        ).rows:
            key = str(descriptor)
            if broader is not None:
                parents[key].add(str(broader))
            if tree is not None:
                depth = str(tree).count(".") + 1
                depths[key] = min(depths.get(key, depth), depth)
        return cls(dict(parents), depths)

    def depth(self, descriptor: str) -> int:
        """Shallowest tree position, 1 for a top category; 1 when unknown."""
        return self.depths.get(descriptor, 1)

    def _ancestors(self, descriptor: str, levels: int) -> tuple[tuple[str, int], ...]:
        found: dict[str, int] = {}
        frontier = {descriptor}
        for distance in range(1, levels + 1):
            frontier = {p for d in frontier for p in self.parents.get(d, ())} - found.keys()
            for p in frontier:
                found.setdefault(p, distance)
        return tuple(found.items())

    def ancestors(self, descriptor: str, levels: int) -> dict[str, int]:
        """Ancestors up to ``levels`` steps up, with their distance."""
        return dict(self._near(descriptor, levels))

    def common(self, a: str, b: str, levels: int) -> tuple[str, int] | None:
        """The nearest common ancestor of two descriptors within ``levels`` steps of both.

        The distance is the larger of the two climbs; ties go to the deeper ancestor, then the
        IRI, so the answer is deterministic. A descriptor counts as its own ancestor at 0.
        """
        up_a = {a: 0, **self.ancestors(a, levels)}
        up_b = {b: 0, **self.ancestors(b, levels)}
        shared = up_a.keys() & up_b.keys()
        if not shared:
            return None
        best = min(shared, key=lambda c: (max(up_a[c], up_b[c]), -self.depth(c), c))
        return best, max(up_a[best], up_b[best])
