"""The VDAB database extract: every client VDAB knows, most of the newcomers among them, as six Parquet files.

Every table is generated in client order (``klant_id`` ascending, periods in time order within a client), so no
20-million-row sort is needed and Parquet row numbers are stable. Newcomers' first registration and first job start
after the contract are exactly the truth; defects never touch those dates (an out-of-order defect moves the *end* of a
period).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt

from pijler3.errors import InputError
from pijler3.synth import codes
from pijler3.synth import insz as inszgen
from pijler3.synth._duck import datum, label, schrijf_parquet
from pijler3.synth.defects import DefectLog, Spellingen, is_kopie, kies_celdefecten, kies_dubbels
from pijler3.synth.personen import GEEN, Bools, Dagen, Ints, Nieuwkomers, dag, gewichten

# share of other clients' closed registrations that end because work starts
AANDEEL_UITSCHRIJVING_DOOR_WERK = 0.45
# share of newcomers with outflow whose first registration ends on the day work starts
AANDEEL_NIEUWKOMER_UITSCHRIJVING_DOOR_WERK = 0.6


@dataclass(frozen=True)
class VdabUitvoer:
    klant_id_per_nieuwkomer: Ints  # 0 when the newcomer is not a VDAB client
    rijen: dict[str, int]


def trek_overige_geboorte(rng: np.random.Generator, aantal: int, kal: codes.Kalibratie) -> tuple[Dagen, Bools]:
    """Birth dates (aged 16 to 67 at the extract date) and sex of the VDAB clients who are not newcomers."""
    peil = dag(kal.peildatum)
    geboorte = (peil - rng.integers(16 * 365 + 5, 67 * 365, aantal)).astype(np.int32)
    return geboorte, rng.random(aantal) < 0.5


def aantal_in_vdab(nk: Nieuwkomers) -> int:
    return int(nk.in_vdab.sum())


def _celdefecten(
    rng: np.random.Generator, n: int, soorten: Sequence[str], rates: Mapping[str, float], bestand: str
) -> dict[str, Ints]:
    keuze = kies_celdefecten(rng, n, soorten, rates, bestand)
    return {soort: np.flatnonzero(keuze == i) for i, soort in enumerate(soorten)}


def _eind_voor_begin(rng: np.random.Generator, van: Dagen, tot: Dagen, rijen: Ints) -> None:
    tot[rijen] = van[rijen] - rng.integers(1, 61, len(rijen))


def _verdeel(
    rng: np.random.Generator, van: Dagen, tot: Dagen, peil: int, verdeling: Sequence[float]
) -> tuple[Ints, Dagen, Dagen]:
    """Split each period [van, tot] (tot GEEN = open) into 1..len(verdeling) consecutive sub-periods that cover it
    exactly: returns the parent index, geldig_van and geldig_tot (GEEN for the last piece of an open period)."""
    eind = np.where(tot == GEEN, peil, tot).astype(np.int64)
    dagen = eind - van + 1
    stukken = np.minimum(rng.choice(len(verdeling), len(van), p=np.asarray(verdeling)) + 1, dagen)
    ouder = np.repeat(np.arange(len(van), dtype=np.int64), stukken)
    begin_groep = np.cumsum(stukken) - stukken
    volgnummer = np.arange(len(ouder)) - np.repeat(begin_groep, stukken)
    laatste = volgnummer == np.repeat(stukken, stukken) - 1
    gewicht = rng.random(len(ouder)) + 0.2
    cum = np.cumsum(gewicht)
    voor_groep = (cum - gewicht)[begin_groep]
    som_groep = cum[begin_groep + stukken - 1] - voor_groep
    fractie = np.where(laatste, 1.0, (cum - np.repeat(voor_groep, stukken)) / np.repeat(som_groep, stukken))
    # every piece is at least one day long: piece k ends at day k+1 plus its share of the remaining days
    rest = np.repeat(dagen - stukken, stukken)
    grens = volgnummer + 1 + np.floor(rest * fractie).astype(np.int64)
    grens = np.where(laatste, np.repeat(dagen, stukken), grens)
    vorige = np.where(volgnummer == 0, 0, np.roll(grens, 1))
    basis = van[ouder].astype(np.int64)
    stuk_van = (basis + vorige).astype(np.int32)
    stuk_tot = np.where(laatste & (tot[ouder] == GEEN), GEEN, basis + grens - 1).astype(np.int32)
    return ouder, stuk_van, stuk_tot


def _geen_herhaling(rng: np.random.Generator, ouder: Ints, index: npt.NDArray[np.int16], k: int) -> None:
    """Consecutive periods of one registration get a different label (a change is what starts a new period)."""
    zelfde = np.flatnonzero((ouder[1:] == ouder[:-1]) & (index[1:] == index[:-1])) + 1
    index[zelfde] = ((index[zelfde] + rng.integers(1, k, len(zelfde))) % k).astype(np.int16)


def schrijf(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    map_: Path,
    nk: Nieuwkomers,
    overige_insz: Ints,
    kal: codes.Kalibratie,
    rates: Mapping[str, float],
    log: DefectLog,
) -> VdabUitvoer:
    peil = dag(kal.peildatum)
    binnen = np.flatnonzero(nk.in_vdab)
    m = len(binnen) + len(overige_insz)
    rijen: dict[str, int] = {}

    # clients: newcomers at random places among the others; klant_id ascending with gaps
    nieuwkomer = np.full(m, -1, dtype=np.int64)
    nieuwkomer[np.sort(rng.choice(m, len(binnen), replace=False))] = rng.permutation(binnen)
    is_nk = nieuwkomer >= 0
    wie = nieuwkomer[is_nk]
    insz = np.empty(m, dtype=np.int64)
    insz[is_nk] = nk.insz[wie]
    insz[~is_nk] = overige_insz
    klant_id = 100_000 + np.cumsum(rng.integers(1, 25, m, dtype=np.int64))
    klant_per_nieuwkomer = np.zeros(nk.aantal, dtype=np.int64)
    klant_per_nieuwkomer[wie] = klant_id[is_nk]

    bestand = "vdab/personen.parquet"
    defect = _celdefecten(rng, m, ("leeg", "insz_opgemaakt", "insz_checksum"), rates, bestand)
    soort = np.full(m, -1, dtype=np.int8)
    for i, naam in enumerate(("leeg", "insz_opgemaakt", "insz_checksum")):
        soort[defect[naam]] = i
        log.voeg_toe(bestand, "insz", naam, defect[naam] + 1)
    tekst = inszgen.SQL_TEKST.format(kolom="insz")
    schrijf_parquet(
        con,
        map_ / "personen.parquet",
        {"klant_id": klant_id, "insz": insz, "fout": inszgen.foute_controle(rng, insz), "soort": soort},
        f"""klant_id, case soort
            when 0 then null
            when 1 then {inszgen.SQL_OPGEMAAKT.format(t=tekst)}
            when 2 then {inszgen.SQL_TEKST.format(kolom="fout")}
            else {tekst} end as insz""",
    )
    rijen[bestand] = m

    # registration periods: 1-3 per client, consecutive with gaps; the newcomers' first one is the truth and covers
    # the contract plus 60 days, or ends on the day their first job starts
    eerste = rng.integers(dag(kal.eerste_inschrijving_populatie), peil + 1, m).astype(np.int64)
    eerste[is_nk] = nk.datum_eerste_inschrijving[wie]
    aantal = np.where(eerste != GEEN, rng.choice(3, m, p=[0.6, 0.3, 0.1]) + 1, 0)
    persoon = np.repeat(np.arange(m, dtype=np.int64), aantal)
    begin_groep = np.cumsum(aantal) - aantal
    eerste_rij = np.arange(len(persoon)) == np.repeat(begin_groep, aantal)
    min_eind = np.zeros(m, dtype=np.int64)
    min_eind[is_nk] = nk.datum_inburgeringscontract[wie] + 61
    werk = np.full(m, GEEN, dtype=np.int64)
    werk[is_nk] = nk.datum_uitstroom_werk[wie]
    eindigt_bij_werk = (werk != GEEN) & (rng.random(m) < AANDEEL_NIEUWKOMER_UITSCHRIJVING_DOOR_WERK)
    duur = np.floor(rng.exponential(365.0, len(persoon))).astype(np.int64) + 1
    duur = np.where(eerste_rij, np.maximum(duur, min_eind[persoon] - eerste[persoon]), duur)
    duur = np.where(eerste_rij & eindigt_bij_werk[persoon], werk[persoon] - eerste[persoon], duur)
    stap = duur + np.floor(rng.exponential(400.0, len(persoon))).astype(np.int64) + 1
    voor = np.cumsum(stap) - stap
    van = eerste[persoon] + voor - np.repeat(voor[begin_groep[aantal > 0]], aantal[aantal > 0])
    houden = van <= peil
    persoon, van, duur = persoon[houden], van[houden].astype(np.int32), duur[houden]
    tot = np.where(van + duur > peil, GEEN, van + duur).astype(np.int32)
    open_ = tot == GEEN

    # job starts: the newcomers' truth, and for other clients the end of some closed registrations
    andere = ~open_ & ~is_nk[persoon] & (rng.random(len(persoon)) < AANDEEL_UITSCHRIJVING_DOOR_WERK)
    werk_persoon = np.concatenate([persoon[andere], np.flatnonzero(werk != GEEN)])
    werk_datum = np.concatenate([tot[andere], werk[werk != GEEN]]).astype(np.int32)
    orde = np.lexsort((werk_datum, werk_persoon))

    bestand = "vdab/inschrijvingen.parquet"
    defect = _celdefecten(rng, len(van), ("datum_volgorde",), rates, bestand)
    tot_uit = tot.copy()
    _eind_voor_begin(rng, van, tot_uit, defect["datum_volgorde"])
    log.voeg_toe(bestand, "uitschrijvingsdatum", "datum_volgorde", defect["datum_volgorde"] + 1)
    schrijf_parquet(
        con,
        map_ / "inschrijvingen.parquet",
        {"klant_id": klant_id[persoon], "van": van, "tot": tot_uit},
        f"klant_id, {datum('van')} as inschrijvingsdatum, {datum('tot')} as uitschrijvingsdatum",
    )
    rijen[bestand] = len(van)

    _schrijf_historiek(
        con, rng, map_, rates, log, klant_id[persoon], van, tot, peil,
        bestand="categorie_historiek", kolom="categorie_code", domein=codes.CATEGORIE_CODE,
        verdeling=(0.55, 0.30, 0.15), soorten=("leeg", "datum_volgorde"), rijen=rijen,
    )  # fmt: skip
    _schrijf_historiek(
        con, rng, map_, rates, log, klant_id[persoon], van, tot, peil,
        bestand="dienstverlening_historiek", kolom="status_dienstverlening", domein=codes.STATUS_DIENSTVERLENING,
        verdeling=(0.5, 0.35, 0.15), soorten=("leeg", "spelling", "datum_volgorde"), rijen=rijen,
    )  # fmt: skip
    _schrijf_acties(
        con, rng, map_, rates, log, klant_id[persoon], van, tot, peil, kal.acties_per_vdab_persoon * m, rijen
    )

    bestand = "vdab/werkhervattingen.parquet"
    schrijf_parquet(
        con,
        map_ / "werkhervattingen.parquet",
        {"klant_id": klant_id[werk_persoon[orde]], "werk": werk_datum[orde]},
        f"klant_id, {datum('werk')} as startdatum_werk",
    )
    rijen[bestand] = len(orde)
    return VdabUitvoer(klant_per_nieuwkomer, rijen)


def _schrijf_historiek(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    map_: Path,
    rates: Mapping[str, float],
    log: DefectLog,
    klant: Ints,
    van: Dagen,
    tot: Dagen,
    peil: int,
    *,
    bestand: str,
    kolom: str,
    domein: codes.Domein,
    verdeling: Sequence[float],
    soorten: Sequence[str],
    rijen: dict[str, int],
) -> None:
    """A history table: each registration split into consecutive periods with a label (code or status)."""
    ouder, stuk_van, stuk_tot = _verdeel(rng, van, tot, peil, verdeling)
    labels = tuple(label_ for label_, _ in domein)
    index = rng.choice(len(labels), len(ouder), p=gewichten(domein)).astype(np.int16)
    _geen_herhaling(rng, ouder, index, len(labels))
    spelling = Spellingen(labels)
    pad = f"vdab/{bestand}.parquet"
    defect = _celdefecten(rng, len(ouder), soorten, rates, pad)
    if "spelling" in defect:
        index[defect["spelling"]] = spelling.variant(rng, index[defect["spelling"]])
        log.voeg_toe(pad, kolom, "spelling", defect["spelling"] + 1)
    index[defect["leeg"]] = -1
    log.voeg_toe(pad, kolom, "leeg", defect["leeg"] + 1)
    _eind_voor_begin(rng, stuk_van, stuk_tot, defect["datum_volgorde"])
    log.voeg_toe(pad, "geldig_tot", "datum_volgorde", defect["datum_volgorde"] + 1)
    schrijf_parquet(
        con,
        map_ / f"{bestand}.parquet",
        {"klant_id": klant[ouder], "label": index, "van": stuk_van, "tot": stuk_tot},
        f"klant_id, {label('label', 1)} as {kolom}, {datum('van')} as geldig_van, {datum('tot')} as geldig_tot",
        [spelling.alle],
    )
    rijen[pad] = len(ouder)


def _schrijf_acties(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    map_: Path,
    rates: Mapping[str, float],
    log: DefectLog,
    klant: Ints,
    van: Dagen,
    tot: Dagen,
    peil: int,
    doel: float,
    rijen: dict[str, int],
) -> None:
    """Actions during registrations, as many per registration as its length warrants (about ``doel`` in total)."""
    dagen = np.where(tot == GEEN, peil, tot).astype(np.int64) - van + 1
    aantal = rng.poisson(doel * dagen / max(1, dagen.sum()))
    registratie = np.repeat(np.arange(len(van), dtype=np.int64), aantal)
    n = len(registratie)
    start = (van[registratie] + np.floor(rng.random(n) * dagen[registratie])).astype(np.int32)
    typen = tuple(label_ for label_, _ in codes.ACTIETYPE)
    soort = rng.choice(len(typen), n, p=gewichten(codes.ACTIETYPE)).astype(np.int16)
    duur_min = np.array([d[0] for d in codes.ACTIEDUUR])[soort]
    duur_max = np.array([d[1] for d in codes.ACTIEDUUR])[soort]
    eind = start + duur_min + np.floor(rng.random(n) * (duur_max - duur_min + 1)).astype(np.int64)
    eind = np.where(eind > peil, GEEN, eind).astype(np.int32)
    per_type = np.array([len(c) for c in codes.ACTIECODES])
    eerste_code = np.concatenate([[0], np.cumsum(per_type)[:-1]])
    code = (eerste_code[soort] + np.floor(rng.random(n) * per_type[soort])).astype(np.int16)

    bestand = "vdab/acties.parquet"
    spelling = Spellingen(typen)
    defect = _celdefecten(rng, n, ("leeg", "spelling", "datum_volgorde"), rates, bestand)
    soort[defect["spelling"]] = spelling.variant(rng, soort[defect["spelling"]])
    code[defect["leeg"]] = -1
    _eind_voor_begin(rng, start, eind, defect["datum_volgorde"])
    volgorde = kies_dubbels(rng, n, rates["dubbele_rij"])
    for naam, kolom in (("leeg", "actiecode"), ("spelling", "actietype"), ("datum_volgorde", "einddatum")):
        geraakt = np.zeros(n, dtype=np.bool_)
        geraakt[defect[naam]] = True
        log.voeg_toe(bestand, kolom, naam, np.flatnonzero(geraakt[volgorde]) + 1)
    log.voeg_toe(bestand, None, "dubbele_rij", np.flatnonzero(is_kopie(volgorde)) + 1)
    schrijf_parquet(
        con,
        map_ / "acties.parquet",
        {
            "actie_id": (10_000_000 + volgorde).astype(np.int64),
            "klant_id": klant[registratie[volgorde]],
            "soort": soort[volgorde],
            "code": code[volgorde],
            "start": start[volgorde],
            "eind": eind[volgorde],
        },
        f"""actie_id, klant_id, {label("soort", 1)} as actietype, {label("code", 2)} as actiecode,
            {datum("start")} as startdatum, {datum("eind")} as einddatum""",
        [spelling.alle, [c for codes_ in codes.ACTIECODES for c in codes_]],
    )
    rijen[bestand] = len(volgorde)


def controleer_omvang(nk: Nieuwkomers, vdab_personen: int) -> None:
    nodig = aantal_in_vdab(nk)
    if vdab_personen < nodig:
        raise InputError(
            f"--vdab-persons {vdab_personen} is smaller than the {nodig} newcomers who are VDAB clients: "
            f"give at least {nodig} (VDAB's database is normally tens of times larger than the newcomer group)"
        )
