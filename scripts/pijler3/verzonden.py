"""The lines of a wave's request, kept as keyed digests, so that a correction notice (art. 7) about records this
party never exchanged is recognised without keeping a single INSZ.

Both parties' notices name records of the request: VDAB's name its lines (invalid or doubled), the agencies' name
numbers of VDAB's enrichment, which answers the request line for line. So each party remembers the request when it
holds it in clear — the agencies when they send it, VDAB when it receives it (``pijler3.legs``) — as the sorted set of
``HMAC-SHA-256(key, line)`` (first 128 bits, hex), the key derived from the party's current age identity (a secret
that never leaves its key folder, like the pseudonym key). Without that key the digests cannot be tested against
candidate numbers, so the file holds no personal data; with it, the receiver of a notice checks each record
(``not_sent``). The file names the fingerprint of the identity used: after a rotation the old identity still opens
it; once that identity is retired, the wave's notices can no longer be checked (``not_sent`` is ``None``).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from collections.abc import Iterable
from pathlib import Path

from pijler3.config import PartyConfig
from pijler3.errors import ConfigError
from pijler3.files import write_json
from pijler3.keys import load_identities

RECORDS_FORMAT = "pijler3-aanvraag-records"
_LABEL = b"pijler3: the lines of a request, to check the records of a correction notice"


def records_path(config: PartyConfig, wave: str) -> Path:
    return config.work / wave / "aanvraag.records.json"


def _key(config: PartyConfig, fingerprint: str | None = None) -> tuple[str, bytes] | None:
    identities = load_identities(config.age_identity)
    chosen = fingerprint or next(iter(identities))
    identity = identities.get(chosen)
    if identity is None:
        return None
    return chosen, hmac.new(str(identity).encode("ascii"), _LABEL, hashlib.sha256).digest()


def _digest(key: bytes, value: str) -> str:
    return hmac.new(key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def remember(config: PartyConfig, wave: str, request: Path) -> None:
    """Keep the digests of the lines of ``request`` (a CSV with a header line) for ``wave``."""
    found = _key(config)
    assert found is not None
    fingerprint, key = found
    with request.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows, None)
        digests = sorted({_digest(key, row[0] if row else "") for row in rows})
    write_json(
        records_path(config, wave),
        {"format": RECORDS_FORMAT, "version": 1, "key": fingerprint, "records": digests},
        0o600,
    )


def not_sent(config: PartyConfig, wave: str, values: Iterable[str]) -> int | None:
    """How many of ``values`` are no line of ``wave``'s request; ``None`` when that cannot be told (nothing was
    remembered for the wave, or its key was retired)."""
    path = records_path(config, wave)
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: the request's records are damaged ({exc}); delete it to skip the check") from None
    if not (isinstance(data, dict) and data.get("format") == RECORDS_FORMAT and isinstance(data.get("records"), list)):
        raise ConfigError(f"{path}: not a pijler3 file of request records; delete it to skip the check")
    found = _key(config, str(data.get("key")))
    if found is None:
        return None
    records = set(data["records"])
    return sum(1 for value in values if _digest(found[1], value) not in records)
