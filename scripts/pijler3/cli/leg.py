"""``pijler3 leg NAME --config PARTY.toml``: run one SFTP leg of a wave (see ``pijler3.legs``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pijler3.config import load_config
from pijler3.errors import QUARANTINED_EXIT_CODE
from pijler3.legs import LEGS, describe_set_aside, run_leg


@click.command(name="leg")
@click.argument("name", type=click.Choice(list(LEGS)))
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The party's TOML configuration.",
)
@click.option("--wave", help="Wave, e.g. 2026-S2; default: wave in the configuration.")
@click.option(
    "--file",
    "plaintext",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Send legs: the file to send (default: <outgoing>/WAVE.KIND.csv or .parquet).",
)
def command(name: str, config_path: Path, wave: str | None, plaintext: Path | None) -> None:
    """Run leg NAME; running it again after a failure continues, after success it has nothing to do.

    \b
    agencies: send-request, receive-enrichment, share-dataset
    VDAB:     receive-request, send-enrichment, receive-dataset
    either:   send-melding, send-antwoord (correction notices: use `pijler3 meldingen` and run-wave instead)
    """
    result = run_leg(name, load_config(config_path), wave, plaintext=plaintext)
    click.echo(f"{result.leg} {result.wave}: {result.message}")
    if result.set_aside:
        click.echo(f"{result.leg} {result.wave}: {describe_set_aside(result.set_aside)}", err=True)
        sys.exit(QUARANTINED_EXIT_CODE)
