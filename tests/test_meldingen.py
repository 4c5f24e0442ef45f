"""Art. 7 correction notices between the parties: real keys, real envelopes, the embedded SFTP server on loopback.

The checks' relations are built here as small tables with the columns of the dbt models they stand for (staging of the
request at VDAB, of the enrichment and the KBI population at the agencies); the demo test runs them on the real
models (tests/test_demo.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from cli_helpers import CliResult, pijler3
from conftest import REPO
from party_helpers import PartyConfigs
from pijler3 import envelope, leakscan, meldingen
from pijler3 import keys as party_keys
from pijler3.audit import read_audit_log, verify_chain
from pijler3.errors import InputError
from pijler3.evidence import report_markdown
from pijler3.legs import MAX_QUARANTINE_ENVELOPES, run_leg

if TYPE_CHECKING:
    from sftp_fixtures import Exchange

pytest_plugins = ["sftp_fixtures"]

WAVE = "2026-S1"
# Synthetic INSZ numbers with valid checksums (DOMAIN.md test vectors): they may travel only sealed.
REQUESTED, REFERRED_UNKNOWN, UNKNOWN, KNOWN = "85073003328", "17073003384", "98472899765", "00000100195"
BAD_CHECKSUM = "12345678901"


def create_notice_view(con: duckdb.DuckDBPyConnection, model: str) -> None:
    """A notice model of models/uitwisseling/melding/ as a view, its refs pointing at the hand-made tables (a
    minimal dbt compile: the model has no other Jinja than its doc comment and its refs)."""
    sql = (REPO / "models" / "uitwisseling" / "melding" / f"{model}.sql").read_text(encoding="utf-8")
    sql = re.sub(r"\{#-?.*?-?#\}", "", sql, flags=re.S)
    sql = re.sub(r"\{\{\s*ref\('(\w+)'\)\s*\}\}", r"main.\1", sql)
    assert "{{" not in sql and "{%" not in sql, sql
    con.execute(f"create view main.{model} as {sql}")


def vdab_database(path: Path) -> Path:
    """VDAB's view of the request as staging leaves it: one line twice, one number with a wrong check digit."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table stg_uitwisseling__aanvraag as select * from (values"
            f" ('{REQUESTED}', '{REQUESTED}', null, 2), ('{REQUESTED}', '{REQUESTED}', null, 3),"
            f" (null, '{BAD_CHECKSUM}', 'controlegetal', 4), ('{KNOWN}', '{KNOWN}', null, 5))"
            " as t(insz, insz_ruw, insz_ongeldig_reden, _regelnummer)"
        )
        create_notice_view(con, "melding_aan_agentschap")
    return path


def agencies_database(path: Path) -> Path:
    """The enrichment as the agencies staged it and their population: who was referred, whom VDAB knows."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table stg_uitwisseling__verrijking as select * from (values"
            f" ('{REFERRED_UNKNOWN}', false, null::varchar), ('{UNKNOWN}', false, null), ('{KNOWN}', true, null))"
            " as t(insz, gekend_bij_vdab, onbekende_codes)"
        )
        con.execute(
            "create table int_kbi_personen_op_peildatum as select * from (values"
            f" ('{REFERRED_UNKNOWN}', date '2026-01-10'), ('{UNKNOWN}', null), ('{KNOWN}', date '2026-02-01'))"
            " as t(insz, datum_toeleiding_vdab)"
        )
        create_notice_view(con, "melding_aan_vdab")
    return path


@pytest.fixture
def parties(exchange: Exchange, tmp_path: Path) -> PartyConfigs:
    return PartyConfigs(exchange, tmp_path / "parties", WAVE)


# One server kind is enough here: the legs' tests cover both (tests/test_legs.py).
embedded_only = pytest.mark.parametrize("exchange", ["embedded"], indirect=True)


def server_files(exchange: Exchange) -> list[str]:
    return sorted(f"{d.name}/{f.name}" for d in exchange.root.iterdir() for f in d.iterdir())


REQUEST_LINES = (REQUESTED, REQUESTED, BAD_CHECKSUM, KNOWN, REFERRED_UNKNOWN, UNKNOWN)


def exchange_request_and_enrichment(parties: PartyConfigs) -> None:
    """The wave's own legs, as ``run-wave`` runs them: the agencies send the request, VDAB the enrichment (a party
    accepts a notice only for a wave in which it sent the file the notice is about). The clear copies are removed
    afterwards, as the waves do."""
    agencies, vdab = parties.config("agentschap"), parties.config("vdab")
    for config, kind, text in (
        (agencies, "aanvraag", "insz\n" + "".join(f"{n}\n" for n in REQUEST_LINES)),
        (vdab, "verrijking", "insz,gekend_bij_vdab\n" + "".join(f"{n},false\n" for n in REQUEST_LINES)),
    ):
        config.outgoing.mkdir(parents=True, exist_ok=True)
        (config.outgoing / f"{WAVE}.{kind}.csv").write_text(text, encoding="utf-8")
    for leg, config in (
        ("send-request", agencies),
        ("receive-request", vdab),
        ("send-enrichment", vdab),
        ("receive-enrichment", agencies),
    ):
        run_leg(leg, config, progress=False)
    for config in (agencies, vdab):
        for folder in (config.outgoing, config.incoming):
            for path in folder.iterdir():
                path.unlink()


def send_both(parties: PartyConfigs, tmp_path: Path) -> tuple[meldingen.Melding, meldingen.Melding]:
    exchange_request_and_enrichment(parties)
    sent = [
        meldingen.verstuur_melding(parties.config(party), WAVE, database(tmp_path / f"{party}.duckdb"))
        for party, database in (("vdab", vdab_database), ("agentschap", agencies_database))
    ]
    assert sent[0] is not None and sent[1] is not None
    return sent[0], sent[1]


@embedded_only
def test_a_notice_round_trips_each_way_with_real_encryption(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    by_vdab, by_agencies = send_both(parties, tmp_path)
    assert by_vdab.id == f"{WAVE}-vdab" and by_vdab.aantallen == {"insz_dubbel": 1, "insz_ongeldig": 1}
    assert by_agencies.id == f"{WAVE}-agentschap" and by_agencies.aantallen == {"insz_onbekend_bij_vdab": 1}
    envelope_files = [f"{WAVE}.melding.csv{s}" for s in (".age", ".manifest.json", ".manifest.sig")]
    assert server_files(exchange) == sorted(
        [*(f"naar-agentschap/{n}" for n in envelope_files), *(f"naar-vdab/{n}" for n in envelope_files)]
    )
    on_server = b"".join(p.read_bytes() for p in exchange.root.rglob("*") if p.is_file())
    assert REQUESTED.encode() not in on_server and REFERRED_UNKNOWN.encode() not in on_server
    for party in ("agentschap", "vdab"):
        assert list(parties.config(party).outgoing.iterdir()) == []  # the plaintext did not stay

    at_agencies = meldingen.laad_binnenkomend(parties.config("agentschap"))
    at_vdab = meldingen.laad_binnenkomend(parties.config("vdab"))
    assert [(m.id, m.richting, m.aantallen) for m in at_agencies.meldingen] == [
        (by_vdab.id, "ontvangen", by_vdab.aantallen)
    ]
    assert [(m.id, m.aantallen) for m in at_vdab.meldingen] == [(by_agencies.id, by_agencies.aantallen)]
    assert server_files(exchange) == []
    assert meldingen.toon(parties.config("agentschap"), by_vdab.id) == [
        {**row, "melding_id": by_vdab.id, "golf": WAVE, "afzender": "vdab", "aangemaakt_op": by_vdab.aangemaakt_op}
        for row in (
            {"insz": REQUESTED, "reden": "insz_dubbel", "detail": "insz"},
            {"insz": BAD_CHECKSUM, "reden": "insz_ongeldig", "detail": "controlegetal"},
        )
    ]
    assert [r["insz"] for r in meldingen.toon(parties.config("vdab"), by_agencies.id)] == [REFERRED_UNKNOWN]
    # a party has nothing to load twice, and cannot open the notice it sent (it is sealed for the other party)
    assert meldingen.laad_binnenkomend(parties.config("vdab")).meldingen == ()
    with pytest.raises(InputError, match="only the receiver"):
        meldingen.toon(parties.config("vdab"), by_vdab.id)


@embedded_only
def test_nothing_is_sent_when_the_checks_find_nothing(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    database = tmp_path / "clean.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(
            "create table stg_uitwisseling__aanvraag as select * from (values"
            f" ('{REQUESTED}', '{REQUESTED}', null)) as t(insz, insz_ruw, insz_ongeldig_reden)"
        )
        create_notice_view(con, "melding_aan_agentschap")
    assert meldingen.verstuur_melding(parties.config("vdab"), WAVE, database) is None
    assert server_files(exchange) == [] and meldingen.lees_register(parties.config("vdab")) == []


@embedded_only
def test_the_register_and_everything_kept_hold_no_insz(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    send_both(parties, tmp_path)
    for party in ("agentschap", "vdab"):
        meldingen.laad_binnenkomend(parties.config(party))
    kept = [parties.base / party for party in ("agentschap", "vdab")] + [parties.base / "audit"]
    assert len([p for folder in kept for p in folder.rglob("*.age")]) == 2  # each received notice stays sealed
    assert leakscan.scan(kept) == []
    for path in (p for folder in kept for p in folder.rglob("*") if p.is_file()):
        content = path.read_bytes()
        for number in (REQUESTED, REFERRED_UNKNOWN, KNOWN):
            assert number.encode() not in content, path
    register = meldingen.register_path(parties.config("vdab")).read_text(encoding="utf-8")
    assert '"insz_onbekend_bij_vdab": 1' in register  # the register holds the counts, and only those


@embedded_only
def test_a_notice_is_due_in_fourteen_days_and_overdue_after(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    send_both(parties, tmp_path)
    (received,) = meldingen.laad_binnenkomend(parties.config("vdab")).meldingen
    registered = dt.date.fromisoformat(received.geregistreerd_op[:10])
    due = dt.date.fromisoformat(received.uiterlijk)
    assert due == registered + dt.timedelta(days=14)
    assert received.status(today=due) == "open"
    assert received.status(today=due + dt.timedelta(days=1)) == "te laat"
    config = parties.config("vdab")
    assert "0 te laat" in report_markdown(config, today=due)
    late = report_markdown(config, today=due + dt.timedelta(days=1))
    # VDAB's own notice (sent the same day) is overdue too: no answer arrived
    assert "**2 te laat**" in late
    (row,) = [
        line for line in late.splitlines() if line.startswith(f"| {received.id} | ontvangen (agentschap → vdab) |")
    ]
    assert f"| {due.isoformat()} | **te laat** |" in row


@embedded_only
def test_an_answer_round_trips_and_marks_the_sent_notice_answered(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    _, by_agencies = send_both(parties, tmp_path)
    vdab, agencies = parties.config("vdab"), parties.config("agentschap")
    meldingen.laad_binnenkomend(vdab)
    with pytest.raises(InputError, match="looks like an INSZ"):
        meldingen.beantwoord(vdab, by_agencies.id, f"Nummer {REFERRED_UNKNOWN} verbeterd.")
    text = "Onderzocht: het klantendossier droeg een ongeldig INSZ-nummer; verbeterd."
    answered = meldingen.beantwoord(vdab, by_agencies.id, text)
    assert answered.status() == "beantwoord" and answered.antwoord_verzonden
    assert [f for f in server_files(exchange) if "antwoord" in f] == sorted(
        f"naar-agentschap/{WAVE}.antwoord.csv{s}" for s in (".age", ".manifest.json", ".manifest.sig")
    )
    with pytest.raises(InputError, match="answered on"):
        meldingen.beantwoord(vdab, by_agencies.id, text)

    loaded = meldingen.laad_binnenkomend(agencies)
    assert [(m.id, m.antwoord, m.beantwoord_op) for m in loaded.antwoorden] == [
        (by_agencies.id, text, answered.beantwoord_op)
    ]
    (sent,) = [m for m in meldingen.lees_register(agencies) if m.richting == "verzonden"]
    assert sent.status() == "beantwoord" and sent.antwoord == text
    events = {
        str(e["event"]) for party in ("agentschap", "vdab") for e in read_audit_log(parties.config(party).audit_log)
    }
    assert {"melding-verzonden", "melding-ontvangen", "melding-beantwoord", "melding-antwoord-ontvangen"} <= events
    assert text in report_markdown(agencies)
    # both registers are the ones their audit logs rebuild (pijler3 audit verify checks it)
    for config in (vdab, agencies):
        assert meldingen.check_register(config, verify_chain(config.audit_log)).ok


@embedded_only
def test_a_replayed_or_tampered_notice_is_refused(parties: PartyConfigs, exchange: Exchange, tmp_path: Path) -> None:
    send_both(parties, tmp_path)
    vdab = parties.config("vdab")
    meldingen.laad_binnenkomend(vdab)
    kept = meldingen.kept_folder(vdab)
    # the same, validly signed envelope uploaded once more
    for path in kept.glob(f"{WAVE}.melding.csv*"):
        shutil.copy(path, exchange.root / "naar-vdab" / path.name)
    again = meldingen.laad_binnenkomend(vdab)
    assert (again.meldingen, again.geweigerd) == ((), 1)
    assert [m.richting for m in meldingen.lees_register(vdab)] == ["verzonden", "ontvangen"]
    assert [f for f in server_files(exchange) if f.startswith("naar-vdab/")] == []
    quarantined = [e for e in read_audit_log(vdab.audit_log) if e["event"] == "quarantaine"]
    assert [e["reason"] for e in quarantined] == ["ReplayError"]
    # the kept envelope altered at rest: refused before anything is decrypted
    sealed = kept / f"{WAVE}.melding.csv.age"
    data = bytearray(sealed.read_bytes())
    data[-1] ^= 1
    sealed.write_bytes(bytes(data))
    with pytest.raises(envelope.TamperedError):
        meldingen.toon(vdab, f"{WAVE}-agentschap")


@embedded_only
def test_cli_lists_shows_without_writing_and_answers(parties: PartyConfigs, exchange: Exchange, tmp_path: Path) -> None:
    by_vdab, _ = send_both(parties, tmp_path)
    config = str(parties.paths["agentschap"])
    fetched = pijler3("meldingen", "ophalen", "--config", config)
    assert fetched.code == 0 and f"received notice {by_vdab.id}: 2 record(s)" in fetched.out, fetched.err
    listed = pijler3("meldingen", "--config", config)
    assert listed.code == 0
    assert any(line.startswith(by_vdab.id) and line.rstrip().endswith("open") for line in listed.out.splitlines())

    def files() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in parties.base.rglob("*") if p.is_file() and p.suffix != ".jsonl"}

    before = files()
    shown = pijler3("meldingen", "toon", by_vdab.id, "--config", config)
    assert shown.code == 0 and REQUESTED in shown.out and "insz_dubbel" in shown.out
    assert files() == before  # stdout only: no file written or changed (bar the audit event)

    unknown = pijler3("meldingen", "beantwoord", "2026-S1-agentschap", "--tekst", "x", "--config", config)
    assert unknown.code == 2 and "no received notice 2026-S1-agentschap" in unknown.err
    answered = pijler3(
        "meldingen", "beantwoord", by_vdab.id, "--tekst", "Dubbele regel verwijderd.", "--config", config
    )
    assert answered.code == 0, answered.err
    assert os.listdir(parties.config("agentschap").outgoing) == []


# ---- the border (issue 20, part 3): what the other party, a careless tool or a forger sends ----------------------

# What a terminal or a reader could be fooled by: control characters, bidi overrides, line and paragraph separators.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
SUFFIXES = (".age", ".manifest.json", ".manifest.sig")


def seal_notice_into_inbox(
    parties: PartyConfigs, exchange: Exchange, signing_key: Path, rows: list[tuple[str, ...]], wave: str = WAVE
) -> None:
    """A notice in VDAB's name for the agencies, written and sealed by hand with ``signing_key`` and put in their
    inbox: what a careless partner's own tool (VDAB's real key) or a forger (another key) would send."""
    folder = parties.base / "hand" / wave
    folder.mkdir(parents=True, exist_ok=True)
    plaintext = folder / f"{wave}.melding.csv"
    lines = [",".join(meldingen.MELDING_COLUMNS), *(",".join(row) for row in rows)]
    plaintext.write_text("\n".join(lines) + "\n", encoding="utf-8")
    envelope.seal(
        plaintext,
        to=parties.base / "keys" / "agentschap" / "bundle.json",
        sign_with=signing_key,
        wave=wave,
        kind="melding",
        sender="vdab",
        out_dir=exchange.root / "naar-agentschap",
    )
    plaintext.unlink()


def vdab_signing_key(parties: PartyConfigs) -> Path:
    return parties.base / "keys" / "vdab" / "signing.pem"


def ophalen(parties: PartyConfigs, party: str = "agentschap") -> CliResult:
    return pijler3("meldingen", "ophalen", "--config", str(parties.paths[party]))


def corrected_notice_arrives(parties: PartyConfigs, tmp_path: Path) -> meldingen.Melding:
    """VDAB sends its notice for the wave as its wave does (after the agencies refused a careless one): it is
    accepted."""
    corrected = meldingen.verstuur_melding(parties.config("vdab"), WAVE, vdab_database(tmp_path / "vdab.duckdb"))
    assert corrected is not None
    accepted = ophalen(parties)
    assert accepted.code == 0 and f"received notice {corrected.id}: 2 record(s)" in accepted.out, accepted.err
    return corrected


@embedded_only
def test_a_notice_for_a_wave_never_run_is_set_aside_unopened_and_does_not_block_later_ones(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    """A notice for a wave that never ran was registered as open, and being ordered in the ledger it made every
    later genuine notice a "replay"."""
    agencies = parties.config("agentschap")
    meldingen.verstuur_melding(parties.config("vdab"), "2030-S1", vdab_database(tmp_path / "later.duckdb"))
    refused = ophalen(parties)
    assert refused.code == 7 and "wave-not-run 1" in refused.err and "nothing new" not in refused.out, refused
    assert f"in {meldingen.quarantine_folder(agencies)}" in refused.err
    assert not (agencies.work / "2030-S1").exists() and meldingen.lees_register(agencies) == []
    (event,) = [e for e in read_audit_log(agencies.audit_log) if e["event"] == "quarantaine"]
    assert (event["wave"], event["reason"]) == (None, "wave-not-run")

    by_vdab, _ = send_both(parties, tmp_path)
    fetched = ophalen(parties)
    assert fetched.code == 0 and f"received notice {by_vdab.id}: 2 record(s)" in fetched.out, fetched.err


@embedded_only
def test_a_notice_refused_for_its_content_leaves_room_for_the_corrected_one_but_not_for_a_copy(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    """A notice refused for its content used up its wave: the sender's corrected notice was quarantined as a
    "replay" and the register stayed empty."""
    exchange_request_and_enrichment(parties)
    agencies = parties.config("agentschap")
    created = "2026-07-01T10:00:00Z"
    careless = [(f"{WAVE}-vdab", WAVE, "vdab", created, REQUESTED, "verzonnen_reden", "insz")]
    seal_notice_into_inbox(parties, exchange, vdab_signing_key(parties), careless)
    inbox = exchange.root / "naar-agentschap"
    refused_copy = {p.name: p.read_bytes() for p in inbox.iterdir()}
    refused = ophalen(parties)
    assert refused.code == 7 and "content 1" in refused.err, refused.err
    assert meldingen.lees_register(agencies) == [] and list(inbox.iterdir()) == []

    corrected = corrected_notice_arrives(parties, tmp_path)

    for name, data in refused_copy.items():
        (inbox / name).write_bytes(data)
    replayed = ophalen(parties)
    assert replayed.code == 7 and "ReplayError 1" in replayed.err, replayed.err
    (received,) = [m for m in meldingen.lees_register(agencies) if m.richting == "ontvangen"]
    assert received.aantallen == corrected.aantallen


@embedded_only
def test_a_notice_about_records_never_exchanged_is_refused_and_the_corrected_one_accepted(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    """Rows with INSZ numbers the receiver never sent were registered without a flag, and `meldingen toon` printed
    them. The agencies check each record against the keyed digests of the request they sent (no INSZ kept)."""
    exchange_request_and_enrichment(parties)
    agencies = parties.config("agentschap")
    never_sent = "90021512469"
    rows = [
        (f"{WAVE}-vdab", WAVE, "vdab", "2026-07-01T10:00:00Z", number, "insz_dubbel", "insz")
        for number in (REQUESTED, never_sent)
    ]
    seal_notice_into_inbox(parties, exchange, vdab_signing_key(parties), rows)
    refused = ophalen(parties)
    assert refused.code == 7 and "content 1" in refused.err and never_sent not in refused.err, refused.err
    assert meldingen.lees_register(agencies) == []
    (event,) = [e for e in read_audit_log(agencies.audit_log) if e["event"] == "quarantaine"]
    assert "1 of its 2 record(s) are no line of the request" in str(event["detail"])
    shown = pijler3("meldingen", "toon", f"{WAVE}-vdab", "--config", str(parties.paths["agentschap"]))
    assert shown.code == 2 and never_sent not in shown.out

    corrected_notice_arrives(parties, tmp_path)


@embedded_only
def test_a_damaged_register_stops_ophalen_before_anything_leaves_the_server(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    """With a damaged register the run stopped (exit 3) after the notice was opened and removed from the server:
    it was lost even after the register was restored."""
    by_vdab, _ = send_both(parties, tmp_path)
    register = meldingen.register_path(parties.config("agentschap"))
    register.parent.mkdir(parents=True, exist_ok=True)
    register.write_text('{"format": "pijler3-meldingen", "version": 1, "meldingen": [', encoding="utf-8")
    stopped = ophalen(parties)
    assert stopped.code == 3 and stopped.err.count("\n") == 1 and "register.json" in stopped.err, stopped.err
    assert len([f for f in server_files(exchange) if f.startswith("naar-agentschap/")]) == 3
    register.unlink()  # restored from the backup (it was empty)
    fetched = ophalen(parties)
    assert fetched.code == 0 and f"received notice {by_vdab.id}" in fetched.out, fetched.err


@embedded_only
def test_a_hand_edited_register_is_one_clear_error_and_never_shows_an_answer_that_was_not_sent(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    """A hand-edited register gave a traceback, or showed a notice as answered when no answer was ever sent."""
    send_both(parties, tmp_path)
    config = parties.config("agentschap")
    meldingen.laad_binnenkomend(config)
    path = meldingen.register_path(config)
    original = json.loads(path.read_text(encoding="utf-8"))
    index = next(i for i, m in enumerate(original["meldingen"]) if m["richting"] == "ontvangen")
    edits: list[tuple[str, Any, str]] = [
        ("aantallen", {"insz_dubbel": "1"}, "aantallen"),
        ("aantallen", {"verzonnen": 1}, "aantallen"),
        ("richting", "beantwoord", "richting"),
        ("beantwoord_op", "2026-07-01T10:00:00Z", "antwoord and beantwoord_op go together"),
        ("antwoord_verzonden", True, "antwoord_verzonden"),
        ("id", "2026-S2-vdab", "is not golf-afzender"),
        ("uiterlijk", "over twee weken", "uiterlijk"),
        ("ontvanger", "vdab", "afzender 'vdab' and ontvanger 'vdab'"),
        ("extra", 1, "unexpected keyword argument 'extra'"),
    ]
    for field, value, message in edits:
        edited = json.loads(json.dumps(original))
        edited["meldingen"][index][field] = value
        path.write_text(json.dumps(edited), encoding="utf-8")
        for command in (("meldingen",), ("meldingen", "ophalen"), ("meldingen", "beantwoord", f"{WAVE}-vdab")):
            extra = ("--tekst", "Onderzocht.") if command[-1] != "ophalen" and len(command) > 2 else ()
            result = pijler3(*command, *extra, "--config", str(parties.paths["agentschap"]))
            assert result.code == 3 and result.err.count("\n") == 1, (field, command, result.err)
            assert f"{path}: notice {index + 1} of the register" in result.err and message in result.err, result.err

    # An answer recorded by hand but never sent is not "beantwoord".
    edited = json.loads(json.dumps(original))
    edited["meldingen"][index] |= {"antwoord": "Alles rechtgezet.", "beantwoord_op": "2026-07-01T10:00:00Z"}
    path.write_text(json.dumps(edited), encoding="utf-8")
    listed = pijler3("meldingen", "--config", str(parties.paths["agentschap"]))
    assert listed.code == 0, listed.err
    (row,) = [line for line in listed.out.splitlines() if "ontvangen (vdab -> agentschap)" in line]
    assert " beantwoord " not in row and (" open " in row or " te laat " in row), row
    assert "(nog niet verzonden)" in listed.out


@embedded_only
def test_an_answer_spelling_an_insz_in_any_written_form_is_refused(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    _, by_agencies = send_both(parties, tmp_path)
    meldingen.laad_binnenkomend(parties.config("vdab"))
    for spelled in ("85.07.30-033.28", "850730/033-28", "85073003328", "850730 033 28", "85-07-30-033-28"):
        text = f"Het nummer {spelled} was verkeerd overgenomen; verbeterd."
        result = pijler3(
            "meldingen", "beantwoord", by_agencies.id, "--tekst", text, "--config", str(parties.paths["vdab"])
        )
        assert result.code == 2 and "looks like an INSZ" in result.err and spelled not in result.err, (spelled, result)
    assert not [f for f in server_files(exchange) if "antwoord" in f]


@embedded_only
def test_two_ophalen_at_once_never_lose_a_notice(parties: PartyConfigs, exchange: Exchange, tmp_path: Path) -> None:
    """Two `meldingen ophalen` at once lost a notice in about 4 of 11 tries (a FileNotFoundError traceback, or a
    valid notice put in quarantine as a replay). Two real processes, started together, once per wave."""
    agencies, vdab = parties.config("agentschap"), parties.config("vdab")
    command = [sys.executable, "-c", "from pijler3.cli import main; main()", "meldingen", "ophalen"]
    waves = ("2026-S1", "2026-S2", "2027-S1", "2027-S2", "2028-S1", "2028-S2")
    agencies.outgoing.mkdir(parents=True, exist_ok=True)
    for wave in waves:
        request = "insz\n" + "".join(f"{n}\n" for n in REQUEST_LINES)
        (agencies.outgoing / f"{wave}.aanvraag.csv").write_text(request, encoding="utf-8")
        run_leg("send-request", agencies, wave, progress=False)  # the agencies ran the wave
        assert meldingen.verstuur_melding(vdab, wave, vdab_database(tmp_path / f"{wave}.duckdb")) is not None
        runs = [
            subprocess.Popen(
                [*command, "--config", str(parties.paths["agentschap"])],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [(run.communicate(), run.returncode) for run in runs]
        assert [code for _, code in results] == [0, 0], results
        outputs = sorted(out for (out, _), _ in results)
        assert outputs[0] == "nothing new\n" and outputs[1].startswith(f"received notice {wave}-vdab: 2 record(s)")
        assert not any("Traceback" in err for (_, err), _ in results), results
    received = [m.id for m in meldingen.lees_register(agencies) if m.richting == "ontvangen"]
    assert received == [f"{wave}-vdab" for wave in waves]
    assert not [e for e in read_audit_log(agencies.audit_log) if e["event"] == "quarantaine"]


@embedded_only
def test_200_forged_notices_create_no_folder_no_wave_and_are_reported(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    """200 forged notices created 200 work folders, the evidence report listed waves only the forger named, and
    the CLI said "nothing new" with exit 0."""
    stranger = tmp_path / "stranger"
    party_keys.generate("vdab", stranger)
    seal_notice_into_inbox(
        parties,
        exchange,
        stranger / "signing.pem",
        [(f"{WAVE}-vdab", WAVE, "vdab", "2026-07-01T10:00:00Z", REQUESTED, "insz_dubbel", "insz")],
    )
    inbox = exchange.root / "naar-agentschap"
    forged = {suffix: (inbox / f"{WAVE}.melding.csv{suffix}").read_bytes() for suffix in SUFFIXES}
    for path in inbox.iterdir():
        path.unlink()
    named = [f"{2100 + n // 2}-S{n % 2 + 1}" for n in range(200)]
    for wave in named:
        for suffix, data in forged.items():
            (inbox / f"{wave}.melding.csv{suffix}").write_bytes(data)
    agencies = parties.config("agentschap")

    result = ophalen(parties)
    assert result.code == 7 and "200 envelope(s) set aside" in result.err and "nothing new" not in result.out
    assert sorted(p.name for p in agencies.work.iterdir()) == ["meldingen"]
    quarantine = meldingen.quarantine_folder(agencies)
    assert sorted(p.name for p in quarantine.parent.iterdir()) == ["ontvangen", "quarantaine", "register.json"] or (
        sorted(p.name for p in quarantine.parent.iterdir()) == ["ontvangen", "quarantaine"]
    )
    assert len(list(quarantine.glob("*.manifest.sig"))) == MAX_QUARANTINE_ENVELOPES
    events = list(read_audit_log(agencies.audit_log))
    assert len([e for e in events if e["event"] == "quarantaine"]) == 200
    assert not [e for e in events if str(e.get("wave", "")).startswith("21")]
    report = report_markdown(agencies)
    assert not any(wave in report for wave in named)
    assert list(inbox.iterdir()) == []


@embedded_only
def test_what_the_partner_wrote_is_shown_with_control_characters_escaped(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    """An answer crafted by the partner carried terminal escapes (clear screen, a green "Alles in orde") and line
    breaks; `pijler3 meldingen` printed them raw, and a line break started a forged line of output."""
    exchange_request_and_enrichment(parties)
    forged_line = f"{WAVE}-agentschap beantwoord op 2026-07-01T10:00:00Z: niets aan de hand"
    hostile = f"Onderzocht.\x1b[2J\x1b[32mAlles in orde\x1b[0m\r\n{forged_line}\u202e"
    rows = [(f"{WAVE}-vdab", WAVE, "vdab", "2026-07-01T10:00:00Z", REQUESTED, "insz_dubbel", f'"{hostile}"')]
    seal_notice_into_inbox(parties, exchange, vdab_signing_key(parties), rows)
    agencies_notice = meldingen.verstuur_melding(
        parties.config("agentschap"), WAVE, agencies_database(tmp_path / "agentschap.duckdb")
    )
    assert agencies_notice is not None
    meldingen.laad_binnenkomend(parties.config("vdab"))
    meldingen.beantwoord(parties.config("vdab"), agencies_notice.id, hostile)  # the partner's tool, as crafted
    assert ophalen(parties).code == 0

    config = str(parties.paths["agentschap"])
    for command in (("meldingen",), ("meldingen", "toon", f"{WAVE}-vdab")):
        shown = pijler3(*command, "--config", config)
        assert shown.code == 0, shown.err
        assert not UNSAFE.search(shown.out.replace("\n", "")), shown.out
        assert "\\x1b[2J\\x1b[32mAlles in orde" in shown.out and "\\r\\n" in shown.out
        assert not any(line.startswith(forged_line) for line in shown.out.splitlines())
