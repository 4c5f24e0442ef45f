"""Files on the SFTP server are untrusted (issue 20, part 4): what a forger or a careless sender puts in a party's
inbox is set aside under a safe name, shown escaped, bounded, reported with its own exit code (7), and never stops
the genuine file beside it. Real keys, real envelopes, the embedded SFTP server, the public CLI."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cli_helpers import pijler3
from party_helpers import PartyConfigs
from pijler3 import envelope
from pijler3 import keys as party_keys
from pijler3.audit import read_audit_log
from pijler3.demo import exchange as demo_exchange
from pijler3.evidence import report_markdown
from pijler3.legs import MAX_QUARANTINE_ENVELOPES, run_leg

if TYPE_CHECKING:
    from sftp_fixtures import Exchange

pytest_plugins = ["sftp_fixtures", "demo_fixtures"]

WAVE = "2026-S2"
ENRICHMENT = "insz,categorie_werkzoekende\n85073003328,00\n17073003384,00\n"
SUFFIXES = (".age", ".manifest.json", ".manifest.sig")
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,119}")
# What a terminal, a Markdown report or a reader could be fooled by.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
HOSTILE = {
    "carriage-return": f"{WAVE}.verrijking.x\r## VERVALST alle controles geslaagd",
    "line-feed": f"{WAVE}.verrijking.x\n[agentschap {WAVE}] complete",
    "terminal-escape": f"{WAVE}.verrijking.\x1b[2J\x1b[32mAlles in orde\x1b[0m",
    "right-to-left": f"{WAVE}.verrijking.\u202evsc.exe",
    "dots-and-backslashes": f"{WAVE}.verrijking...\\..\\..\\etc",
    "long": f"{WAVE}.verrijking." + "x" * 220,
}

embedded_only = pytest.mark.parametrize("exchange", ["embedded"], indirect=True)


@pytest.fixture
def parties(exchange: Exchange, tmp_path: Path) -> PartyConfigs:
    return PartyConfigs(exchange, tmp_path / "parties", WAVE)


def forged_enrichment(parties: PartyConfigs, tmp_path: Path) -> list[Path]:
    """An enrichment sealed for the agencies and signed by a key that calls itself VDAB's, which they never pinned."""
    stranger = tmp_path / "stranger"
    party_keys.generate("vdab", stranger)
    plaintext = tmp_path / "forged" / f"{WAVE}.verrijking.csv"
    plaintext.parent.mkdir()
    plaintext.write_text(ENRICHMENT, encoding="utf-8")
    sealed = envelope.seal(
        plaintext,
        to=parties.base / "keys" / "agentschap" / "bundle.json",
        sign_with=stranger / "signing.pem",
        wave=WAVE,
        kind="verrijking",
        sender="vdab",
    )
    plaintext.unlink()
    return [sealed.ciphertext, sealed.manifest_path, sealed.signature]


def put_on_server(files: list[Path], folder: Path, stem: str) -> None:
    """The envelope's three files in the server folder as ``STEM.age``, ``STEM.manifest.json``, ``STEM.manifest.sig``
    (written straight to the server's disk, as whoever can write to the folder could)."""
    for path, suffix in zip(files, SUFFIXES, strict=True):
        shutil.copyfile(path, folder / f"{stem}{suffix}")


def send_genuine_enrichment(parties: PartyConfigs) -> None:
    vdab = parties.config("vdab")
    vdab.outgoing.mkdir(parents=True, exist_ok=True)
    (vdab.outgoing / f"{WAVE}.verrijking.csv").write_text(ENRICHMENT, encoding="utf-8")
    assert run_leg("send-enrichment", vdab, progress=False).done


def quarantine_events(parties: PartyConfigs) -> list[dict[str, object]]:
    return [e for e in read_audit_log(parties.config("agentschap").audit_log) if e["event"] == "quarantaine"]


@embedded_only
def test_hostile_names_are_kept_under_safe_names_shown_escaped_and_never_stop_the_genuine_file(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    """A CR in a name became a heading in the DPO's report; a 250-character name stopped the download with exit 3
    ("File name too long") on every rerun, so the genuine envelope beside it was never received."""
    forged = forged_enrichment(parties, tmp_path)
    for stem in HOSTILE.values():
        put_on_server(forged, exchange.root / "naar-agentschap", stem)
    send_genuine_enrichment(parties)
    config = parties.config("agentschap")

    result = pijler3("leg", "receive-enrichment", "--config", str(parties.paths["agentschap"]))
    assert result.code == 7, result.err
    assert (config.incoming / f"{WAVE}.verrijking.csv").read_text(encoding="utf-8") == ENRICHMENT
    assert sorted(p.name for p in (exchange.root / "naar-agentschap").iterdir()) == []
    quarantine = config.work / WAVE / "quarantaine"
    assert f"{len(HOSTILE)} envelope(s) set aside into quarantine in {quarantine}" in result.err
    assert "UnknownSenderKeyError 6" in result.err
    assert result.out.count("\n") == result.err.count("\n") == 1  # one line each, ending in the one line break
    assert not UNSAFE.search(result.out.rstrip("\n") + result.err.rstrip("\n")), result.err
    assert "x\\r## VERVALST" in result.err and "\\x1b[2J" in result.err and "\\u202evsc.exe" in result.err

    kept = sorted(p.name for p in quarantine.iterdir())
    assert len(kept) == 2 * len(HOSTILE)  # manifest and signature of each
    assert all(SAFE_NAME.fullmatch(name) for name in kept), kept
    events = quarantine_events(parties)
    assert len(events) == len(HOSTILE) and all(e["kept"] is True for e in events)
    assert not any(UNSAFE.search(str(value)) for e in events for value in e.values())
    report = report_markdown(config)
    assert not UNSAFE.search(report.replace("\n", "")), "a control character reached the evidence report"
    assert not any(line.lstrip("#| ").startswith("VERVALST") for line in report.splitlines())

    again = pijler3("leg", "receive-enrichment", "--config", str(parties.paths["agentschap"]))
    assert again.code == 0 and "nothing to do" in again.out, again.err


@embedded_only
def test_the_quarantine_is_bounded_and_what_it_drops_is_recorded_and_reported(
    parties: PartyConfigs, exchange: Exchange, tmp_path: Path
) -> None:
    """500 forged files were all kept, without a bound, and the CLI did not mention them."""
    forged = forged_enrichment(parties, tmp_path)
    flood = MAX_QUARANTINE_ENVELOPES + 10
    for number in range(flood):
        put_on_server(forged, exchange.root / "naar-agentschap", f"{WAVE}.verrijking.v{number:03}.csv")
    send_genuine_enrichment(parties)
    config = parties.config("agentschap")

    result = pijler3("leg", "receive-enrichment", "--config", str(parties.paths["agentschap"]))
    assert result.code == 7, result.err
    assert (config.incoming / f"{WAVE}.verrijking.csv").is_file()
    assert f"{flood} envelope(s) set aside" in result.err and "and 50 more" in result.err
    assert "10 not kept (quarantine full" in result.err
    quarantine = config.work / WAVE / "quarantaine"
    assert len(list(quarantine.glob("*.manifest.sig"))) == MAX_QUARANTINE_ENVELOPES
    events = quarantine_events(parties)
    assert len(events) == flood
    assert [e["kept"] for e in events].count(False) == 10
    assert all(e["kept_in"] is None for e in events if e["kept"] is False)
    assert list((exchange.root / "naar-agentschap").iterdir()) == []  # dropped ones are off the server too


@embedded_only
def test_a_folder_where_the_ledger_lock_belongs_is_one_clear_error_and_loses_nothing(
    parties: PartyConfigs, exchange: Exchange
) -> None:
    """A directory in place of the ledger's lock file gave a traceback."""
    send_genuine_enrichment(parties)
    config = parties.config("agentschap")
    lock = config.age_identity.parent / ".ontvangen.json.lock"
    lock.mkdir()
    result = pijler3("leg", "receive-enrichment", "--config", str(parties.paths["agentschap"]))
    assert result.code == 3 and result.err.count("\n") == 1 and "Traceback" not in result.err, result.err
    assert f"{lock}: cannot be opened as the lock file" in result.err and "plain file" in result.err
    assert len(list((exchange.root / "naar-agentschap").iterdir())) == 3  # still on the server
    assert not (config.incoming / f"{WAVE}.verrijking.csv").exists()
    lock.rmdir()
    assert pijler3("leg", "receive-enrichment", "--config", str(parties.paths["agentschap"])).code == 0


@pytest.mark.slow
def test_run_wave_that_quarantines_exits_7_while_it_waits_then_75(demo_copy: Path, tmp_path: Path) -> None:
    """A forged request made VDAB's run exit 75 ("waiting, run again later") on every retry: a scheduler that
    retries on 75, as the README advises, never alerted anyone."""
    wave = "2027-S1"
    stranger = tmp_path / "stranger"
    party_keys.generate("agentschap", stranger)
    plaintext = tmp_path / f"{wave}.aanvraag.csv"
    plaintext.write_text("insz\n85073003328\n", encoding="utf-8")
    sealed = envelope.seal(
        plaintext,
        to=demo_copy / "keys" / "vdab" / "bundle.json",
        sign_with=stranger / "signing.pem",
        wave=wave,
        kind="aanvraag",
        sender="agentschap",
    )
    put_on_server([sealed.ciphertext, sealed.manifest_path, sealed.signature], demo_copy / "sftp" / "naar-vdab",
                  f"{wave}.aanvraag.csv")  # fmt: skip
    command = ("run-wave", "--config", str(demo_copy / "vdab" / "vdab.toml"), "--wave", wave)
    with demo_exchange(demo_copy):
        first = pijler3(*command)
        again = pijler3(*command)
    assert first.code == 7, first.err
    assert f"vdab {wave}: waiting at receive-request" in first.out
    quarantine = demo_copy / "vdab" / "werk" / wave / "quarantaine"
    assert f"1 envelope(s) set aside into quarantine in {quarantine}" in first.err
    assert f"{wave}.aanvraag.csv.manifest.sig" in first.err
    assert again.code == 75, again.err
