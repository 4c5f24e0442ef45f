"""``pijler3 publiceer-bi``: copy the built marts into the BI working group's DuckDB file."""

from __future__ import annotations

from pathlib import Path

import click

from pijler3.bi import publish_recorded
from pijler3.config import load_config


@click.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The agencies' TOML configuration (its audit log records the publication).",
)
@click.option(
    "--monitoring",
    "monitoring_db",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The monitoring database dbt built the marts in; default: the configuration's.",
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
    help="The BI file to (re)place; default: the configuration's [bi] file.",
)
def command(config_path: Path, monitoring_db: Path | None, manifest: Path, target: Path | None) -> None:
    """Publish the marts (tables only, DuckDB 1.x-readable, atomically replaced) for BI tools."""
    target, marts = publish_recorded(load_config(config_path), manifest, monitoring_db=monitoring_db, target=target)
    click.echo(f"{target}: {len(marts)} marts ({', '.join(m.name for m in marts)})")
