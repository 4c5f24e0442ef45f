"""The protocol's lifecycle (art. 5, 12), access (art. 4) and the operator's side of the CLI: the exchange window,
the whole one-line help, commands run with the wrong party's configuration, what ``run-wave`` ends with."""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_helpers import pijler3
from pijler3 import artikel3, envelope
from pijler3 import config as config_module
from pijler3 import keys as party_keys
from pijler3.audit import os_user, read_audit_log
from pijler3.cli import COMMANDS, LazyGroup
from pijler3.config import OutsideAgreement, load_config
from pijler3.demo import WAVES, exchange
from pijler3.errors import QUARANTINED_EXIT_CODE
from pijler3.keys import load_bundle

pytest_plugins = ["demo_fixtures"]


def _set_retention(config: Path, **dates: str) -> None:
    """Replace or add ``[retention]`` dates in a demo configuration (written anew by each ``exchange``)."""
    text = config.read_text(encoding="utf-8")
    for key, value in dates.items():
        text, found = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        if not found:
            text = text.replace("[retention]\n", f"[retention]\n{key} = {value}\n")
    config.write_text(text, encoding="utf-8")


def _server_files(demo: Path) -> list[Path]:
    return sorted(p for p in (demo / "sftp").rglob("*") if p.is_file())


@pytest.mark.slow
def test_a_wave_outside_the_agreement_is_refused_before_anything_is_read_or_sent(demo_copy: Path) -> None:
    """Before: a wave after the agreement's end sent the INSZ numbers and completed without a warning."""
    agencies_toml = demo_copy / "agentschap" / "agentschap.toml"
    outgoing = demo_copy / "agentschap" / "uit"
    before_out = sorted(outgoing.iterdir()) if outgoing.exists() else []
    with exchange(demo_copy):
        server_before = _server_files(demo_copy)
        for dates, wave, said in (
            ({"agreement_end": "2026-09-30"}, "2026-S2", "lies after agreement_end = 2026-09-30"),
            ({"agreement_end": "2026-03-31"}, "2025-S2", "is after agreement_end = 2026-03-31"),
            ({"agreement_start": "2026-01-01"}, "2025-S2", "lies before agreement_start = 2026-01-01"),
        ):
            _set_retention(agencies_toml, **{"agreement_start": "2023-03-03", "agreement_end": "2028-02-14", **dates})
            for args in (
                ["run-wave", "--config", str(agencies_toml), "--wave", wave],
                ["run-wave", "--config", str(agencies_toml), "--wave", wave, "--restart"],
                ["leg", "send-request", "--config", str(agencies_toml), "--wave", wave],
            ):
                refused = pijler3(*args)
                assert refused.code == 3, (args, refused.out, refused.err)
                assert refused.err.count("\n") == 1 and "Traceback" not in refused.err
                assert f"wave {wave} is outside the exchange window of the cooperation agreement" in refused.err
                assert said in refused.err and str(agencies_toml) in refused.err
                assert "nothing was read or sent" in refused.err
        assert _server_files(demo_copy) == server_before
    assert (sorted(outgoing.iterdir()) if outgoing.exists() else []) == before_out
    assert not (demo_copy / "agentschap" / "werk" / "2026-S2").exists()
    assert not (demo_copy / "agentschap" / "werk" / "herstart").exists()
    refusals = [e for e in read_audit_log(demo_copy / "audit" / "agentschap.jsonl") if e["event"] == "window-refused"]
    assert len(refusals) == 9 and {e["wave"] for e in refusals} == {"2025-S2", "2026-S2"}


@pytest.mark.slow
def test_run_wave_ends_naming_the_evidence_report_and_the_head_to_archive(demo_copy: Path, tmp_path: Path) -> None:
    vdab_toml = demo_copy / "vdab" / "vdab.toml"
    with exchange(demo_copy):
        done = pijler3("run-wave", "--config", str(vdab_toml), "--wave", "2025-S2")
    assert done.code == 0, done.err
    log = demo_copy / "audit" / "vdab.jsonl"
    last = list(read_audit_log(log))[-1]
    report = demo_copy / "audit" / "rapport-vdab-2025-S2.html"
    lines = done.out.strip().splitlines()
    assert lines[-2] == f"evidence report {report}"
    assert lines[-1].startswith(
        f"archive this audit head outside this machine (docs/maatregelen.md, B4): {last['seq']}:{last['hash']}"
    )
    assert f"(line {last['seq']} of {log})" in lines[-1]
    assert f"--head {last['seq']}:{last['hash']}`" in lines[-1]
    assert "2025-S2" in report.read_text(encoding="utf-8")

    # Art. 4: the access list per wave, and every operator of the audit log checked against it.
    me = f"{os_user()}@{socket.gethostname()}"
    markdown = tmp_path / "rapport.md"
    assert pijler3("audit", "report", "--config", str(vdab_toml), "--out", str(markdown)).code == 0
    text = markdown.read_text(encoding="utf-8")
    assert "### Toegang (art. 4)" in text
    assert "| ontvangers (diensten, werkgroep) | Dienst Monitoring, Dienst Ontwikkeling van de" in text
    assert f"| {me} | ja |" in text and "**NEE**" not in text
    vdab_toml.write_text(vdab_toml.read_text().replace(f'operators = ["{me}"]', 'operators = ["dpo@elders"]'))
    assert pijler3("audit", "report", "--config", str(vdab_toml), "--out", str(markdown)).code == 0
    text = markdown.read_text(encoding="utf-8")
    assert f"| {me} | **NEE** |" in text and f"niet op de lijst: {me}" in text and "MISLUKT" in text


def test_help_lists_every_command_with_its_whole_first_paragraph() -> None:
    """Before: ``meldingen  Art.`` — click cut each description at its first period."""
    listing = " ".join(pijler3("--help").out.split())
    group = LazyGroup()
    for name in COMMANDS:
        command = group.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.help
        whole = command.get_short_help_str(limit=10_000)
        assert not whole.endswith("...") and f"{name} {whole}" in listing, name
    assert "meldingen Art. 7 correction notices: list them (default), load new ones, show one, answer one." in listing


def _minimal_config(tmp_path: Path, party: str, extra: str = "") -> Path:
    path = tmp_path / f"{party}.toml"
    path.write_text(
        f'party = "{party}"\n\n[sftp]\nhost = "127.0.0.1"\nuser = "{party}"\nkey = "k"\nknown_hosts = "kh"\n\n'
        '[keys]\nfolder = "keys"\npeer_bundle = "peer.json"\n\n'
        '[folders]\noutgoing = "uit"\nincoming = "in"\nwork = "werk"\naudit = "audit"\n' + extra,
        encoding="utf-8",
    )
    return path


def test_publiceer_bi_with_vdab_configuration_says_it_is_an_agencies_command(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}", encoding="utf-8")
    result = pijler3("publiceer-bi", "--config", str(_minimal_config(tmp_path, "vdab")), "--manifest", str(manifest))
    assert result.code == 3 and result.err.count("\n") == 1, result.err
    assert "publiceer-bi is an agencies' command" in result.err and "configuration of vdab" in result.err
    assert not (tmp_path / "audit").exists()


def test_every_configuration_key_is_documented() -> None:
    doc = config_module.__doc__ or ""
    for section, keys in config_module._SECTIONS.items():
        if section:
            assert f"[{section}]" in doc, section
        for key in keys:
            assert re.search(rf"(?m)^\s+{key} = ", doc) or f"[{key}]" in doc, f"{section}.{key} is not documented"


ACCESS = (
    '\n[access]\nrecipients = ["Dienst Monitoring", "Dienst Ontwikkeling van de Dienstverlening"]\n'
    'profiles = ["analist monitoring"]\noperators = ["pijler3@vdab-etl01"]\n\n'
    '[contact]\norganisation = "VDAB"\nprivacy_url = "https://www.vdab.be/privacy"\n'
)


def test_access_and_contact_are_read_and_hostile_entries_refused(tmp_path: Path) -> None:
    config = load_config(_minimal_config(tmp_path, "vdab", ACCESS))
    assert config.access.recipients == ("Dienst Monitoring", "Dienst Ontwikkeling van de Dienstverlening")
    assert config.access.operators == ("pijler3@vdab-etl01",)
    assert config.contact.privacy_url == "https://www.vdab.be/privacy"
    for bad, said in (
        ('operators = ["pijler3@vdab-etl01", "root@x; rm -rf /"]', "expected user@host"),
        ('operators = ["<script>@x"]', "expected user@host"),
        ("operators = []", "non-empty list of strings"),
        ('profiles = ["analist", "analist"]', "same entry twice"),
        ('profiles = ["85073003328"]', "looks like an INSZ"),
        ('profiles = ["a\\u0007b"]', "one printable line"),
        (f'profiles = ["{"ab " * 70}"]', "at most 200 characters"),
        ('groups = ["x"]', "unknown key(s) groups in [access]"),
    ):
        path = _minimal_config(tmp_path, "vdab", f"\n[access]\n{bad}\n")
        result = pijler3("purge", "--config", str(path), "--dry-run", "--no-server")
        assert result.code == 3 and result.err.count("\n") == 1 and said in result.err, (bad, result.err)
        assert "85073003328" not in result.err


def test_agreement_dates_are_checked(tmp_path: Path) -> None:
    for retention, said in (
        ('[retention]\nagreement_start = "2023-03-03"\n', "retention.agreement_start = '2023-03-03'"),
        ("[retention]\nagreement_start = 2028-03-03\nagreement_end = 2028-02-14\n", "is not before agreement_end"),
    ):
        result = pijler3("purge", "--config", str(_minimal_config(tmp_path, "vdab", retention)), "--dry-run")
        assert result.code == 3 and said in result.err, result.err


def test_the_window_check_takes_the_reference_date_and_today(tmp_path: Path) -> None:
    config = load_config(
        _minimal_config(tmp_path, "vdab", "[retention]\nagreement_start = 2023-03-03\nagreement_end = 2028-02-14\n")
    )
    config.check_exchange_window("2027-S2", today=dt.date(2028, 2, 14))
    config.check_exchange_window("2023-S1", today=dt.date(2023, 7, 1))
    for wave, today in (("2028-S1", dt.date(2028, 1, 1)), ("2027-S2", dt.date(2028, 2, 15)), ("2022-S2", None)):
        with pytest.raises(OutsideAgreement, match=f"wave {wave} is outside"):
            config.check_exchange_window(wave, today=today)


def _agreement_ended(config: Path) -> None:
    _set_retention(config, agreement_end=str(dt.date.today() - dt.timedelta(days=1)))


@pytest.mark.slow
def test_afsluiten_purges_destroys_every_key_logs_each_step_and_prints_the_checklist(demo_copy: Path) -> None:
    toml = demo_copy / "agentschap" / "agentschap.toml"
    keys = demo_copy / "keys" / "agentschap"
    secrets = {name: (keys / name).read_bytes() for name in ("age.key", "signing.pem", "pseudonym.key", "ssh_ed25519")}
    with exchange(demo_copy):
        early = pijler3("afsluiten", "--config", str(toml), "--confirm", "agentschap")
        assert early.code == 3 and "agreement_end is 2028-02-14" in early.err, early.err
        _agreement_ended(toml)
        for guard in ([], ["--confirm", "vdab"], ["--confirm", "Agentschap"]):
            refused = pijler3("afsluiten", "--config", str(toml), *guard)
            assert refused.code == 2 and "--confirm agentschap" in refused.err, refused.err
        dry = pijler3("afsluiten", "--config", str(toml), "--dry-run")
        assert dry.code == 0, dry.err
        assert f"would destroy key {keys / 'pseudonym.key'}" in dry.out
        assert f"would destroy {demo_copy / 'agentschap' / 'monitoring.duckdb'}" in dry.out
        assert all((keys / name).read_bytes() == data for name, data in secrets.items())
        assert (demo_copy / "bi" / "monitoring.duckdb").is_file()
        events_before = len(list(read_audit_log(demo_copy / "audit" / "agentschap.jsonl")))

        done = pijler3("afsluiten", "--config", str(toml), "--confirm", "agentschap")
        assert done.code == 0, done.err
        again = pijler3("run-wave", "--config", str(toml), "--wave", "2026-S1")
        assert again.code == 3 and "outside the exchange window" in again.err
    for name in secrets:
        assert not (keys / name).exists(), name
    assert not list(keys.glob("signing.*.pem")) and (keys / "bundle.json").is_file()
    for gone in ("agentschap/monitoring.duckdb", "bi/monitoring.duckdb", "bi/rapport.html"):
        assert not (demo_copy / gone).exists(), gone
    assert (demo_copy / "sources" / "kbi" / "personen.csv").is_file()  # the agencies' own extract stays
    events = list(read_audit_log(demo_copy / "audit" / "agentschap.jsonl"))[events_before:]
    names = [e["event"] for e in events]
    assert names[0] == "close-started" and "purge" in names and names[-2:] == ["close-done", "window-refused"]
    destroyed = {Path(str(e["file"])).name for e in events if e["event"] == "key-destroyed"}
    assert destroyed == set(secrets)
    report = demo_copy / "audit" / "rapport-agentschap-afsluiting.html"
    assert f"final evidence report {report}" in done.out and report.is_file()
    assert "close the SFTP account" not in done.out and "close this party's SFTP account" in done.out
    assert "written confirmation" in done.out
    assert pijler3("audit", "verify", "--config", str(toml)).code == 0


def test_afsluiten_does_not_overwrite_through_a_symbolic_link(tmp_path: Path) -> None:
    """A key file replaced by a link to another file: overwriting would destroy that file instead."""
    victim = tmp_path / "elsewhere.txt"
    victim.write_text("not a key\n", encoding="utf-8")
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "pseudonym.key").symlink_to(victim)
    path = _minimal_config(tmp_path, "agentschap", "[retention]\nagreement_end = 2024-01-01\n")
    result = pijler3("afsluiten", "--config", str(path), "--confirm", "agentschap", "--no-server")
    assert result.code == 3 and "not a regular file" in result.err and "nothing was destroyed" in result.err
    assert victim.read_text(encoding="utf-8") == "not a key\n" and (keys / "pseudonym.key").is_symlink()


@pytest.mark.slow
def test_keys_blootstelling_lists_what_a_key_sealed_or_signed_and_a_forgery_as_unverified(
    demo_copy: Path, tmp_path: Path
) -> None:
    agencies_toml, vdab_toml = demo_copy / "agentschap" / "agentschap.toml", demo_copy / "vdab" / "vdab.toml"
    vdab_bundle = load_bundle(demo_copy / "keys" / "vdab" / "bundle.json")
    stranger = tmp_path / "stranger"
    party_keys.generate("vdab", stranger)  # calls itself vdab; not the key the agencies pinned
    forged = tmp_path / "forged" / "2026-S2.verrijking.csv"
    forged.parent.mkdir()
    forged.write_text("insz\n90021512469\n", encoding="utf-8")
    with exchange(demo_copy):
        envelope.seal(
            forged,
            to=demo_copy / "keys" / "agentschap" / "bundle.json",
            sign_with=stranger / "signing.pem",
            wave="2026-S2",
            kind="verrijking",
            sender="vdab",
            out_dir=demo_copy / "sftp" / "naar-agentschap",
        )
        waiting = pijler3("leg", "receive-enrichment", "--config", str(agencies_toml), "--wave", "2026-S2")
        assert waiting.code == QUARANTINED_EXIT_CODE, waiting.err
    work = demo_copy / "agentschap" / "werk"
    sent = {
        (wave, kind): json.loads((work / wave / "verzonden" / f"{wave}.{kind}.{ext}.manifest.json").read_text())
        for wave in WAVES
        for kind, ext in (("aanvraag", "csv"), ("gepseudonimiseerd", "parquet"))
    }

    sealed_for_vdab = pijler3(
        "keys",
        "blootstelling",
        "--config",
        str(agencies_toml),
        "--fingerprint",
        party_keys.group_fingerprint(vdab_bundle.current_recipient.fingerprint),
    )
    assert sealed_for_vdab.code == 0, sealed_for_vdab.err
    assert "the other party's age key (vdab)" in sealed_for_vdab.out
    for (wave, kind), manifest in sent.items():
        assert f"{wave} {kind} (sent, sealed for): {manifest['row_count']} row(s); sealed {manifest['created_at']}" in (
            sealed_for_vdab.out
        )
    own = pijler3(
        "keys", "blootstelling", "--config", str(vdab_toml), "--fingerprint", vdab_bundle.current_recipient.fingerprint
    )
    assert own.code == 0 and "own age key (vdab)" in own.out and "opened 20" in own.out, own.out

    forger = load_bundle(stranger / "bundle.json").signing_keys[0].fingerprint
    signed = pijler3("keys", "blootstelling", "--config", str(agencies_toml), "--fingerprint", forger)
    assert signed.code == 0, signed.err
    assert "in neither bundle" in signed.out
    assert "2026-S2 verrijking (received, signed by): 1 row(s)" in signed.out and "never verified" in signed.out
    assert "0 row(s) in verified envelopes" in signed.out

    for hostile in ("../../etc/passwd", "0" * 31, "\x1b[31m" + "a" * 32):
        refused = pijler3("keys", "blootstelling", "--config", str(agencies_toml), "--fingerprint", hostile)
        assert refused.code == 2 and refused.err.count("\n") == 1 and "\x1b" not in refused.err, refused.err


def test_the_transparency_text_follows_the_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    retention = "\n[retention]\nagreement_start = 2023-03-03\nagreement_end = 2028-02-14\nyears = 5\n"
    path = _minimal_config(tmp_path, "vdab", retention + ACCESS)
    out = tmp_path / "transparantie.md"
    assert pijler3("transparantie", "--config", str(path), "--out", str(out)).code == 0
    text = out.read_text(encoding="utf-8")
    for fact in (
        "# Hoe VDAB uw gegevens gebruikt",
        "van 2023-03-03 tot 2028-02-14",
        "bewaard tot 5 jaar na het einde",
        "uiterlijk tot 2033-02-14",
        "- Dienst Ontwikkeling van de Dienstverlening",
        "https://www.vdab.be/privacy",
        "- huidige categorie werkzoekende",
        "- oudste nationaliteit — bijzondere categorie (AVG art. 9)",
        "- verblijfsstatus",
    ):
        assert fact in text, fact
    assert "technisch" not in text and "gekend_bij_vdab" not in text

    # Change the facts: the retention, a contact point, a recipient, an attribute in the art. 3 list.
    changed = (
        ACCESS.replace("https://www.vdab.be/privacy", "https://www.vdab.be/nieuw")
        .replace('"Dienst Monitoring", ', "")
        .replace('organisation = "VDAB"', 'organisation = "VDAB <b>*|"\ndpo = "dpo@vdab.example"')
    )
    path.write_text(path.read_text().replace(ACCESS, changed).replace("years = 5", "years = 3"), encoding="utf-8")
    monkeypatch.setitem(artikel3.KBI, "woonplaats", "gemeente van de woonplaats")  # type: ignore[index]
    assert pijler3("transparantie", "--config", str(path), "--out", str(out)).code == 0
    new = out.read_text(encoding="utf-8")
    assert "bewaard tot 3 jaar" in new and "uiterlijk tot 2031-02-14" in new
    assert "https://www.vdab.be/nieuw" in new and "www.vdab.be/privacy" not in new
    assert "- Dienst Monitoring" not in new and "dpo@vdab.example" in new
    assert "- gemeente van de woonplaats" in new
    assert r"# Hoe VDAB \<b\>\*\| uw gegevens" in new  # a configured value cannot become Markdown or HTML

    page = tmp_path / "transparantie.html"
    assert pijler3("transparantie", "--config", str(path), "--out", str(page)).code == 0
    html_text = page.read_text(encoding="utf-8")
    assert "<b>" not in html_text and "VDAB &lt;b&gt;" in html_text and html_text.startswith("<!doctype html>")


PIJLER3 = str(Path(sys.executable).with_name("pijler3"))


def _events(log: Path, after: int) -> list[tuple[object, ...]]:
    return [(e["event"], e.get("step") or e.get("command")) for e in list(read_audit_log(log))[after:]]


@pytest.mark.slow
def test_ctrl_c_at_a_dbt_step_exits_130_with_an_audit_event_and_the_wave_resumes(demo_copy: Path) -> None:
    """Before: a dbt build printed ~75 lines of traceback and left no audit trace (or, early in dbt's start-up, went
    on as if nothing happened)."""
    agencies_toml, vdab_toml = demo_copy / "agentschap" / "agentschap.toml", demo_copy / "vdab" / "vdab.toml"
    agencies_log = demo_copy / "audit" / "agentschap.jsonl"
    dbt_log = demo_copy / "agentschap" / "werk" / "2026-S2" / "dbt" / "build-request" / "logs" / "dbt.log"
    agencies = ["run-wave", "--config", str(agencies_toml), "--wave", "2026-S2"]
    vdab = ["run-wave", "--config", str(vdab_toml), "--wave", "2026-S2"]
    with exchange(demo_copy):
        before = len(list(read_audit_log(agencies_log)))
        process = subprocess.Popen([PIJLER3, *agencies], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while not dbt_log.exists() and process.poll() is None:
            time.sleep(0.05)  # waits for dbt to start; asserts nothing about time
        process.send_signal(signal.SIGINT)
        out, err = process.communicate()
        assert process.returncode == 130, (out, err)
        assert "Traceback" not in out + err and len([line for line in err.splitlines() if line.strip()]) <= 2, err
        assert "interrupted (Ctrl-C)" in err
        assert _events(agencies_log, before)[-2:] == [
            ("step-interrupted", "build-request"),
            ("interrupted", "run-wave"),
        ]
        assert pijler3(*agencies).code == 75  # resumes and sends the request

        resumed = pijler3(*vdab)
        assert resumed.code == 75, resumed.out + resumed.err
        assert "waiting at receive-dataset" in resumed.out
