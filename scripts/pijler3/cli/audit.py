"""``pijler3 audit report|verify``: the evidence report for the DPO (protocol art. 6; see ``pijler3.evidence``) and
the check of the audit log's hash chain (``pijler3.audit``)."""

from __future__ import annotations

from pathlib import Path

import click

from pijler3.audit import ChainBroken, parse_head, received_heads
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
@click.option(
    "--head",
    "heads",
    multiple=True,
    metavar="SEQ:HASH",
    help="A chain head the DPO archived (the evidence report prints it as line:hash); repeat for several.",
)
@click.option(
    "--peer-audit",
    "peer_logs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The other party's audit log: the heads of this log it received in signed manifests anchor it.",
)
def verify(config_path: Path, heads: tuple[str, ...], peer_logs: tuple[Path, ...]) -> None:
    """Check the audit log's hash chain, its anchors and the notice register; name the first line that fails.

    Anchors: the step records (on this machine), the heads given with --head, and the heads the other party
    received (--peer-audit). The notice register must be the one the log's events reproduce. Exit code 6 when a line
    was changed, removed or moved, a head no longer matches, or the register differs.
    """
    config = load_config(config_path)
    archived = [parse_head(head, "archived head") for head in heads]
    received = [anchor for log in peer_logs for anchor in received_heads(log, config.party)]
    status = verify_audit(config, [*archived, *received])
    if not status.ok:
        raise ChainBroken(f"{status.path}: audit log does not verify: {status.problem}")
    internal = status.anchors - len(archived) - len(received)
    click.echo(
        f"{status.path}: hash chain verified: {status.lines} lines, {internal} anchors in step records, "
        f"{len(archived)} archived head(s), {len(received)} head(s) the other party received; the notice register "
        f"matches the log; head {status.head_token}"
    )
