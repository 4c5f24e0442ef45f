"""Numbers in the Dutch of the reports: a point between thousands, a decimal comma."""

from __future__ import annotations

import pytest

from pijler3.nederlands import getal


@pytest.mark.parametrize(
    ("waarde", "decimalen", "tekst"),
    [
        (4494, None, "4.494"),
        (56.6, None, "56,6"),
        (1234567.891, 1, "1.234.567,9"),
        (3, 1, "3,0"),
        (-1250.5, 2, "-1.250,50"),
        (None, None, "None"),
        (True, None, "True"),
        ("n.g.", 1, "n.g."),
    ],
)
def test_numbers_are_written_the_dutch_way(waarde: object, decimalen: int | None, tekst: str) -> None:
    assert getal(waarde, decimalen) == tekst
