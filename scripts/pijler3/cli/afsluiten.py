"""``pijler3 afsluiten --config PARTY.toml``: close the party's side of the protocol (art. 8, 12; see
``pijler3.afsluiten``)."""

from __future__ import annotations

from pathlib import Path

import click

from pijler3.afsluiten import CHECKLIST, close
from pijler3.config import load_config


@click.command(name="afsluiten")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The party's TOML configuration.",
)
@click.option("--dry-run", is_flag=True, help="List what would be purged and destroyed; change nothing.")
@click.option("--confirm", metavar="PARTY", help="The party's name, to confirm that everything is destroyed for good.")
@click.option("--no-server", is_flag=True, help="Leave the exchange folders on the SFTP server alone.")
def command(config_path: Path, dry_run: bool, confirm: str | None, no_server: bool) -> None:
    """End of the protocol: purge every wave, destroy the databases and every private key, write the final evidence
    report and print what is left to do by hand.

    Refused until [retention] agreement_end is a day that has passed.
    """
    config = load_config(config_path)
    closing = close(config, confirm=confirm, dry_run=dry_run, server=not no_server, say=click.echo)
    if closing.dry_run:
        click.echo(f"{closing.party}: dry run, nothing changed; run with --confirm {closing.party} to close")
        return
    click.echo(
        f"{closing.party}: closed: {len(closing.purge.removed)} wave(s) purged, {len(closing.files)} file(s) and"
        f" {len(closing.keys)} key(s) destroyed"
    )
    click.echo(f"final evidence report {closing.report.resolve() if closing.report else None}")
    click.echo(f"archive this audit head outside this machine: {closing.head}")
    click.echo("Left to do by hand (software cannot):")
    for number, item in enumerate(CHECKLIST, start=1):
        click.echo(f"  {number}. {item}")
