"""SFTP legs of the exchange: the paramiko client (``transport``), the embedded loopback server (``server``), the
OpenSSH ``sshd`` launcher (``openssh``) and SSH key helpers (``keys``).

The server is a transit point with one folder per direction, named after the receiving party (see docs/sftp.md):
the agencies write into ``naar-vdab/`` and read from ``naar-agentschap/``; VDAB the other way round.
"""

from __future__ import annotations

from pijler3.errors import ConfigError

PARTIES = ("agentschap", "vdab")

INBOX = {"agentschap": "naar-agentschap", "vdab": "naar-vdab"}
"""Remote folder (relative to the exchange root) each party receives its files in."""


def _checked(party: str) -> str:
    if party not in INBOX:
        raise ConfigError(f"unknown party {party!r}: expected one of {', '.join(PARTIES)}")
    return party


def inbox(party: str) -> str:
    """The remote folder ``party`` downloads from (and deletes from once it has opened a file)."""
    return INBOX[_checked(party)]


def outbox(party: str) -> str:
    """The remote folder ``party`` uploads into: the other party's inbox."""
    (other,) = (p for p in PARTIES if p != _checked(party))
    return INBOX[other]
