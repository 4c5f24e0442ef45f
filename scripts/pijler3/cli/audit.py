"""``pijler3 audit report|verify``: the evidence report for the DPO (protocol art. 6; see ``pijler3.evidence``) and
the check of the audit log's hash chain (``pijler3.audit``)."""

from __future__ import annotations

from pathlib import Path

import click

from pijler3.audit import ChainBroken
from pijler3.config import load_config
from pijler3.evidence import verify_audit, write_report


@click.group(name="audit")
def command() -> None:
    """The audit trail and the evidence drawn from it."""


_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The party's TOML configuration.",
)


@command.command()
@_config_option
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


@command.command()
@_config_option
def verify(config_path: Path) -> None:
    """Check the audit log's hash chain and the anchors in the step records; name the first line that fails.

    Exit code 6 when a line was changed, removed or moved.
    """
    status = verify_audit(load_config(config_path))
    if not status.ok:
        raise ChainBroken(f"{status.path}: hash chain broken: {status.problem}")
    click.echo(
        f"{status.path}: hash chain verified: {status.lines} lines, {status.anchors} anchors in step records; "
        f"head {status.head}"
    )
