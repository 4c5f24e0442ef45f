"""``run_wave`` / ``pijler3 run-wave``: the demo on real OpenSSH with an interruption in the middle of a wave and a
resume, the reference dates, the INSZ scan and the configuration it needs."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_helpers import pijler3
from conftest import require_tool
from pijler3 import evidence
from pijler3 import wave as wave_module
from pijler3.audit import read_audit_log
from pijler3.cli import cli
from pijler3.config import load_config
from pijler3.demo import WAVES, exchange, run_demo
from pijler3.envelope import peildatum
from pijler3.errors import ConfigError, Pijler3Error
from pijler3.leakscan import scan
from pijler3.wave import run_wave

pytest_plugins = ["demo_fixtures"]


def test_reference_dates() -> None:
    assert peildatum("2025-S2") == dt.date(2025, 12, 31)
    assert peildatum("2026-S1") == dt.date(2026, 6, 30)
    with pytest.raises(Pijler3Error):
        peildatum("2026-S3")


@pytest.mark.slow
def test_interrupted_wave_on_openssh_resumes_where_it_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("sshd", "/usr/sbin/sshd")
    out = tmp_path / "demo"
    real_export = wave_module.exporteer_dataset

    def failing_export(monitoring: Path, golf: str, target: Path) -> int:
        if golf == WAVES[0]:
            raise Pijler3Error("simulated crash while exporting the dataset")
        return real_export(monitoring, golf, target)

    monkeypatch.setattr(wave_module, "exporteer_dataset", failing_export)
    with pytest.raises(Pijler3Error, match="simulated crash"):
        run_demo(out, persons=150, seed=3, sftp="openssh", waves=WAVES[:1])
    monkeypatch.setattr(wave_module, "exporteer_dataset", real_export)

    progress: list[str] = []
    result = run_demo(out, persons=150, seed=3, sftp="openssh", waves=WAVES[:1], progress=progress.append)

    assert result.resumed and [w.wave for w in result.waves] == [WAVES[0]]
    assert "resuming the interrupted demo" in progress[0]
    events = list(read_audit_log(out / "audit" / "agentschap.jsonl"))
    done = [(e["wave"], e["step"]) for e in events if e["event"] == "step-done"]
    # Every step ran exactly once: the resume started at the failed step, not at the beginning.
    assert len(done) == len(set(done)) == len(wave_module.AGENCIES)
    failed = [(e["wave"], e["step"]) for e in events if e["event"] == "step-failed"]
    assert failed == [(WAVES[0], "export-dataset")]
    assert f"[agentschap {WAVES[0]}] 9 step(s) done earlier; resuming at export-dataset" in progress
    assert not (out / "agentschap" / "restricted.duckdb").exists()


@pytest.mark.slow
def test_cli_run_wave_on_a_finished_demo_has_nothing_to_do(demo_copy: Path) -> None:
    with exchange(demo_copy):
        result = CliRunner().invoke(
            cli, ["run-wave", "--config", str(demo_copy / "vdab" / "vdab.toml"), "--wave", WAVES[0]]
        )
    assert result.exit_code == 0, result.output
    assert f"[vdab {WAVES[0]}] all 11 steps done earlier; nothing to do" in result.output
    assert f"vdab {WAVES[0]}: complete" in result.output.splitlines()


@pytest.mark.slow
def test_a_wave_waits_with_75_refuses_an_extract_changed_since_its_request_and_can_start_over(demo_copy: Path) -> None:
    """A row appended to personen.csv between the request and the dataset build was accepted silently: a newcomer
    never sent to VDAB entered the pseudonymised dataset and the marts."""
    wave = "2026-S2"
    agencies = ["run-wave", "--config", str(demo_copy / "agentschap" / "agentschap.toml"), "--wave", wave]
    vdab = ["run-wave", "--config", str(demo_copy / "vdab" / "vdab.toml"), "--wave", wave]
    personen = demo_copy / "sources" / "kbi" / "personen.csv"
    with exchange(demo_copy):
        first = pijler3(*agencies)
        assert first.code == 75 and "waiting at receive-enrichment" in first.out, first.err
        assert pijler3(*vdab).code == 75

        lines = personen.read_text(encoding="utf-8").splitlines(keepends=True)
        personen.write_text("".join([*lines, lines[1]]), encoding="utf-8")  # one more row, as a late export would
        changed = pijler3(*agencies)
        assert changed.code == 2 and changed.err.count("\n") == 1, changed.err
        assert "personen.csv: changed since the request of wave 2026-S2 was built from it" in changed.err
        assert f"--wave {wave} --restart" in changed.err
        work = demo_copy / "agentschap" / "werk" / wave
        assert not (work / "stappen" / "load-enrichment.json").exists()

        # Starting over: the agencies send a new request, VDAB answers it, the agencies finish with the new extract.
        assert pijler3(*agencies, "--restart").code == 75
        assert pijler3(*vdab, "--restart").code == 75
        done = pijler3(*agencies)
        assert done.code == 0, done.err
    request_rows = json.loads((work / "stappen" / "export-request.json").read_text())["details"]["rows"]
    loaded = json.loads((work / "stappen" / "load-kbi.json").read_text())["details"]
    assert loaded["personen_rows"] == len(lines)  # header + rows before, plus the appended one
    kept = sorted((demo_copy / "agentschap" / "werk" / "herstart").iterdir())
    assert len(kept) == 1 and (kept[0] / "stappen" / "export-request.json").is_file()
    before = json.loads((kept[0] / "stappen" / "export-request.json").read_text())["details"]["rows"]
    assert request_rows >= before
    events = list(read_audit_log(demo_copy / "audit" / "agentschap.jsonl"))
    assert "wave-restart" in [e["event"] for e in events]
    # The evidence report shows every request that was uploaded, the replaced one marked, the restart and the refusal
    # in Dutch (issue 21: 3 uploaded, 1 shown; "wave-restart" untranslated, empty details; "ExtractChanged").
    text = evidence.report_markdown(load_config(demo_copy / "agentschap" / "agentschap.toml"), wave)
    uploaded = {
        e["sha256"]
        for e in events
        if e["event"] == "upload" and str(e["remote_path"]).endswith(f"{wave}.aanvraag.csv.age")
    }
    shown = [line for line in text.splitlines() if f"| aanvraag: `{wave}.aanvraag.csv` |" in line]
    assert len(shown) == len(uploaded) == 2
    assert [f"vervangen** bij herstart, bewaard in `{kept[0].name}`" in line for line in shown] == [False, True]
    assert re.search(
        rf"\| \*\*herstart\*\*: meting opnieuw gestart \(`--restart`\) \| .+ \| De meting werd opnieuw gestart; de"
        rf" vorige stapverslagen en manifesten zijn bewaard in `{kept[0].name}` en \d+ gebouwde bestanden",
        text,
    )
    assert "| **weigering**: stap mislukt load-enrichment |" in text
    assert "Het bronbestand veranderde sinds de aanvraag eruit gebouwd werd; de meting ging niet verder." in text
    assert "| ExtractChanged |" not in text and "wave-restart" not in text


def test_run_wave_names_the_missing_configuration_key(demo_copy: Path, tmp_path: Path) -> None:
    # on a copy: the failed step is recorded in the (linked) audit log
    text = (demo_copy / "vdab" / "vdab.toml").read_text()
    config = tmp_path / "vdab" / "vdab.toml"
    config.parent.mkdir()
    config.write_text(text.replace('vdab = "vdab.duckdb"\n', ""))
    for link in ("keys", "sources", "audit"):
        (tmp_path / link).symlink_to(demo_copy / link)
    with pytest.raises(ConfigError, match=r"databases\.vdab is not set"):
        run_wave(load_config(config), "2026-S2")


def test_insz_scan_finds_numbers_in_files_and_tables_but_not_in_hashes(tmp_path: Path) -> None:
    import duckdb

    (tmp_path / "clean.txt").write_text("sha 85073003328aa 0x85073003328 " + "ab" * 32)
    (tmp_path / "note.txt").write_text("see 85.07.30-033.28 here")
    with duckdb.connect(str(tmp_path / "x.duckdb")) as con:
        con.execute("create table t as select 'id 17073003384;' as v union all select 'nothing'")
    findings = {(f.path.name, f.where, f.count) for f in scan([tmp_path])}
    assert findings == {("note.txt", "", 1), ("x.duckdb", "main.t.v", 1)}
    assert scan([tmp_path], allowed=frozenset({"85073003328", "17073003384"})) == []
