"""run_dbt's parse cache: the steps of one wave share dbt's parse, and dbt still parses afresh when it must."""

from __future__ import annotations

from pathlib import Path

from pijler3.dbt_runner import run_dbt

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
