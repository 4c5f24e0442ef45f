"""Synthetic source systems for pijler3: a KBI extract, a VDAB database extract and the generator's truth.

``generate(out, persons, seed)`` writes, in exactly the shape of docs/bronbestanden.md::

    out/kbi/personen.csv, out/kbi/insz_vervangingen.csv
    out/vdab/{personen,inschrijvingen,categorie_historiek,dienstverlening_historiek,acties,werkhervattingen}.parquet
    out/waarheid/{personen,defecten}.parquet, out/waarheid/parameters.json

Everything is drawn with numpy from one ``PCG64`` seed (one independent stream per part), DuckDB only writes, so the
same arguments give byte-identical files. Art. 7 defects are injected at configurable rates and each one is recorded
in waarheid/defecten.parquet with its file, line and column.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import numpy.typing as npt

from pijler3.errors import InputError
from pijler3.synth import codes, kbi, personen, vdab
from pijler3.synth import insz as inszgen
from pijler3.synth._duck import datum, label, schrijf_parquet, verbinding
from pijler3.synth.defects import STANDAARD_DEFECT_RATE, DefectLog, defect_rates

__all__ = ["STANDAARD_DEFECT_RATE", "SynthSummary", "generate", "standaard_vdab_personen"]

MAPPEN: Final = ("kbi", "vdab", "waarheid")
STANDAARD_KALIBRATIE: Final = codes.Kalibratie()


@dataclass(frozen=True)
class SynthSummary:
    out: Path
    persons: int
    vdab_persons: int
    seed: int
    rijen: dict[str, int]  # file (relative to out) -> data rows
    defecten: dict[str, int]  # defect kind -> injected count
    seconden: float


def standaard_vdab_personen(persons: int, kal: codes.Kalibratie = STANDAARD_KALIBRATIE) -> int:
    """VDAB's database is tens of times larger than the newcomer group: 2 000 000 clients for 60 000 newcomers."""
    return round(persons * kal.vdab_persoon_per_nieuwkomer)


def generate(
    out: Path,
    persons: int,
    seed: int,
    *,
    vdab_persons: int | None = None,
    defect_rate: float = STANDAARD_DEFECT_RATE,
    defect_rates_per_soort: Mapping[str, float] | None = None,
    kalibratie: codes.Kalibratie = STANDAARD_KALIBRATIE,
    overwrite: bool = False,
) -> SynthSummary:
    """Write the synthetic extracts and truth under ``out``; nothing appears there unless generation succeeded.

    ``defect_rate`` is the share of rows that get each defect kind; ``defect_rates_per_soort`` overrides it per kind
    (see ``defects.DEFECTEN``). Existing kbi/, vdab/ or waarheid/ folders under ``out`` are only replaced with
    ``overwrite``.
    """
    begin = time.perf_counter()
    if persons < 1:
        raise InputError(f"--persons is {persons}: give at least 1 newcomer")
    if vdab_persons is None:
        vdab_persons = standaard_vdab_personen(persons, kalibratie)
    rates = defect_rates(defect_rate, defect_rates_per_soort)
    bestaand = [out / m for m in MAPPEN if (out / m).exists()]
    if bestaand and not overwrite:
        raise InputError(
            f"{', '.join(map(str, bestaand))} already exist: choose another --out or pass --overwrite to replace it"
        )

    stromen = np.random.SeedSequence(seed).spawn(5)
    rng_nk, rng_insz, rng_vdab, rng_kbi, rng_overig = (np.random.Generator(np.random.PCG64(s)) for s in stromen)
    nk = personen.trek(rng_nk, persons, kalibratie)
    vdab.controleer_omvang(nk, vdab_persons)
    overige_geboorte, overige_man = vdab.trek_overige_geboorte(
        rng_overig, vdab_persons - vdab.aantal_in_vdab(nk), kalibratie
    )
    overige_insz = personen.ken_insz_toe(
        rng_insz, nk, kalibratie.aandeel_huidig_bisnummer, overige_geboorte, overige_man
    )

    out.mkdir(parents=True, exist_ok=True)
    werkmap = Path(tempfile.mkdtemp(prefix=".synth-", dir=out))
    try:
        for m in MAPPEN:
            (werkmap / m).mkdir()
        log = DefectLog()
        con = verbinding()
        try:
            uit = vdab.schrijf(con, rng_vdab, werkmap / "vdab", nk, overige_insz, kalibratie, rates, log)
            kbi_rijen, kbi_regel = kbi.schrijf(rng_kbi, werkmap / "kbi", nk, rates, log)
            _schrijf_waarheid(con, werkmap / "waarheid", nk, uit.klant_id_per_nieuwkomer, kbi_regel)
            log.schrijf(con, werkmap / "waarheid" / "defecten.parquet")
        finally:
            con.close()
        (werkmap / "waarheid" / "parameters.json").write_text(
            json.dumps(
                {
                    "seed": seed,
                    "persons": persons,
                    "vdab_persons": vdab_persons,
                    "defect_rates": rates,
                    "kalibratie": {k: str(v) for k, v in dataclasses.asdict(kalibratie).items()},
                },
                indent=2,
                sort_keys=True,
            )
            + "\n",
            encoding="utf-8",
        )
        for m in MAPPEN:
            if (out / m).exists():
                shutil.rmtree(out / m)
            (werkmap / m).rename(out / m)
    finally:
        shutil.rmtree(werkmap, ignore_errors=True)
    return SynthSummary(
        out=out,
        persons=persons,
        vdab_persons=vdab_persons,
        seed=seed,
        rijen={**kbi_rijen, **uit.rijen},
        defecten=log.aantallen(),
        seconden=time.perf_counter() - begin,
    )


def _schrijf_waarheid(
    con: duckdb.DuckDBPyConnection,
    map_: Path,
    nk: personen.Nieuwkomers,
    klant_id: personen.Ints,
    kbi_regel: personen.Ints,
) -> None:
    """waarheid/personen.parquet: per newcomer the clean INSZ history and the true attributes."""
    labels = list(codes.KBI_LABELS)
    kolommen: dict[str, npt.NDArray[Any]] = {
        "persoon_id": np.arange(1, nk.aantal + 1, dtype=np.int64),
        "insz": nk.insz,
        "insz_oud": nk.insz_oud,
        "datum_vervanging": nk.datum_vervanging,
        "insz_in_kbi": np.where(nk.kbi_oud_insz, nk.insz_oud, nk.insz),
        "kbi_regelnummer": kbi_regel,
        "klant_id": klant_id,
        "geboortedatum": nk.geboortedatum,
        **{f"l_{k}": nk.labels[k] for k in labels},
        "datum_toeleiding_vdab": nk.datum_toeleiding_vdab,
        "datum_doelgroep": nk.datum_doelgroep,
        "datum_aanmelding": nk.datum_aanmelding,
        "datum_inburgeringscontract": nk.datum_inburgeringscontract,
        "verplicht": nk.verplicht,
        "toegeleid": nk.toegeleid,
        "in_vdab": nk.in_vdab,
        "datum_eerste_inschrijving": nk.datum_eerste_inschrijving,
        "binnen_60": nk.binnen_60_dagen,
        "datum_uitstroom_werk": nk.datum_uitstroom_werk,
    }
    tekst = inszgen.SQL_TEKST.format
    select = [
        "persoon_id",
        f"{tekst(kolom='insz')} as insz",
        f"case when insz_oud <> 0 then {tekst(kolom='insz_oud')} end as insz_oud",
        f"{datum('datum_vervanging')} as datum_vervanging",
        f"{tekst(kolom='insz_in_kbi')} as insz_in_kbi",
        "kbi_regelnummer",
        "case when klant_id <> 0 then klant_id end as klant_id",
        f"{datum('geboortedatum')} as geboortedatum",
    ]
    for i, k in enumerate(labels):
        select.append(f"{label(f'l_{k}', i + 1)} as {k}")
    for k in kbi.DATUMKOLOMMEN:
        select.append(f"{datum(k)} as {k}")
    select += [
        "verplicht",
        "toegeleid",
        "in_vdab",
        f"{datum('datum_eerste_inschrijving')} as datum_eerste_inschrijving",
        "binnen_60 as ingeschreven_binnen_60_dagen",
        f"{datum('datum_uitstroom_werk')} as datum_uitstroom_werk",
        f"datum_uitstroom_werk <> {personen.GEEN} as uitstroom_naar_werk",
    ]
    schrijf_parquet(
        con,
        map_ / "personen.parquet",
        kolommen,
        ", ".join(select),
        [list(codes.KBI_LABELS[k]) for k in labels],
    )
