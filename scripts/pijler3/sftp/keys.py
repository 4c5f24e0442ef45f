"""SSH key files: Ed25519 key pairs in OpenSSH format, fingerprints and ``known_hosts`` lines.

Private keys are written with mode 0600 and refused when others can read them, as ssh does.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pijler3.errors import ConfigError


def generate_ed25519(private_path: Path, comment: str) -> str:
    """Write a new key pair to ``private_path`` (0600) and ``private_path.pub``; returns the public key line."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    line = f"{public} {comment}".strip()
    private_path = Path(private_path)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    temp = private_path.with_name(private_path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    os.replace(temp, private_path)
    Path(f"{private_path}.pub").write_text(line + "\n", encoding="ascii")
    return line


def read_public_key(path: Path) -> str:
    """The first ``type base64 [comment]`` line of an OpenSSH public key file."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"public key {path}: cannot read it ({exc})") from exc
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            _blob(line, str(path))
            return line.strip()
    raise ConfigError(f"public key {path} is empty")


def public_key_of(private_path: Path) -> str:
    """The ``type base64`` public key line of an unencrypted OpenSSH private key file."""
    try:
        key = serialization.load_ssh_private_key(Path(private_path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"private key {private_path}: cannot read it as an unencrypted OpenSSH key ({exc})") from exc
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def fingerprint(public_line: str) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint of a public key line (what ``ssh-keygen -lf`` prints)."""
    digest = hashlib.sha256(_blob(public_line, "public key")).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(host: str, port: int) -> str:
    """How ``known_hosts`` names a server: bare host on port 22, ``[host]:port`` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


def known_hosts_line(host: str, port: int, public_line: str) -> str:
    key_type, key_data = public_line.split()[:2]
    return f"{known_hosts_name(host, port)} {key_type} {key_data}"


def _blob(public_line: str, where: str) -> bytes:
    parts = public_line.split()
    if len(parts) < 2:
        raise ConfigError(f"{where}: not an OpenSSH public key line ('ssh-ed25519 AAAA... comment')")
    try:
        return base64.b64decode(parts[1], validate=True)
    except ValueError:
        raise ConfigError(f"{where}: the key data is not valid base64") from None
