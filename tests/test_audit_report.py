"""Evidence for the DPO (art. 6): ``pijler3 audit report`` on the demo — the facts it states match the manifests,
step records and keys, every check passed, and it holds no personal data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from demo_helpers import Demo, population_forms
from pijler3 import keys
from pijler3.cli import cli
from pijler3.demo import WAVES

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow


def report(demo: Demo, party: str, tmp_path: Path, *extra: str, suffix: str = ".md") -> str:
    out = tmp_path / f"rapport{suffix}"
    config = demo.out / party / f"{party}.toml"
    result = CliRunner().invoke(cli, ["audit", "report", "--config", str(config), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def manifests(demo: Demo, party: str, wave: str) -> list[dict[str, object]]:
    folder = demo.out / party / "werk" / wave
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*/*.manifest.json"))]


@pytest.mark.parametrize("party", ["agentschap", "vdab"])
def test_report_states_every_exchanged_file_with_hashes_rows_and_keys(demo: Demo, party: str, tmp_path: Path) -> None:
    text = report(demo, party, tmp_path)
    for wave in WAVES:
        assert f"## Wave {wave}" in text
        found = manifests(demo, party, wave)
        assert {m["kind"] for m in found} == {"aanvraag", "verrijking", "gepseudonimiseerd"}
        for manifest in found:
            assert f"`{manifest['file_name']}`" in text
            assert str(manifest["ciphertext_sha256"]) in text and str(manifest["plaintext_sha256"]) in text
            assert f"| {int(str(manifest['row_count'])):,} |" in text
    bundle = keys.load_bundle(demo.out / "keys" / party / "bundle.json")
    assert keys.group_fingerprint(bundle.signing_keys[0].fingerprint) in text
    assert "not yet" not in text, "every step of both waves completed"


def test_every_check_ran_and_passed(demo: Demo, tmp_path: Path) -> None:
    text = report(demo, "agentschap", tmp_path)
    checks = re.findall(r"^\| (.+?) \| (passed|not run|\*\*FAILED\*\*) \|", text, flags=re.M)
    names = " ".join(name for name, _ in checks)
    for needed in ("signature of the verrijking manifest", "INSZ-leak scan", "disclosure control", "dbt tests"):
        assert needed in names
    assert {verdict for _, verdict in checks} == {"passed"}
    assert "data may be kept until 2033-02-14" in text
    vdab = report(demo, "vdab", tmp_path)
    assert "request and everything linked to it removed" in vdab and "**FAILED**" not in vdab


def test_one_wave_as_html_and_no_personal_data(demo: Demo, tmp_path: Path) -> None:
    html = report(demo, "agentschap", tmp_path, "--wave", WAVES[1], suffix=".html")
    assert html.startswith("<!doctype html>") and "<table>" in html
    assert f"Wave {WAVES[1]}" in html and f"Wave {WAVES[0]}" not in html
    forms = population_forms(demo.out)
    for text in (html, report(demo, "agentschap", tmp_path), report(demo, "vdab", tmp_path)):
        assert not [f for f in forms if f in text]


def test_a_failed_check_shows_as_failed(demo_copy: Path, tmp_path: Path) -> None:
    marker = demo_copy / "agentschap" / "werk" / WAVES[0] / "stappen" / "insz-scan.json"
    record = json.loads(marker.read_text())
    record["details"]["findings"] = 3
    marker.write_text(json.dumps(record))
    out = tmp_path / "r.md"
    result = CliRunner().invoke(
        cli, ["audit", "report", "--config", str(demo_copy / "agentschap" / "agentschap.toml"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"INSZ-leak scan .*\| \*\*FAILED\*\* \| \d+ files, 3 finding", out.read_text())
