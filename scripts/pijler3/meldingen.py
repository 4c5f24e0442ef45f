"""Art. 7 correction notices ("meldingen"): a party that finds wrong, missing or outdated data of the other party
notifies it at once; the receiver investigates, takes measures within two weeks and informs the sender.

What travels. A notice is the small CSV ``WAVE.melding.csv`` (columns ``MELDING_COLUMNS``), one row per record: the
identifier the receiver already holds (the INSZ of the request — nothing else identifies a person to both parties),
a reason code from ``REDENEN`` and, as detail, only the name of the art. 3 attribute concerned or why a number is
invalid. It is sealed and sent as an envelope of kind ``melding`` over the wave's SFTP legs (``pijler3.legs``), with
the same signature, ledger, replay and audit machinery as every exchanged file. One notice per sender and wave; its
id is ``WAVE-SENDER``. The answer, ``WAVE.antwoord.csv`` (``ANTWOORD_COLUMNS``: id, counts per reason, the answer
text), holds no personal data.

Where the findings come from: the dbt models of ``models/uitwisseling/melding/`` on the checks the wave's staging
already makes, built by the wave's own dbt build and read while the restricted data still exist.
- The agencies (``melding_aan_vdab``, read after ``build-dataset``): a newcomer they referred to VDAB (KBI
  ``datum_toeleiding_vdab`` on or before the reference date) whom VDAB's enrichment marks as not known
  (``gekend_bij_vdab`` false, the link mart_datakwaliteit counts): VDAB may hold the person under a wrong or missing
  INSZ.
- VDAB (``melding_aan_agentschap``, read after ``build-enrichment``, before the request is removed): the lines of the
  request that staging (``stg_uitwisseling__aanvraag``) found invalid, with its reason, or duplicated.

Privacy choice (documented in docs/maatregelen.md). The receiver never keeps a notice's plaintext: it is opened into
a temporary folder in the party's work area, read, and deleted before the load returns. The *sealed* envelope is
kept in ``<work>/meldingen/ontvangen/`` (encrypted at rest, so the INSZ scans of plaintext and databases still hold);
``pijler3 meldingen toon ID`` verifies and decrypts it in memory and prints the records, writing no file. The sender
keeps no plaintext either: its notice file exists only between the query and the seal. The register
(``<work>/meldingen/register.json``) holds per notice only its id, wave, sender and recipient, when it was sent or
received, the due date (received + 14 days: "binnen een periode van 2 weken"), the counts per reason, the status, and
the answer text and time. Times come from ``pijler3.clock``; a ``today`` parameter stands in for it in tests, as
elsewhere in the package.

The register is reproducible from the audit chain: every change to it is paired with an audit event that carries
what changed (``melding-verzonden``, ``melding-ontvangen``, ``melding-beantwoord``, ``melding-antwoord-verzonden``,
``melding-antwoord-ontvangen``; an answer text as its sha-256 only), and ``check_register`` (run by ``pijler3 audit
verify`` and the evidence report) rebuilds the register from them and names the first notice and field that
differ: a register edited by hand fails verification.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

import duckdb

from pijler3 import insz
from pijler3.audit import AuditLog, ChainStatus, Scalar, read_audit_log
from pijler3.clock import parse_timestamp, utc_now, utc_timestamp
from pijler3.config import PartyConfig
from pijler3.envelope import check_wave, read_envelope
from pijler3.errors import ConfigError, InputError
from pijler3.files import atomic_write, exclusive_lock, read_json_entries, write_json
from pijler3.keys import PARTIES, Party, other_party
from pijler3.legs import KeptEnvelope, LegResult, receive_kept, run_leg

REDENEN: Mapping[str, str] = {
    "insz_onbekend_bij_vdab": "door de Agentschappen naar VDAB toegeleid, maar het INSZ-nummer is niet gekend bij VDAB",
    "insz_ongeldig": "ongeldig INSZ-nummer in de aanvraag (detail: waarom)",
    "insz_dubbel": "INSZ-nummer meer dan eens in de aanvraag",
}
"""The fixed list of reason codes (Dutch, as the DPOs read them) with their meaning."""

TERMIJN = dt.timedelta(days=14)
"""Art. 7: the receiver answers "binnen een periode van 2 weken"."""

MELDING_COLUMNS = ("melding_id", "golf", "afzender", "aangemaakt_op", "insz", "reden", "detail")
ANTWOORD_COLUMNS = ("melding_id", "golf", "afzender", "beantwoord_op", "reden", "aantal", "antwoord")
REGISTER_FORMAT = "pijler3-meldingen"

CHECKS: Mapping[Party, str] = {
    "agentschap": "select insz, reden, detail from main.melding_aan_vdab order by reden, insz",
    "vdab": "select insz, reden, detail from main.melding_aan_agentschap order by reden, insz",
}
"""Per sender, its notice's records: the dbt models of ``models/uitwisseling/melding/`` (tables on the wave's
staging, in the restricted database like the other exchange files), built by the wave's own dbt build."""

Richting = Literal["verzonden", "ontvangen"]
Status = Literal["open", "beantwoord", "te laat"]


@dataclass(frozen=True)
class Melding:
    """One notice in a party's register, sent or received; never a record of it."""

    id: str
    richting: Richting
    golf: str
    afzender: Party
    ontvanger: Party
    aangemaakt_op: str
    geregistreerd_op: str
    """When it was sent (``verzonden``) or received and loaded (``ontvangen``)."""
    uiterlijk: str
    """The due date of the answer, ``geregistreerd_op`` + 14 days (a date)."""
    aantallen: dict[str, int]
    antwoord: str | None = None
    beantwoord_op: str | None = None
    antwoord_verzonden: bool = False
    """Received notices: whether the answer reached the server (``beantwoord`` sends it again when not)."""

    @property
    def rijen(self) -> int:
        return sum(self.aantallen.values())

    def status(self, today: dt.date | None = None) -> Status:
        """``beantwoord`` once answered, ``te laat`` after the due date (``today`` defaults to the clock's)."""
        if self.beantwoord_op is not None:
            return "beantwoord"
        return "te laat" if (today or utc_now().date()) > dt.date.fromisoformat(self.uiterlijk) else "open"


def melding_id(wave: str, sender: Party) -> str:
    return f"{check_wave(wave)}-{sender}"


def _parse_id(config: PartyConfig, text: str) -> tuple[str, Party]:
    wave, sep, sender = text[:7], text[7:8], text[8:]
    if sep != "-" or sender not in PARTIES:
        raise InputError(f"notice id {text!r}: expected WAVE-PARTY, e.g. 2026-S1-{config.party}")
    return check_wave(wave), cast(Party, sender)


# ---- the register --------------------------------------------------------------------------------------------------


def register_path(config: PartyConfig) -> Path:
    return config.work / "meldingen" / "register.json"


def kept_folder(config: PartyConfig) -> Path:
    """Where received notices stay, sealed."""
    return config.work / "meldingen" / "ontvangen"


def lees_register(config: PartyConfig) -> list[Melding]:
    """The party's notices, sent and received, in the order they were registered."""
    path = register_path(config)
    entries = read_json_entries(
        path, format=REGISTER_FORMAT, field="meldingen", what="register of correction notices (art. 7)"
    )
    try:
        return [Melding(**entry) for entry in entries]
    except TypeError as exc:
        raise ConfigError(f"{path}: a notice in the register is damaged ({exc}); restore it from backup") from None


@contextmanager
def _register_update(config: PartyConfig) -> Iterator[list[Melding]]:
    """The register's notices to change in place; written back atomically, one update at a time."""
    path = register_path(config)
    with exclusive_lock(path):
        notices = lees_register(config)
        yield notices
        # For the party's account only, also when written outside a wave (whose umask is 077).
        write_json(path, {"format": REGISTER_FORMAT, "version": 1, "meldingen": [vars(m) for m in notices]}, 0o600)


def _upsert(notices: list[Melding], new: Melding) -> None:
    for index, old in enumerate(notices):
        if (old.id, old.richting) == (new.id, new.richting):
            notices[index] = new
            return
    notices.append(new)


def _find(notices: list[Melding], notice_id: str, richting: Richting) -> Melding | None:
    return next((m for m in notices if m.id == notice_id and m.richting == richting), None)


def _due(registered: str) -> str:
    return (parse_timestamp(registered) + TERMIJN).date().isoformat()


# ---- sending a notice during the wave ------------------------------------------------------------------------------


def verstuur_melding(config: PartyConfig, wave: str, database: Path) -> Melding | None:
    """Run the party's check (``CHECKS``) on ``database`` for ``wave``; when it finds records, write the notice,
    seal and send it (leg ``send-melding``), remove the plaintext and register the notice as sent. ``None`` when the
    check found nothing: then nothing is sent."""
    check_wave(wave)
    with duckdb.connect(str(database), read_only=True) as con:
        records = con.execute(CHECKS[config.party]).fetchall()
    if not records:
        return None
    notice_id = melding_id(wave, config.party)
    created = utc_timestamp()
    result = _send_csv(
        config,
        wave,
        "melding",
        MELDING_COLUMNS,
        [(notice_id, wave, config.party, created, insz_, reden, detail) for insz_, reden, detail in records],
    )
    sent_at = utc_timestamp()
    melding = Melding(
        id=notice_id,
        richting="verzonden",
        golf=wave,
        afzender=config.party,
        ontvanger=other_party(config.party),
        aangemaakt_op=created,
        geregistreerd_op=sent_at,
        uiterlijk=_due(sent_at),
        aantallen=dict(sorted(Counter(str(r[1]) for r in records).items())),
    )
    with _register_update(config) as notices:
        registered = _find(notices, notice_id, "verzonden") is None or result.done
        if registered:
            _upsert(notices, melding)
    if registered:
        AuditLog(config.audit_log, config.party).record(
            "melding-verzonden", recipient=melding.ontvanger, **_registration(melding)
        )
    return melding


def _registration(melding: Melding) -> dict[str, Scalar]:
    """What a ``melding-verzonden`` or ``melding-ontvangen`` event records of the notice, so that the register can be
    rebuilt from the log (``check_register``)."""
    return {
        "melding_id": melding.id,
        "wave": melding.golf,
        "created_at": melding.aangemaakt_op,
        "registered_at": melding.geregistreerd_op,
        "rows": melding.rijen,
        **{f"aantal_{reden}": count for reden, count in melding.aantallen.items()},
    }


def _answer(melding: Melding) -> dict[str, Scalar]:
    """What an event about an answer records of it: when, and the text's sha-256 (the text itself stays out)."""
    return {
        "melding_id": melding.id,
        "wave": melding.golf,
        "answered_at": melding.beantwoord_op,
        "antwoord_sha256": _text_sha256(melding.antwoord),
    }


def _send_csv(
    config: PartyConfig,
    wave: str,
    kind: Literal["melding", "antwoord"],
    header: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> LegResult:
    """Write ``WAVE.KIND.csv`` in the outgoing folder, seal and upload it (leg ``send-KIND``), then delete the clear
    copy: sealed and on the server, or not sent at all, it may not stay (a notice holds INSZ numbers)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    plaintext = config.outgoing / f"{wave}.{kind}.csv"
    try:
        with atomic_write(plaintext, 0o600) as handle:
            handle.write(buffer.getvalue().encode("utf-8"))
        return run_leg(f"send-{kind}", config, wave, progress=False)
    finally:
        plaintext.unlink(missing_ok=True)


def _read_csv(data: bytes, header: tuple[str, ...], where: str) -> list[dict[str, str]]:
    try:
        reader = csv.reader(io.StringIO(data.decode("utf-8")))
        found = next(reader, None)
        rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{where}: not a UTF-8 CSV file ({exc})") from None
    if tuple(found or ()) != header:
        raise InputError(f"{where}: columns {found} — expected {', '.join(header)}")
    bad = next((n for n, row in enumerate(rows, start=2) if len(row) != len(header)), None)
    if bad is not None:
        raise InputError(f"{where}, line {bad}: {len(rows[bad - 2])} fields, expected {len(header)}")
    return [dict(zip(header, row, strict=True)) for row in rows]


# ---- receiving notices and answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Geladen:
    meldingen: tuple[Melding, ...]
    """Notices received now."""
    antwoorden: tuple[Melding, ...]
    """Our sent notices whose answer arrived now."""
    geweigerd: int
    """Envelopes refused (a replay, a changed ciphertext) and moved to quarantine."""


def laad_binnenkomend(config: PartyConfig) -> Geladen:
    """Load every notice and answer the other party uploaded for us: verify and open each in a temporary folder,
    register it, delete the plaintext; a notice's sealed envelope is kept (``kept_folder``)."""
    audit = AuditLog(config.audit_log, config.party)
    keep = kept_folder(config)
    keep.mkdir(parents=True, exist_ok=True)
    config.work.mkdir(parents=True, exist_ok=True)
    received: list[Melding] = []
    answered: list[Melding] = []
    with tempfile.TemporaryDirectory(dir=config.work, prefix=".meldingen-") as temp:
        notices = receive_kept(config, "melding", keep, Path(temp))
        for kept in notices.kept:
            rows = _read_and_remove(kept, MELDING_COLUMNS)
            received.append(_register_received(config, kept.opened.manifest.wave, kept.opened.manifest.sender, rows))
        answers = receive_kept(config, "antwoord", keep / "antwoorden", Path(temp))
        for kept in answers.kept:
            answered.append(
                _register_answer(config, kept.opened.manifest.wave, _read_and_remove(kept, ANTWOORD_COLUMNS))
            )
    for melding in received:
        audit.record("melding-ontvangen", sender=melding.afzender, due=melding.uiterlijk, **_registration(melding))
    for melding in answered:
        audit.record("melding-antwoord-ontvangen", sender=melding.ontvanger, **_answer(melding))
    return Geladen(tuple(received), tuple(answered), notices.refused + answers.refused)


def _read_and_remove(kept: KeptEnvelope, header: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of an opened envelope's plaintext, which is deleted right after it is read."""
    plaintext = kept.opened.plaintext
    try:
        return _read_csv(plaintext.read_bytes(), header, kept.sealed.name)
    finally:
        plaintext.unlink()


def _register_received(config: PartyConfig, wave: str, sender: Party, rows: list[dict[str, str]]) -> Melding:
    expected = melding_id(wave, sender)
    ids = {row["melding_id"] for row in rows}
    if ids != {expected}:
        raise InputError(f"notice of {sender} for wave {wave}: holds notice id(s) {sorted(ids)}, expected {expected}")
    counts = Counter(row["reden"] for row in rows)
    unknown = set(counts) - set(REDENEN)
    if unknown:
        raise InputError(f"notice {expected}: reason(s) {', '.join(sorted(unknown))} are not in the fixed list")
    now = utc_timestamp()
    melding = Melding(
        id=expected,
        richting="ontvangen",
        golf=wave,
        afzender=sender,
        ontvanger=config.party,
        aangemaakt_op=rows[0]["aangemaakt_op"],
        geregistreerd_op=now,
        uiterlijk=_due(now),
        aantallen=dict(sorted(counts.items())),
    )
    with _register_update(config) as notices:
        _upsert(notices, melding)
    return melding


def _register_answer(config: PartyConfig, wave: str, rows: list[dict[str, str]]) -> Melding:
    expected = melding_id(wave, config.party)
    if not rows or {row["melding_id"] for row in rows} != {expected}:
        raise InputError(f"answer for wave {wave}: does not answer our notice {expected}")
    with _register_update(config) as notices:
        sent = _find(notices, expected, "verzonden")
        if sent is None:
            raise InputError(f"answer to notice {expected}: we have no such sent notice in {register_path(config)}")
        answered = replace(sent, antwoord=rows[0]["antwoord"], beantwoord_op=rows[0]["beantwoord_op"])
        _upsert(notices, answered)
    return answered


# ---- answering, listing, showing -----------------------------------------------------------------------------------


def beantwoord(config: PartyConfig, notice_id: str, tekst: str) -> Melding:
    """Record the answer to a received notice, write an audit event and send the answer (leg ``send-antwoord``):
    the notice id, the counts per reason and ``tekst``, no personal data. Run again after a failed send, it sends the
    recorded answer."""
    wave, sender = _parse_id(config, notice_id)
    tekst = tekst.strip()
    if not tekst:
        raise InputError("the answer is empty: say what was investigated and which measures were taken")
    if insz.shaped_in(tekst):
        raise InputError(
            "the answer holds what looks like an INSZ number (not shown here); answers carry no personal data —"
            " describe the measures, use `pijler3 meldingen toon` to look at the records"
        )
    with _register_update(config) as notices:
        received = _find(notices, notice_id, "ontvangen")
        if received is None:
            raise InputError(f"no received notice {notice_id} in {register_path(config)}; see `pijler3 meldingen`")
        if received.antwoord_verzonden:
            raise InputError(f"notice {notice_id} was answered on {received.beantwoord_op}; an answer is sent once")
        if received.antwoord is not None and received.antwoord != tekst:
            raise InputError(
                f"notice {notice_id}: an answer was recorded on {received.beantwoord_op} but not sent yet; run the"
                " command again with the same text to send it"
            )
        if received.antwoord is None:
            received = replace(received, antwoord=tekst, beantwoord_op=utc_timestamp())
            _upsert(notices, received)
    audit = AuditLog(config.audit_log, config.party)
    audit.record("melding-beantwoord", sender=sender, on_time=_on_time(received), **_answer(received))
    _send_csv(
        config,
        wave,
        "antwoord",
        ANTWOORD_COLUMNS,
        [
            (notice_id, wave, config.party, received.beantwoord_op, reden, count, received.antwoord)
            for reden, count in received.aantallen.items()
        ],
    )
    with _register_update(config) as notices:
        current = _find(notices, notice_id, "ontvangen")
        assert current is not None
        received = replace(current, antwoord_verzonden=True)
        _upsert(notices, received)
    audit.record("melding-antwoord-verzonden", melding_id=notice_id, wave=wave)
    return received


def _on_time(melding: Melding) -> bool:
    answered = parse_timestamp(melding.beantwoord_op or utc_timestamp()).date()
    return answered <= dt.date.fromisoformat(melding.uiterlijk)


def toon(config: PartyConfig, notice_id: str) -> list[dict[str, str]]:
    """The records of a received notice, from its kept envelope, verified and decrypted in memory (no file written)."""
    wave, sender = _parse_id(config, notice_id)
    if _find(lees_register(config), notice_id, "ontvangen") is None:
        raise InputError(
            f"no received notice {notice_id}: only the receiver can open a notice (a sent one is encrypted for the"
            " other party); see `pijler3 meldingen`"
        )
    sealed = kept_folder(config) / f"{wave}.melding.csv.age"
    manifest, data = read_envelope(
        sealed, sender_bundle=config.peer_bundle, identity=config.age_identity, kind="melding"
    )
    if (manifest.wave, manifest.sender) != (wave, sender):
        raise InputError(f"{sealed}: holds the notice of {manifest.sender} for {manifest.wave}, not {notice_id}")
    AuditLog(config.audit_log, config.party).record("melding-getoond", melding_id=notice_id, wave=wave)
    return _read_csv(data, MELDING_COLUMNS, sealed.name)


# ---- the register reproduced from the audit chain ------------------------------------------------------------------


def _text_sha256(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def _replayed(config: PartyConfig) -> dict[tuple[str, str], tuple[Melding, int]]:
    """The register as the audit log's events build it, each notice with the line of the last event that changed it;
    ``antwoord`` holds the answer's sha-256. ``InputError`` naming the line of an event that cannot be replayed."""
    notices: dict[tuple[str, str], tuple[Melding, int]] = {}
    if not config.audit_log.is_file():
        return notices
    for line, event in enumerate(read_audit_log(config.audit_log), start=1):
        name = event.get("event")
        if not (isinstance(name, str) and name.startswith("melding-")) or name == "melding-getoond":
            continue
        try:
            notice_id = str(event["melding_id"])
            if name in ("melding-verzonden", "melding-ontvangen"):
                sent = name == "melding-verzonden"
                party, other = config.party, cast(Party, str(event["recipient" if sent else "sender"]))
                registered = str(event["registered_at"])
                notices[(notice_id, "verzonden" if sent else "ontvangen")] = (
                    Melding(
                        id=notice_id,
                        richting="verzonden" if sent else "ontvangen",
                        golf=str(event["wave"]),
                        afzender=party if sent else other,
                        ontvanger=other if sent else party,
                        aangemaakt_op=str(event["created_at"]),
                        geregistreerd_op=registered,
                        uiterlijk=_due(registered),
                        aantallen={
                            key.removeprefix("aantal_"): int(value)  # type: ignore[arg-type]
                            for key, value in sorted(event.items())
                            if key.startswith("aantal_")
                        },
                    ),
                    line,
                )
                continue
            richting: Richting = "verzonden" if name == "melding-antwoord-ontvangen" else "ontvangen"
            known = notices.get((notice_id, richting))
            if known is None:
                raise InputError(
                    f"{config.audit_log}, line {line}: {name} for notice {notice_id!r}, which no earlier "
                    "event registered"
                )
            if name == "melding-antwoord-verzonden":
                changed = replace(known[0], antwoord_verzonden=True)
            else:
                changed = replace(
                    known[0], antwoord=str(event["antwoord_sha256"]), beantwoord_op=str(event["answered_at"])
                )
            notices[(notice_id, richting)] = (changed, line)
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(
                f"{config.audit_log}, line {line}: the {name} event lacks what the register needs ({exc})"
            ) from None
    return notices


def check_register(config: PartyConfig, status: ChainStatus) -> ChainStatus:
    """``status`` (of the audit chain) with a problem when the notice register differs from the one the log's events
    reproduce: names the first notice and field that differ. A chain that did not verify is returned as it is."""
    if not status.ok:
        return status
    path = register_path(config)
    try:
        replayed = _replayed(config)
        register = lees_register(config)
    except (InputError, ConfigError) as exc:
        return replace(status, problem=f"the register of notices cannot be checked against the log: {exc}")
    for melding in register:
        found = replayed.pop((melding.id, melding.richting), None)
        what = f"{path}: notice {melding.id[:40]!r} ({melding.richting[:12]!r})"
        if found is None:
            return replace(status, problem=f"{what} is in the register, but no audit event registered it")
        expected, line = found
        kept = replace(melding, antwoord=_text_sha256(melding.antwoord))
        for name in vars(expected):
            if getattr(kept, name) != getattr(expected, name):
                shown = (
                    "differs"
                    if name == "antwoord"
                    else (f"is {str(getattr(melding, name))[:40]!r}, but the log says {getattr(expected, name)!r}")
                )
                return replace(status, problem=f"{what}: {name} {shown} (audit log line {line})", line=line)
    if replayed:
        (notice_id, richting), (_, line) = next(iter(replayed.items()))
        return replace(
            status,
            problem=f"{path}: notice {notice_id} ({richting}), registered by audit log line {line}, is missing",
            line=line,
        )
    return status
