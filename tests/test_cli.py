"""The ``pijler3`` command's own surface: the command list a newcomer reads first."""

from __future__ import annotations

from click.testing import CliRunner

from pijler3.cli import COMMANDS, cli


def test_every_command_has_a_whole_short_help_in_the_listing() -> None:
    """click cuts a short help at the first full stop, so "(protocol art. 6)" showed as "(protocol art." """
    context = cli.make_context("pijler3", ["--help"], resilient_parsing=True)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        assert command is not None
        short = command.get_short_help_str(limit=45)
        assert short, name
        assert short.count("(") == short.count(")") or short.endswith("..."), f"{name}: {short!r}"
    listing = CliRunner().invoke(cli, ["--help"]).output
    assert all(name in listing for name in COMMANDS)
