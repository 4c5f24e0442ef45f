"""The ``pijler3`` command: a thin layer that parses arguments and calls the library.

Each command group lives in its own module in this package and is listed in ``COMMANDS``; expected failures
(``Pijler3Error``) become one line on stderr and the exit code of their type (``pijler3.errors.EXIT_CODES``, shown by
``pijler3 --help``), never a traceback.
"""

from __future__ import annotations

import importlib
import itertools
import signal
import sys
from pathlib import Path

import click

from pijler3 import __version__
from pijler3.errors import EXIT_CODES, Pijler3Error

# command name -> module in pijler3.cli that defines a click command or group called ``command``
COMMANDS: dict[str, str] = {
    "synth": "synth",
    "envelope": "envelope",
    "keys": "keys",
    "leg": "leg",
    "sftp": "sftp",
    "demo": "demo",
    "run-wave": "wave",
    "purge": "purge",
    "audit": "audit",
    "publiceer-bi": "bi",
    "rapport": "rapport",
    "ptable": "ptable",
    "meldingen": "meldingen",
    "afsluiten": "afsluiten",
    "transparantie": "transparantie",
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs, so ``pijler3 --help`` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"pijler3.cli.{COMMANDS[cmd_name]}")
        command: click.Command = module.command
        if command.short_help is None and command.help:
            # click would cut the listing at the first period ("meldingen  Art."): list the whole first paragraph.
            command.short_help = " ".join(command.help.split("\n\n")[0].split())
        return command


EXIT_CODES_HELP = "\b\nExit codes (every command):\n" + "\n".join(
    f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items()
)


@click.group(cls=LazyGroup, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="pijler3")
def cli() -> None:
    """Data exchange Agentschap Integratie en Inburgering <-> VDAB (monitoring 3e pijler inburgering)."""


def _record_interruption(args: list[str]) -> None:
    """Record in the party's audit log that the command was interrupted, when it names a readable configuration."""
    config_path = next(
        (value for flag, value in itertools.pairwise(args) if flag == "--config"),
        next((arg.partition("=")[2] for arg in args if arg.startswith("--config=")), None),
    )
    if not config_path:
        return
    from pijler3.audit import AuditLog
    from pijler3.config import load_config

    named = list(itertools.takewhile(lambda arg: not arg.startswith("-"), args[:2]))
    command = " ".join(named) if named and named[0] in COMMANDS else None
    try:
        config = load_config(Path(config_path))
        AuditLog(config.audit_log, config.party).record("interrupted", command=command)
    except (Pijler3Error, OSError):
        pass  # the interruption itself is the message; a broken configuration has its own


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        # A second Ctrl-C must not cut the audit record in half.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        click.echo(
            "pijler3: interrupted (Ctrl-C); nothing half-done is kept: run the same command again to continue",
            err=True,
        )
        _record_interruption(sys.argv[1:])
        signal.signal(signal.SIGINT, previous)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Pijler3Error as exc:
        click.echo(f"pijler3: error: {exc}", err=True)
        sys.exit(exc.exit_code)
