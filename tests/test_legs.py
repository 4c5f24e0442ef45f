"""The six SFTP legs end to end against both servers: real keys, real envelopes, real SFTP on loopback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from cli_helpers import pijler3
from party_helpers import PartyConfigs
from pijler3 import envelope
from pijler3 import keys as party_keys
from pijler3.audit import read_audit_log
from pijler3.cli import cli
from pijler3.errors import ConfigError
from pijler3.legs import LEGS, NotYetAvailable, run_leg
from pijler3.sftp.keys import known_hosts_line, public_key_of
from pijler3.sftp.transport import ConnectionFailed

if TYPE_CHECKING:
    from sftp_fixtures import Exchange

pytest_plugins = ["sftp_fixtures"]

WAVE = "2026-S2"
# Synthetic INSZ numbers with valid checksums: they must reach the other party and never a log or the server in clear.
INSZ = ("85073003328", "17073003384", "98472899765")
FILES = {
    "aanvraag": "insz\n" + "".join(f"{n}\n" for n in INSZ),
    "verrijking": "insz,categorie_werkzoekende\n" + "".join(f"{n},00\n" for n in INSZ),
    "gepseudonimiseerd": "pseudoniem,categorie_werkzoekende\n" + "".join(f"{'ab' * 32},00\n" for _ in INSZ),
}
SENDS = {"aanvraag": "send-request", "verrijking": "send-enrichment", "gepseudonimiseerd": "share-dataset"}
RECEIVES = {"aanvraag": "receive-request", "verrijking": "receive-enrichment", "gepseudonimiseerd": "receive-dataset"}


class Parties(PartyConfigs):
    """Both parties' configs, plus their outgoing files and leg runs for ``WAVE``."""

    def outgoing(self, party: str, kind: str) -> Path:
        path = self.config(party).outgoing / f"{WAVE}.{kind}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(FILES[kind], encoding="utf-8")
        return path

    def run(self, leg: str) -> tuple[bool, str, Path | None]:
        party = LEGS[leg].party
        assert party is not None, f"{leg} is run by either party"
        result = run_leg(leg, self.config(party), progress=False)
        return result.done, result.message, result.file


@pytest.fixture
def parties(exchange: Exchange, tmp_path: Path) -> Parties:
    return Parties(exchange, tmp_path / "parties", WAVE)


def server_files(exchange: Exchange) -> list[str]:
    return sorted(f"{d.name}/{f.name}" for d in exchange.root.iterdir() for f in d.iterdir())


def test_full_round_trip_of_all_legs_and_repeated_runs(parties: Parties, exchange: Exchange) -> None:
    for kind, sender, receiver in (
        ("aanvraag", "agentschap", "vdab"),
        ("verrijking", "vdab", "agentschap"),
        ("gepseudonimiseerd", "agentschap", "vdab"),
    ):
        parties.outgoing(sender, kind)
        done, message, _ = parties.run(SENDS[kind])
        assert done, message
        folder = f"naar-{receiver}"
        name = f"{WAVE}.{kind}.csv"
        assert server_files(exchange) == sorted(
            f"{folder}/{name}{suffix}" for suffix in (".age", ".manifest.json", ".manifest.sig")
        )
        done, message, received = parties.run(RECEIVES[kind])
        assert done, message
        assert received == parties.config(receiver).incoming / name
        assert received.read_text(encoding="utf-8") == FILES[kind]
        assert server_files(exchange) == []

    # the legs of the wave's three files (the correction notices' legs have their own tests: test_meldingen.py)
    for leg in (*SENDS.values(), *RECEIVES.values()):
        done, message, _ = parties.run(leg)
        assert not done and "nothing to do" in message, (leg, message)
    assert server_files(exchange) == []

    for party in party_keys.PARTIES:
        log = parties.config(party).audit_log
        text = log.read_text(encoding="utf-8")
        assert not any(number in text for number in INSZ), f"INSZ in {log}"
        events = [e["event"] for e in read_audit_log(log)]
        for needed in ("connect", "seal", "upload", "download", "open", "delete", "leg-done"):
            assert needed in events, (party, needed)
    opens = [e for e in read_audit_log(parties.config("vdab").audit_log) if e["event"] == "open"]
    assert [(e["kind"], e["wave"], e["rows"]) for e in opens] == [("aanvraag", WAVE, 3), ("gepseudonimiseerd", WAVE, 3)]


def test_receiving_before_the_sender_uploaded_says_run_again_later(parties: Parties) -> None:
    with pytest.raises(NotYetAvailable, match="run again later"):
        parties.run("receive-request")


def test_an_incomplete_envelope_on_the_server_is_not_taken(parties: Parties, exchange: Exchange) -> None:
    parties.outgoing("agentschap", "aanvraag")
    parties.run("send-request")
    (exchange.root / "naar-vdab" / f"{WAVE}.aanvraag.csv.manifest.json").unlink()
    with pytest.raises(NotYetAvailable, match="lacks"):
        parties.run("receive-request")
    assert not (parties.config("vdab").incoming / f"{WAVE}.aanvraag.csv").exists()


def test_send_after_a_failure_continues_with_the_same_envelope(parties: Parties, exchange: Exchange) -> None:
    parties.outgoing("agentschap", "aanvraag")
    exchange.stop()
    with pytest.raises(ConnectionFailed):
        parties.run("send-request")
    manifest = parties.config("agentschap").work / WAVE / "verzonden" / f"{WAVE}.aanvraag.csv.manifest.json"
    sealed_first = json.loads(manifest.read_text())["ciphertext_sha256"]
    exchange.start()

    done, message, _ = parties.run("send-request")
    assert done, message
    assert json.loads(manifest.read_text())["ciphertext_sha256"] == sealed_first
    log = list(read_audit_log(parties.config("agentschap").audit_log))
    assert [e["event"] for e in log].count("seal") == 1
    assert "leg-failed" in [e["event"] for e in log]
    uploaded = [e for e in log if e["event"] == "upload" and str(e["remote_path"]).endswith(".age")]
    assert [e["sha256"] for e in uploaded] == [sealed_first]
    done, _, received = parties.run("receive-request")
    assert done and received is not None and received.read_text() == FILES["aanvraag"]


def test_receiver_cleans_up_leftovers_on_the_next_run(parties: Parties, exchange: Exchange) -> None:
    parties.outgoing("agentschap", "aanvraag")
    parties.run("send-request")
    # Keep a copy of the envelope, then put it back as if the receiver had crashed before deleting it.
    folder = exchange.root / "naar-vdab"
    copies = {f.name: f.read_bytes() for f in folder.iterdir()}
    parties.run("receive-request")
    for name, data in copies.items():
        (folder / name).write_bytes(data)
    done, message, _ = parties.run("receive-request")
    assert not done and "removed 3 leftover file(s)" in message
    assert server_files(exchange) == []


def test_a_leg_refuses_the_other_partys_config(parties: Parties) -> None:
    with pytest.raises(ConfigError, match="run by vdab"):
        run_leg("receive-request", parties.config("agentschap"))


def test_send_needs_a_file_named_after_wave_and_kind(parties: Parties, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="export it first"):
        parties.run("send-request")
    odd = tmp_path / "aanvraag-met-namen.csv"
    odd.write_text(FILES["aanvraag"])
    with pytest.raises(Exception, match="must be named"):
        run_leg("send-request", parties.config("agentschap"), plaintext=odd)


def test_cli_runs_a_leg_and_repeats_safely(parties: Parties, exchange: Exchange) -> None:
    parties.outgoing("agentschap", "aanvraag")
    args = ["leg", "send-request", "--config", str(parties.paths["agentschap"])]
    first = CliRunner().invoke(cli, args, env={"CI": "true", **os.environ})
    assert first.exit_code == 0, first.output
    assert f"sent {WAVE}.aanvraag.csv.age" in first.output
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0 and "nothing to do" in second.output


def variant(parties: Parties, party: str, name: str, **changes: Path) -> Path:
    """A copy of ``party``'s configuration with other [sftp] file paths (``key``, ``known_hosts``)."""
    text = parties.paths[party].read_text(encoding="utf-8")
    for key, value in changes.items():
        current = str(getattr(parties.config(party).sftp, key))
        text = text.replace(f'{key} = "{current}"', f'{key} = "{value}"')
    path = parties.base / f"{party}-{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_transport_failures_exit_with_the_documented_codes(
    parties: Parties, exchange: Exchange, tmp_path: Path
) -> None:
    """They all exited 1: a scheduler could not tell "try again later" from "fix the configuration"."""
    parties.outgoing("agentschap", "aanvraag")
    parties.run("send-request")
    unknown = tmp_path / "known_hosts_empty"
    unknown.write_text("")
    changed = tmp_path / "known_hosts_changed"
    changed.write_text(known_hosts_line("127.0.0.1", exchange.port, public_key_of(exchange.keys.other_host)) + "\n")
    cases = [
        ("unknown-host", {"known_hosts": unknown}, 3, "host key unknown"),
        ("changed-host", {"known_hosts": changed}, 3, "HOST KEY CHANGED"),
        ("stranger-key", {"key": exchange.keys.stranger}, 3, "refused key"),
    ]
    for name, changes, code, message in cases:
        result = pijler3("leg", "receive-request", "--config", str(variant(parties, "vdab", name, **changes)))
        assert (result.code, message in result.err) == (code, True), (name, result.err)

    sealed = exchange.root / "naar-vdab" / f"{WAVE}.aanvraag.csv.age"
    sealed.write_bytes(sealed.read_bytes()[:-100])
    result = pijler3("leg", "receive-request", "--config", str(parties.paths["vdab"]))
    assert result.code == 4 and "bytes on the server, but agentschap signed" in result.err, result.err
    assert result.err.count("\n") == 1
    assert not (parties.config("vdab").incoming / f"{WAVE}.aanvraag.csv").exists()

    exchange.stop()
    result = pijler3("leg", "receive-request", "--config", str(parties.paths["vdab"]))
    assert result.code == 75 and "failed after 2 attempts" in result.err, result.err


def test_a_forged_or_replayed_envelope_is_quarantined_instead_of_blocking_the_wave(
    parties: Parties, exchange: Exchange, tmp_path: Path
) -> None:
    """A second enrichment signed by a key that is not pinned made the receiver refuse the whole wave."""
    inbox = exchange.root / "naar-agentschap"
    agencies_bundle = parties.base / "keys" / "agentschap" / "bundle.json"
    stranger = tmp_path / "stranger"
    party_keys.generate("vdab", stranger)  # calls itself vdab; its key is not the one the agencies pinned
    forged = tmp_path / "forged" / f"{WAVE}.verrijking.parquet"
    forged.parent.mkdir()
    forged.write_text(FILES["verrijking"] + "90021512469,00\n", encoding="utf-8")
    envelope.seal(forged, to=agencies_bundle, sign_with=stranger / "signing.pem", wave=WAVE, kind="verrijking",
                  sender="vdab", out_dir=inbox)  # fmt: skip

    manifest = inbox / f"{WAVE}.verrijking.parquet.manifest.json"
    manifest.write_text(manifest.read_text().replace(f'"{WAVE}.verrijking.parquet"', f'"{INSZ[0]}.parquet"'))
    waiting = pijler3("leg", "receive-enrichment", "--config", str(parties.paths["agentschap"]))
    # waiting for the genuine file, but not with 75: a scheduler that retries on 75 would never alert anyone
    assert waiting.code == 7, waiting.err
    assert "1 envelope(s) set aside into quarantine" in waiting.err and "UnknownSenderKeyError 1" in waiting.err
    assert "1 not kept" in waiting.err  # its manifest names an INSZ
    again = pijler3("leg", "receive-enrichment", "--config", str(parties.paths["agentschap"]))
    assert again.code == 75, again.err  # nothing new set aside: the alert was given once

    # Again, next to the genuine answer, plus VDAB's own envelope of another wave renamed into this one (a replay).
    envelope.seal(forged, to=agencies_bundle, sign_with=stranger / "signing.pem", wave=WAVE, kind="verrijking",
                  sender="vdab", out_dir=inbox)  # fmt: skip
    old = tmp_path / "old" / f"{WAVE}.verrijking.csv"
    old.parent.mkdir()
    old.write_text(FILES["verrijking"], encoding="utf-8")
    replay = envelope.seal(old, to=agencies_bundle, sign_with=parties.base / "keys" / "vdab" / "signing.pem",
                           wave="2026-S1", kind="verrijking", out_dir=tmp_path / "old")  # fmt: skip
    for path in (replay.ciphertext, replay.manifest_path, replay.signature):
        path.rename(inbox / path.name.replace(f"{WAVE}.verrijking.csv", f"{WAVE}.verrijking.oud.csv"))
    parties.outgoing("vdab", "verrijking")
    parties.run("send-enrichment")

    done, message, received = parties.run("receive-enrichment")
    assert done, message
    assert received is not None and received.read_text(encoding="utf-8") == FILES["verrijking"]
    assert server_files(exchange) == []
    config = parties.config("agentschap")
    kept = sorted(p.name for p in (config.work / WAVE / "quarantaine").iterdir())
    assert kept == sorted(
        f"{WAVE}.verrijking.{name}{suffix}"
        for name in ("parquet", "oud.csv")
        for suffix in (".manifest.json", ".manifest.sig")
    )
    assert not any(INSZ[0] in p.read_text(errors="replace") for p in (config.work / WAVE / "quarantaine").iterdir())
    events = [e for e in read_audit_log(config.audit_log) if e["event"] == "quarantaine"]
    assert [e["reason"] for e in events] == ["UnknownSenderKeyError", "UnexpectedWaveError", "UnknownSenderKeyError"]
    assert {e["remote_path"] for e in events} == {
        f"naar-agentschap/{WAVE}.verrijking.parquet.manifest.sig",
        f"naar-agentschap/{WAVE}.verrijking.oud.csv.manifest.sig",
    }
