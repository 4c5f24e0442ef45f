"""``pijler3 run-wave --config PARTY.toml --wave W``: one party's steps of a wave (see ``pijler3.wave``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pijler3.audit import ChainBroken
from pijler3.config import load_config
from pijler3.errors import QUARANTINED_EXIT_CODE
from pijler3.evidence import verify_audit, write_report
from pijler3.legs import NotYetAvailable, describe_set_aside
from pijler3.rapport import RAPPORT_NAAM
from pijler3.wave import run_wave


@click.command(name="run-wave")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The party's TOML configuration.",
)
@click.option("--wave", help="Wave, e.g. 2026-S1; default: wave in the configuration.")
@click.option(
    "--restart",
    is_flag=True,
    help="Start the wave over (e.g. after the extract changed): earlier records are kept under <work>/herstart/; "
    "the other party starts it over too.",
)
def command(config_path: Path, wave: str | None, restart: bool) -> None:
    """Run the party's steps for the wave, skipping each step whose output exists and verifies.

    Stops with exit code 75 when the other party's file is not there yet: run the command again later. Exits 7
    when this run set files from the server aside into quarantine (it names them), also while it waits.
    """
    config = load_config(config_path)
    result = run_wave(config, wave, progress=click.echo, restart=restart)
    if result.status == "waiting":
        click.echo(f"{result.party} {result.wave}: waiting at {result.waiting_for}; run this command again later")
    else:
        click.echo(f"{result.party} {result.wave}: complete")
        if config.bi_file is not None and (report := config.bi_file.with_name(RAPPORT_NAAM)).is_file():
            click.echo(f"BI file {config.bi_file}; monitoring report {report}")
        evidence = write_report(config, config.audit_log.with_name(f"rapport-{result.party}-{result.wave}.html"), wave)
        chain = verify_audit(config)
        if not chain.ok:
            raise ChainBroken(f"{chain.path}: audit log does not verify: {chain.problem}")
        click.echo(f"evidence report {evidence.resolve()}")
        click.echo(
            f"archive this audit head outside this machine (docs/maatregelen.md, B4): {chain.head_token}"
            f" (line {chain.lines} of {chain.path.resolve()}); check it later with `pijler3 audit verify --config"
            f" {config.path} --head {chain.head_token}`"
        )
    if result.set_aside:
        click.echo(f"{result.party} {result.wave}: {describe_set_aside(result.set_aside)}", err=True)
        sys.exit(QUARANTINED_EXIT_CODE)
    if result.status == "waiting":
        sys.exit(NotYetAvailable.exit_code)
