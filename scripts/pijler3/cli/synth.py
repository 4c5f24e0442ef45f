"""``pijler3 synth``: write synthetic KBI and VDAB extracts plus the generator's truth (docs/bronbestanden.md)."""

from __future__ import annotations

from pathlib import Path

import click

from pijler3.errors import InputError


def _defect(waarden: tuple[str, ...]) -> dict[str, float]:
    rates: dict[str, float] = {}
    for waarde in waarden:
        soort, _, rate = waarde.partition("=")
        try:
            rates[soort.strip()] = float(rate)
        except ValueError:
            raise InputError(f"--defect {waarde!r}: write KIND=RATE, for example --defect spelling=0.05") from None
    return rates


@click.command()
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Output folder.")
@click.option("--persons", type=click.IntRange(min=1), required=True, help="Number of newcomers in the KBI extract.")
@click.option("--seed", type=int, required=True, help="Random seed: the same seed gives byte-identical files.")
@click.option(
    "--vdab-persons",
    type=click.IntRange(min=1),
    default=None,
    help="Clients in the VDAB extract [default: 100/3 per newcomer, 2 000 000 for 60 000].",
)
@click.option(
    "--defect-rate",
    type=click.FloatRange(0, 1),
    default=0.01,
    show_default=True,
    help="Share of rows that get each kind of art. 7 defect.",
)
@click.option("--defect", "defecten", multiple=True, metavar="KIND=RATE", help="Rate for one defect kind (repeatable).")
@click.option("--overwrite", is_flag=True, help="Replace existing kbi/, vdab/ and waarheid/ folders in --out.")
def command(
    out: Path,
    persons: int,
    seed: int,
    vdab_persons: int | None,
    defect_rate: float,
    defecten: tuple[str, ...],
    overwrite: bool,
) -> None:
    """Generate synthetic source extracts (KBI CSV, VDAB Parquet) and their truth under OUT."""
    from pijler3.synth import generate

    summary = generate(
        out,
        persons,
        seed,
        vdab_persons=vdab_persons,
        defect_rate=defect_rate,
        defect_rates_per_soort=_defect(defecten),
        overwrite=overwrite,
    )
    for bestand, rijen in summary.rijen.items():
        click.echo(f"{bestand:45} {rijen:>12,} rows")
    click.echo(f"{'waarheid/defecten.parquet':45} {sum(summary.defecten.values()):>12,} defects")
    click.echo(
        f"generated {summary.persons:,} newcomers and {summary.vdab_persons:,} VDAB clients "
        f"in {summary.seconden:.1f} s -> {out}"
    )
