"""INSZ rules: DOMAIN.md test vectors, the error reasons, and agreement with python-stdnum as reference."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.be import nn as stdnum_nn
from stdnum.be import ssn as stdnum_ssn

from pijler3 import insz

TODAY = dt.date(2026, 11, 29)


@pytest.mark.parametrize(
    ("text", "normalised", "soort", "datum", "geslacht"),
    [
        ("85073003328", "85073003328", "rijksregisternummer", dt.date(1985, 7, 30), "M"),
        ("17073003384", "17073003384", "rijksregisternummer", dt.date(2017, 7, 30), "M"),
        ("00000100195", "00000100195", "rijksregisternummer", None, "M"),
        ("98472899765", "98472899765", "bisnummer", dt.date(1998, 7, 28), "M"),
        ("85.07.30-033.28", "85073003328", "rijksregisternummer", dt.date(1985, 7, 30), "M"),
        (" 85 07 30 033 28 ", "85073003328", "rijksregisternummer", dt.date(1985, 7, 30), "M"),
    ],
)
def test_valid_vectors(text: str, normalised: str, soort: str, datum: dt.date | None, geslacht: str) -> None:
    assert insz.normalise(text, today=TODAY) == normalised
    assert insz.is_valid(text, today=TODAY)
    assert insz.soort(text, today=TODAY) == soort
    assert insz.geboortedatum(text, today=TODAY).datum == datum
    assert insz.geslacht(text, today=TODAY) == geslacht


def test_unknown_date_register_number_is_from_2000() -> None:
    assert insz.geboortedatum("00000100195", today=TODAY) == insz.Geboortedatum(None, None, None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12345678901", "wrong checksum"),
        ("85133000105", "month 13"),
        ("85533000191", "month 53"),
        ("", "empty"),
        ("8507300332", "10 digits"),
        ("850730033288", "12 digits"),
        ("85O73003328", "characters other than digits"),
        ("00000000000", "all zeros"),
    ],
)
def test_invalid_vectors_say_why(text: str, reason: str) -> None:
    assert not insz.is_valid(text, today=TODAY)
    with pytest.raises(ValueError, match=reason):
        insz.normalise(text, today=TODAY)


def test_day_35_policy_counter_exhaustion_means_day_unknown() -> None:
    # IT000: when a day's counter runs out the sixth digit is incremented, so day 35 is a real number whose birth day
    # is unknown. python-stdnum follows the same rule.
    assert insz.normalise("85073500107", today=TODAY) == "85073500107"
    assert insz.geboortedatum("85073500107", today=TODAY) == insz.Geboortedatum(1985, 7, None)
    assert stdnum_ssn.is_valid("85073500107")


def test_bis_number_with_sex_unknown() -> None:
    # month + 20: sex unknown at assignment
    number = "98272899" + "7"
    check = 97 - int(number) % 97
    bis = f"{number}{check:02d}"
    assert insz.soort(bis, today=TODAY) == "bisnummer"
    assert insz.geslacht(bis, today=TODAY) is None


def test_century_is_decided_by_check_digits_and_clock() -> None:
    # 2030 is in the future on TODAY, so a 2000-style checksum for year 30 is not accepted yet.
    first9 = "300101001"
    check_2000 = 97 - int("2" + first9) % 97
    number = f"{first9}{check_2000:02d}"
    assert not insz.is_valid(number, today=TODAY)
    assert insz.is_valid(number, today=dt.date(2031, 1, 1))


@pytest.fixture
def stdnum_fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """python-stdnum reads datetime.date.today(); pin it to TODAY for a deterministic comparison (the patch holds for
    every generated example, which is what we want)."""

    class FixedDate(dt.date):
        @classmethod
        def today(cls) -> FixedDate:
            return cls(TODAY.year, TODAY.month, TODAY.day)

    fake_datetime = types.SimpleNamespace(date=FixedDate)
    monkeypatch.setattr(stdnum_nn, "datetime", fake_datetime)
    yield


digits_with_valid_check = st.builds(
    lambda first9, century_2000: f"{first9}{97 - int(('2' if century_2000 else '') + first9) % 97:02d}",
    st.from_regex(r"[0-9]{9}", fullmatch=True),
    st.booleans(),
)
any_text = st.one_of(
    digits_with_valid_check,
    st.from_regex(r"[0-9]{11}", fullmatch=True),
    st.from_regex(r"[0-9 .\-]{9,16}", fullmatch=True),
    st.text(max_size=14),
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(any_text)
def test_agrees_with_python_stdnum(stdnum_fixed_clock: None, text: str) -> None:
    ours = insz.is_valid(text, today=TODAY)
    reference = stdnum_ssn.is_valid(text)
    assert ours == reference, f"{text!r}: ours={ours} stdnum={reference}"
    if ours:
        assert insz.normalise(text, today=TODAY) == stdnum_ssn.compact(text)
        assert insz.geboortedatum(text, today=TODAY).datum == stdnum_ssn.get_birth_date(text)
