"""``run_dbt``: what the user sees when dbt does not succeed, and the parse cache the steps of one wave share."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from pijler3.dbt_runner import run_dbt


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
