"""Numbers in the Dutch the DPOs and BI users read (the evidence report, the monitoring report): a point between
thousands and a decimal comma, as in 4.494 and 56,6."""

from __future__ import annotations


def getal(waarde: object, decimalen: int | None = None) -> str:
    """``waarde`` the Dutch way; ``decimalen`` fixes the number of decimals (else as Python writes it). Anything
    that is not a number (``None``, text, a boolean) comes back as ``str``."""
    if isinstance(waarde, bool) or not isinstance(waarde, int | float):
        return str(waarde)
    tekst = f"{waarde:,}" if decimalen is None else f"{waarde:,.{decimalen}f}"
    return tekst.replace(",", " ").replace(".", ",").replace(" ", ".")
