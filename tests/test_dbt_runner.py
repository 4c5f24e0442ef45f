"""``run_dbt``: what the user sees when dbt does not succeed, and the parse cache the steps of one wave share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from pijler3.dbt_runner import COMPILE_TIME_VARS, run_dbt


def test_ctrl_c_during_dbt_stays_an_interrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """dbtRunner catches Ctrl-C and returns it as the result's exception; turned into a Pijler3Error it read
    "dbt build failed for target agentschap: " (empty reason) with exit code 1 instead of "aborted" and 130."""

    def interrupted(self: dbtRunner, args: list[str], **kwargs: object) -> dbtRunnerResult:
        return dbtRunnerResult(success=False, exception=KeyboardInterrupt())

    monkeypatch.setattr(dbtRunner, "invoke", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_dbt(["build"], target="lint", env={}, work_dir=tmp_path)


FULL_PARSE = "Unable to do partial parsing"


def parse(work: Path, cache: Path, wave: str) -> str:
    run_dbt(
        ["parse", "--vars", f"{{golf: '{wave}', peildatum: '2026-06-30'}}"],
        target="lint",
        env={},
        work_dir=work,
        parse_cache=cache,
    )
    return (work / "logs" / "dbt.log").read_text(encoding="utf-8")


def test_tweede_stap_hergebruikt_de_parse(tmp_path: Path) -> None:
    cache = tmp_path / "parse" / "partial_parse.msgpack"
    first = parse(tmp_path / "stap1", cache, "2026-S1")
    assert FULL_PARSE in first and cache.is_file()
    second = parse(tmp_path / "stap2", cache, "2026-S1")
    assert FULL_PARSE not in second and "Partial parsing enabled" in second
    # another wave's variables: dbt notices and parses the whole project again
    other = parse(tmp_path / "stap3", cache, "2026-S2")
    assert "config vars, config profile, or config target have changed" in other


def _tiny_project(root: Path) -> Path:
    project = root / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: pijler3\nversion: '1.0'\nprofile: pijler3\nconfig-version: 2\ntest-paths: [tests/dbt]\n",
        encoding="utf-8",
    )
    (project / "models" / "golf.sql").write_text("select '{{ var(\"golf\") }}' as golf\n", encoding="utf-8")
    return project


def compile_step(
    project: Path, work: Path, wave: str, cache: Path, env: dict[str, str] | None = None
) -> tuple[str, str]:
    """(the compiled model, the step's dbt log) of one `dbt compile` sharing ``cache`` like the steps of a wave."""
    run_dbt(
        ["compile", "--vars", json.dumps({"golf": wave})],
        target="lint",
        env=env or {},
        project_dir=project,
        work_dir=work,
        parse_cache=cache,
    )
    compiled = next((work / "target" / "compiled").rglob("golf.sql")).read_text(encoding="utf-8")
    return compiled, (work / "logs" / "dbt.log").read_text(encoding="utf-8")


PARSED = "Command `cli parse` succeeded"


def test_one_parse_serves_the_steps_of_a_process_until_a_project_file_changes(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path)
    cache = tmp_path / "parse" / "partial_parse.msgpack"
    compiled, log = compile_step(project, tmp_path / "stap1", "2025-S2", cache)
    assert "2025-S2" in compiled and PARSED in log
    # another wave (a variable read only when compiling): no parse, and the step compiles with its own value
    # a file outside the project's paths (Python tests and their bytecode beside tests/dbt) changes nothing either
    (project / "tests" / "__pycache__").mkdir(parents=True)
    (project / "tests" / "__pycache__" / "test_x.pyc").write_bytes(b"\0")
    compiled, log = compile_step(project, tmp_path / "stap2", "2026-S1", cache)
    assert "2026-S1" in compiled and "2025-S2" not in compiled and PARSED not in log
    # a changed model is parsed again, and what the step runs is the new text
    (project / "models" / "golf.sql").write_text("select '{{ var(\"golf\") }}' as golf_gewijzigd\n", encoding="utf-8")
    compiled, log = compile_step(project, tmp_path / "stap3", "2026-S1", cache)
    assert "golf_gewijzigd" in compiled and PARSED in log
    # another database (which names the nodes' database) is parsed again too
    _, log = compile_step(project, tmp_path / "stap4", "2026-S1", cache, {"PIJLER3_MONITORING_DB": str(tmp_path / "x")})
    assert PARSED in log


def _comparable(manifest_file: Path) -> dict[str, object]:
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    found: dict[str, object] = {}
    for group in ("nodes", "sources", "macros", "exposures", "unit_tests", "semantic_models", "metrics"):
        for unique_id, node in manifest.get(group, {}).items():
            for key, value in node.items():
                if key != "created_at":
                    found[f"{unique_id}.{key}"] = value
    return found


@pytest.mark.slow
def test_the_wave_variables_are_read_only_when_compiling(tmp_path: Path) -> None:
    """COMPILE_TIME_VARS: parsed with another wave's values, the project is the same, so one parse serves every wave.
    A variable read while parsing (the docs' information-loss table) does show: the comparison can fail."""
    wave_1 = {"golf": "2025-S2", "peildatum": "2025-12-31", "sdc_drempel": 5}
    wave_2 = {"golf": "2026-S1", "peildatum": "2026-06-30", "sdc_drempel": 11, "informatieverlies_tabel": "TABEL"}
    manifests = []
    for number, variables in enumerate((wave_1, wave_2)):
        work = tmp_path / f"parse{number}"
        run_dbt(["parse", "--vars", json.dumps(variables)], target="lint", env={}, work_dir=work)
        manifests.append(_comparable(work / "target" / "manifest.json"))
    differ = sorted(
        key for key in manifests[0].keys() | manifests[1].keys() if manifests[0].get(key) != manifests[1].get(key)
    )
    assert set(COMPILE_TIME_VARS) == {"golf", "peildatum", "sdc_drempel"}
    assert differ == ["model.pijler3.ckm_informatieverlies.description"], differ
