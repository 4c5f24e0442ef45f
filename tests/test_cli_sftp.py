"""``pijler3 sftp serve`` runs the embedded server until interrupted and prints the host key line to pin."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from pijler3.sftp.keys import generate_ed25519
from pijler3.sftp.transport import Endpoint, SftpTransport


def test_serve_announces_the_pin_line_and_serves(tmp_path: Path) -> None:
    generate_ed25519(tmp_path / "vdab_ssh", "vdab")
    command = [
        str(Path(sys.executable).with_name("pijler3")), "sftp", "serve", "--root", str(tmp_path / "root"),
        "--host-key", str(tmp_path / "host_key"), "--user", f"vdab={tmp_path / 'vdab_ssh.pub'}", "--port", "0",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(4)]
        assert lines[0].startswith("created host key")
        assert lines[1].startswith("serving on 127.0.0.1:") and lines[1].rstrip().endswith("for vdab")
        pin = lines[3].strip()
        port = int(pin.split("]:")[1].split()[0])
        (tmp_path / "known_hosts").write_text(pin + "\n")
        endpoint = Endpoint("127.0.0.1", port, "vdab", tmp_path / "vdab_ssh", tmp_path / "known_hosts")
        with SftpTransport(endpoint, progress=False) as client:
            assert client.listdir("naar-vdab") == []
        assert sorted(p.name for p in (tmp_path / "root").iterdir()) == ["naar-agentschap", "naar-vdab"]
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=10)
    assert server.returncode == 0, err
    assert "stopped" in out
