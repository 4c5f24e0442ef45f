"""Art. 7 defects: which kinds exist, at what rate, which rows get one, and the truth record of each.

A rate is the share of rows of a file that get a defect of that kind (in every file where the kind applies). Cell
defects are exclusive per row (a row gets at most one, so no defect overwrites another and every recorded defect is
really in the file); duplicated rows come on top. Line numbers follow the loader: CSV header = line 1, the first data
row line 2; Parquet rows are numbered from 1 in file order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

import duckdb
import numpy as np
import numpy.typing as npt

from pijler3.errors import InputError
from pijler3.synth._duck import label, schrijf_parquet
from pijler3.synth.codes import spellingen

DEFECTEN: Final = MappingProxyType(
    {
        "leeg": "an empty value where the source should have one (NULL in Parquet, empty string in CSV)",
        "insz_opgemaakt": "INSZ written in the printed form YY.MM.DD-CCC.KK (valid, staging must normalise it)",
        "insz_checksum": "INSZ with check digits that match neither century",
        "dubbele_rij": "an exact copy of an earlier row (kolom is empty); it carries the defects of that row too",
        "spelling": "a label written in another spelling than the canonical one (codes.LABEL_SPELLINGEN)",
        "datum_onmogelijk": "a KBI date that does not exist, such as 31/02/2024",
        "datum_volgorde": "dates out of order: an end before its start, or datum_aanmelding after the contract",
    }
)
# not drawn at a defect rate but at codes.Kalibratie.aandeel_oud_insz_in_kbi: the KBI row still carries the bis
# number that insz_vervangingen.csv says was replaced (art. 7: "verouderde gegevens")
INSZ_VEROUDERD: Final = "insz_verouderd"
ALLE_DEFECTEN: Final = (*DEFECTEN, INSZ_VEROUDERD)
STANDAARD_DEFECT_RATE: Final = 0.01


def defect_rates(defect_rate: float, overrides: Mapping[str, float] | None) -> dict[str, float]:
    """Rate per defect kind: ``defect_rate`` for every kind, replaced by ``overrides`` where given."""
    rates = dict.fromkeys(DEFECTEN, defect_rate)
    for kind, rate in (overrides or {}).items():
        if kind not in DEFECTEN:
            raise InputError(f"unknown defect kind {kind!r}: choose from {', '.join(DEFECTEN)}")
        rates[kind] = rate
    for kind, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            raise InputError(f"defect rate for {kind!r} is {rate}: give a share between 0 and 1")
    return rates


def kies_celdefecten(
    rng: np.random.Generator, n: int, soorten: Sequence[str], rates: Mapping[str, float], bestand: str
) -> npt.NDArray[np.int8]:
    """Per row the index into ``soorten`` of its cell defect, or -1; at most one per row."""
    grenzen = np.cumsum([rates[s] for s in soorten])
    if len(grenzen) and grenzen[-1] > 1.0:
        raise InputError(
            f"defect rates for {bestand} add up to {grenzen[-1]:.3f} ({', '.join(soorten)}): "
            "a row carries at most one cell defect, so keep their sum at or below 1"
        )
    keuze = np.searchsorted(grenzen, rng.random(n), side="right")
    return np.where(keuze < len(soorten), keuze, -1).astype(np.int8)


def kies_dubbels(rng: np.random.Generator, n: int, rate: float) -> npt.NDArray[np.int64]:
    """File order after duplicating a share ``rate`` of the rows, each copy right after its original: row indices."""
    aantal = 1 + (rng.random(n) < rate).astype(np.int64)
    return np.repeat(np.arange(n, dtype=np.int64), aantal)


def is_kopie(volgorde: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Which rows of a file order from ``kies_dubbels`` are the copy rather than the original."""
    kopie = np.zeros(len(volgorde), dtype=np.bool_)
    kopie[1:] = volgorde[1:] == volgorde[:-1]
    return kopie


@dataclass
class DefectLog:
    """Collects every injected defect; written as waarheid/defecten.parquet (bestand, regelnummer, kolom, defect)."""

    _bestanden: list[str] = field(default_factory=list)
    _kolommen: list[str] = field(default_factory=list)
    _delen: list[tuple[int, int, int, npt.NDArray[np.int64]]] = field(default_factory=list)

    def _index(self, lijst: list[str], waarde: str) -> int:
        if waarde not in lijst:
            lijst.append(waarde)
        return lijst.index(waarde)

    def voeg_toe(self, bestand: str, kolom: str | None, defect: str, regelnummers: npt.NDArray[np.int64]) -> None:
        if defect not in ALLE_DEFECTEN:
            raise ValueError(f"unknown defect kind {defect!r}")
        if len(regelnummers) == 0:
            return
        kolom_index = -1 if kolom is None else self._index(self._kolommen, kolom)
        self._delen.append(
            (self._index(self._bestanden, bestand), kolom_index, ALLE_DEFECTEN.index(defect), regelnummers)
        )

    def aantallen(self) -> dict[str, int]:
        totaal = dict.fromkeys(ALLE_DEFECTEN, 0)
        for _, _, defect, regels in self._delen:
            totaal[ALLE_DEFECTEN[defect]] += len(regels)
        return {k: v for k, v in totaal.items() if v}

    def schrijf(self, con: duckdb.DuckDBPyConnection, pad: Path) -> int:
        lengtes = [len(r) for *_, r in self._delen]
        tabel = {
            "bestand": np.repeat(np.array([d[0] for d in self._delen], dtype=np.int16), lengtes),
            "kolom": np.repeat(np.array([d[1] for d in self._delen], dtype=np.int16), lengtes),
            "defect": np.repeat(np.array([d[2] for d in self._delen], dtype=np.int16), lengtes),
            "regelnummer": np.concatenate([r for *_, r in self._delen]) if self._delen else np.zeros(0, np.int64),
        }
        orde = np.lexsort((tabel["defect"], tabel["kolom"], tabel["regelnummer"], tabel["bestand"]))
        schrijf_parquet(
            con,
            pad,
            {k: v[orde] for k, v in tabel.items()},
            f"{label('bestand', 1)} as bestand, regelnummer, {label('kolom', 2)} as kolom, "
            f"{label('defect', 3)} as defect",
            [self._bestanden or [""], self._kolommen or [""], list(ALLE_DEFECTEN)],
        )
        return len(orde)


@dataclass(frozen=True)
class Spellingen:
    """A column's labels and their spelling variants as one list, so a label is a small integer in an array:
    index ``i < len(labels)`` is the canonical label ``i``, the variants of label ``i`` follow after all labels."""

    labels: tuple[str, ...]

    @property
    def alle(self) -> list[str]:
        return [*self.labels, *(v for label in self.labels for v in spellingen(label))]

    def variant(self, rng: np.random.Generator, index: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """A random spelling variant of each canonical label index."""
        aantal = np.array([len(spellingen(label)) for label in self.labels], dtype=np.int64)
        begin = len(self.labels) + np.concatenate([[0], np.cumsum(aantal)[:-1]])
        keuze = np.floor(rng.random(len(index)) * aantal[index]).astype(np.int64)
        return (begin[index] + keuze).astype(np.int16)
