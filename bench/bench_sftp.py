"""SFTP throughput of pijler3's client against OpenSSH's own ``sftp`` client, same sshd, same key, same run.

    uv run python bench/bench_sftp.py [--size-mb 200] [--rounds 2]

Starts Debian's sshd on a loopback port (``pijler3.sftp.openssh``), then uploads and downloads one incompressible file
with ``sftp -b`` (the anchor) and with ``SftpTransport`` (the real path: ``.part`` + size check + rename on upload;
sha-256, fsync and rename on download). Prints MB/s (best of the rounds) and our throughput as a share of the anchor's.
Target: at least 50 %. A benchmark, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pijler3.sftp.keys import generate_ed25519, known_hosts_line
from pijler3.sftp.openssh import OpenSshServer, find_sshd
from pijler3.sftp.transport import Endpoint, SftpTransport

MB = 1_000_000


def write_random(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        for offset in range(0, size, 1 << 20):
            handle.write(os.urandom(min(1 << 20, size - offset)))


def best_seconds(rounds: int, run: Callable[[], None]) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if find_sshd() is None or subprocess.run(["which", "sftp"], capture_output=True).returncode != 0:
        sys.exit("needs OpenSSH: apt-get install openssh-server openssh-client")
    size = args.size_mb * MB

    with tempfile.TemporaryDirectory(prefix="bench-sftp-") as scratch:
        work = Path(scratch)
        generate_ed25519(work / "host_key", "bench-host")
        client_public = generate_ed25519(work / "client_key", "bench-client")
        source = work / "bench.bin"
        write_random(source, size)
        server = OpenSshServer(work / "root", [client_public], work / "host_key", workdir=work / "sshd")
        with server as address:
            known_hosts = work / "known_hosts"
            known_hosts.write_text(known_hosts_line(address.host, address.port, address.host_public_key) + "\n")
            endpoint = Endpoint(address.host, address.port, server.user, work / "client_key", known_hosts)

            def openssh(batch: str) -> None:
                script = work / "batch"
                script.write_text(batch + "\n")
                subprocess.run(
                    [
                        "sftp", "-q", "-b", str(script), "-i", str(endpoint.key), "-P", str(endpoint.port),
                        "-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes",
                        "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", f"{endpoint.user}@{endpoint.host}",
                    ],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )  # fmt: skip

            anchor_up = best_seconds(args.rounds, lambda: openssh(f"put {source} naar-vdab/anchor.bin"))
            anchor_down = best_seconds(args.rounds, lambda: openssh(f"get naar-vdab/anchor.bin {work / 'anchor.out'}"))
            with SftpTransport(endpoint, progress=False) as client:
                ours_up = best_seconds(args.rounds, lambda: client.upload(source, "naar-vdab"))
                ours_down = best_seconds(args.rounds, lambda: client.download(f"naar-vdab/{source.name}", work / "out"))
                cipher = client.cipher

    print(f"SFTP on loopback, {args.size_mb} MB, best of {args.rounds} (OpenSSH sshd; anchor: OpenSSH sftp -b)")
    print(f"pijler3 cipher: {cipher}")
    for direction, anchor, ours in (("upload", anchor_up, ours_up), ("download", anchor_down, ours_down)):
        print(
            f"{direction:9} openssh sftp {size / anchor / MB:7.1f} MB/s   pijler3 {size / ours / MB:7.1f} MB/s   "
            f"ratio {anchor / ours:6.1%}"
        )


if __name__ == "__main__":
    main()
