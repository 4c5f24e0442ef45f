"""The README's commands do what it says, run as it says: from the repository root (where the demo writes demo/)."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from cli_helpers import pijler3
from demo_helpers import Demo
from pijler3.errors import EXIT_CODES

pytest_plugins = ["demo_fixtures"]


def readme(repo: Path) -> str:
    return (repo / "README.md").read_text(encoding="utf-8")


def test_the_readme_keeps_private_keys_out_of_the_clone_and_git_ignores_keys(repo: Path) -> None:
    """`keys generate --out keys/agentschap`, run from the clone, wrote private keys into the working tree, and
    keys/ was not ignored by git."""
    folders = re.findall(r"pijler3 keys (?:generate|rotate|retire)\b[^`\n]*?--(?:out|dir) (\S+)", readme(repo))
    assert folders, "the README shows how to generate keys"
    assert all(folder.startswith(("~/", "/")) for folder in folders), folders
    ignored = subprocess.run(["git", "check-ignore", "-q", "keys/agentschap/age.key"], cwd=repo, check=False)
    assert ignored.returncode == 0, "keys/ is not git-ignored"


@pytest.mark.slow
def test_the_dpo_command_works_from_the_repository_root_after_the_demo(repo: Path, demo: Demo) -> None:
    """`audit report --config agentschap.toml` failed there: the file is demo/agentschap/agentschap.toml."""
    (command,) = re.findall(r"`(pijler3 audit report --config [^`]+)`", readme(repo))
    root = demo.out.parent  # the demo fixture's demo/ folder stands where `uv run pijler3 demo` puts it
    result = pijler3(*shlex.split(command)[1:], cwd=root)
    assert result.code == 0, result.err
    assert (root / shlex.split(command)[shlex.split(command).index("--out") + 1]).is_file()


def test_the_readme_documents_every_exit_code(repo: Path) -> None:
    table = readme(repo).split("### Exit codes", 1)[1].split("\n#", 1)[0]
    for code in EXIT_CODES:
        assert re.search(rf"^\| \*?\*?{code}\b", table, re.MULTILINE), f"exit code {code} missing"
