"""Embedded SFTP server on loopback (asyncssh) for the demo and for tests where OpenSSH is absent.

Both parties' users are confined to the same exchange root (a virtual chroot) holding ``naar-vdab/`` and
``naar-agentschap/``: the server is a transit point, and one root is the same view that OpenSSH's
``ForceCommand internal-sftp -d ROOT`` gives. Public-key authentication only, one key list per user; no shell, no exec,
no port or agent forwarding, and it refuses to listen anywhere but loopback. The server runs in a background thread
with its own event loop, so synchronous callers (the demo, pytest) simply use it as a context manager::

    with EmbeddedSftpServer(root, users={"vdab": pub_line}, host_key=key_path) as server:
        ...  # server.host, server.port, server.host_public_key
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import asyncssh

from pijler3.errors import ConfigError, Pijler3Error
from pijler3.sftp import INBOX

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_START_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class ServerAddress:
    """Where a running server listens and the host key a client must pin."""

    host: str
    port: int
    host_public_key: str


class _SshServer(asyncssh.SSHServer):
    def __init__(self, users: Mapping[str, asyncssh.SSHAuthorizedKeys], connections: set[asyncssh.SSHServerConnection]):
        self._users = users
        self._connections = connections
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        keys = self._users.get(username)
        if keys is not None and self._conn is not None:
            self._conn.set_authorized_keys(keys)
        # Always demand authentication: an unknown user simply has no key that can match.
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False


class EmbeddedSftpServer:
    """An SFTP server on loopback for ``users`` (name -> OpenSSH public key line(s)), rooted at ``root``."""

    def __init__(
        self,
        root: Path,
        users: Mapping[str, str],
        host_key: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if host not in LOOPBACK:
            raise ConfigError(f"embedded SFTP server: refusing to listen on {host!r}; it serves loopback only")
        if not users:
            raise ConfigError("embedded SFTP server: no users given; add at least one user with a public key")
        self.root = Path(root).resolve()
        self.host = host
        self.requested_port = port
        try:
            self._host_key = asyncssh.read_private_key(str(host_key))
        except (OSError, asyncssh.KeyImportError) as exc:
            raise ConfigError(f"embedded SFTP server: cannot read host key {host_key}: {exc}") from exc
        self._users: dict[str, asyncssh.SSHAuthorizedKeys] = {}
        for name, keys in users.items():
            try:
                self._users[name] = asyncssh.import_authorized_keys(keys)
            except (ValueError, asyncssh.KeyImportError) as exc:
                raise ConfigError(f"embedded SFTP server: public key of user {name!r} is not valid: {exc}") from exc
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self.address: ServerAddress | None = None

    def start(self) -> ServerAddress:
        for folder in INBOX.values():
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="embedded-sftp-server", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            self._acceptor = asyncio.run_coroutine_threadsafe(self._listen(), loop).result(_START_TIMEOUT_S)
        except (OSError, asyncssh.Error, TimeoutError) as exc:
            self._shutdown_loop()
            raise Pijler3Error(
                f"embedded SFTP server: cannot listen on {self.host}:{self.requested_port}: {exc}; "
                "choose another port or stop whatever uses it"
            ) from exc
        public = self._host_key.export_public_key("openssh").decode().split()
        self.address = ServerAddress(self.host, self._acceptor.get_port(), f"{public[0]} {public[1]}")
        return self.address

    def stop(self) -> None:
        if self._loop is None:
            return
        if self._acceptor is not None:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(_START_TIMEOUT_S)
            self._acceptor = None
        self._shutdown_loop()

    def __enter__(self) -> ServerAddress:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    async def _listen(self) -> asyncssh.SSHAcceptor:
        root = str(self.root).encode()

        def sftp_session(chan: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
            return asyncssh.SFTPServer(chan, chroot=root)

        return await asyncssh.create_server(
            lambda: _SshServer(self._users, self._connections),
            self.host,
            self.requested_port,
            server_host_keys=[self._host_key],
            sftp_factory=sftp_session,
            allow_scp=False,
            allow_pty=False,
            agent_forwarding=False,
            x11_forwarding=False,
            reuse_address=True,
            login_timeout=30,
        )

    async def _close(self) -> None:
        assert self._acceptor is not None
        self._acceptor.close()
        for conn in list(self._connections):
            conn.close()
        await self._acceptor.wait_closed()
        for conn in list(self._connections):
            await conn.wait_closed()

    def _shutdown_loop(self) -> None:
        assert self._loop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_START_TIMEOUT_S)
        self._loop.close()
        self._loop = self._thread = None
