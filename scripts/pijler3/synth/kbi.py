"""The KBI extract: personen.csv and insz_vervangingen.csv written the way the KBI exports them.

UTF-8 with BOM, ``;``, ``"`` quote, CRLF, dates ``dd/mm/yyyy``, ``ja``/``nee``, empty string for a missing value. The
file is small (one row per newcomer), so Python's csv module writes it; the defects are drawn on arrays.

INSZ policy: the row carries the newcomer's *current* number, except for a share (``aandeel_oud_insz_in_kbi``) of the
newcomers whose bis number was replaced, whose row still carries the old bis number; insz_vervangingen.csv lists every
replacement, so the old number resolves to the current one (recorded as defect ``insz_verouderd``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from pijler3.synth import codes
from pijler3.synth import insz as inszgen
from pijler3.synth.defects import INSZ_VEROUDERD, DefectLog, Spellingen, is_kopie, kies_celdefecten, kies_dubbels
from pijler3.synth.personen import GEEN, Dagen, Ints, Nieuwkomers

KOLOMMEN: Final = (
    "insz",
    "leeftijdscategorie",
    "geslacht",
    "scholingsniveau",
    "oudste_nationaliteit",
    "datum_toeleiding_vdab",
    "doelgroep",
    "datum_doelgroep",
    "datum_aanmelding",
    "datum_inburgeringscontract",
    "kbi_regio",
    "plo_besluit",
    "plo_reden_besluit",
    "ingeschat_taalleervermogen",
    "hoogst_behaald_niveau_nt2",
    "trajecttype",
    "toeleiding_diplomagelijkschakeling",
    "resultaat_diplomagelijkschakeling",
    "heeft_ocmw_leefloon",
    "verblijfsstatus",
)
DATUMKOLOMMEN: Final = ("datum_toeleiding_vdab", "datum_doelgroep", "datum_aanmelding", "datum_inburgeringscontract")
VERVANGING_KOLOMMEN: Final = ("oud_insz", "nieuw_insz", "datum_vervanging")
# day/month pairs that no calendar has; the year stays the true one
ONMOGELIJKE_DAGEN: Final = ("31/02", "30/02", "31/04", "31/06", "31/09", "31/11", "32/01", "00/05", "15/13")
CELDEFECTEN: Final = ("leeg", "insz_opgemaakt", "insz_checksum", "spelling", "datum_onmogelijk", "datum_volgorde")
PERSONEN: Final = "kbi/personen.csv"
VERVANGINGEN: Final = "kbi/insz_vervangingen.csv"


def datum_tekst(dagen: Dagen) -> npt.NDArray[np.object_]:
    """dd/mm/yyyy, empty for GEEN."""
    iso = np.datetime_as_string(np.where(dagen == GEEN, 0, dagen).astype("datetime64[D]")).tolist()
    return np.array(
        [f"{s[8:10]}/{s[5:7]}/{s[0:4]}" if d != GEEN else "" for s, d in zip(iso, dagen.tolist(), strict=True)],
        dtype=object,
    )


def _kies_kolom(rng: np.random.Generator, geschikt: npt.NDArray[np.bool_]) -> Ints:
    """Per row a random column among those marked suitable (every row has at least one)."""
    kolom: Ints = np.argmax(rng.random(geschikt.shape) * geschikt, axis=1).astype(np.int64)
    return kolom


def schrijf(
    rng: np.random.Generator, map_: Path, nk: Nieuwkomers, rates: Mapping[str, float], log: DefectLog
) -> tuple[dict[str, int], Ints]:
    """Write both KBI files; returns the row counts and, per newcomer, the line of their (first) row."""
    n = nk.aantal
    labels = {k: v.copy() for k, v in nk.labels.items()}
    spellingen = {k: Spellingen(codes.KBI_LABELS[k]) for k in labels}
    datums = {
        "datum_toeleiding_vdab": nk.datum_toeleiding_vdab.copy(),
        "datum_doelgroep": nk.datum_doelgroep.copy(),
        "datum_aanmelding": nk.datum_aanmelding.copy(),
        "datum_inburgeringscontract": nk.datum_inburgeringscontract.copy(),
    }
    kbi_insz = np.where(nk.kbi_oud_insz, nk.insz_oud, nk.insz)
    insz_tekst = np.array(inszgen.als_tekst(kbi_insz), dtype=object)

    keuze = kies_celdefecten(rng, n, CELDEFECTEN, rates, PERSONEN)
    # an old bis number stays recognisable: it is never emptied or given a wrong checksum
    keuze[nk.kbi_oud_insz & (keuze == CELDEFECTEN.index("insz_checksum"))] = -1
    geraakt: dict[tuple[str, str], Ints] = {}

    rijen = np.flatnonzero(keuze == CELDEFECTEN.index("insz_opgemaakt"))
    insz_tekst[rijen] = [inszgen.opgemaakt(t) for t in insz_tekst[rijen]]
    geraakt["insz", "insz_opgemaakt"] = rijen
    rijen = np.flatnonzero(keuze == CELDEFECTEN.index("insz_checksum"))
    insz_tekst[rijen] = inszgen.als_tekst(inszgen.foute_controle(rng, kbi_insz[rijen]))
    geraakt["insz", "insz_checksum"] = rijen

    labelkolommen = tuple(labels)
    rijen = np.flatnonzero(keuze == CELDEFECTEN.index("spelling"))
    gevuld = np.stack([labels[k][rijen] >= 0 for k in labelkolommen], axis=1)
    kolom = _kies_kolom(rng, gevuld)
    for i, naam in enumerate(labelkolommen):
        deze = rijen[kolom == i]
        labels[naam][deze] = spellingen[naam].variant(rng, labels[naam][deze])
        geraakt[naam, "spelling"] = deze

    rijen = np.flatnonzero(keuze == CELDEFECTEN.index("datum_volgorde"))
    datums["datum_aanmelding"][rijen] = datums["datum_inburgeringscontract"][rijen] + rng.integers(1, 61, len(rijen))
    geraakt["datum_aanmelding", "datum_volgorde"] = rijen

    tekst: dict[str, npt.NDArray[np.object_]] = {"insz": insz_tekst}
    for naam in labelkolommen:
        alle = np.array(["", *spellingen[naam].alle], dtype=object)
        tekst[naam] = alle[labels[naam] + 1]
    for naam, dagen in datums.items():
        tekst[naam] = datum_tekst(dagen)

    rijen = np.flatnonzero(keuze == CELDEFECTEN.index("datum_onmogelijk"))
    gevuld = np.stack([datums[k][rijen] != GEEN for k in DATUMKOLOMMEN], axis=1)
    kolom = _kies_kolom(rng, gevuld)
    patroon = rng.integers(0, len(ONMOGELIJKE_DAGEN), len(rijen))
    for i, naam in enumerate(DATUMKOLOMMEN):
        deze = rijen[kolom == i]
        tekst[naam][deze] = [
            f"{ONMOGELIJKE_DAGEN[p]}/{t[-4:]}" for p, t in zip(patroon[kolom == i], tekst[naam][deze], strict=True)
        ]
        geraakt[naam, "datum_onmogelijk"] = deze

    # empty values: any filled cell of the row, the INSZ included (but not an old bis number, see above)
    rijen = np.flatnonzero(keuze == CELDEFECTEN.index("leeg"))
    gevuld = np.stack([tekst[k][rijen] != "" for k in KOLOMMEN], axis=1)
    gevuld[:, 0] &= ~nk.kbi_oud_insz[rijen]
    kolom = _kies_kolom(rng, gevuld)
    for i, naam in enumerate(KOLOMMEN):
        deze = rijen[kolom == i]
        tekst[naam][deze] = ""
        geraakt[naam, "leeg"] = deze

    volgorde = kies_dubbels(rng, n, rates["dubbele_rij"])
    regel = np.arange(len(volgorde), dtype=np.int64) + 2
    for (naam, defect), deze in geraakt.items():
        vlag = np.zeros(n, dtype=np.bool_)
        vlag[deze] = True
        log.voeg_toe(PERSONEN, naam, defect, regel[vlag[volgorde]])
    log.voeg_toe(PERSONEN, "insz", INSZ_VEROUDERD, regel[nk.kbi_oud_insz[volgorde]])
    log.voeg_toe(PERSONEN, None, "dubbele_rij", regel[is_kopie(volgorde)])
    eerste_regel = np.zeros(n, dtype=np.int64)
    eerste_regel[volgorde[~is_kopie(volgorde)]] = regel[~is_kopie(volgorde)]

    kolommen = [tekst[k][volgorde].tolist() for k in KOLOMMEN]
    _schrijf_csv(map_ / "personen.csv", KOLOMMEN, zip(*kolommen, strict=True))

    vervangen = np.flatnonzero(nk.insz_oud != 0)
    vervangen = vervangen[np.lexsort((vervangen, nk.datum_vervanging[vervangen]))]
    _schrijf_csv(
        map_ / "insz_vervangingen.csv",
        VERVANGING_KOLOMMEN,
        zip(
            inszgen.als_tekst(nk.insz_oud[vervangen]),
            inszgen.als_tekst(nk.insz[vervangen]),
            datum_tekst(nk.datum_vervanging[vervangen]).tolist(),
            strict=True,
        ),
    )
    return {PERSONEN: len(volgorde), VERVANGINGEN: len(vervangen)}, eerste_regel


def _schrijf_csv(pad: Path, kop: tuple[str, ...], rijen: Iterable[Sequence[str]]) -> None:
    with pad.open("w", encoding="utf-8-sig", newline="") as bestand:
        schrijver = csv.writer(bestand, delimiter=";", quotechar='"', lineterminator="\r\n")
        schrijver.writerow(kop)
        schrijver.writerows(rijen)
