"""The home page: dataset statistics, the named queries to try, and a SPARQL query editor.

The editor is a plain page (a textarea, example queries from ``queries/examples/``, and
``fetch()`` to ``/sparql``) with its script and style served from ``kg/web/static``: it works
with no internet connection and no JavaScript build step.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from kg.queries import load_queries
from kg.resources import web_static_dir
from kg.vocab import TK, Iris
from kg.web.description import statistics
from kg.web.pages import predicate_name
from kg.web.state import current_settings

bp = Blueprint(
    "home",
    __name__,
    template_folder="templates",
    static_folder=str(web_static_dir()),
    static_url_path="/static",
)

# Classes counted on the home page, in this order, when the store has them.
SHOWN_CLASSES = (
    TK.Trial,
    TK.Organization,
    TK.Condition,
    TK.Intervention,
    TK.Location,
    TK.Arm,
    TK.Outcome,
)


@bp.get("/")
def home() -> str:
    figures = statistics()
    counts = {c["class"]: c["entities"] for c in figures.get("classes", [])}
    classes = [(predicate_name(c), counts[str(c)]) for c in SHOWN_CLASSES if str(c) in counts]
    examples = [
        {"name": q.name, "title": q.title, "description": q.description, "sparql": q.sparql}
        for q in load_queries("examples").values()
    ]
    return render_template(
        "home.html",
        figures=figures,
        classes=classes,
        queries=list(load_queries().values()),
        examples=examples,
        base=Iris(current_settings().base).base,
        ontology=str(TK._NS),
    )
