"""Generation time of the realistic synthetic extracts (60 000 newcomers, 2 000 000 VDAB clients, ~20 000 000
actions) and peak memory. Not run by the tests: ``uv run python bench/bench_synth.py [--persons N] [--vdab-persons M]``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
from pathlib import Path

from pijler3.synth import generate, standaard_vdab_personen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=60_000)
    parser.add_argument("--vdab-persons", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    vdab_persons = args.vdab_persons or standaard_vdab_personen(args.persons)
    out = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    try:
        summary = generate(out, args.persons, args.seed, vdab_persons=vdab_persons, overwrite=True)
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports kilobytes
    for bestand, rijen in summary.rijen.items():
        print(f"{bestand:45} {rijen:>12,} rows")
    print(
        f"defects: {sum(summary.defecten.values()):,} ({', '.join(f'{k} {v:,}' for k, v in summary.defecten.items())})"
    )
    print(
        f"synth: {summary.persons:,} newcomers, {summary.vdab_persons:,} VDAB clients in {summary.seconden:.1f} s, "
        f"{size / 1e6:.0f} MB written, peak RSS {peak / 1e9:.2f} GB"
    )


if __name__ == "__main__":
    main()
