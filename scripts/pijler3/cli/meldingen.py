"""``pijler3 meldingen``: the party's art. 7 correction notices, sent and received (see ``pijler3.meldingen``).

pijler3 meldingen --config PARTY.toml                       list: open, answered and overdue, with due dates
pijler3 meldingen ophalen --config PARTY.toml               load the other party's notices and answers now
pijler3 meldingen toon ID --config PARTY.toml               the records of a received notice, to stdout only
pijler3 meldingen beantwoord ID --tekst "..." --config ...  record the answer and send it to the sender
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pijler3 import meldingen
from pijler3.config import PartyConfig, load_config
from pijler3.errors import QUARANTINED_EXIT_CODE, ConfigError
from pijler3.legs import describe_set_aside
from pijler3.shown import printable

_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The party's TOML configuration.",
)


def _config(ctx: click.Context, config_path: Path | None) -> PartyConfig:
    path = config_path or ctx.find_root().meta.get("pijler3.meldingen.config")
    if path is None:
        raise ConfigError("no configuration given: pass --config PARTY.toml")
    return load_config(path)


def table(rows: list[list[str]]) -> list[str]:
    """Rows (the first one the header) as left-aligned columns, every cell escaped (``shown.printable``): what the
    other party wrote cannot move the cursor, colour the screen or start a line of its own."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


@click.group(name="meldingen", invoke_without_command=True)
@_config_option
@click.pass_context
def command(ctx: click.Context, config_path: Path | None) -> None:
    """Art. 7 correction notices: list them (default), load new ones, show one, answer one."""
    ctx.find_root().meta["pijler3.meldingen.config"] = config_path
    if ctx.invoked_subcommand is not None:
        return
    notices = meldingen.lees_register(_config(ctx, config_path))
    if not notices:
        click.echo("no correction notices (art. 7) sent or received yet")
        return
    rows = [["melding", "richting", "golf", "records", "per reden", "geregistreerd", "uiterlijk", "status", "antwoord"]]
    for m in notices:
        rows.append(
            [
                m.id,
                f"{m.richting} ({m.afzender} -> {m.ontvanger})",
                m.golf,
                str(m.rijen),
                ", ".join(f"{reden} {n}" for reden, n in m.aantallen.items()),
                m.geregistreerd_op,
                m.uiterlijk,
                m.status(),
                m.beantwoord_op or "",
            ]
        )
    click.echo("\n".join(table(rows)))
    for m in notices:
        if m.antwoord:
            sent = "" if m.richting == "verzonden" or m.antwoord_verzonden else " (nog niet verzonden)"
            click.echo(f"{m.id} beantwoord op {m.beantwoord_op}{sent}: {printable(m.antwoord, limit=None)}")


@command.command()
@_config_option
@click.pass_context
def ophalen(ctx: click.Context, config_path: Path | None) -> None:
    """Load the other party's notices and the answers to ours from the SFTP server.

    Exits 7 when it set envelopes aside into quarantine (forged, replayed, for a wave never run, refused for their
    content); it names them and the folder."""
    loaded = meldingen.laad_binnenkomend(_config(ctx, config_path))
    for m in loaded.meldingen:
        click.echo(f"received notice {m.id}: {m.rijen} record(s), answer due by {m.uiterlijk}")
    for m in loaded.antwoorden:
        click.echo(f"answer to notice {m.id} received ({m.beantwoord_op})")
    if loaded.set_aside:
        click.echo(describe_set_aside(loaded.set_aside), err=True)
        sys.exit(QUARANTINED_EXIT_CODE)
    if not (loaded.meldingen or loaded.antwoorden):
        click.echo("nothing new")


@command.command()
@click.argument("melding_id")
@_config_option
@click.pass_context
def toon(ctx: click.Context, melding_id: str, config_path: Path | None) -> None:
    """Print the records of received notice MELDING_ID (decrypted in memory; no file is written)."""
    records = meldingen.toon(_config(ctx, config_path), melding_id)
    rows = [["insz", "reden", "detail"], *([r["insz"], r["reden"], r["detail"]] for r in records)]
    click.echo("\n".join(table(rows)))


@command.command()
@click.argument("melding_id")
@click.option("--tekst", required=True, help="The answer: what was investigated and which measures were taken.")
@_config_option
@click.pass_context
def beantwoord(ctx: click.Context, melding_id: str, tekst: str, config_path: Path | None) -> None:
    """Record the answer to received notice MELDING_ID and send it to the sender (no personal data)."""
    answered = meldingen.beantwoord(_config(ctx, config_path), melding_id, tekst)
    click.echo(f"notice {answered.id} answered on {answered.beantwoord_op} and sent to {answered.afzender}")
