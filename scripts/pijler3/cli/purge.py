"""``pijler3 purge --config PARTY.toml``: remove waves past retention (protocol art. 3; see ``pijler3.retention``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from pijler3.config import load_config
from pijler3.retention import purge


@click.command(name="purge")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The party's TOML configuration.",
)
@click.option(
    "--before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Remove the waves whose reference date is before this date.",
)
@click.option("--keep-waves", type=click.IntRange(min=0), help="Keep only this many latest waves.")
@click.option("--dry-run", is_flag=True, help="List what would be removed; change nothing.")
@click.option("--no-server", is_flag=True, help="Leave the exchange folders on the SFTP server alone.")
def command(
    config_path: Path, before: dt.datetime | None, keep_waves: int | None, dry_run: bool, no_server: bool
) -> None:
    """Remove whole waves: by default those past the retention date in the configuration."""
    config = load_config(config_path)
    result = purge(
        config,
        before=before.date() if before else None,
        keep_waves=keep_waves,
        dry_run=dry_run,
        server=not no_server,
    )
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{result.party}: waves present: {', '.join(result.present) or 'none'} ({result.reason})")
    click.echo(f"{verb} waves: {', '.join(result.removed) or 'none'}; {result.rows_removed} row(s)")
    for path in result.local_files:
        click.echo(f"{verb} {path}")
    for remote in result.server_files:
        click.echo(f"{verb} server file {remote}")
    if not result.server_reachable:
        click.echo(
            f"server {config.sftp} not reachable: its exchange folders were not listed (a real purge waits for it)"
        )
