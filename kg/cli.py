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


def main() -> None:
    """Console-script entry point: turns TrialKG errors into a message and exit status 2."""
    try:
        cli(standalone_mode=True)
    except TrialKGError as exc:
        click.echo(f"trialkg: {exc}", err=True)
        sys.exit(2)
