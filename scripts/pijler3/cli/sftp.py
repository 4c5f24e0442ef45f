"""``pijler3 sftp serve``: run the embedded (or OpenSSH) loopback SFTP server by hand, e.g. to try a leg manually."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from pijler3.errors import ConfigError
from pijler3.sftp.keys import generate_ed25519, known_hosts_line, read_public_key
from pijler3.sftp.openssh import OpenSshServer
from pijler3.sftp.server import EmbeddedSftpServer, ServerAddress


@click.group(name="sftp")
def command() -> None:
    """The exchange's SFTP server (loopback only, for the demo and manual tests)."""


@command.command()
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), required=True, help="Exchange root folder.")
@click.option(
    "--host-key",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Server's Ed25519 private host key; created (mode 0600) when it does not exist.",
)
@click.option(
    "--user",
    "users",
    multiple=True,
    required=True,
    metavar="NAME=PUBKEY_FILE",
    help="A login and the file with its OpenSSH public key; repeat per party.",
)
@click.option("--port", type=int, default=2222, show_default=True)
@click.option("--openssh", is_flag=True, help="Run Debian's sshd instead (all keys log in as the current OS user).")
def serve(root: Path, host_key: Path, users: tuple[str, ...], port: int, openssh: bool) -> None:
    """Serve ROOT (with naar-vdab/ and naar-agentschap/) on 127.0.0.1 until Ctrl-C."""
    keys: dict[str, str] = {}
    for spec in users:
        name, sep, key_file = spec.partition("=")
        if not sep or not name or not key_file:
            raise ConfigError(f"--user {spec!r}: expected NAME=PUBKEY_FILE, e.g. vdab=keys/vdab/ssh.pub")
        keys[name] = read_public_key(Path(key_file))
    if not host_key.exists():
        generate_ed25519(host_key, "pijler3-sftp-host")
        click.echo(f"created host key {host_key}")
    server: EmbeddedSftpServer | OpenSshServer
    if openssh:
        server = OpenSshServer(root, keys.values(), host_key, workdir=root.parent / f".{root.name}-sshd", port=port)
    else:
        server = EmbeddedSftpServer(root, keys, host_key, port=port)
    with server as address:
        logins = [server.user] if isinstance(server, OpenSshServer) else sorted(keys)
        _announce(address, logins)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopped")


def _announce(address: ServerAddress, logins: list[str]) -> None:
    click.echo(f"serving on {address.host}:{address.port} for {', '.join(logins)}")
    click.echo("pin this host key in each party's known_hosts:")
    click.echo(f"  {known_hosts_line(address.host, address.port, address.host_public_key)}")
