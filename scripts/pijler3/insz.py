"""INSZ (rijksregisternummer or bis-nummer): normalisation, validation and what the number encodes.

The rules follow the Rijksregister's IT000 instruction as python-stdnum implements them (``stdnum.be.ssn``), which the
tests use as a reference:

* separators ``.``, ``-`` and spaces are removed; the rest must be 11 digits, not all zeros;
* check digits ``97 - (N mod 97)`` with N the first 9 digits (births before 2000) or ``2`` followed by them (births
  from 2000; only considered when that year is not in the future); the check digits thereby fix the century;
* month ``00``-``12`` for a register number; ``20``-``32`` (sex unknown) or ``40``-``52`` (sex known) for a bis number;
* a day of ``00``, or a day past the end of the month, means the day is unknown: when a day counter runs out the
  Rijksregister increments the sixth digit (counter exhaustion), so ``85073500107`` is a valid number whose birth day is
  unknown. That is our policy for impossible days; an impossible *month* is an error.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

SEPARATORS = " .-"
Soort = Literal["rijksregisternummer", "bisnummer"]
WRITTEN_FORM = r"[0-9]{2}[./\s-]?[0-9]{2}[./\s-]?[0-9]{2}[./\s-]?[0-9]{3}[./\s-]?[0-9]{2}"
"""An INSZ in every way people write one: 11 digits, or the groups ``YY MM DD NNN CC`` with at most one dot, dash,
slash or white-space character between them (``85073003328``, ``85.07.30-033.28``, ``850730/033-28``,
``85 07 30 033 28``). The one recogniser of the package: the leak scan (``pijler3.leakscan``, which also runs it inside
DuckDB, whose RE2 reads it the same way), the names and messages that travel (``shaped_in``) and the free text of a
notice's answer."""
_WRITTEN_IN_TEXT = re.compile(rf"(?<![0-9A-Za-z]){WRITTEN_FORM}(?![0-9A-Za-z])")
# Names and messages: any digit run of that shape counts, letters beside it or not (an INSZ glued into a file name).
_SHAPED_IN_TEXT = re.compile(rf"(?<![0-9]){WRITTEN_FORM}(?![0-9])")


def shaped_in(text: str) -> bool:
    """Whether ``text`` (a file name, a configuration value, a notice's answer) holds something written like an INSZ
    (``WRITTEN_FORM``), valid or not, also in full-width or other Unicode digits (compared after NFKC normalisation)."""
    return _SHAPED_IN_TEXT.search(unicodedata.normalize("NFKC", text)) is not None


def digits_of(written: str) -> str:
    """The 11 digits of a number written in one of the forms of ``WRITTEN_FORM``."""
    return "".join(c for c in written if "0" <= c <= "9")


def numbers_in_text(text: str) -> set[str]:
    """The valid INSZ numbers (normalised) that ``text`` holds in any written form, not glued to letters or digits (so
    the digit runs of a sha-256 in hex or of a pseudonym do not count)."""
    found = (digits_of(m.group(0)) for m in _WRITTEN_IN_TEXT.finditer(text))
    return {number for number in found if is_valid(number)}


@dataclass(frozen=True)
class Geboortedatum:
    """The birth date an INSZ encodes; parts that were unknown when the number was assigned are ``None``."""

    jaar: int | None
    maand: int | None
    dag: int | None

    @property
    def datum(self) -> dt.date | None:
        if self.jaar is None or self.maand is None or self.dag is None:
            return None
        return dt.date(self.jaar, self.maand, self.dag)


def _compact(text: str) -> str:
    return text.strip().translate({ord(c): None for c in SEPARATORS})


def _century(number: str, today: dt.date) -> int | None:
    """The century the check digits select, or None when they match neither."""
    check = int(number[9:])
    if 97 - int(number[:9]) % 97 == check:
        return 1900
    if 2000 + int(number[:2]) <= today.year and 97 - int("2" + number[:9]) % 97 == check:
        return 2000
    return None


def normalise(text: str, *, today: dt.date | None = None) -> str:
    """Return the INSZ as 11 digits, or raise ``ValueError`` saying what is wrong with it.

    ``today`` fixes the clock for the century rule (a birth year in the future is impossible); it defaults to the
    current date.
    """
    today = today or dt.date.today()
    number = _compact(text)
    if not number:
        raise ValueError("INSZ is empty")
    if not number.isascii() or not number.isdigit():
        bad = sorted({c for c in number if not (c.isascii() and c.isdigit())})
        raise ValueError(f"INSZ {text!r} contains characters other than digits and separators: {''.join(bad)!r}")
    if len(number) != 11:
        raise ValueError(f"INSZ {text!r} has {len(number)} digits, expected 11")
    if int(number) == 0:
        raise ValueError(f"INSZ {text!r} is all zeros")
    if _century(number, today) is None:
        raise ValueError(f"INSZ {text!r} has a wrong checksum (check digits {number[9:]} match neither century)")
    raw_month = int(number[2:4])
    if not (raw_month <= 12 or 20 <= raw_month <= 32 or 40 <= raw_month <= 52):
        raise ValueError(
            f"INSZ {text!r} has month {number[2:4]}: a register number needs 00-12, a bis number 20-32 or 40-52"
        )
    return number


def is_valid(text: str, *, today: dt.date | None = None) -> bool:
    """True when ``normalise`` accepts the text."""
    try:
        normalise(text, today=today)
    except ValueError:
        return False
    return True


def soort(text: str, *, today: dt.date | None = None) -> Soort:
    """``bisnummer`` when the month is raised by 20 or 40, else ``rijksregisternummer``."""
    number = normalise(text, today=today)
    return "bisnummer" if int(number[2:4]) >= 20 else "rijksregisternummer"


def is_bis(text: str, *, today: dt.date | None = None) -> bool:
    return soort(text, today=today) == "bisnummer"


def geboortedatum(text: str, *, today: dt.date | None = None) -> Geboortedatum:
    """The encoded birth date: year, month and day, each ``None`` where it was unknown at assignment."""
    today = today or dt.date.today()
    number = normalise(text, today=today)
    century = _century(number, today)
    assert century is not None  # normalise checked the checksum
    if number[:6] in ("000001", "002001", "004001"):
        return Geboortedatum(None, None, None)
    year = century + int(number[:2])
    month = int(number[2:4]) % 20
    if month == 0:
        return Geboortedatum(year, None, None)
    day = int(number[4:6])
    if day == 0 or day > calendar.monthrange(year, month)[1]:
        return Geboortedatum(year, month, None)
    return Geboortedatum(year, month, day)


def geslacht(text: str, *, today: dt.date | None = None) -> Literal["M", "V"] | None:
    """``M`` (odd day counter) or ``V`` (even); ``None`` for a bis number assigned with sex unknown (month + 20)."""
    number = normalise(text, today=today)
    if 20 <= int(number[2:4]) <= 32:
        return None
    return "M" if int(number[6:9]) % 2 == 1 else "V"


def formatteer(text: str, *, today: dt.date | None = None) -> str:
    """The printed form ``YY.MM.DD-CCC.KK``."""
    n = normalise(text, today=today)
    return f"{n[0:2]}.{n[2:4]}.{n[4:6]}-{n[6:9]}.{n[9:11]}"
