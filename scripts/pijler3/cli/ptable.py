"""``pijler3 ptable``: (re)generate the p-table of the cell key method from its three parameters."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import click

from pijler3.ptable import SLEUTELS, PTableParameters, rijen, schrijf

_DEFAULTS = PTableParameters()


@click.command()
@click.option(
    "--drempel",
    type=int,
    default=_DEFAULTS.drempel,
    show_default=True,
    help="Smallest count ever published (dbt var sdc_drempel); 1 … drempel-1 never appear.",
)
@click.option(
    "--max-afwijking",
    type=int,
    default=_DEFAULTS.max_afwijking,
    show_default=True,
    help="Largest noise in absolute value (dbt var ckm_max_afwijking).",
)
@click.option(
    "--variantie",
    type=str,
    default=str(_DEFAULTS.variantie),
    show_default=True,
    help="Variance of the noise for counts of at least drempel (dbt var ckm_variantie), e.g. 2 or 1.5.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("seeds/ptable.csv"),
    show_default=True,
    help="Where to write the CSV.",
)
@click.option("--ons", is_flag=True, help="Write rows 0 … 750, the form ONS's cell-key-perturbation reads.")
def command(drempel: int, max_afwijking: int, variantie: str, out: Path, ons: bool) -> None:
    """Write the p-table (pcv, ckey, pvalue) and print each row's noise distribution, mean and variance."""
    try:
        parameters = PTableParameters(drempel, max_afwijking, Fraction(variantie))
    except ValueError:
        raise click.BadParameter(f"{variantie!r} is not a number", param_hint="--variantie") from None
    schrijf(parameters, out, ons=ons)
    for rij in rijen(parameters):
        verdeling = "  ".join(
            f"{v:+d}: {n / SLEUTELS:.3f}" for v, n in zip(rij.afwijkingen, rij.aantallen, strict=True)
        )
        click.echo(f"pcv {rij.pcv:>3}  gemiddelde {rij.gemiddelde}  variantie {float(rij.variantie):.3f}  {verdeling}")
    click.echo(f"{out}: p-table written (drempel {drempel}, max_afwijking {max_afwijking}, variantie {variantie})")
