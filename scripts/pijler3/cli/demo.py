"""``pijler3 demo``: two half-yearly waves of the whole exchange on synthetic data (see ``pijler3.demo``)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from pijler3.demo import (
    DEFAULT_PERSONS,
    DEFAULT_SEED,
    SftpKind,
    dbt_start_up_seconds,
    format_ratio,
    format_summary,
    run_demo,
)


@click.command()
@click.option(
    "--persons",
    type=click.IntRange(min=50),
    default=DEFAULT_PERSONS,
    show_default=True,
    help="Newcomers in the synthetic KBI extract (VDAB's population grows in proportion).",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the synthetic extracts.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Output folder (rebuilt after a completed run, resumed after an interrupted one).",
)
@click.option(
    "--sftp",
    type=click.Choice(["embedded", "openssh"]),
    default="embedded",
    show_default=True,
    help="The loopback SFTP server: embedded (asyncssh) or Debian's sshd.",
)
def command(persons: int, seed: int, out: Path, sftp: str) -> None:
    """Synthetic extracts, keys, a loopback SFTP server and two waves of the full cycle for both parties.

    Its time is compared with ``dbt --version`` run just before (the speed goal, DESIGN.md "Performance")."""
    anchor = dbt_start_up_seconds()
    result = run_demo(out, persons=persons, seed=seed, sftp=cast(SftpKind, sftp), progress=click.echo)
    click.echo("")
    for line in format_summary(result):
        click.echo(line)
    click.echo(format_ratio(result.seconds, anchor))
