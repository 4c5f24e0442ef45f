"""The art. 6 checklist (docs/maatregelen.md) names the test that proves each measure: every one it names exists."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pijler3
from conftest import REPO
from pijler3 import artikel3, evidence
from pijler3.errors import Pijler3Error


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


def test_every_event_the_code_records_is_classified_for_the_report() -> None:
    """The report classifies events by their name (``evidence.EVENTS``), not by words in it: the quarantine event is
    ``quarantaine``, which a search for "quarantin…" in English never found. Every event a module records must be
    in the table, so a new kind is labelled in Dutch and counted as a failure or not on purpose."""
    recorded = set()
    for path in (REPO / "scripts" / "pijler3").rglob("*.py"):
        recorded |= set(re.findall(r"record\(\s*\"([\w-]+)\"", path.read_text(encoding="utf-8")))
    assert {"quarantaine", "wave-restart", "keys-rotate", "keys-retire", "keys-generate", "failure"} <= recorded
    assert sorted(recorded - set(evidence.EVENTS)) == []
    assert evidence.soort({"event": "quarantaine", "reason": "SignatureError"}) == evidence.QUARANTAINE
    assert evidence.soort({"event": "leg-failed", "error": "ReplayError"}) == evidence.WEIGERING
    assert evidence.soort({"event": "step-failed", "error": "RuntimeError"}) == evidence.STORING
    assert evidence.is_failure({"event": "iets-nieuws"}) and not evidence.is_failure({"event": "keys-rotate"})


def test_every_error_the_package_raises_has_a_dutch_reason() -> None:
    """A failure reason is a Dutch sentence, never only a Python class name ("RuntimeError", "ExtractChanged")."""
    for module in pkgutil.walk_packages(pijler3.__path__, "pijler3."):
        importlib.import_module(module.name)

    def subclasses(cls: type) -> set[type]:
        return {cls} | {s for sub in cls.__subclasses__() for s in subclasses(sub)}

    own = {c.__name__ for c in subclasses(Pijler3Error) if c.__module__.startswith("pijler3")}
    assert sorted(own - set(evidence.FOUTEN)) == []
    for name in ("RuntimeError", "ExtractChanged", "UnknownSenderKeyError", "ContentMismatchError", "name-holds-insz"):
        assert name in evidence.FOUTEN
    for code, (kind, sentence) in evidence.FOUTEN.items():
        assert kind in (evidence.STORING, evidence.WEIGERING, evidence.QUARANTAINE), code
        assert sentence[0].isupper() and sentence.endswith((".", "?", ")")) and code not in sentence, code
    unknown = evidence.reden({"event": "step-failed", "error": "ZeroDivisionError"})
    assert unknown == "Onverwachte fout; de operator vindt de details in de uitvoer. (technisch: `ZeroDivisionError`)"
    transport = evidence.reden({"event": "failure", "error": "ConnectionRefusedError: [Errno 111] Connection refused"})
    assert transport.startswith("De SFTP-server weigerde de verbinding") and "Errno" not in transport


def test_the_art3_interpretations_the_dpos_sign_are_the_ones_the_code_applies() -> None:
    """One reviewed list: ``artikel3.INTERPRETATIES`` and the special category, printed as the table in
    docs/artikel3.md that the two DPOs sign; every column beyond art. 3's literal wording is in it."""
    doc = (REPO / artikel3.ARTIKEL3_DOC).read_text(encoding="utf-8")
    assert "\n".join(artikel3.interpretaties_tabel()) in doc
    interpreted = {c for i in artikel3.INTERPRETATIES for c in i.kolommen}
    assert interpreted <= set(artikel3.VDAB)
    expected = {
        *(f"{prefix}_{actie}" for prefix in ("aantal_acties", "eerste_start_actie") for actie in artikel3._ACTIES),
        "uitstroom_naar_werk",
        "uitstroom_naar_werk_binnen_6_maanden",
        "uitstroom_naar_werk_binnen_12_maanden",
        "huidige_categorie_werkzoekende_omschrijving",
    }
    assert interpreted == expected
    assert set(artikel3.BIJZONDERE_CATEGORIE) == {"oudste_nationaliteit"}
    check = artikel3.check_columns("gepseudonimiseerd", ["pseudoniem", "oudste_nationaliteit", "aantal_acties_context"])
    assert [i.code for i in check.interpretaties] == ["I1"] and check.bijzonder == ("oudste_nationaliteit",)
    assert artikel3.check_columns("aanvraag", ["insz"]).interpretaties == ()


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
