"""Run the ``pijler3`` command in this process exactly as the console script does (``pijler3.cli.main``: expected
failures become one line on stderr and the documented exit code), without the start-up cost of a subprocess."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from pijler3.cli import main


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def pijler3(*args: str, cwd: Path | None = None) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    argv, here = sys.argv, Path.cwd()
    sys.argv = ["pijler3", *args]
    code = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.argv = argv
        os.chdir(here)
    return CliResult(code, out.getvalue(), err.getvalue())
