"""Debian's OpenSSH ``sshd`` started unprivileged on a loopback port, serving SFTP only from an exchange root.

Used by the tests, the benchmark and ``pijler3 demo --sftp openssh`` to prove the client against the server real
installations run. sshd only logs in the account it runs as unless it runs as root, so here every authorised key
(both parties') logs in as the current OS user; a production server gives each party its own account and key
(docs/sftp.md). ``ForceCommand internal-sftp -d ROOT`` starts every session in the exchange root, with no shell,
no forwarding and no tty.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from pijler3.errors import ConfigError, Pijler3Error
from pijler3.sftp import INBOX
from pijler3.sftp.keys import public_key_of
from pijler3.sftp.server import LOOPBACK, ServerAddress

_DEFAULT_SSHD = "/usr/sbin/sshd"
_START_TIMEOUT_S = 15.0
# sshd running as root insists on this empty directory to chroot its unprivileged pre-auth child into.
_PRIVSEP_DIR = Path("/run/sshd")


def find_sshd() -> str | None:
    """Absolute path of sshd (it refuses to start from a relative one), or None when OpenSSH is not installed."""
    found = shutil.which("sshd") or (_DEFAULT_SSHD if os.access(_DEFAULT_SSHD, os.X_OK) else None)
    return os.path.abspath(found) if found else None


class OpenSshServer:
    """``with OpenSshServer(root, [pub_line, ...], host_key, workdir=...) as address:`` — sshd for the current user."""

    def __init__(
        self,
        root: Path,
        authorized_keys: Iterable[str],
        host_key: Path,
        *,
        workdir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        sshd: str | None = None,
    ) -> None:
        if host not in LOOPBACK:
            raise ConfigError(f"OpenSSH test server: refusing to listen on {host!r}; it serves loopback only")
        self.root = Path(root).resolve()
        self.workdir = Path(workdir).resolve()
        self.host_key = Path(host_key).resolve()
        for path in (self.root, self.workdir, self.host_key):
            if any(c.isspace() for c in str(path)) or "%" in str(path):
                raise ConfigError(
                    f"OpenSSH test server: path {path} contains whitespace or '%', which sshd_config cannot hold"
                )
        self.keys = [line.strip() for line in authorized_keys]
        if not self.keys:
            raise ConfigError("OpenSSH test server: no authorised keys given")
        self.host = host
        self.port = port
        self.user = getpass.getuser()
        found = sshd or find_sshd()
        if found is None:
            raise ConfigError("OpenSSH sshd is not installed (apt-get install openssh-server); use the embedded server")
        self.sshd = os.path.abspath(found)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: deque[str] = deque(maxlen=200)
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def log(self) -> list[str]:
        """sshd's recent log lines (it logs to stderr with ``-e``)."""
        return list(self._log)

    def start(self) -> ServerAddress:
        for folder in INBOX.values():
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            _PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        if self.port == 0:
            self.port = _free_loopback_port(self.host)
        authorized = self.workdir / "authorized_keys"
        authorized.write_text("".join(f"restrict {line}\n" for line in self.keys), encoding="ascii")
        config = self.workdir / "sshd_config"
        config.write_text(self._config(authorized), encoding="ascii")
        self._process = subprocess.Popen(
            [self.sshd, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._reader = threading.Thread(target=self._read_log, name="sshd-log", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._listening.wait(0.05):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise Pijler3Error(
                    f"OpenSSH sshd ({self.sshd}) did not start on {self.host}:{self.port}: "
                    + (" | ".join(self.log[-5:]) or "no output")
                )
        return ServerAddress(self.host, self.port, public_key_of(self.host_key))

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        if self._process.stderr is not None:
            self._process.stderr.close()
        self._process = None
        self._listening.clear()

    def __enter__(self) -> ServerAddress:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _config(self, authorized: Path) -> str:
        return "\n".join(
            [
                f"ListenAddress {self.host}:{self.port}",
                f"HostKey {self.host_key}",
                "PidFile none",
                f"AuthorizedKeysFile {authorized}",
                # The test tree lives under /tmp with whatever modes pytest gives it.
                "StrictModes no",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "UsePAM no",
                f"AllowUsers {self.user}",
                "AllowTcpForwarding no",
                "AllowAgentForwarding no",
                "AllowStreamLocalForwarding no",
                "X11Forwarding no",
                "PermitTTY no",
                "PermitTunnel no",
                "PermitUserRC no",
                "Subsystem sftp internal-sftp",
                f"ForceCommand internal-sftp -d {self.root}",
                "LogLevel VERBOSE",
                "",
            ]
        )

    def _read_log(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for raw in self._process.stderr:
            line = raw.decode(errors="replace").rstrip()
            self._log.append(line)
            if line.startswith("Server listening on"):
                self._listening.set()


def _free_loopback_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
