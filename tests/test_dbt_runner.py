"""``run_dbt``'s translation of dbt's outcome into pijler3's: what the user sees when dbt does not succeed."""

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
