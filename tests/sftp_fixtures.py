"""SFTP servers for tests: the embedded asyncssh server and Debian's OpenSSH sshd, with keys generated per session
(never committed), a pinned known_hosts and one endpoint per party. Test modules import ``exchange`` and ``keys``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import require_tool
from pijler3.audit import AuditLog
from pijler3.sftp.keys import generate_ed25519, known_hosts_line, public_key_of
from pijler3.sftp.openssh import OpenSshServer, find_sshd
from pijler3.sftp.server import EmbeddedSftpServer, ServerAddress
from pijler3.sftp.transport import Endpoint, RetryPolicy, SftpTransport

FAST = RetryPolicy(attempts=3, first_delay_s=0.05, max_delay_s=0.2, timeout_s=5)


@dataclass
class Keys:
    folder: Path
    host: Path
    other_host: Path
    agentschap: Path
    vdab: Path
    stranger: Path


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder = tmp_path_factory.mktemp("keys")
    for name in ("host", "other_host", "agentschap", "vdab", "stranger"):
        generate_ed25519(folder / name, f"{name}@test")
    return Keys(folder, *(folder / n for n in ("host", "other_host", "agentschap", "vdab", "stranger")))


class Exchange:
    """A running SFTP server (embedded or OpenSSH) with a pinned known_hosts and one endpoint per party."""

    def __init__(self, kind: str, root: Path, keys: Keys, work: Path) -> None:
        self.kind, self.root, self.keys, self.work = kind, root, keys, work
        self.port = 0
        self._server: EmbeddedSftpServer | OpenSshServer | None = None
        self.address = self.start()
        self.known_hosts = work / "known_hosts"
        self.known_hosts.write_text(known_hosts_line(self.address.host, self.port, self.address.host_public_key) + "\n")

    def start(self) -> ServerAddress:
        users = {party: public_key_of(getattr(self.keys, party)) for party in ("agentschap", "vdab")}
        if self.kind == "embedded":
            self._server = EmbeddedSftpServer(self.root, users, self.keys.host, port=self.port)
            self.user = {party: party for party in users}
        else:
            self._server = OpenSshServer(
                self.root, users.values(), self.keys.host, workdir=self.work / "sshd", port=self.port
            )
            self.user = dict.fromkeys(users, self._server.user)
        address = self._server.start()
        self.port = address.port
        return address

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def endpoint(self, party: str, *, key: Path | None = None, known_hosts: Path | None = None) -> Endpoint:
        return Endpoint(
            "127.0.0.1",
            self.port,
            self.user[party],
            key or getattr(self.keys, party),
            known_hosts or self.known_hosts,
        )

    def client(self, party: str, audit: AuditLog | None = None, retry: RetryPolicy = FAST, **kw: Path) -> SftpTransport:
        return SftpTransport(self.endpoint(party, **kw), audit=audit, retry=retry, progress=False)


@pytest.fixture(params=["embedded", "openssh"])
def exchange(request: pytest.FixtureRequest, keys: Keys, tmp_path: Path) -> Iterator[Exchange]:
    if request.param == "openssh":
        require_tool("sshd", "/usr/sbin/sshd")
        assert find_sshd() is not None
    ex = Exchange(request.param, tmp_path / "exchange", keys, tmp_path)
    try:
        yield ex
    finally:
        ex.stop()
