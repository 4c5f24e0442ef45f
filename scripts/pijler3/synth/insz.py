"""Valid-by-construction INSZ numbers for whole populations at once (the rules of ``pijler3.insz``, on arrays).

Numbers are ``int64`` (11 digits when zero-padded). A number is built from a birth date, a day counter whose parity
gives the sex (odd = male), and the century through the check digits: ``97 - N mod 97`` with ``N`` the first nine
digits, prefixed by ``2`` for births from 2000.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]


def datum_delen(dagen: npt.NDArray[np.int32]) -> tuple[Ints, Ints, Ints]:
    """Year, month and day of dates given as days since 1970-01-01."""
    datums = dagen.astype("datetime64[D]")
    jaren = datums.astype("datetime64[Y]")
    maanden = datums.astype("datetime64[M]")
    jaar = jaren.astype(np.int64) + 1970
    maand = (maanden - jaren.astype("datetime64[M]")).astype(np.int64) + 1
    dag = (datums - maanden.astype("datetime64[D]")).astype(np.int64) + 1
    return jaar, maand, dag


def controlegetal(jaar: Ints, eerste9: Ints) -> Ints:
    basis = eerste9 + np.where(jaar >= 2000, 2_000_000_000, 0)
    return 97 - basis % 97


def bouw(jaar: Ints, maand_ruw: Ints, dag: Ints, teller: Ints) -> Ints:
    """INSZ from birth year, raw month (month + 20 or + 40 for a bis number, 0 when unknown), day and counter."""
    eerste9 = (jaar % 100) * 10_000_000 + maand_ruw * 100_000 + dag * 1_000 + teller
    return eerste9 * 100 + controlegetal(jaar, eerste9)


def trek_teller(rng: np.random.Generator, man: npt.NDArray[np.bool_]) -> Ints:
    """A day counter 001-997 (odd, male) or 002-998 (even, female)."""
    return 2 * rng.integers(0, 499, len(man), dtype=np.int64) + np.where(man, 1, 2)


def maak_uniek(
    rng: np.random.Generator, jaar: Ints, maand_ruw: Ints, dag: Ints, man: npt.NDArray[np.bool_]
) -> tuple[Ints, Ints]:
    """Numbers for a whole pool, unique across it: later duplicates redraw their counter (same parity) until none is
    left. Returns the numbers and the counters."""
    teller = trek_teller(rng, man)
    nummers = bouw(jaar, maand_ruw, dag, teller)
    while True:
        orde = np.argsort(nummers, kind="stable")
        gesorteerd = nummers[orde]
        dubbel = orde[1:][gesorteerd[1:] == gesorteerd[:-1]]
        if len(dubbel) == 0:
            return nummers, teller
        teller[dubbel] = trek_teller(rng, man[dubbel])
        nummers[dubbel] = bouw(jaar[dubbel], maand_ruw[dubbel], dag[dubbel], teller[dubbel])


def foute_controle(rng: np.random.Generator, nummers: Ints) -> Ints:
    """The same numbers with check digits that match neither century, so no rule can accept them."""
    eerste9 = nummers // 100
    goed_1900 = 97 - eerste9 % 97
    goed_2000 = 97 - (eerste9 + 2_000_000_000) % 97
    nieuw = (nummers % 100 + rng.integers(1, 99, len(nummers), dtype=np.int64)) % 100
    while True:
        fout = (nieuw == goed_1900) | (nieuw == goed_2000)
        if not fout.any():
            return eerste9 * 100 + nieuw
        nieuw[fout] = (nieuw[fout] + 1) % 100


def als_tekst(nummers: Ints) -> list[str]:
    return [f"{n:011d}" for n in nummers.tolist()]


def opgemaakt(tekst: str) -> str:
    """The printed form YY.MM.DD-CCC.KK of an 11-digit string."""
    return f"{tekst[0:2]}.{tekst[2:4]}.{tekst[4:6]}-{tekst[6:9]}.{tekst[9:11]}"


SQL_TEKST = "lpad(cast({kolom} as varchar), 11, '0')"
SQL_OPGEMAAKT = "concat_ws('', {t}[1:2], '.', {t}[3:4], '.', {t}[5:6], '-', {t}[7:9], '.', {t}[10:11])"
