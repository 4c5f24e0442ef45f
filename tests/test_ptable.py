"""The p-table of the cell key method: its stated properties, row by row, exactly on the grid of 256 cell keys; the
committed seed is what the generator makes from the parameters in dbt_project.yml; bad parameters are refused."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from pijler3.errors import InputError
from pijler3.ptable import (
    ONS_HOOGSTE_PCV,
    SLEUTELS,
    PTableParameters,
    als_csv,
    laatste_pcv,
    ons_records,
    pcv,
    records,
)

SEED = REPO / "seeds" / "ptable.csv"
PIJLER3 = str(Path(sys.executable).parent / "pijler3")


def _parameters_van_project() -> PTableParameters:
    variabelen = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
    return PTableParameters(
        drempel=int(variabelen["sdc_drempel"]),
        max_afwijking=int(variabelen["ckm_max_afwijking"]),
        variantie=Fraction(str(variabelen["ckm_variantie"])),
    )


def _lees(pad: Path) -> dict[int, dict[int, int]]:
    tabel: dict[int, dict[int, int]] = defaultdict(dict)
    with pad.open(newline="") as handle:
        for rij in csv.DictReader(handle):
            tabel[int(rij["pcv"])][int(rij["ckey"])] = int(rij["pvalue"])
    return dict(tabel)


def eigenschappen_geschonden(tabel: dict[int, dict[int, int]], parameters: PTableParameters) -> list[str]:
    """Every stated property a p-table breaks, as readable lines (empty: none)."""
    fouten = []
    if sorted(tabel) != list(range(len(tabel))):
        fouten.append("rows do not run from 0 without a gap")
    for i, rij in tabel.items():
        if sorted(rij) != list(range(SLEUTELS)):
            fouten.append(f"pcv {i}: not every cell key 0 … 255 exactly once (probabilities do not sum to 1)")
            continue
        ruis = list(rij.values())
        if sum(ruis) != 0:
            fouten.append(f"pcv {i}: biased, mean noise {Fraction(sum(ruis), SLEUTELS)}")
        if i >= parameters.drempel and Fraction(sum(v * v for v in ruis), SLEUTELS) != parameters.variantie:
            fouten.append(f"pcv {i}: variance {Fraction(sum(v * v for v in ruis), SLEUTELS)} != {parameters.variantie}")
        if max(abs(v) for v in ruis) > parameters.max_afwijking:
            fouten.append(f"pcv {i}: noise beyond max_afwijking")
        if any(i + v < 0 or 1 <= i + v < parameters.drempel for v in ruis):
            fouten.append(f"pcv {i}: an outcome below 0 or in 1 … drempel - 1")
    return fouten


def test_the_committed_seed_has_every_stated_property() -> None:
    parameters = _parameters_van_project()
    tabel = _lees(SEED)
    assert eigenschappen_geschonden(tabel, parameters) == []
    assert max(tabel) == laatste_pcv(parameters)


def test_the_property_check_can_fail() -> None:
    """Each broken property of a tampered table is caught (so the test above can fail)."""
    parameters = _parameters_van_project()
    schoon = _lees(SEED)
    verschoven = {i: dict(r) for i, r in schoon.items()}
    verschoven[20 if 20 in verschoven else max(verschoven)][0] += 1  # biased and another variance
    klein = {i: dict(r) for i, r in schoon.items()}
    klein[3][0] = -1  # 3 -> 2: an outcome under the threshold
    gat = {i: dict(r) for i, r in schoon.items()}
    del gat[7][100]
    assert any("biased" in f for f in eigenschappen_geschonden(verschoven, parameters))
    assert any("variance" in f for f in eigenschappen_geschonden(verschoven, parameters))
    assert any("drempel" in f for f in eigenschappen_geschonden(klein, parameters))
    assert any("exactly once" in f for f in eigenschappen_geschonden(gat, parameters))


def test_the_committed_seed_is_what_the_generator_makes_from_the_project_parameters(tmp_path: Path) -> None:
    """Reproducible: `pijler3 ptable` with the parameters of dbt_project.yml writes the seed byte for byte."""
    parameters = _parameters_van_project()
    doel = tmp_path / "ptable.csv"
    done = subprocess.run(
        [PIJLER3, "ptable", "--drempel", str(parameters.drempel),
         "--max-afwijking", str(parameters.max_afwijking), "--variantie", str(parameters.variantie),
         "--out", str(doel)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert doel.read_bytes() == SEED.read_bytes()
    assert "variantie 2.000" in done.stdout or f"variantie {float(parameters.variantie):.3f}" in done.stdout


@pytest.mark.parametrize(
    "parameters",
    [
        PTableParameters(3, 3, Fraction(1)),
        PTableParameters(10, 12, Fraction(3)),
        PTableParameters(1, 2, Fraction(1, 2)),
    ],
)
def test_other_parameters_give_tables_with_the_same_properties(parameters: PTableParameters) -> None:
    tabel: dict[int, dict[int, int]] = defaultdict(dict)
    for i, ckey, pvalue in records(parameters):
        tabel[i][ckey] = pvalue
    assert eigenschappen_geschonden(dict(tabel), parameters) == []


def test_small_counts_go_to_zero_or_to_the_threshold_and_up_and_large_counts_are_always_published() -> None:
    parameters = _parameters_van_project()
    tabel = _lees(SEED)
    for i in range(1, parameters.drempel):
        uitkomsten = Counter(i + v for v in tabel[i].values())
        assert 0 in uitkomsten and min(u for u in uitkomsten if u) >= parameters.drempel, (i, uitkomsten)
    # every count of 2 x the threshold or more is published (never sent to 0)
    for i in range(2 * parameters.drempel, max(tabel) + 1):
        assert min(i + v for v in tabel[i].values()) >= parameters.drempel, i


def test_the_ons_form_repeats_the_last_row_and_maps_large_counts_like_ons() -> None:
    parameters = _parameters_van_project()
    seed = _lees(SEED)
    ons: dict[int, dict[int, int]] = defaultdict(dict)
    for i, ckey, pvalue in ons_records(parameters):
        ons[i][ckey] = pvalue
    assert max(ons) == ONS_HOOGSTE_PCV
    for aantal in (0, 3, 9, 10, 11, 500, 750, 751, 1000, 123456):
        ons_rij = aantal if aantal <= 750 else ((aantal - 1) % 250) + 501  # ONS's mapping, as their code has it
        assert ons[ons_rij] == seed[pcv(aantal, parameters)], aantal


def test_the_cell_key_unit_tests_use_noise_the_real_seed_has() -> None:
    """The marts' cell key unit tests give a few rows of the secret p-table by hand; whatever the secret order, each
    must be a noise value that row of the seed has."""
    seed = _lees(SEED)
    testen = yaml.safe_load((REPO / "models" / "marts" / "monitoring" / "_monitoring__unit_tests.yml").read_text())
    gegeven = [g["rows"] for t in testen["unit_tests"] for g in t["given"] if g["input"] == "ref('ptabel_geheim')"]
    assert len(gegeven) >= 2
    for rijen in gegeven:
        assert rijen and all(r["pvalue"] in set(seed[r["pcv"]].values()) for r in rijen), rijen


@pytest.mark.parametrize(
    ("parameters", "fout"),
    [
        (PTableParameters(0, 5, Fraction(2)), "drempel must be at least 1"),
        (PTableParameters(5, 4, Fraction(2)), "max_afwijking (4) must be at least drempel (5)"),
        (PTableParameters(5, 5, Fraction(1, 3)), "multiple of 1/256"),
        (PTableParameters(5, 5, Fraction(26)), "cannot be reached"),
    ],
)
def test_parameters_that_cannot_give_a_valid_table_are_refused(parameters: PTableParameters, fout: str) -> None:
    with pytest.raises(InputError, match=fout.replace("(", r"\(").replace(")", r"\)")):
        als_csv(records(parameters))


def test_the_cli_refuses_a_variance_that_is_not_a_number(tmp_path: Path) -> None:
    done = subprocess.run(
        [PIJLER3, "ptable", "--variantie", "twee", "--out", str(tmp_path / "p.csv")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "--variantie" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "p.csv").exists()


def test_the_secret_step_is_a_keyed_permutation_of_the_cell_keys_per_row() -> None:
    """ptabel_volgorde: every row a permutation of 0 … 255, the same for the same key (values stay the same across
    waves and rebuilds), another for another key or another row, and far from the public order."""
    from pijler3.pseudonym import ptabel_sleutel, ptabel_volgorde

    sleutel, ander = bytes(range(32)), bytes(range(1, 33))
    rijen = [ptabel_volgorde(sleutel, pcv) for pcv in range(12)]
    assert all(sorted(rij) == list(range(SLEUTELS)) for rij in rijen)
    assert len(set(rijen)) == len(rijen)  # every row its own order
    assert ptabel_volgorde(bytes(range(32)), 7) == rijen[7]  # a fresh bytes object: the key decides, not the cache
    assert ptabel_volgorde(ander, 7) != rijen[7]
    assert [ptabel_sleutel(sleutel, 7, c) for c in range(SLEUTELS)] == list(rijen[7])
    # no trace of the public order: the identity is kept for about one key in 256, not for runs of keys
    assert sum(rij[c] == c for rij in rijen for c in range(SLEUTELS)) < 12 * 5
    with pytest.raises(ValueError, match="cell key"):
        ptabel_sleutel(sleutel, 7, SLEUTELS)
    with pytest.raises(ValueError, match="pcv"):
        ptabel_volgorde(sleutel, -1)


def test_the_secret_step_keeps_every_row_of_the_committed_seed_exactly() -> None:
    """Behind the permutation each row has the same noise values with the same counts, so every stated property of
    the p-table (unbiased, variance, no 1 … drempel - 1) still holds exactly."""
    from pijler3.pseudonym import ptabel_sleutel

    tabel = _lees(SEED)
    sleutel = bytes(range(32))
    geheim = {pcv: {c: rij[ptabel_sleutel(sleutel, pcv, c)] for c in rij} for pcv, rij in tabel.items()}
    assert eigenschappen_geschonden(geheim, _parameters_van_project()) == []
    assert all(Counter(geheim[pcv].values()) == Counter(tabel[pcv].values()) for pcv in tabel)
    assert any(geheim[pcv] != tabel[pcv] for pcv in tabel)
