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
  INSZ; and a line of the enrichment with a code outside the agreed code list (``code_onbekend``, detail the column,
  never the value), which staging maps to ``onbekend``.
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

What the receiver accepts (``laad_binnenkomend``): a notice only for a wave in which it sent the file the notice is
about, and only about lines of that wave's request (``pijler3.verzonden`` keeps them as keyed digests); an answer only
to a notice it sent. Anything else is set aside into one quarantine folder (``quarantine_folder``), unopened when
possible, so it uses up no wave; after a refusal for content the sender's corrected notice is accepted.

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

from pijler3 import insz, verzonden
from pijler3.audit import AuditLog, ChainStatus, Scalar, event_time, read_audit_log
from pijler3.clock import parse_timestamp, utc_now, utc_timestamp
from pijler3.config import PartyConfig
from pijler3.envelope import WAVE_PATTERN, Manifest, check_wave, default_ledger, read_envelope
from pijler3.errors import ConfigError, InputError
from pijler3.files import atomic_write, exclusive_lock, read_json_entries, write_json
from pijler3.keys import PARTIES, Party, other_party
from pijler3.legs import QUARANTINE, KeptEnvelope, LegResult, SetAside, receive_kept, run_leg

REDENEN: Mapping[str, str] = {
    "insz_onbekend_bij_vdab": "door de Agentschappen naar VDAB toegeleid, maar het INSZ-nummer is niet gekend bij VDAB",
    "insz_ongeldig": "ongeldig INSZ-nummer in de aanvraag (detail: waarom)",
    "insz_dubbel": "INSZ-nummer meer dan eens in de aanvraag",
    "code_onbekend": "een code in het verrijkte bestand die niet in de afgesproken codelijst staat (detail: de kolom);"
    " gepubliceerd als onbekend",
}
"""The fixed list of reason codes (Dutch, as the DPOs read them) with their meaning."""

TERMIJN = dt.timedelta(days=14)
"""Art. 7: the receiver answers "binnen een periode van 2 weken"."""

_RECORDED_WITHIN = (dt.timedelta(hours=1), dt.timedelta(minutes=1))
"""A time the register takes from an event (registered, answered by us) lies at most this long before and after the
event's own time: it was recorded in the same command. The log's times do not go back (``pijler3.audit``), so a
forged event appended after the newest anchor cannot backdate an answer or a registration."""

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

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def rijen(self) -> int:
        return sum(self.aantallen.values())

    def status(self, today: dt.date | None = None) -> Status:
        """``beantwoord`` once answered (a received notice: once the answer was sent), ``te laat`` after the due
        date (``today`` defaults to the clock's)."""
        if self.beantwoord_op is not None and (self.richting == "verzonden" or self.antwoord_verzonden):
            return "beantwoord"
        return "te laat" if (today or utc_now().date()) > dt.date.fromisoformat(self.uiterlijk) else "open"


MAX_ANTWOORD = 4000
"""Longest answer text, in characters: an answer says what was investigated and done, not more."""


def _is_timestamp(value: object) -> bool:
    try:
        parse_timestamp(cast(str, value))
    except (TypeError, ValueError):
        return False
    return True


def _is_date(value: object) -> bool:
    try:
        dt.date.fromisoformat(cast(str, value))
    except (TypeError, ValueError):
        return False
    return True


def _problems(m: Melding) -> list[str]:
    """What makes ``m`` an impossible notice: the one check of a register entry, whether it was read from the
    register file or built from what the other party sent."""
    problems = []
    if not (isinstance(m.golf, str) and WAVE_PATTERN.match(m.golf)):
        problems.append(f"golf {m.golf!r} is not a wave such as 2026-S1")
    if m.afzender not in PARTIES or m.ontvanger not in PARTIES or m.afzender == m.ontvanger:
        problems.append(f"afzender {m.afzender!r} and ontvanger {m.ontvanger!r} must be the two parties")
    elif m.id != f"{m.golf}-{m.afzender}":
        problems.append(f"id {m.id!r} is not golf-afzender")
    if m.richting not in ("verzonden", "ontvangen"):
        problems.append(f"richting {m.richting!r} is not verzonden or ontvangen")
    for name, value in (("aangemaakt_op", m.aangemaakt_op), ("geregistreerd_op", m.geregistreerd_op)):
        if not _is_timestamp(value):
            problems.append(f"{name} {value!r} is not a UTC time")
    if not _is_date(m.uiterlijk):
        problems.append(f"uiterlijk {m.uiterlijk!r} is not a date")
    if not (
        isinstance(m.aantallen, dict)
        and m.aantallen
        and all(reden in REDENEN and type(n) is int and n > 0 for reden, n in m.aantallen.items())
    ):
        problems.append(f"aantallen {m.aantallen!r}: expected a positive count per reason code of the fixed list")
    if (m.antwoord is None) != (m.beantwoord_op is None):
        problems.append("antwoord and beantwoord_op go together: both set or both empty")
    if m.antwoord is not None and not (isinstance(m.antwoord, str) and 0 < len(m.antwoord) <= MAX_ANTWOORD):
        problems.append(f"antwoord: expected a text of 1 to {MAX_ANTWOORD} characters")
    if m.beantwoord_op is not None and not _is_timestamp(m.beantwoord_op):
        problems.append(f"beantwoord_op {m.beantwoord_op!r} is not a UTC time")
    if type(m.antwoord_verzonden) is not bool or (m.antwoord_verzonden and m.antwoord is None):
        problems.append("antwoord_verzonden: true only once an answer was recorded")
    if m.richting == "verzonden" and m.antwoord_verzonden:
        problems.append("antwoord_verzonden is for received notices only")
    return problems


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
    """The party's notices, sent and received, in the order they were registered; every entry checked (``_problems``,
    its party, no entry twice), so a damaged or hand-edited register stops a command before it changes anything."""
    path = register_path(config)
    entries = read_json_entries(
        path, format=REGISTER_FORMAT, field="meldingen", what="register of correction notices (art. 7)"
    )
    notices: list[Melding] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: notice {number} of the register"
        try:
            if not isinstance(entry, dict):
                raise ValueError("not a JSON object")
            melding = Melding(**entry)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where} is damaged ({exc}); restore the register from backup") from None
        own = melding.afzender if melding.richting == "verzonden" else melding.ontvanger
        if own != config.party:
            raise ConfigError(f"{where} is {melding.richting} by {own}, not by {config.party}; restore it from backup")
        if _find(notices, melding.id, melding.richting) is not None:
            raise ConfigError(f"{where}: {melding.id} ({melding.richting}) is in it twice; restore it from backup")
        notices.append(melding)
    return notices


@contextmanager
def notice_lock(config: PartyConfig) -> Iterator[None]:
    """The lock every notice command holds for its whole run: the ledger's (``files.exclusive_lock`` beside
    ``.ontvangen.json``), so two commands never load, answer or open envelopes at the same time."""
    with exclusive_lock(default_ledger(config.age_identity)):
        yield


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
    with notice_lock(config):
        lees_register(config)  # a damaged register stops us before the notice is sent, not after
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
    set_aside: tuple[SetAside, ...]
    """Envelopes refused and moved to quarantine (``quarantine_folder``): forged, replayed, for a wave this party
    never ran, or refused for their content."""

    @property
    def geweigerd(self) -> int:
        return len(self.set_aside)


def quarantine_folder(config: PartyConfig) -> Path:
    """Where refused notices and answers go, whatever wave they name: one folder, so a forger naming 200 waves
    creates no folder per wave."""
    return config.work / "meldingen" / QUARANTINE


# The file a party sent for a wave that the other party's notice is about (its rows are numbers of the request).
_ABOUT: Mapping[Party, str] = {"agentschap": "aanvraag", "vdab": "verrijking"}


def laad_binnenkomend(config: PartyConfig) -> Geladen:
    """Load every notice and answer the other party uploaded for us: verify and open each in a temporary folder,
    register it, delete the plaintext; a notice's sealed envelope is kept (``kept_folder``), and it leaves the server
    only once registered. The register is checked before anything is fetched, and the whole load holds the notice
    lock, so a damaged register or a second run at the same time loses nothing.

    A notice is opened only for a wave this party ran (it sent the file the notice is about), an answer only for a
    notice it sent: anything else is set aside unopened, so it uses up no wave. A notice refused for its content
    (wrong id, an unknown reason code) is set aside too, and the sender's corrected notice is then accepted."""
    audit = AuditLog(config.audit_log, config.party)
    keep = kept_folder(config)
    received: list[Melding] = []
    answered: list[Melding] = []
    with notice_lock(config):
        lees_register(config)
        keep.mkdir(parents=True, exist_ok=True)
        config.work.mkdir(parents=True, exist_ok=True)

        def ran_wave(manifest: Manifest) -> str | None:
            sent = config.work / manifest.wave / f"{_ABOUT[config.party]}.verzonden.json"
            if not sent.is_file():
                return "wave-not-run"
            verzonden.not_sent(config, manifest.wave, ())  # a damaged record stops us before the notice is opened
            return None

        def notice_sent(manifest: Manifest) -> str | None:
            ours = _find(lees_register(config), melding_id(manifest.wave, config.party), "verzonden")
            return None if ours is not None else "no-notice-sent"

        def register_notice(kept: KeptEnvelope) -> None:
            manifest = kept.opened.manifest
            rows = _read_and_remove(kept, MELDING_COLUMNS)
            received.append(_register_received(config, manifest.wave, manifest.sender, rows))

        def register_answer(kept: KeptEnvelope) -> None:
            rows = _read_and_remove(kept, ANTWOORD_COLUMNS)
            answered.append(_register_answer(config, kept.opened.manifest.wave, rows))

        quarantine = quarantine_folder(config)
        with tempfile.TemporaryDirectory(dir=config.work, prefix=".meldingen-") as temp:
            set_aside = receive_kept(config, "melding", keep, Path(temp), quarantine, ran_wave, register_notice)
            set_aside += receive_kept(
                config, "antwoord", keep / "antwoorden", Path(temp), quarantine, notice_sent, register_answer
            )
    for melding in received:
        audit.record("melding-ontvangen", sender=melding.afzender, due=melding.uiterlijk, **_registration(melding))
    for melding in answered:
        audit.record("melding-antwoord-ontvangen", sender=melding.ontvanger, **_answer(melding))
    return Geladen(tuple(received), tuple(answered), set_aside)


def _read_and_remove(kept: KeptEnvelope, header: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of an opened envelope's plaintext, which is deleted right after it is read."""
    plaintext = kept.opened.plaintext
    try:
        return _read_csv(plaintext.read_bytes(), header, kept.sealed.name)
    finally:
        plaintext.unlink()


def _same(rows: list[dict[str, str]], column: str, expected: str, what: str) -> None:
    found = {row[column] for row in rows}
    if found != {expected}:
        shown = "; ".join(sorted(found)) if len(found) < 5 and not insz.shaped_in("".join(found)) else "other values"
        raise InputError(f"{what}: column {column} holds {shown!r}, expected {expected}")


def _register_received(config: PartyConfig, wave: str, sender: Party, rows: list[dict[str, str]]) -> Melding:
    expected = melding_id(wave, sender)
    what = f"notice of {sender} for wave {wave}"
    if not rows:
        raise InputError(f"{what}: holds no records")
    _same(rows, "melding_id", expected, what)
    _same(rows, "golf", wave, what)
    _same(rows, "afzender", sender, what)
    counts = Counter(row["reden"] for row in rows)
    unknown = set(counts) - set(REDENEN)
    if unknown:
        raise InputError(f"{what}: {len(unknown)} reason code(s) are not in the fixed list ({', '.join(REDENEN)})")
    strangers = verzonden.not_sent(config, wave, (row["insz"] for row in rows))
    if strangers:
        raise InputError(
            f"{what}: {strangers} of its {len(rows)} record(s) are no line of the request of wave {wave} (not"
            f" shown here); a notice is only about records we exchanged — ask {sender} to correct it"
        )
    now = utc_timestamp()
    try:
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
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from None
    with _register_update(config) as notices:
        _upsert(notices, melding)
    return melding


def _register_answer(config: PartyConfig, wave: str, rows: list[dict[str, str]]) -> Melding:
    expected = melding_id(wave, config.party)
    what = f"answer for wave {wave}"
    if not rows:
        raise InputError(f"{what}: holds no rows")
    _same(rows, "melding_id", expected, f"{what} (our notice {expected})")
    if len({(row["antwoord"], row["beantwoord_op"]) for row in rows}) != 1:
        raise InputError(f"{what}: its rows hold different answers or answer times")
    with _register_update(config) as notices:
        sent = _find(notices, expected, "verzonden")
        if sent is None:
            raise InputError(f"answer to notice {expected}: we have no such sent notice in {register_path(config)}")
        try:
            answered = replace(sent, antwoord=rows[0]["antwoord"], beantwoord_op=rows[0]["beantwoord_op"])
        except ValueError as exc:
            raise InputError(f"{what}: {exc}") from None
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
    if len(tekst) > MAX_ANTWOORD:
        raise InputError(f"the answer has {len(tekst)} characters; keep it under {MAX_ANTWOORD}")
    if insz.shaped_in(tekst):
        raise InputError(
            "the answer holds what looks like an INSZ number (not shown here); answers carry no personal data —"
            " describe the measures, use `pijler3 meldingen toon` to look at the records"
        )
    with notice_lock(config):
        with _register_update(config) as notices:
            received = _find(notices, notice_id, "ontvangen")
            if received is None:
                raise InputError(f"no received notice {notice_id} in {register_path(config)}; see `pijler3 meldingen`")
            if received.antwoord_verzonden:
                raise InputError(f"notice {notice_id} was answered on {received.beantwoord_op}; an answer is sent once")
            if received.antwoord is not None and received.antwoord != tekst:
                raise InputError(
                    f"notice {notice_id}: an answer was recorded on {received.beantwoord_op} but not sent yet; run"
                    " the command again with the same text to send it"
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
                registered = _recorded_at(event, "registered_at")
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
            elif name == "melding-beantwoord" and known[0].antwoord is not None:
                # sent again after a failed send: the answer recorded then, unchanged
                if (known[0].antwoord, known[0].beantwoord_op) != (event["antwoord_sha256"], event["answered_at"]):
                    raise ValueError(f"it changes the answer recorded at line {known[1]}")
                changed = known[0]
            else:
                answered = _recorded_at(event, "answered_at") if name == "melding-beantwoord" else event["answered_at"]
                changed = replace(known[0], antwoord=str(event["antwoord_sha256"]), beantwoord_op=str(answered))
            notices[(notice_id, richting)] = (changed, line)
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(
                f"{config.audit_log}, line {line}: the {name} event does not rebuild the register ({exc})"
            ) from None
    return notices


def _recorded_at(event: Mapping[str, Scalar], field: str) -> str:
    """``event[field]``, a time this party recorded in the same command as the event (``_RECORDED_WITHIN``)."""
    text = str(event[field])
    moment, written = parse_timestamp(text), event_time(dict(event))
    if not written - _RECORDED_WITHIN[0] <= moment <= written + _RECORDED_WITHIN[1]:
        raise ValueError(f"{field} {text} is not the time the event was written ({event['time']})")
    return text


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
