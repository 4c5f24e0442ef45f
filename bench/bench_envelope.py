"""Envelope throughput and memory against the anchor, the ``age`` CLI, in one run (DESIGN.md "Performance").

    uv run python bench/bench_envelope.py [--size-mb 200] [--memory-mb 50,500] [--repeat 3]

Prints seal and open throughput (MB/s) next to ``age`` encrypting and decrypting the same file, their ratios
(target >= 50 %), with pyrage's own file functions as a middle line (the part the library binding costs), and
the peak RSS of a fresh process that seals and opens files of each ``--memory-mb`` size
(target: the same at every size). Seal and open do more than age: they also hash plaintext and ciphertext, count
rows, sign or verify, fsync and rename. Not a timed test; numbers vary with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pyrage

from pijler3 import envelope, keys

LINE = b"85073003328,2026-03-01,2026-09-15,WZ,actief,1,0,1,1,0\n"

PEAK_PROBE = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from pijler3 import envelope
    root, plaintext = Path(sys.argv[1]), Path(sys.argv[2])
    sealed = envelope.seal(plaintext, to=root / "vdab", sign_with=root / "agentschap/signing.pem",
                           wave="2026-S2", kind="aanvraag", out_dir=root / "probe-out")
    after_seal = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    envelope.open_envelope(sealed.ciphertext, sender_bundle=root / "agentschap", identity=root / "vdab/age.key",
                           wave="2026-S2", kind="aanvraag", out_dir=root / "probe-in",
                           ledger=root / "probe-ledger.json", force=True)
    after_open = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    helper = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(after_seal // 1024, after_open // 1024, helper // 1024)
    """
)


def write_plaintext(path: Path, size: int) -> None:
    block = LINE * (1 << 20 // len(LINE))
    with path.open("wb") as handle:
        handle.write(b"insz,rest\n")
        written = 0
        while written < size:
            handle.write(block)
            written += len(block)


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_of(actions: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, float]]:
    """Fastest wall time and least CPU time (this process and its children) per action.

    The actions take turns and each starts with no dirty pages, so one action's write-back does not slow the next.
    CPU time is reported too because on a shared machine wall time mostly measures the neighbours.
    """
    walls: dict[str, list[float]] = {name: [] for name in actions}
    cpus: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            os.sync()
            cpu, started = _cpu_seconds(), time.perf_counter()
            action()
            walls[name].append(time.perf_counter() - started)
            cpus[name].append(_cpu_seconds() - cpu)
    return {name: (min(walls[name]), min(cpus[name])) for name in actions}


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--memory-mb", default="50,500", help="comma-separated file sizes for the peak-RSS probe")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--dir", type=Path, help="working folder (default: a temp folder, removed afterwards)")
    options = parser.parse_args()
    age = shutil.which("age")
    if age is None:
        sys.exit("the age CLI is not installed (apt-get install age): it is the anchor of this benchmark")

    root = Path(tempfile.mkdtemp(prefix="bench-envelope-", dir=options.dir))
    try:
        keys.generate("agentschap", root / "agentschap")
        keys.generate("vdab", root / "vdab")
        recipient = keys.load_bundle(root / "vdab").current_recipient.text
        plaintext = root / "aanvraag.csv"
        write_plaintext(plaintext, options.size_mb * 1_000_000)
        megabytes = plaintext.stat().st_size / 1e6

        age_out = root / "age.age"
        bundle = keys.load_bundle(root / "vdab")
        identity = keys.load_identities(root / "vdab/age.key")[bundle.current_recipient.fingerprint]
        run(age, "-r", recipient, "-o", age_out, plaintext)
        sealed = envelope.seal(
            plaintext,
            to=root / "vdab",
            sign_with=root / "agentschap/signing.pem",
            wave="2026-S2",
            kind="aanvraag",
            out_dir=root / "out",
        )
        best = best_of(
            {
                "age -e": lambda: run(age, "-r", recipient, "-o", age_out, plaintext),
                "pyrage.encrypt_file": lambda: pyrage.encrypt_file(
                    str(plaintext), str(root / "pyrage.age"), [bundle.current_recipient.recipient]
                ),
                "seal": lambda: envelope.seal(
                    plaintext,
                    to=root / "vdab",
                    sign_with=root / "agentschap/signing.pem",
                    wave="2026-S2",
                    kind="aanvraag",
                    out_dir=root / "out",
                ),
                "age -d": lambda: run(age, "-d", "-i", root / "vdab/age.key", "-o", root / "age.plain", age_out),
                "pyrage.decrypt_file": lambda: pyrage.decrypt_file(
                    str(age_out), str(root / "pyrage.plain"), [identity]
                ),
                "open": lambda: envelope.open_envelope(
                    sealed.ciphertext,
                    sender_bundle=root / "agentschap",
                    identity=root / "vdab/age.key",
                    wave="2026-S2",
                    kind="aanvraag",
                    out_dir=root / "in",
                    ledger=root / "ledger.json",
                    force=True,
                ),
            },
            options.repeat,
        )
        print(f"file: {megabytes:.0f} MB, best of {options.repeat} (interleaved)")
        print(f"{'':22}{'MB/s wall':>10}{'vs age':>8}{'MB/CPU-s':>10}{'vs age':>8}")
        for name, anchor in (
            ("age -e", "age -e"),
            ("pyrage.encrypt_file", "age -e"),
            ("seal", "age -e"),
            ("age -d", "age -d"),
            ("pyrage.decrypt_file", "age -d"),
            ("open", "age -d"),
        ):
            (wall, cpu), (anchor_wall, anchor_cpu) = best[name], best[anchor]
            wall_columns = f"{megabytes / wall:10.0f}{anchor_wall / wall:8.0%}"
            print(f"{name:22}{wall_columns}{megabytes / cpu:10.0f}{anchor_cpu / cpu:8.0%}")
        for path in (plaintext, age_out, root / "age.plain", root / "pyrage.age", root / "pyrage.plain"):
            path.unlink()
        shutil.rmtree(root / "out")
        shutil.rmtree(root / "in")

        print("peak RSS of a fresh process (MB):")
        print(f"{'file MB':>10}{'seal':>8}{'seal+open':>11}{'digest helper':>15}")
        for size in (int(s) for s in options.memory_mb.split(",")):
            probe_plaintext = root / f"probe-{size}.csv"
            write_plaintext(probe_plaintext, size * 1_000_000)
            done = subprocess.run(
                [sys.executable, "-c", PEAK_PROBE, str(root), str(probe_plaintext)],
                check=True,
                capture_output=True,
                text=True,
            )
            after_seal, after_open, helper = done.stdout.split()
            print(f"{size:>10}{after_seal:>8}{after_open:>11}{helper:>15}")
            probe_plaintext.unlink()
            shutil.rmtree(root / "probe-out")
            shutil.rmtree(root / "probe-in")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
