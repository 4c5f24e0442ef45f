"""``pijler3 publiceer-bi``: copy the built marts into the BI working group's DuckDB file."""

from __future__ import annotations

from pathlib import Path

import click

from pijler3.bi import marts_from_manifest, publish


@click.command()
@click.option(
    "--monitoring",
    "monitoring_db",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The monitoring database dbt built the marts in.",
)
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="dbt's target/manifest.json of that build (names the marts).",
)
@click.option(
    "--doel",
    "target",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The BI file to (re)place, e.g. demo/bi/monitoring.duckdb.",
)
def command(monitoring_db: Path, manifest: Path, target: Path) -> None:
    """Publish the marts (tables only, DuckDB 1.x-readable, atomically replaced) for BI tools."""
    marts = marts_from_manifest(manifest)
    publish(monitoring_db, target, marts)
    click.echo(f"{target}: {len(marts)} marts ({', '.join(m.name for m in marts)})")
