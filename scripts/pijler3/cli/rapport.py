"""``pijler3 rapport``: (re)generate the Dutch monitoring report from a BI file."""

from __future__ import annotations

from pathlib import Path

import click

from pijler3.rapport import RAPPORT_NAAM, write


@click.command()
@click.option(
    "--bi",
    "bi_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The BI file (e.g. bi/monitoring.duckdb); the report needs nothing else.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Where to write the report; default: {RAPPORT_NAAM} beside the BI file. Its folder must exist.",
)
def command(bi_file: Path, out: Path | None) -> None:
    """Write the monitoring report (one offline HTML file with charts) from the marts in a BI file.

    A file that is not a BI file of this version (another DuckDB database, or no DuckDB file at all) and an output
    folder that does not exist are refused with one line and exit code 2; nothing is written then."""
    click.echo(write(bi_file, out))
