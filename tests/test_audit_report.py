"""Evidence for the DPO (art. 3, 6, 7): ``pijler3 audit report`` and ``audit verify`` on the demo — the report is
Dutch, states what the manifests, step records and keys say, checks every file's columns against art. 3, shows every
failure and who ran what, verifies the audit chain, prints on A4 and holds no personal data."""

from __future__ import annotations

import getpass
import json
import re
import socket
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import require_tool
from demo_helpers import Demo, population_forms
from pijler3 import keys
from pijler3.audit import AuditLog
from pijler3.cli import cli
from pijler3.demo import WAVES
from pijler3.errors import Pijler3Error

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow


def report(out: Path, party: str, tmp_path: Path, *extra: str, suffix: str = ".md") -> str:
    target = tmp_path / f"rapport{suffix}"
    config = out / party / f"{party}.toml"
    result = CliRunner().invoke(cli, ["audit", "report", "--config", str(config), "--out", str(target), *extra])
    assert result.exit_code == 0, result.output
    return target.read_text(encoding="utf-8")


def manifests(demo: Demo, party: str, wave: str) -> list[dict[str, object]]:
    folder = demo.out / party / "werk" / wave
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*/*.manifest.json"))]


def checks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^\| (.+?) \| (geslaagd|nog niet uitgevoerd|\*\*MISLUKT\*\*) \|", text, flags=re.M)


@pytest.mark.parametrize("party", ["agentschap", "vdab"])
def test_report_states_every_exchanged_file_with_hashes_rows_and_keys(demo: Demo, party: str, tmp_path: Path) -> None:
    text = report(demo.out, party, tmp_path)
    for wave in WAVES:
        assert f"## Meting {wave}" in text
        found = manifests(demo, party, wave)
        # and the correction notices (art. 7) the party sent: the agencies one per wave, VDAB one (and its answer
        # to the agencies' notice) in the demo's last wave
        notices = {"melding"} if party == "agentschap" or wave == WAVES[-1] else set()
        answers = {"antwoord"} if party == "vdab" and wave == WAVES[-1] else set()
        assert {m["kind"] for m in found} == {"aanvraag", "verrijking", "gepseudonimiseerd", *notices, *answers}
        for manifest in found:
            assert f"`{manifest['file_name']}`" in text
            for digest in (manifest["ciphertext_sha256"], manifest["plaintext_sha256"]):
                # shortened in the table, in full in a footnote
                assert f"`{str(digest)[:12]}…` [" in text and re.search(rf"^\[\d+\] `{digest}`", text, re.M)
            assert f"| {int(str(manifest['row_count'])):,} |".replace(",", ".") in text
    bundle = keys.load_bundle(demo.out / "keys" / party / "bundle.json")
    assert keys.group_fingerprint(bundle.signing_keys[0].fingerprint) in text
    assert "| nog niet |" not in text and "nog niet uitgevoerd" not in text, "every step of both waves completed"
    assert "Bewijsrapport" in text and "Evidence" not in text and "passed" not in text


def test_every_check_ran_and_passed_including_the_art3_columns_and_vdabs_insz_scan(demo: Demo, tmp_path: Path) -> None:
    text = report(demo.out, "agentschap", tmp_path)
    found = checks(text)
    names = " ".join(name for name, _ in found)
    for needed in (
        "handtekening van het manifest van verrijking",
        "scan op INSZ-nummers",
        "openbaarmakingscontrole",
        "dbt-tests",
        "kolommen van aanvraag (verzonden) getoetst aan art. 3",
        "kolommen van verrijking (ontvangen) getoetst aan art. 3",
        "kolommen van gepseudonimiseerd (verzonden) getoetst aan art. 3",
    ):
        assert needed in names
    assert {verdict for _, verdict in found} == {"geslaagd"}
    assert "gegevens mogen bewaard worden tot 2033-02-14" in text
    assert re.search(
        r"openbaarmakingscontrole .*\| [\d.]+ van [\d.]+ cellen niet gepubliceerd .*informatieverlies: [\d,]+ % van de"
        r" cellen gepubliceerd .* 0 cellen met een echt aantal vanaf 10 verborgen",
        text,
    )
    vdab = report(demo.out, "vdab", tmp_path)
    vdab_checks = dict(checks(vdab))
    scan = "scan op INSZ-nummers in klare tekst in wat VDAB van de uitwisseling bewaart"
    assert [v for name, v in vdab_checks.items() if name.startswith(scan)] == ["geslaagd"]
    assert "aangevraagde nummers: geen gevonden" in vdab and "**MISLUKT**" not in vdab
    assert "**gepseudonimiseerd** (ontvangen, stap receive-dataset): 44 kolommen — conform." in vdab


def test_who_ran_each_command_stands_next_to_the_sftp_account(demo: Demo, tmp_path: Path) -> None:
    text = report(demo.out, "vdab", tmp_path)
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    assert re.search(rf"^\| [\d: -]+ \| opgeladen \| {re.escape(who)} \| vdab \| verrijking, ", text, re.M)
    assert "**geverifieerd**" in text and "ankers in de stapverslagen kloppen" in text


def test_one_wave_as_html_and_no_personal_data(demo: Demo, tmp_path: Path) -> None:
    html = report(demo.out, "agentschap", tmp_path, "--wave", WAVES[1], suffix=".html")
    assert html.startswith("<!doctype html>") and "<table>" in html and '<html lang="nl">' in html
    assert f"Meting {WAVES[1]}" in html and f"Meting {WAVES[0]}" not in html
    forms = population_forms(demo.out)
    for text in (html, report(demo.out, "agentschap", tmp_path), report(demo.out, "vdab", tmp_path)):
        assert not [f for f in forms if f in text]


@pytest.mark.needs_tool
def test_the_html_report_fits_an_a4_page_width(demo: Demo, tmp_path: Path) -> None:
    chromium = require_tool("chromium", "chromium-browser")
    html = report(demo.out, "agentschap", tmp_path, suffix=".html")
    probe = tmp_path / "probe.html"
    # The printable width of A4 with the report's margins is 186 mm, about 700 CSS pixels.
    probe.write_text(
        html.replace(
            "</body>",
            "<script>document.body.dataset.width = document.documentElement.scrollWidth + '/' +"
            " document.documentElement.clientWidth</script></body>",
        )
    )
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=700,1000", "--dump-dom",
         probe.as_uri()],
        capture_output=True, text=True,
    )  # fmt: skip
    match = re.search(r'data-width="(\d+)/(\d+)"', done.stdout)
    assert match, done.stderr[-2000:]
    scroll, client = map(int, match.groups())
    assert scroll <= client, f"the page is {scroll} px wide in a {client} px window: it scrolls sideways"


def test_a_failed_check_and_a_column_outside_art3_show_as_failed(demo_copy: Path, tmp_path: Path) -> None:
    steps = demo_copy / "agentschap" / "werk" / WAVES[0] / "stappen"
    record = json.loads((steps / "insz-scan.json").read_text())
    record["details"]["findings"] = 3
    (steps / "insz-scan.json").write_text(json.dumps(record))
    record = json.loads((steps / "share-dataset.json").read_text())
    record["details"]["columns"] += ",geboortedatum"
    (steps / "share-dataset.json").write_text(json.dumps(record))
    text = report(demo_copy, "agentschap", tmp_path)
    assert re.search(r"scan op INSZ-nummers .*\| \*\*MISLUKT\*\* \| [\d.]+ bestanden, 3 vondst", text)
    assert re.search(
        r"kolommen van gepseudonimiseerd \(verzonden\) .*\| \*\*MISLUKT\*\* \| niet in art. 3: geboorte", text
    )
    assert "45 kolommen — **NIET conform**: niet in art. 3: geboortedatum" in text
    assert "| **niet in art. 3** | `geboortedatum` |" in text
    assert re.search(r"\| controles \(alle metingen\) \| \*\*2 van \d+ MISLUKT\*\*", text)


def test_failures_refusals_and_quarantines_are_listed_whatever_their_kind(demo_copy: Path, tmp_path: Path) -> None:
    log = AuditLog(demo_copy / "audit" / "agentschap.jsonl", "agentschap")
    # A connection failure carries no wave; a kind of event this module has never heard of carries an outcome.
    # (A failure without a wave shows under the wave whose events surround it, else under its own heading.)
    log.record("envelope-held", wave=WAVES[1], kind="verrijking", outcome="quarantined", reason="signature invalid")
    log.record("failure", action="connect", user="agentschap", attempt=2, error="ConnectionRefusedError", retried=True)
    text = report(demo_copy, "agentschap", tmp_path)
    outside = text.split("## Storingen buiten een meting")[1].split("## Meting")[0]
    assert re.search(r"\| SFTP-fout connect \| .+@.+ \| agentschap \| ConnectionRefusedError \| poging 2, ja", outside)
    wave = text.split(f"## Meting {WAVES[1]}")[1].split("### Wie deed wat")[0]
    assert re.search(r"\| envelope-held \| .+@.+ \|  \| signature invalid \| bij een volgende run \|", wave)
    assert "| storingen, weigeringen, quarantaine en herhalingen | 2 " in text


def verify(config: str) -> tuple[int, str]:
    """Exit code and message as ``pijler3 audit verify`` gives them (``main`` turns the exception into both)."""
    result = CliRunner().invoke(cli, ["audit", "verify", "--config", config])
    if isinstance(result.exception, Pijler3Error):
        return result.exception.exit_code, str(result.exception)
    return result.exit_code, result.output


def test_audit_verify_passes_on_the_demo_and_names_the_tampered_line(demo_copy: Path, tmp_path: Path) -> None:
    config = str(demo_copy / "vdab" / "vdab.toml")
    code, output = verify(config)
    assert code == 0, output
    assert re.search(r"hash chain verified: \d+ lines, 22 anchors in step records", output)
    log = demo_copy / "audit" / "vdab.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join([*lines[:9], *lines[10:]]))
    code, output = verify(config)
    assert code == 6
    assert "line 10 was written as line 11: the line(s) written as 10 were removed or moved" in output
    assert "**NIET geverifieerd**: line 10 was written as line 11" in report(demo_copy, "vdab", tmp_path)
    # the last lines cut off, down to the last step's line: a valid, shorter chain, but the anchors notice
    last_step = max(i for i, line in enumerate(lines) if '"event": "step-done"' in line)
    log.write_text("".join(lines[:last_step]))
    code, output = verify(config)
    assert code == 6 and "but the log ends at line" in output
