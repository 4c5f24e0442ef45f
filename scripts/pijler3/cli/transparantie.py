"""``pijler3 transparantie --config PARTY.toml --out FILE``: the Dutch information for the data subjects (art. 10;
see ``pijler3.transparantie``)."""

from __future__ import annotations

from pathlib import Path

import click

from pijler3.config import load_config
from pijler3.transparantie import write


@click.command(name="transparantie")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The party's TOML configuration: its contact points, recipients and the agreement's dates.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Text file: Markdown, or HTML when it ends in .html.",
)
def command(config_path: Path, out: Path) -> None:
    """Art. 10 transparency text for the data subjects (Dutch), from the project's facts and the configuration."""
    click.echo(f"wrote {write(load_config(config_path), out)}")
