"""``pijler3 audit report``: the evidence report for the DPO (protocol art. 6; see ``pijler3.evidence``)."""

from __future__ import annotations

from pathlib import Path

import click

from pijler3.config import load_config
from pijler3.evidence import write_report


@click.group(name="audit")
def command() -> None:
    """The audit trail and the evidence drawn from it."""


@command.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The party's TOML configuration.",
)
@click.option("--wave", help="Only this wave (default: every wave).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Report file: Markdown, or HTML when it ends in .html.",
)
def report(config_path: Path, wave: str | None, out: Path) -> None:
    """Files exchanged, hashes, key fingerprints, checks and retention status per wave — no personal data."""
    click.echo(f"wrote {write_report(load_config(config_path), out, wave)}")
