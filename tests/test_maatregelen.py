"""The art. 6 checklist (docs/maatregelen.md) names the test that proves each measure: every one it names exists."""

from __future__ import annotations

import re

from conftest import REPO


def test_every_test_the_checklist_names_exists() -> None:
    text = (REPO / "docs" / "maatregelen.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    assert len(named) >= 20
    for path, test in named:
        source = REPO / path
        assert source.is_file(), f"docs/maatregelen.md names {path}, which does not exist"
        if test:
            assert re.search(rf"^def {test}\(", source.read_text(encoding="utf-8"), re.M), f"{path}::{test} is gone"


def test_the_breach_runbook_covers_art9_and_the_report_links_both() -> None:
    runbook = (REPO / "docs" / "datalek.md").read_text(encoding="utf-8")
    for needed in ("Het eerste uur", "72 uur", "pseudonym.key", "signing.pem", "pijler3 audit verify"):
        assert needed in runbook
    evidence = (REPO / "scripts" / "pijler3" / "evidence.py").read_text(encoding="utf-8")
    assert 'RUNBOOK = "docs/datalek.md"' in evidence and 'MEASURES = "docs/maatregelen.md"' in evidence


def _rows(text: str, prefix: str) -> dict[str, list[str]]:
    """The rows of the tables whose first cell starts with ``prefix`` (A, B or a number), keyed by that cell."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(rf"{prefix}\d+", cells[0]):
            rows[cells[0]] = cells
    return rows


def test_every_article_2_to_12_is_mapped_to_a_proven_or_an_organised_measure() -> None:
    text = (REPO / "docs" / "maatregelen.md").read_text(encoding="utf-8")
    software, organised = _rows(text, "A"), _rows(text, "B")
    mapping = _rows(text.partition("## C.")[2], "")
    assert sorted(mapping, key=int) == [str(article) for article in range(2, 13)], "an article has no row in part C"
    for article, cells in mapping.items():
        measures = re.findall(r"\b[AB]\d+\b", cells[-1])
        assert measures, f"art. {article} names no measure"
        for measure in measures:
            row = software.get(measure) or organised.get(measure)
            assert row is not None, f"art. {article} names {measure}, which is not in part A or B"
            if measure.startswith("A"):
                assert "`tests/" in row[-1], f"{measure} names no test"
            else:
                assert row[2] and row[2] != "—", f"{measure} names nobody who does it"
