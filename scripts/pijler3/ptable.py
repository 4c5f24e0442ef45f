"""The perturbation table (p-table) of the cell key method that protects every count in the BI marts.

For every original count ``i`` (the ``pcv``) and every cell key ``ckey`` (0 … 255) the p-table gives the noise
``pvalue`` that is added to a cell with that count and key. Read per row, the 256 keys form a probability
distribution of the noise: ``n_v`` keys with noise ``v`` means probability ``n_v / 256``. The rows are built so that,
exactly on that grid of 256 keys:

- the probabilities of a row sum to 1 (every key occurs once),
- the noise is unbiased (its mean is 0),
- no count is ever published in ``1 … drempel - 1``: a count is either 0 (withheld) or at least ``drempel``,
- the noise never exceeds ``max_afwijking`` in absolute value,
- for every count of at least ``drempel`` its variance is exactly ``variantie``; for the counts ``1 … drempel - 1``
  the variance is the smallest an unbiased noise can have that avoids ``1 … drempel - 1`` (it is necessarily larger
  than ``variantie``; ``pijler3 ptable`` prints it per count),
- among the distributions that satisfy all of that, the one with the largest entropy (the maximum-entropy
  construction of Giessing 2016, as in sdcTools' ``ptable``; here solved exactly on the 256-key grid instead of in
  real numbers, so the properties hold exactly and not only up to rounding).

Every row from ``drempel + max_afwijking`` on has the whole window of noise values and so the same distribution;
the seed (``seeds/ptable.csv``) therefore stops there and larger counts use its last row (``pcv`` = the smaller of
the count and that last row). ONS's ``cell-key-perturbation`` instead expects rows 0 … 750 and maps a count above
750 onto rows 501 … 750; ``ons_records`` writes that form (the same distributions) for ONS's tools.
The keys of a row are given to the noise values in increasing order (the lowest keys get the most negative noise).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from pijler3.errors import InputError
from pijler3.files import atomic_write

SLEUTELS = 256
"""Number of cell keys (ONS convention: record keys and cell keys are integers 0 … 255)."""
ONS_HOOGSTE_PCV = 750
"""Last row of an ONS p-table; larger counts reuse rows 501 … 750 (ONS ``cell-key-perturbation``)."""
COLUMNS = ("pcv", "ckey", "pvalue")


@dataclass(frozen=True)
class PTableParameters:
    """The three parameters a DPO decides on (dbt vars ``sdc_drempel``, ``ckm_max_afwijking``, ``ckm_variantie``)."""

    drempel: int = 5
    max_afwijking: int = 5
    variantie: Fraction = Fraction(2)

    def check(self) -> None:
        if self.drempel < 1:
            raise InputError(f"p-table: drempel must be at least 1, got {self.drempel}")
        if self.max_afwijking < self.drempel:
            # A count of 1 must be able to reach `drempel` (or stay 1 when drempel = 1) without bias; on a grid of
            # 256 keys that needs at least one target above `drempel`, i.e. max_afwijking >= drempel.
            raise InputError(
                f"p-table: max_afwijking ({self.max_afwijking}) must be at least drempel ({self.drempel}), "
                "otherwise small counts cannot be perturbed without bias"
            )
        if self.variantie <= 0 or (self.variantie * SLEUTELS).denominator != 1:
            raise InputError(
                f"p-table: variantie must be a positive multiple of 1/{SLEUTELS} (e.g. 1, 1.5, 2), got {self.variantie}"
            )
        if self.variantie > self.max_afwijking**2:
            raise InputError(
                f"p-table: variantie {self.variantie} cannot be reached with max_afwijking {self.max_afwijking}"
            )


@dataclass(frozen=True)
class Rij:
    """One row of the p-table as a distribution: ``aantallen[k]`` keys get the noise ``afwijkingen[k]``."""

    pcv: int
    afwijkingen: tuple[int, ...]
    aantallen: tuple[int, ...]

    @property
    def gemiddelde(self) -> Fraction:
        return Fraction(sum(n * v for v, n in zip(self.afwijkingen, self.aantallen, strict=True)), SLEUTELS)

    @property
    def variantie(self) -> Fraction:
        return Fraction(sum(n * v * v for v, n in zip(self.afwijkingen, self.aantallen, strict=True)), SLEUTELS)

    def pvalues(self) -> list[int]:
        """The noise per cell key 0 … 255."""
        return [v for v, n in zip(self.afwijkingen, self.aantallen, strict=True) for _ in range(n)]


def doelen(i: int, parameters: PTableParameters) -> list[int]:
    """The noise values allowed for an original count ``i``: within ``max_afwijking``, never below 0 and never
    landing on ``1 … drempel - 1``."""
    return [
        j - i
        for j in range(max(0, i - parameters.max_afwijking), i + parameters.max_afwijking + 1)
        if not 1 <= j < parameters.drempel
    ]


def _max_entropie(afwijkingen: list[int], variantie: float) -> np.ndarray:
    """The real-valued maximum-entropy distribution over ``afwijkingen`` with mean 0 and the given variance:
    p(v) ∝ exp(a·v + b·v²), found by Newton's method on the (convex) dual."""
    v = np.array(afwijkingen, dtype=float)
    kenmerken = np.vstack([v, v * v])
    doel = np.array([0.0, variantie])
    theta = np.zeros(2)
    for _ in range(200):
        exponent = theta @ kenmerken
        p = np.exp(exponent - exponent.max())
        p /= p.sum()
        gradient = kenmerken @ p - doel
        if np.abs(gradient).max() < 1e-12:
            break
        centraal = kenmerken - (kenmerken @ p)[:, None]
        hessiaan = (centraal * p) @ centraal.T + 1e-12 * np.eye(2)
        stap = np.linalg.solve(hessiaan, gradient)
        duaal = np.log(np.exp(exponent - exponent.max()).sum()) + exponent.max() - theta @ doel
        factor = 1.0
        while factor > 1e-6:
            kandidaat = theta - factor * stap
            e = kandidaat @ kenmerken
            waarde = np.log(np.exp(e - e.max()).sum()) + e.max() - kandidaat @ doel
            if waarde <= duaal:
                break
            factor /= 2
        theta = theta - factor * stap
    return np.asarray(p, dtype=float)


def _gehele_verdeling(afwijkingen: list[int], kwadraatsom: int) -> tuple[int, ...] | None:
    """The integer distribution of 256 keys over ``afwijkingen`` with sum of noise 0 and sum of squared noise
    ``kwadraatsom`` with the largest entropy found near the real-valued optimum; None if there is none there.

    The three values with the most mass are solved exactly from the three equations; the next ``_VRIJ`` are tried
    within a widening radius around the optimum (vectorised); the rest, the thin tails, are the optimum rounded.
    """
    k = len(afwijkingen)
    if k < 3:
        # Fewer than three values: at most one distribution, solve it directly.
        for aantallen in itertools.product(range(SLEUTELS + 1), repeat=k):
            if (
                sum(aantallen) == SLEUTELS
                and sum(n * v for n, v in zip(aantallen, afwijkingen, strict=True)) == 0
                and sum(n * v * v for n, v in zip(aantallen, afwijkingen, strict=True)) == kwadraatsom
            ):
                return tuple(aantallen)
        return None
    optimum = _max_entropie(afwijkingen, kwadraatsom / SLEUTELS) * SLEUTELS
    volgorde = sorted(range(k), key=lambda idx: (-optimum[idx], idx))
    opgelost, vrij, vast = sorted(volgorde[:3]), volgorde[3 : 3 + _VRIJ], volgorde[3 + _VRIJ :]
    v = np.array(afwijkingen, dtype=np.int64)
    for straal in (1, 2, 3):
        bereiken = [
            range(max(0, math.floor(optimum[idx]) - straal + 1), min(SLEUTELS, math.ceil(optimum[idx]) + straal) + 1)
            for idx in vrij
        ]
        keuzes = np.zeros((1, k), dtype=np.int64)
        for idx in vast:
            keuzes[0, idx] = round(optimum[idx])
        if vrij:
            gekozen = np.array(list(itertools.product(*bereiken)), dtype=np.int64)
            keuzes = np.repeat(keuzes, len(gekozen), axis=0)
            keuzes[:, vrij] = gekozen
        rest0 = SLEUTELS - keuzes.sum(axis=1)
        rest1 = -(keuzes @ v)
        rest2 = kwadraatsom - keuzes @ (v * v)
        a, b, c = (int(v[idx]) for idx in opgelost)
        # Vandermonde system [1 1 1; a b c; a² b² c²] x = rest, solved with integer Cramer's rule.
        noemer = (b - a) * (c - a) * (c - b)
        xa = rest0 * b * c * (c - b) - rest1 * (c * c - b * b) + rest2 * (c - b)
        xb = -(rest0 * a * c * (c - a) - rest1 * (c * c - a * a) + rest2 * (c - a))
        xc = rest0 * a * b * (b - a) - rest1 * (b * b - a * a) + rest2 * (b - a)
        geldig = (xa % noemer == 0) & (xb % noemer == 0) & (xc % noemer == 0)
        oplossing = np.stack([xa // noemer, xb // noemer, xc // noemer], axis=1)
        geldig &= (oplossing >= 0).all(axis=1)
        if geldig.any():
            alle = keuzes[geldig]
            alle[:, opgelost] = oplossing[geldig]
            entropie = -np.where(alle > 0, alle * np.log(np.maximum(alle, 1)), 0.0).sum(axis=1)
            return tuple(int(n) for n in alle[int(np.argmax(entropie))])
    return None


_VRIJ = 6
"""How many values besides the three solved ones are searched; the rest keep the rounded optimum."""


def _kleinste_variantie(i: int, drempel: int) -> Fraction:
    """The smallest variance of an unbiased noise that moves ``i`` (1 … drempel - 1) to 0 or to drempel or more."""
    return Fraction(i * (drempel - i))


def rij(i: int, parameters: PTableParameters) -> Rij:
    """The distribution of the noise for an original count ``i``."""
    afwijkingen = doelen(i, parameters)
    if i == 0:
        return Rij(0, (0,), (SLEUTELS,))
    if i >= parameters.drempel:
        kwadraatsom = int(parameters.variantie * SLEUTELS)
        aantallen = _gehele_verdeling(afwijkingen, kwadraatsom)
        if aantallen is None:
            raise InputError(
                f"p-table: no unbiased noise with variance {parameters.variantie} exists for count {i} with "
                f"max_afwijking {parameters.max_afwijking} and drempel {parameters.drempel}: raise the variance"
            )
    else:
        # Below the threshold the variance cannot be `variantie`: take the smallest that 256 keys can realise.
        kwadraatsom = math.ceil(_kleinste_variantie(i, parameters.drempel) * SLEUTELS)
        while (aantallen := _gehele_verdeling(afwijkingen, kwadraatsom)) is None:
            kwadraatsom += 1
            if kwadraatsom > parameters.max_afwijking**2 * SLEUTELS:
                raise InputError(f"p-table: no unbiased noise exists for count {i}; raise max_afwijking")
    gebruikt = [(v, n) for v, n in zip(afwijkingen, aantallen, strict=True) if n > 0]
    return Rij(i, tuple(v for v, _ in gebruikt), tuple(n for _, n in gebruikt))


def laatste_pcv(parameters: PTableParameters) -> int:
    """The first count whose allowed noise is the whole window ``-max_afwijking … max_afwijking``: from there on
    every row is the same, so the seed ends here."""
    return parameters.drempel + parameters.max_afwijking


def rijen(parameters: PTableParameters, tot: int | None = None) -> list[Rij]:
    """The rows 0 … ``tot`` (default: ``laatste_pcv``); rows with the same allowed noise share one computation."""
    parameters.check()
    laatste = laatste_pcv(parameters)
    resultaat = [rij(i, parameters) for i in range(laatste + 1)]
    for i in range(laatste + 1, (laatste if tot is None else tot) + 1):
        resultaat.append(Rij(i, resultaat[laatste].afwijkingen, resultaat[laatste].aantallen))
    return resultaat


def pcv(aantal: int, parameters: PTableParameters) -> int:
    """The seed row of a count: the count itself, or the last row for larger counts (all the same distribution)."""
    return min(aantal, laatste_pcv(parameters))


def records(parameters: PTableParameters) -> Iterator[tuple[int, int, int]]:
    """The seed as (pcv, ckey, pvalue) rows, in order."""
    for r in rijen(parameters):
        for ckey, pvalue in enumerate(r.pvalues()):
            yield r.pcv, ckey, pvalue


def ons_records(parameters: PTableParameters) -> Iterator[tuple[int, int, int]]:
    """The same p-table in the form ONS's ``cell-key-perturbation`` reads: rows 0 … 750."""
    for r in rijen(parameters, tot=ONS_HOOGSTE_PCV):
        for ckey, pvalue in enumerate(r.pvalues()):
            yield r.pcv, ckey, pvalue


def als_csv(rows: Iterator[tuple[int, int, int]]) -> str:
    uitvoer = io.StringIO()
    schrijver = csv.writer(uitvoer, lineterminator="\n")
    schrijver.writerow(COLUMNS)
    schrijver.writerows(rows)
    return uitvoer.getvalue()


def schrijf(parameters: PTableParameters, doel: Path, *, ons: bool = False) -> None:
    """Write the p-table as a CSV (atomically): the seed, or with ``ons`` the 0 … 750 form for ONS's tools."""
    tekst = als_csv(ons_records(parameters) if ons else records(parameters))
    with atomic_write(doel, 0o644) as handle:
        handle.write(tekst.encode("ascii"))
