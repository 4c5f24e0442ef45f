"""Art. 7 correction notices between the parties: real keys, real envelopes, the embedded SFTP server on loopback.

The checks' relations are built here as small tables with the columns of the dbt models they stand for (staging of the
request at VDAB, of the enrichment and the KBI population at the agencies); the demo test runs them on the real
models (tests/test_demo.py)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from cli_helpers import pijler3
from conftest import REPO
from party_helpers import PartyConfigs
from pijler3 import envelope, leakscan, meldingen
from pijler3.audit import read_audit_log, verify_chain
from pijler3.errors import InputError
from pijler3.evidence import report_markdown

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
            f" ('{REFERRED_UNKNOWN}', false), ('{UNKNOWN}', false), ('{KNOWN}', true)) as t(insz, gekend_bij_vdab)"
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


def send_both(parties: PartyConfigs, tmp_path: Path) -> tuple[meldingen.Melding, meldingen.Melding]:
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
