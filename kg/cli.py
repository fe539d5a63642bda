"""The ``trialkg`` command line: a click group whose commands each call the library in a few lines.

Errors a user can cause (a missing file, a bad query, an unreachable store) become a one-line
message and exit status 2; records that fail validation are counted in the summary, not errors.
"""

from __future__ import annotations

import sys

import click

from kg.errors import TrialKGError


@click.group()
@click.version_option(package_name="trialkg")
def cli() -> None:
    """TrialKG: ClinicalTrials.gov records as a validated RDF knowledge graph."""


# Commands are defined below, one function each. Add new ones above main().

STORE_OPTION = click.option(
    "--store",
    "store_location",
    envvar="TRIALKG_STORE",
    help="Store location: a directory (embedded Oxigraph), 'memory:', or a SPARQL endpoint URL. "
    "Default: TRIALKG_STORE or the user data directory.",
)
BASE_OPTION = click.option(
    "--base", envvar="TRIALKG_BASE", default=None, help="Base IRI for minted IRIs."
)


def _iris(base: str | None):
    from kg.vocab import DEFAULT_BASE, Iris

    return Iris(base or DEFAULT_BASE)


def _validator_choice() -> list[str]:
    from kg.validation import VALIDATORS

    return list(VALIDATORS)


def _print_summary(summary, *, label: str) -> None:
    d = summary.as_dict()
    rate = d["read"] / d["seconds"] if d["seconds"] else 0.0
    click.echo(
        f"{label}: read {d['read']}, loaded {d['loaded']} (added {d['added']}, updated "
        f"{d['updated']}), unchanged {d['unchanged']}, skipped as older {d['skipped_older']}, "
        f"rejected {d['rejected']}, unreadable {d['unreadable']}, removed {d['removed']}; "
        f"warned {d['warned']}; {d['triples']} triples in {d['seconds']:.1f} s "
        f"({rate:.0f} records/s)"
    )
    if summary.rejected_ids:
        shown = ", ".join(summary.rejected_ids[:10])
        more = (
            f" and {len(summary.rejected_ids) - 10} more" if len(summary.rejected_ids) > 10 else ""
        )
        click.echo(f"rejected: {shown}{more} (see the report for the reasons)")


def _vocabulary_cache():
    """Where rebuilt vocabulary indexes are cached between runs (TRIALKG_CACHE overrides)."""
    import os
    from pathlib import Path

    import platformdirs

    root = os.environ.get("TRIALKG_CACHE") or platformdirs.user_cache_path("trialkg")
    return Path(root) / "vocab"


def _pipeline(base, validator, report, batch_size=500, link=True, store=None):
    from kg.pipeline import Pipeline, ReportWriter
    from kg.validation import VALIDATORS

    linker = None
    if link:
        from kg.linking import linker_for

        linker = linker_for(store, _iris(base), cache_dir=_vocabulary_cache()).link
    return Pipeline(
        iris=_iris(base),
        validator=VALIDATORS[validator](),
        link=linker,
        batch_size=batch_size,
        report=ReportWriter(report),
    )


@cli.command()
@STORE_OPTION
@BASE_OPTION
@click.option(
    "--report",
    type=click.File("w", encoding="utf-8"),
    help="Write a JSON-lines report of unreadable, rejected and warned records here.",
)
@click.option(
    "--validator",
    default="fast",
    show_default=True,
    help="Validation engine "
    "(fast gives pySHACL's verdicts, proven by the tests; pyshacl is the reference).",
)
@click.option("--batch-size", default=500, show_default=True, help="Trials per store transaction.")
@click.option(
    "--prune", is_flag=True, help="Remove trials that the given sources no longer contain."
)
@click.option("--no-link", is_flag=True, help="Skip linking to external vocabularies.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def ingest(store_location, base, report, validator, batch_size, prune, no_link, paths) -> None:
    """Read, map, validate and load trial records (files, directories, zips) into the store."""
    from kg.stores import open_store

    if validator not in _validator_choice():
        raise click.BadParameter(
            f"choose one of {', '.join(_validator_choice())}", param_hint="--validator"
        )
    store = open_store(store_location)
    try:
        pipeline = _pipeline(base, validator, report, batch_size, link=not no_link, store=store)
        with click.progressbar(length=0, label="ingesting", show_pos=True, file=sys.stderr) as bar:
            summary = pipeline.ingest(paths, store, prune=prune, progress=bar.update)
        _update_relations(store, base, summary)
    finally:
        store.close()
    _print_summary(summary, label="ingest")


def _update_relations(store, base, summary) -> None:
    """Keep computed relations current when the store has them (``trialkg relate`` made them)."""
    from kg.related import has_relations, update

    iris = _iris(base)
    if summary.changed_ids and has_relations(store, iris):
        run = update(store, iris, summary.changed_ids)
        click.echo(f"related: recomputed {run.recomputed} trials' relations", err=True)


@cli.command()
@BASE_OPTION
@click.option(
    "--report",
    type=click.File("w", encoding="utf-8"),
    default="-",
    show_default=True,
    help="Where the JSON-lines report goes.",
)
@click.option("--validator", default="fast", show_default=True, help="Validation engine.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def validate(base, report, validator, paths) -> None:
    """Read, map and validate records without a store; report every finding."""
    if validator not in _validator_choice():
        raise click.BadParameter(
            f"choose one of {', '.join(_validator_choice())}", param_hint="--validator"
        )
    pipeline = _pipeline(base, validator, report, link=False)
    summary = pipeline.validate(paths)
    click.echo(
        f"validate: read {summary.read}, valid {summary.added}, rejected {summary.rejected}, "
        f"unreadable {summary.unreadable}, warned {summary.warned}",
        err=True,
    )


@cli.command()
@STORE_OPTION
@BASE_OPTION
@click.option(
    "--format",
    "fmt",
    default="nquads",
    show_default=True,
    help="nquads, ntriples, turtle, trig, jsonld or rdfxml.",
)
@click.option("--trial", "nct_id", help="Export one trial's named graph (NCT id).")
@click.option(
    "--sssom", is_flag=True, help="Export the links to external vocabularies as SSSOM TSV."
)
@click.option(
    "-o", "--output", type=click.File("wb"), default="-", help="Output file (default stdout)."
)
def export(store_location, base, fmt, nct_id, sssom, output) -> None:
    """Export the store (or one trial) as RDF, streamed where the format allows."""
    from kg.export import FORMATS
    from kg.export import export as run_export
    from kg.stores import open_store

    if sssom:
        from kg.linking.sssom import export_store

        store = open_store(store_location)
        try:
            export_store(store, output, _iris(base))
        finally:
            store.close()
        return

    if fmt not in FORMATS:
        raise click.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    store = open_store(store_location)
    try:
        run_export(store, output, fmt, trial=nct_id, iris=_iris(base))
    finally:
        store.close()


@cli.command()
@STORE_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--timeout", type=float, default=None, help="Stop the query after this many seconds.")
@click.argument("query")
def query(store_location, fmt, timeout, query) -> None:
    """Run a SPARQL query given as text or as a .rq file; print a table, CSV or JSON."""
    from pathlib import Path

    from kg.stores import open_store
    from kg.tables import write_result

    text = Path(query).read_text(encoding="utf-8") if query.endswith(".rq") else query
    store = open_store(store_location)
    try:
        result = store.query(text, timeout=timeout)
        write_result(result, fmt, sys.stdout)
    finally:
        store.close()


@cli.command()
@STORE_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def stats(store_location, fmt) -> None:
    """Dataset statistics, VoID style: triples, trial graphs, entities per class."""
    import json

    from kg.stats import dataset_statistics
    from kg.stores import open_store

    store = open_store(store_location)
    try:
        statistics = dataset_statistics(store)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(statistics, indent=2))
        return
    click.echo(f"triples: {statistics['triples']}")
    click.echo(f"named graphs: {statistics['graphs']} ({statistics['trials']} trials)")
    for row in statistics["classes"]:
        click.echo(f"{row['entities']:>10}  {row['class']}")


@cli.command()
@STORE_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--threads", type=int, default=8, show_default=True, help="Worker threads.")
def serve(store_location, host, port, threads) -> None:
    """Serve the store: SPARQL endpoint and pages (read-only unless TRIALKG_UPDATE_TOKEN is set)."""
    import signal

    import waitress

    from kg.web.app import create_app
    from kg.web.settings import Settings

    settings = Settings.from_env(store=store_location)
    app = create_app(settings)

    def stop(signum, frame):  # SIGTERM unwinds like Ctrl-C, so the store closes cleanly
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"trialkg: serving http://{host}:{port}/sparql", err=True)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="trialkg")
    except KeyboardInterrupt:
        click.echo("trialkg: stopped", err=True)
    finally:
        app.extensions["trialkg"].store.close()


@cli.command()
@STORE_OPTION
@BASE_OPTION
@click.option("--condition", help="query.cond: condition or disease")
@click.option("--term", help="query.term: any words")
@click.option("--sponsor", help="query.spons: sponsor or collaborator")
@click.option("--intervention", help="query.intr: intervention or treatment")
@click.option("--location", help="query.locn: location terms")
@click.option(
    "--status", multiple=True, help="filter.overallStatus code, e.g. RECRUITING (repeatable)"
)
@click.option("--since", help="Only studies whose last update was posted on or after YYYY-MM-DD.")
@click.option("--limit", type=int, help="Stop after this many studies.")
@click.option("--page-size", type=int, default=100, show_default=True)
@click.option("--api", default=None, envvar="TRIALKG_CTGOV_API", help="API base URL.")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    help="Write the studies as NDJSON here instead of ingesting them.",
)
@click.option("--report", type=click.File("w", encoding="utf-8"), help="JSON-lines report.")
def fetch(
    store_location,
    base,
    condition,
    term,
    sponsor,
    intervention,
    location,
    status,
    since,
    limit,
    page_size,
    api,
    output,
    report,
) -> None:
    """Fetch studies from the live ClinicalTrials.gov API v2; write NDJSON or ingest them."""
    import json

    from kg.fetch import DEFAULT_API, CtgovClient, StudyQuery
    from kg.model import Source
    from kg.readers.ctgov_json import study_to_trial

    try:
        query = StudyQuery(condition, term, sponsor, intervention, location, list(status), since)
        query.params()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    client = CtgovClient(base_url=api or DEFAULT_API, page_size=page_size)
    studies = client.studies(query, limit=limit)
    with click.progressbar(studies, label="fetching", file=sys.stderr) as bar:
        if output is not None:
            n = 0
            for study in bar:
                output.write(json.dumps(study, ensure_ascii=False) + "\n")
                n += 1
            click.echo(f"fetch: wrote {n} studies ({client.retries} retries)")
            return
        from kg.stores import open_store

        store = open_store(store_location)
        try:
            pipeline = _pipeline(base, "fast", report, store=store)
            items = (
                study_to_trial(s, Source(client.base_url, "ctgov-api", str(i)))
                for i, s in enumerate(bar, 1)
            )
            summary = pipeline.ingest_items(items, store)
        finally:
            store.close()
    _print_summary(summary, label="fetch")


@cli.command()
@STORE_OPTION
@BASE_OPTION
@click.option(
    "--top", type=int, default=10, show_default=True, help="Related trials kept per trial."
)
def relate(store_location, base, top) -> None:
    """Compute every trial's related trials (scores with reasons) from scratch."""
    from kg.related import compute_all
    from kg.stores import open_store

    store = open_store(store_location)
    try:
        run = compute_all(store, _iris(base), top=top)
    finally:
        store.close()
    click.echo(
        f"relate: {run.trials} trials, {run.relations} relations "
        f"(index {run.seconds_index:.1f} s, scoring {run.seconds_scoring:.1f} s)"
    )


@cli.command()
@STORE_OPTION
@BASE_OPTION
@click.option("--top", type=int, default=10, show_default=True)
@click.option("--computed-only", is_flag=True, help="Leave out relations the records state.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.argument("nct_id")
def related(store_location, base, top, computed_only, fmt, nct_id) -> None:
    """A trial's related trials with scores and the reasons behind each."""
    import json

    from kg.related import related_of
    from kg.stores import open_store

    store = open_store(store_location)
    try:
        items = related_of(store, _iris(base), nct_id, top=top, computed_only=computed_only)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(items, indent=2))
        return
    if not items:
        click.echo(f"{nct_id}: no related trials (run `trialkg relate` to compute them)")
    for item in items:
        score = f"{item['score']:.3f}" if item["score"] is not None else "stated"
        click.echo(f"{item['nct_id']}  {score}")
        for reason in item["reasons"]:
            amount = f"{reason['contribution']:.3f}" if reason["contribution"] is not None else ""
            click.echo(f"    {amount:>7}  {reason['kind']:<18} {reason['entity'] or ''}")


def _vocabulary_kinds() -> list[str]:
    from kg.linking import VOCABULARY_LOADERS

    return list(VOCABULARY_LOADERS)


@cli.group()
def vocab() -> None:
    """External vocabularies (MeSH, MONDO, DOID, UNII…) that ingest links trials to."""


@vocab.command("load")
@STORE_OPTION
@BASE_OPTION
@click.option(
    "--version", "version", help="Vocabulary version to record (default: from the file name)."
)
@click.argument("kind", type=click.Choice(_vocabulary_kinds()))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def vocab_load(store_location, base, version, kind, files) -> None:
    """Load vocabulary FILES of KIND into the store's graph for it (replacing what was there)."""
    from pathlib import Path

    from kg.linking import load_vocabulary
    from kg.stores import open_store

    store = open_store(store_location)
    try:
        loaded = load_vocabulary(kind, [Path(f) for f in files], store, _iris(base), version)
        store.flush()
    finally:
        store.close()
    click.echo(f"{kind}: {len(loaded)} concepts, version {loaded.version}")


def main() -> None:
    """Console-script entry point: turns TrialKG errors into a message and exit status 2."""
    try:
        cli(standalone_mode=True)
    except TrialKGError as exc:
        click.echo(f"trialkg: {exc}", err=True)
        sys.exit(2)
