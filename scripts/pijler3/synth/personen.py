"""The newcomers as they really are: profile, contract, referral, VDAB registration and outflow, all as arrays.

Both source systems are derived from this truth (the KBI extract writes it down with defects, the VDAB extract
reflects the registrations), and it is written as waarheid/personen.parquet so tests can compute every indicator
independently of the pipeline. Dates are days since 1970-01-01 (``int32``); ``GEEN`` marks a date that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pijler3.synth import codes
from pijler3.synth import insz as inszgen

Bools = npt.NDArray[np.bool_]
Dagen = npt.NDArray[np.int32]
Ints = npt.NDArray[np.int64]
Labels = npt.NDArray[np.int16]

GEEN = np.int32(np.iinfo(np.int32).min)
EPOCH = dt.date(1970, 1, 1)
UITSTROOM_VROEGST = 14  # days after registration (or contract) before a first job start
UITSTROOM_LAATST = 540


def dag(datum: dt.date) -> int:
    return (datum - EPOCH).days


def gewichten(domein: codes.Domein) -> npt.NDArray[np.float64]:
    w: npt.NDArray[np.float64] = np.array([g for _, g in domein], dtype=np.float64)
    genormaliseerd: npt.NDArray[np.float64] = w / w.sum()
    return genormaliseerd


def kies_label(rng: np.random.Generator, domein: codes.Domein, labels: tuple[str, ...], n: int) -> Labels:
    """Draw labels of ``domein`` by weight; returns indices into ``labels`` (the column's label list)."""
    index = np.array([labels.index(label) for label, _ in domein], dtype=np.int16)
    return index[rng.choice(len(domein), n, p=gewichten(domein))]


@dataclass
class Nieuwkomers:
    """One element per newcomer, in ``persoon_id`` order (1-based)."""

    labels: dict[str, Labels]  # KBI label column -> index into codes.KBI_LABELS[column], -1 = legitimately empty
    geboortedatum: Dagen
    man: Bools
    datum_doelgroep: Dagen
    datum_aanmelding: Dagen
    datum_inburgeringscontract: Dagen
    datum_toeleiding_vdab: Dagen
    verplicht: Bools
    toegeleid: Bools
    datum_eerste_inschrijving: Dagen
    in_vdab: Bools
    datum_uitstroom_werk: Dagen
    # INSZ: the current number, the replaced bis number (0 when none) and whether the KBI still carries it
    insz: Ints
    insz_oud: Ints
    datum_vervanging: Dagen
    kbi_oud_insz: Bools

    @property
    def aantal(self) -> int:
        return len(self.insz)

    @property
    def ingeschreven(self) -> Bools:
        ingeschreven: Bools = self.datum_eerste_inschrijving != GEEN
        return ingeschreven

    @property
    def binnen_60_dagen(self) -> Bools:
        binnen: Bools = self.ingeschreven & (self.datum_eerste_inschrijving <= self.datum_inburgeringscontract + 60)
        return binnen


def _uniform_tussen(rng: np.random.Generator, van: Ints | Dagen, tot: Ints | Dagen) -> Ints:
    """A day in [van, tot] per element (tot >= van)."""
    return van.astype(np.int64) + np.floor(rng.random(len(van)) * (tot.astype(np.int64) - van + 1)).astype(np.int64)


def trek(rng: np.random.Generator, n: int, kal: codes.Kalibratie) -> Nieuwkomers:
    """Draw ``n`` newcomers; their INSZ are assigned later by ``ken_insz_toe`` (unique across both systems)."""
    kbi = codes.KBI_LABELS
    peil = dag(kal.peildatum)
    labels: dict[str, Labels] = {}

    status = kies_label(rng, codes.VERBLIJFSSTATUS, kbi["verblijfsstatus"], n)
    labels["verblijfsstatus"] = status
    eu = status == kbi["verblijfsstatus"].index(codes.STATUS_EU)
    ontheemd = status == kbi["verblijfsstatus"].index(codes.STATUS_ONTHEEMD)
    beschermd = np.isin(status, [kbi["verblijfsstatus"].index(s) for s in codes.STATUS_BESCHERMD])
    naties = kbi["oudste_nationaliteit"]
    labels["oudste_nationaliteit"] = np.where(
        eu,
        kies_label(rng, codes.NATIONALITEIT_EU, naties, n),
        np.where(
            ontheemd,
            kies_label(rng, codes.NATIONALITEIT_ONTHEEMD, naties, n),
            kies_label(rng, codes.NATIONALITEIT_DERDELANDS, naties, n),
        ),
    ).astype(np.int16)

    # the displaced arrived mostly in 2022-2023; contracts run up to a month before the extract date
    begin = dag(kal.begin_contracten)
    contract = np.where(
        ontheemd,
        rng.integers(begin, dag(kal.eind_ontheemden) + 1, n),
        rng.integers(begin, peil - 30 + 1, n),
    ).astype(np.int32)

    vrijgesteld = gewichten(codes.VERBLIJFSSTATUS)[
        [kbi["verblijfsstatus"].index(codes.STATUS_EU), kbi["verblijfsstatus"].index(codes.STATUS_ONTHEEMD)]
    ].sum()
    kans_verplicht = min(1.0, kal.aandeel_verplicht / (1.0 - vrijgesteld))
    verplicht = ~eu & ~ontheemd & (rng.random(n) < kans_verplicht)
    labels["doelgroep"] = np.where(verplicht, 0, 1).astype(np.int16)

    # age at the contract: draw within the category, then derive the category from the exact age
    categorie = kies_label(rng, codes.LEEFTIJDSCATEGORIE, kbi["leeftijdscategorie"], n)
    onder = np.array(codes.LEEFTIJD_ONDERGRENS)[categorie] * 365.25 + 2
    boven = np.array(codes.LEEFTIJD_BOVENGRENS)[categorie] * 365.25 - 2
    geboorte = (contract - np.floor(onder + rng.random(n) * (boven - onder))).astype(np.int32)
    gj, gm, gd = inszgen.datum_delen(geboorte)
    cj, cm, cd = inszgen.datum_delen(contract)
    leeftijd = cj - gj - ((cm * 100 + cd) < (gm * 100 + gd))
    labels["leeftijdscategorie"] = (np.searchsorted(codes.LEEFTIJD_ONDERGRENS, leeftijd, side="right") - 1).astype(
        np.int16
    )

    geslacht = kies_label(rng, codes.GESLACHT, kbi["geslacht"], n)
    labels["geslacht"] = geslacht
    man = (geslacht == 0) | ((geslacht == 2) & (rng.random(n) < 0.5))
    scholing = kies_label(rng, codes.SCHOLINGSNIVEAU, kbi["scholingsniveau"], n)
    labels["scholingsniveau"] = scholing
    labels["kbi_regio"] = kies_label(rng, codes.KBI_REGIO, kbi["kbi_regio"], n)

    aanmelding = (contract - rng.integers(0, 121, n)).astype(np.int32)
    doelgroep_datum = (aanmelding - rng.integers(0, 366, n)).astype(np.int32)

    # referral by the agencies (PLO decision), a few weeks after the contract at most
    kans_toeleiding = np.where(verplicht, kal.aandeel_toegeleid_verplicht, kal.aandeel_toegeleid_rechthebbend)
    toeleiding = (contract + np.minimum(np.floor(rng.exponential(8.0, n)), 40)).astype(np.int32)
    toegeleid = (rng.random(n) < kans_toeleiding) & (toeleiding <= peil)
    toeleiding = np.where(toegeleid, toeleiding, GEEN).astype(np.int32)

    besluit = kbi["plo_besluit"]
    labels["plo_besluit"] = np.where(
        toegeleid,
        besluit.index(codes.PLO_TOELEIDING),
        np.where(verplicht, besluit.index(codes.PLO_GEEN_TOELEIDING), -1),
    ).astype(np.int16)
    redenen = kbi["plo_reden_besluit"]
    reden_niet = kies_label(rng, codes.PLO_REDEN_NIET_TOEGELEID, redenen, n)
    labels["plo_reden_besluit"] = np.where(
        toegeleid,
        kies_label(rng, codes.PLO_REDEN_TOEGELEID, redenen, n),
        np.where(verplicht, reden_niet, -1),
    ).astype(np.int16)
    reeds_vdab = verplicht & ~toegeleid & (reden_niet == redenen.index(codes.PLO_REDEN_REEDS_VDAB))

    # first VDAB registration: within 60 days of the contract for most of the referred, later or never for the rest;
    # registration before the contract happens (already in a VDAB trajectory, own initiative) and is no defect
    keuze = rng.random(n)
    binnen = _uniform_tussen(rng, toeleiding.clip(min=contract), contract + 60)
    later = contract + 61 + np.floor(rng.exponential(120.0, n)).astype(np.int64)
    zelf = _uniform_tussen(rng, contract - 200, np.full(n, peil))
    inschrijving = np.full(n, GEEN, dtype=np.int64)
    inschrijving = np.where(toegeleid & (keuze < kal.aandeel_binnen_60_dagen), binnen, inschrijving)
    inschrijving = np.where(
        toegeleid
        & (keuze >= kal.aandeel_binnen_60_dagen)
        & (keuze < kal.aandeel_binnen_60_dagen + kal.aandeel_later_ingeschreven),
        later,
        inschrijving,
    )
    inschrijving = np.where(reeds_vdab, contract - rng.integers(30, 1500, n), inschrijving)
    inschrijving = np.where(~toegeleid & ~reeds_vdab & (keuze < kal.aandeel_zelf_ingeschreven), zelf, inschrijving)
    eerste_inschrijving: Dagen = np.where(inschrijving > peil, GEEN, inschrijving).astype(np.int32)
    ingeschreven = eerste_inschrijving != GEEN
    in_vdab = ingeschreven | (rng.random(n) < kal.aandeel_klant_zonder_inschrijving)

    # outflow to work: a first job start after both the registration and the contract, calibrated among the
    # registered verplichte (only those registered at least UITSTROOM_VROEGST days before the extract date can have one)
    anker = np.maximum(eerste_inschrijving, contract).astype(np.int64)
    kan = ingeschreven & (peil - anker >= UITSTROOM_VROEGST)
    kans_verplicht_werk = min(
        1.0, kal.aandeel_uitstroom_verplicht * (ingeschreven & verplicht).sum() / max(1, (kan & verplicht).sum())
    )
    kans_werk = np.where(verplicht, kans_verplicht_werk, kal.aandeel_uitstroom_rechthebbend)
    werkt = kan & (rng.random(n) < kans_werk)
    werk = _uniform_tussen(rng, anker + UITSTROOM_VROEGST, np.minimum(anker + UITSTROOM_LAATST, peil))
    uitstroom = np.where(werkt, werk, GEEN).astype(np.int32)

    taal = kies_label(rng, codes.TAALLEERVERMOGEN, kbi["ingeschat_taalleervermogen"], n)
    labels["ingeschat_taalleervermogen"] = taal
    alfa = taal == kbi["ingeschat_taalleervermogen"].index("alfa")
    nt2 = kbi["hoogst_behaald_niveau_nt2"]
    labels["hoogst_behaald_niveau_nt2"] = np.where(
        alfa,
        np.array([0, 1, 2], dtype=np.int16)[rng.choice(3, n, p=[0.5, 0.35, 0.15])],
        kies_label(rng, codes.NT2_NIVEAU, nt2, n),
    ).astype(np.int16)
    traject = codes.TRAJECTTYPE
    labels["trajecttype"] = np.select(
        [
            alfa,
            (labels["leeftijdscategorie"] == 0) & (rng.random(n) < 0.5),
            (taal == kbi["ingeschat_taalleervermogen"].index("snel")) & (rng.random(n) < 0.5),
        ],
        [
            traject.index(codes.TRAJECT_ALFA),
            traject.index(codes.TRAJECT_JONGEREN),
            traject.index(codes.TRAJECT_VERSNELD),
        ],
        traject.index(codes.TRAJECT_STANDAARD),
    ).astype(np.int16)

    # referral to diploma equivalence mostly for the highly schooled
    factor = np.array([0.15, 0.8, 2.5, 0.4])[scholing]
    diploma = rng.random(n) < kal.aandeel_diplomagelijkschakeling * factor
    labels["toeleiding_diplomagelijkschakeling"] = np.where(diploma, 0, 1).astype(np.int16)
    labels["resultaat_diplomagelijkschakeling"] = np.where(
        diploma, kies_label(rng, codes.RESULTAAT_DIPLOMA, kbi["resultaat_diplomagelijkschakeling"], n), -1
    ).astype(np.int16)
    kans_leefloon = np.select([beschermd, eu, ontheemd], [0.45, 0.03, 0.25], 0.10)
    labels["heeft_ocmw_leefloon"] = np.where(rng.random(n) < kans_leefloon, 0, 1).astype(np.int16)

    # INSZ history: some replaced a bis number by a register number, some still have only a bis number
    keuze = rng.random(n)
    vervangen = keuze < kal.aandeel_vervangen_insz
    vervanging = np.where(vervangen, _uniform_tussen(rng, doelgroep_datum, np.full(n, peil)), GEEN).astype(np.int32)
    return Nieuwkomers(
        labels={k: labels[k] for k in kbi},
        geboortedatum=geboorte,
        man=man,
        datum_doelgroep=doelgroep_datum,
        datum_aanmelding=aanmelding,
        datum_inburgeringscontract=contract,
        datum_toeleiding_vdab=toeleiding,
        verplicht=verplicht,
        toegeleid=toegeleid,
        datum_eerste_inschrijving=eerste_inschrijving,
        in_vdab=in_vdab,
        datum_uitstroom_werk=uitstroom,
        insz=np.zeros(n, dtype=np.int64),
        insz_oud=np.where(vervangen, 1, 0).astype(np.int64),
        datum_vervanging=vervanging,
        kbi_oud_insz=vervangen & (rng.random(n) < kal.aandeel_oud_insz_in_kbi),
    )


def _bis_delen(rng: np.random.Generator, maand: Ints, dag_: Ints) -> tuple[Ints, Ints]:
    """Raw month and day of bis numbers: month + 40 (sex known) or + 20 (sex unknown); some with an unknown date."""
    n = len(maand)
    geslacht_bekend = rng.random(n) < 0.7
    onbekende_datum = rng.random(n) < 0.15
    maand_ruw = np.where(onbekende_datum, 0, maand) + np.where(geslacht_bekend, 40, 20)
    return maand_ruw, np.where(onbekende_datum, 0, dag_)


def ken_insz_toe(
    rng: np.random.Generator,
    nk: Nieuwkomers,
    huidig_bis_aandeel: float,
    overige_geboorte: Dagen,
    overige_man: Bools,
) -> Ints:
    """Give every newcomer a current (and, when replaced, an old bis) INSZ and return numbers for the other VDAB
    persons: one pool, unique across it, valid by construction."""
    n = nk.aantal
    vervangen = nk.insz_oud != 0
    huidig_bis = ~vervangen & (rng.random(n) < huidig_bis_aandeel / max(1e-9, 1 - vervangen.mean()))
    gj, gm, gd = inszgen.datum_delen(nk.geboortedatum)
    bm, bd = _bis_delen(rng, gm, gd)
    oj, om, od = inszgen.datum_delen(overige_geboorte)
    # 2 % of the other VDAB clients are known by a bis number too
    overige_bis = rng.random(len(overige_geboorte)) < 0.02
    obm, obd = _bis_delen(rng, om, od)
    oud = np.flatnonzero(vervangen)

    jaar = np.concatenate([gj, gj[oud], oj])
    maand = np.concatenate([np.where(huidig_bis, bm, gm), bm[oud], np.where(overige_bis, obm, om)])
    dagen = np.concatenate([np.where(huidig_bis, bd, gd), bd[oud], np.where(overige_bis, obd, od)])
    man = np.concatenate([nk.man, nk.man[oud], overige_man])
    nummers, _ = inszgen.maak_uniek(rng, jaar, maand, dagen, man)
    nk.insz = nummers[:n]
    nk.insz_oud = np.zeros(n, dtype=np.int64)
    nk.insz_oud[oud] = nummers[n : n + len(oud)]
    return nummers[n + len(oud) :]
