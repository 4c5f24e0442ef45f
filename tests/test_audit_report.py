"""Evidence for the DPO (art. 3, 6, 7): ``pijler3 audit report`` and ``audit verify`` on the demo — the report is
Dutch, states what the manifests, step records and keys say, checks every file's columns against art. 3, shows every
failure and who ran what, verifies the audit chain, prints on A4 and holds no personal data."""

from __future__ import annotations

import getpass
import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_helpers import pijler3
from conftest import require_tool
from demo_helpers import Demo, population_forms
from pijler3 import envelope, keys, meldingen
from pijler3.cli import cli
from pijler3.demo import WAVES, exchange
from pijler3.errors import Pijler3Error
from pijler3.wave import run_wave

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow


def report(out: Path, party: str, tmp_path: Path, *extra: str, suffix: str = ".md") -> str:
    target = tmp_path / f"rapport{suffix}"
    config = out / party / f"{party}.toml"
    result = CliRunner().invoke(cli, ["audit", "report", "--config", str(config), "--out", str(target), *extra])
    assert result.exit_code == 0, result.output
    return target.read_text(encoding="utf-8")


def manifests(demo: Demo, party: str, wave: str) -> list[dict[str, object]]:
    """The signed manifests of every file of ``wave`` the party sent or received, the notices it keeps sealed too."""
    work = demo.out / party / "werk"
    kept = sorted((work / "meldingen" / "ontvangen").glob(f"**/{wave}.*.manifest.json"))
    return [json.loads(p.read_text()) for p in [*sorted((work / wave).glob("*/*.manifest.json")), *kept]]


def checks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^\| (.+?) \| (geslaagd|nog niet uitgevoerd|\*\*MISLUKT\*\*) \|", text, flags=re.M)


@pytest.mark.parametrize("party", ["agentschap", "vdab"])
def test_report_states_every_exchanged_file_with_hashes_rows_and_keys(demo: Demo, party: str, tmp_path: Path) -> None:
    text = report(demo.out, party, tmp_path)
    for wave in WAVES:
        assert f"## Meting {wave}" in text
        found = manifests(demo, party, wave)
        # and the correction notices (art. 7) in both directions: the agencies send one per wave, VDAB receives it;
        # VDAB answers the one of the demo's last wave, the agencies receive that answer
        answers = {"antwoord"} if wave == WAVES[-1] else set()
        assert sorted(str(m["kind"]) for m in found) == sorted(
            ["aanvraag", "verrijking", "gepseudonimiseerd", "melding", *answers]
        )
        section = text.split(f"## Meting {wave}")[1].split("## Meting")[0]
        for manifest in found:
            direction = "verzonden" if manifest["sender"] == party else "ontvangen"
            row = next(line for line in section.splitlines() if f"`{manifest['file_name']}`" in line)
            assert row.startswith(f"| {direction} ({manifest['sender']} → {manifest['recipient']}) |"), row
            assert f"| {int(str(manifest['row_count'])):,} |".replace(",", ".") in row
            # each file's columns checked against art. 3, the notices and answers too
            assert re.search(rf"^\| kolommen van {manifest['kind']} \({direction}, .*\| geslaagd \|", section, re.M)
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
        "kolommen van aanvraag (verzonden, stap send-request) getoetst aan art. 3",
        "kolommen van verrijking (ontvangen, stap receive-enrichment) getoetst aan art. 3",
        "kolommen van gepseudonimiseerd (verzonden, stap share-dataset) getoetst aan art. 3",
        "kolommen van antwoord (ontvangen, antwoord op correctiemelding ontvangen (art. 7)",
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
    # the columns beyond the literal wording of art. 3 are an interpretation the DPOs accept in writing, and the one
    # special category is named
    assert (
        "**gepseudonimiseerd** (ontvangen, stap receive-dataset): 44 kolommen — conform mits de interpretaties I1, I2,"
        " I3, I4, I5 aanvaard zijn." in vdab
    )
    assert "| oudste nationaliteit | `oudste_nationaliteit` | letterlijk; **bijzondere categorie (art. 9 AVG)" in vdab
    assert re.search(
        r"^\| uitstroom naar werk \| `uitstroom_naar_werk`, .* \| \*\*interpretatie I3\*\*; \*\*interpretatie I4",
        vdab,
        re.M,
    )
    registrations = "`eerste_inschrijving`, `meest_recente_inschrijving` | letterlijk |"
    assert f"| eerste en meest recente inschrijving bij VDAB | {registrations}" in vdab
    assert "**aanvraag** (ontvangen, stap receive-request): 1 kolom — conform." in vdab


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
    label = r"kolommen van gepseudonimiseerd \(verzonden, stap share-dataset\) "
    assert re.search(label + r".*\| \*\*MISLUKT\*\* \| niet in art. 3: geboorte", text)
    assert "45 kolommen — **NIET conform**: niet in art. 3: geboortedatum" in text
    assert "| **niet in art. 3** | `geboortedatum` | — |" in text
    assert re.search(r"\| controles \(alle metingen\) \| \*\*2 van \d+ MISLUKT\*\*", text)


def test_a_forged_and_a_replayed_notice_are_quarantined_and_the_report_shows_both(
    demo_copy: Path, tmp_path: Path
) -> None:
    """A18 on the real path: an envelope signed by a key VDAB never pinned and a genuine notice uploaded a second
    time reach VDAB's inbox; VDAB's own notice loading quarantines both; its report lists each with a Dutch reason."""
    last, first = WAVES[-1], WAVES[0]
    inbox = demo_copy / "sftp" / "naar-vdab"
    # forged: a notice for the last wave, sealed for VDAB's real key, signed by a key only the forger holds
    forger = keys.generate("agentschap", tmp_path / "forger", inside_git_work_tree=True)
    plaintext = tmp_path / "forged" / f"{last}.melding.csv"
    plaintext.parent.mkdir()
    plaintext.write_text(",".join(meldingen.MELDING_COLUMNS) + "\n")
    envelope.seal(
        plaintext,
        to=demo_copy / "keys" / "vdab" / "bundle.json",
        sign_with=forger.folder / "signing.pem",
        wave=last,
        kind="melding",
        out_dir=inbox,
    )
    # replayed: the agencies' genuine notice of the first wave, which VDAB opened before and keeps sealed
    for kept in (demo_copy / "vdab" / "werk" / "meldingen" / "ontvangen").glob(f"{first}.melding.csv.*"):
        shutil.copy(kept, inbox / kept.name)
    with exchange(demo_copy) as configs:
        loaded = meldingen.laad_binnenkomend(configs["vdab"])
    assert loaded.meldingen == () and sorted(s.reason for s in loaded.set_aside) == [
        "ReplayError",
        "UnknownSenderKeyError",
    ]
    assert sorted(p.name for p in inbox.iterdir()) == [], "both moved off the server"

    text = report(demo_copy, "vdab", tmp_path)
    assert "| storingen, weigeringen, quarantaine en herhalingen | 2 (met tijd en reden hieronder) |" in text
    forged = (
        "Het manifest is ondertekend met een sleutel die niet vastgepind is voor de afzender (onbekende of vervalste"
        " afzender); niets werd geopend. (technisch: `UnknownSenderKeyError`)"
    )
    replayed = (
        "Deze meting van dit soort bestand werd al eerder geopend: een herhaalde envelop. (technisch: `ReplayError`)"
    )
    rows = [
        line
        for table in text.split("### Storingen, weigeringen, quarantaine en herhalingen")[1:]
        for line in table.split("###")[0].splitlines()
        if line.startswith("| 2")
    ]
    assert len(rows) == 2, rows
    for reason in (replayed, forged):
        (row,) = [row for row in rows if reason in row]
        assert re.match(
            rf"\| [\d: -]+ \| \*\*quarantaine\*\*: envelop in quarantaine geplaatst receive-melding melding \| "
            rf".+@.+ \|  \| {re.escape(reason)} \| bij een volgende run \|$",
            row,
        ), row
    # the replay names the wave it was opened for; the forged one's wave was never vouched for, so it names none
    assert replayed in text.split(f"## Meting {first}")[1].split("## Meting")[0]


def test_key_events_are_listed_outside_a_wave_and_when_they_succeed(demo_copy: Path, tmp_path: Path) -> None:
    config = str(demo_copy / "vdab" / "vdab.toml")
    fresh = tmp_path / "nieuwe-sleutels"
    generated = pijler3(
        "keys", "generate", "--party", "vdab", "--out", str(fresh), "--config", config, "--inside-git-work-tree"
    )
    assert generated.code == 0, generated.err
    old = keys.load_bundle(demo_copy / "keys" / "vdab" / "bundle.json").signing_keys[0].fingerprint
    assert pijler3("keys", "rotate", "--config", config).code == 0
    assert pijler3("keys", "retire", "--config", config, "--fingerprint", old).code == 0
    wrong_party = pijler3("keys", "generate", "--party", "agentschap", "--out", str(tmp_path / "x"), "--config", config)
    assert wrong_party.code == 3 and "configuration of vdab, not of agentschap" in wrong_party.err

    text = report(demo_copy, "vdab", tmp_path)
    section = text.split("## Sleutels (art. 6)")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if re.match(r"\| \d{4}-", line)]
    labels = ["sleutels aangemaakt", "sleutels vernieuwd", "oude sleutel ingetrokken"]
    assert [row.split(" | ")[1] for row in rows] == labels
    assert f"`{fresh.name}`" in rows[0] and f"sleutel `{old[:12]}…`" in rows[2]
    # outside any wave: also in the activity table of events outside a wave, none of them a failure
    outside = text.split("## Buiten een meting")[1].split("## Meting")[0]
    assert (
        outside.count("| sleutels vernieuwd |") == 1
        and "\n### Storingen, weigeringen, quarantaine en herhalingen\n\nGeen." in outside
    )


def test_a_request_changed_after_vdab_opened_it_is_refused_and_the_report_says_so(
    demo_copy: Path, tmp_path: Path
) -> None:
    """Issue 21, section 2, on the real path: the agencies send a new wave's request, VDAB opens it, one line is
    doubled in the opened file (what the demo used to do), and VDAB's wave refuses to load it: exit code 4, one line,
    nothing loaded; the report lists the refusal in Dutch."""
    wave = "2026-S2"
    vdab_toml = str(demo_copy / "vdab" / "vdab.toml")
    with exchange(demo_copy) as configs:
        agencies = pijler3("run-wave", "--config", str(demo_copy / "agentschap" / "agentschap.toml"), "--wave", wave)
        assert agencies.code == 75, agencies.err
        assert run_wave(configs["vdab"], wave, stop_after="receive-request").status == "stopped"
        request = demo_copy / "vdab" / "in" / f"{wave}.aanvraag.csv"
        lines = request.read_text().splitlines(keepends=True)
        request.write_text("".join([*lines, lines[1]]))
        refused = pijler3("run-wave", "--config", vdab_toml, "--wave", wave)
    assert refused.code == 4 and refused.err.count("\n") == 1, refused.err
    assert f"{request.name}: sha-256 " in refused.err and ", but agentschap signed sha-256 " in refused.err
    assert f"and {len(lines) - 1} rows for aanvraag {wave}" in refused.err and "nothing was loaded" in refused.err
    assert not (demo_copy / "vdab" / "werk" / wave / "stappen" / "load-request.json").exists()
    text = report(demo_copy, "vdab", tmp_path, "--wave", wave)
    assert re.search(
        r"\| \*\*weigering\*\*: stap mislukt load-request \| .+@.+ \|  \| Het geopende bestand verschilt van wat"
        r" de afzender ondertekende \(hash, grootte of aantal rijen\); het werd niet geladen\. \(technisch:"
        r" `ContentMismatchError`\)",
        text,
    )


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
