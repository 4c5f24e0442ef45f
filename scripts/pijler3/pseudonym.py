"""The keyed pseudonym that replaces the INSZ on the agencies' side: hex HMAC-SHA-256 over the normalised INSZ.

The secret is 256 bits that only the agencies hold. It lives in ONE file (``pseudonym.key``): 64 lower-case hex
characters and a newline, mode 0600, written once by ``pijler3 keys generate --party agentschap`` (``pijler3.keys``).
This module is the only place that reads it: the dbt plugin (``pijler3.dbt_plugin``) goes through ``load_key``, so the
secret never passes through SQL, a profile, an environment variable or a command line. An unkeyed hash would not do:
about 3.6e7 register numbers exist per century, so ``sha256(insz)`` is reversed by brute force in seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from functools import lru_cache
from pathlib import Path

from pijler3 import insz
from pijler3.errors import ConfigError
from pijler3.keys import check_private_file

KEY_BYTES = 32
KEY_HEX_CHARS = 2 * KEY_BYTES
# Staging decides validity with the wave's reference year; the pseudonym must not depend on the clock of the run, so
# both centuries are allowed here (a rerun of an old wave gives the same pseudonyms).
_NO_CENTURY_LIMIT = dt.date.max


def load_key(path: Path) -> bytes:
    """The 32-byte secret from ``path``; refuses a missing file, a file others may read, or a malformed content."""
    check_private_file(path, "pseudonym key")
    try:
        text = path.read_text(encoding="ascii")
    except (UnicodeDecodeError, PermissionError) as exc:
        raise ConfigError(f"{path}: cannot read the pseudonym key as ASCII text ({type(exc).__name__})") from None
    # Deliberately no part of the content in any message: an error text ends up in dbt's logs.
    content = text.strip()
    if len(content) != KEY_HEX_CHARS:
        raise ConfigError(
            f"{path}: pseudonym key must be {KEY_HEX_CHARS} hex characters ({KEY_BYTES} bytes) and a newline, "
            f"found {len(content)} characters"
        )
    try:
        return bytes.fromhex(content)
    except ValueError:
        raise ConfigError(f"{path}: pseudonym key contains characters other than 0-9 and a-f") from None


def pseudoniem(key: bytes, number: str) -> str:
    """Hex HMAC-SHA-256 of the normalised INSZ under ``key``.

    Raises ``ValueError`` without repeating the number when it is not a valid INSZ: the message reaches dbt's logs,
    which must stay free of INSZ.
    """
    try:
        normalised = insz.normalise(number, today=_NO_CENTURY_LIMIT)
    except ValueError:
        raise ValueError(
            "pijler3_pseudoniem: input is not a valid INSZ (value withheld from this message); "
            "only staging's normalised `insz` column may be pseudonymised"
        ) from None
    return hmac.new(key, normalised.encode("ascii"), hashlib.sha256).hexdigest()


RECORDSLEUTEL_CONTEXT = b"pijler3 recordsleutel v1\x00"
"""Domain separation: the record key is a different HMAC message than any INSZ, so it reveals nothing about the
pseudonym's own computation, and the pseudonym does not give the record key without the secret."""


def recordsleutel(key: bytes, pseudoniem_hex: str) -> int:
    """The secret record key (0 … 255) of the cell key method for a person, from their pseudonym under the agencies'
    key: the first byte of HMAC-SHA-256(key, context || pseudonym), uniform on 0 … 255. Whoever lacks the key (VDAB,
    the BI working group) cannot compute it, so cannot undo the noise of the marts."""
    if len(pseudoniem_hex) != 2 * hashlib.sha256().digest_size or not all(
        c in "0123456789abcdef" for c in pseudoniem_hex
    ):
        raise ValueError("pijler3_recordsleutel: input is not a pseudonym (64 lower-case hex characters)")
    return hmac.new(key, RECORDSLEUTEL_CONTEXT + pseudoniem_hex.encode("ascii"), hashlib.sha256).digest()[0]


PTABEL_VOLGORDE_CONTEXT = b"pijler3 ptabel-volgorde v1\x00"
"""Domain separation for the secret step of the cell key method (``ptabel_sleutel``): another HMAC message than a
pseudonym or a record key."""
CELSLEUTELS = 256
"""Cell keys are 0 … 255 (ONS convention), so the secret step permutes 256 values."""


@lru_cache(maxsize=64)
def ptabel_volgorde(key: bytes, pcv: int) -> tuple[int, ...]:
    """The secret permutation of the 256 cell keys for p-table row ``pcv``: cell key ``c`` is looked up in the p-table
    at ``ptabel_volgorde(key, pcv)[c]``. The cell keys sorted by HMAC-SHA-256(key, context || pcv || c), a keyed
    random permutation per row that is the same in every run, mart and wave (the key is fixed for the protocol).

    Cell keys add up over a partition (modulo 256) and the p-table gives its keys to the noise values in increasing
    order; without this step an attacker reads a range of cell keys off every published value and combines those
    ranges over the partitions (docs/celsleutelmethode.md). A permutation keeps every row's distribution exactly: each
    p-table key is still reached by exactly one cell key."""
    if not 0 <= pcv < 2**31:
        raise ValueError(f"ptabel_volgorde: pcv must be a non-negative integer, got {pcv}")
    prefix = PTABEL_VOLGORDE_CONTEXT + pcv.to_bytes(4, "big")
    volgorde = sorted(
        range(CELSLEUTELS), key=lambda c: hmac.new(key, prefix + c.to_bytes(2, "big"), hashlib.sha256).digest()
    )
    permutatie = [0] * CELSLEUTELS
    for positie, celsleutel in enumerate(volgorde):
        permutatie[celsleutel] = positie
    return tuple(permutatie)


def ptabel_sleutel(key: bytes, pcv: int, celsleutel: int) -> int:
    """The p-table key (``ckey``) at which a cell with p-table row ``pcv`` and cell key ``celsleutel`` finds its
    noise: the secret step between the cell key and the look-up (``ptabel_volgorde``)."""
    if not 0 <= celsleutel < CELSLEUTELS:
        raise ValueError(f"ptabel_sleutel: cell key must be 0 … {CELSLEUTELS - 1}, got {celsleutel}")
    return ptabel_volgorde(key, pcv)[celsleutel]
