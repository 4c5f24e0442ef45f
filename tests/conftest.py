"""Shared fixtures. Tests that need an external tool skip locally when it is missing but fail under CI=true,
because CI installs every tool (see .ci/run) and a skipped security test would prove nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_tool(name: str, *candidates: str) -> str:
    """Path of an external tool; skip (locally) or fail (CI) when it is not installed."""
    for candidate in (name, *candidates):
        if shutil.which(candidate):
            return str(shutil.which(candidate))
        if os.path.isabs(candidate) and os.access(candidate, os.X_OK):
            return candidate
    message = f"{name} is not installed (.ci/run installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
