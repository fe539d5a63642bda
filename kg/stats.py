"""Dataset statistics in VoID terms (triples, trials, entities per class) from any store."""

from __future__ import annotations

from kg.resources import read_text
from kg.stores.base import Store
from kg.vocab import Iris


def dataset_statistics(store: Store, iris: Iris | None = None) -> dict:
    """Counts for `trialkg stats`, the home page and the service description's VoID part."""
    iris = iris or Iris()
    trial_prefix = str(iris.graph(""))
    graphs = [str(g) for g in store.graph_names()]
    classes = [
        {"class": str(row["class"]), "entities": int(row["entities"])}
        for row in store.query(read_text("queries", "internal/class-counts.rq")).dicts()
    ]
    return {
        "triples": len(store),
        "graphs": len(graphs),
        "trials": sum(1 for g in graphs if g.startswith(trial_prefix)),
        "classes": classes,
    }
