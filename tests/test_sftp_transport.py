"""The SFTP client against both servers it must work with: the embedded asyncssh server and Debian's OpenSSH sshd.

Every test runs twice (``exchange`` is parametrised); keys are generated per session, never committed.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pijler3.audit import AuditLog, read_audit_log
from pijler3.errors import ConfigError
from pijler3.sftp import inbox, outbox
from pijler3.sftp.keys import fingerprint, known_hosts_line, public_key_of
from pijler3.sftp.transport import (
    AuthError,
    ConnectionFailed,
    HostKeyError,
    RemoteFileError,
    RetryPolicy,
    SftpTransport,
)

if TYPE_CHECKING:
    from sftp_fixtures import Exchange

pytest_plugins = ["sftp_fixtures"]
ONE_SHOT = RetryPolicy(attempts=1, timeout_s=5)


def payload(path: Path, size: int, seed: int = 1) -> Path:
    """Deterministic, incompressible test data (no personal data anywhere)."""
    block = hashlib.sha256(str(seed).encode()).digest()
    data = bytearray()
    while len(data) < size:
        block = hashlib.sha256(block).digest()
        data += block
    path.write_bytes(bytes(data[:size]))
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def events(path: Path) -> list[str]:
    return [str(e["event"]) for e in read_audit_log(path)]


def test_directory_convention() -> None:
    assert (outbox("agentschap"), inbox("vdab")) == ("naar-vdab", "naar-vdab")
    assert (outbox("vdab"), inbox("agentschap")) == ("naar-agentschap", "naar-agentschap")
    with pytest.raises(ConfigError, match="unknown party"):
        inbox("abb")


def test_round_trip_and_audit(exchange: Exchange, tmp_path: Path) -> None:
    source = payload(tmp_path / "2026-S2.aanvraag.age", 300_000)
    sender_log, receiver_log = tmp_path / "audit-agentschap.jsonl", tmp_path / "audit-vdab.jsonl"
    with exchange.client("agentschap", AuditLog(sender_log, "agentschap")) as sender:
        sent = sender.upload(source, outbox("agentschap"), wave="2026-S2", kind="aanvraag")
    assert sent.path == "naar-vdab/2026-S2.aanvraag.age"
    assert sent.sha256 == sha(source)
    assert sorted(os.listdir(exchange.root / "naar-vdab")) == ["2026-S2.aanvraag.age"]

    target = tmp_path / "vdab" / "in" / "2026-S2.aanvraag.age"
    with exchange.client("vdab", AuditLog(receiver_log, "vdab")) as receiver:
        (listed,) = receiver.listdir(inbox("vdab"))
        assert (listed.path, listed.size) == (sent.path, source.stat().st_size)
        received = receiver.download(listed.path, target, expected_sha256=sent.sha256, wave="2026-S2", kind="aanvraag")
        assert receiver.remove(listed.path, wave="2026-S2", kind="aanvraag") is True
        assert receiver.remove(listed.path) is False
        assert receiver.listdir(inbox("vdab")) == []
    assert target.read_bytes() == source.read_bytes()
    assert received.sha256 == sent.sha256
    assert sorted(os.listdir(target.parent)) == [target.name]

    assert events(sender_log) == ["connect", "upload"]
    assert events(receiver_log) == ["connect", "download", "delete", "delete"]
    upload = list(read_audit_log(sender_log))[1]
    assert upload["party"] == "agentschap"
    assert upload["remote_path"] == sent.path and upload["size"] == 300_000 and upload["sha256"] == sha(source)
    assert upload["wave"] == "2026-S2" and upload["kind"] == "aanvraag"
    connect = next(iter(read_audit_log(receiver_log)))
    assert connect["host_key"] == fingerprint(exchange.address.host_public_key)


def test_changed_host_key_is_refused_and_not_retried(exchange: Exchange, tmp_path: Path) -> None:
    pinned = tmp_path / "known_hosts_other"
    pinned.write_text(known_hosts_line("127.0.0.1", exchange.port, public_key_of(exchange.keys.other_host)) + "\n")
    log = tmp_path / "audit.jsonl"
    started = time.monotonic()
    with pytest.raises(HostKeyError, match="HOST KEY CHANGED") as caught:
        exchange.client(
            "vdab", AuditLog(log, "vdab"), retry=RetryPolicy(attempts=5, first_delay_s=2), known_hosts=pinned
        ).__enter__()
    assert time.monotonic() - started < 2
    message = str(caught.value)
    assert fingerprint(exchange.address.host_public_key) in message
    assert fingerprint(public_key_of(exchange.keys.other_host)) in message
    assert events(log) == ["failure"]


def test_unknown_host_shows_fingerprint_and_the_line_that_pins_it(exchange: Exchange, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("")
    with pytest.raises(HostKeyError, match="host key unknown") as caught:
        exchange.client("vdab", known_hosts=empty).__enter__()
    message = str(caught.value)
    assert fingerprint(exchange.address.host_public_key) in message
    pin_line = message.rsplit("\n", 1)[-1].strip()
    assert pin_line == known_hosts_line("127.0.0.1", exchange.port, exchange.address.host_public_key)
    empty.write_text(pin_line + "\n")
    with exchange.client("vdab", known_hosts=empty) as client:
        assert client.listdir("naar-vdab") == []


def test_wrong_user_key_is_refused_and_not_retried(exchange: Exchange, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with pytest.raises(AuthError, match="refused key") as caught:
        exchange.client("vdab", AuditLog(log, "vdab"), key=exchange.keys.stranger).__enter__()
    assert fingerprint(public_key_of(exchange.keys.stranger)) in str(caught.value)
    assert events(log) == ["failure"]


def test_private_key_readable_by_others_is_refused(exchange: Exchange, tmp_path: Path) -> None:
    loose = tmp_path / "loose_key"
    loose.write_bytes(exchange.keys.vdab.read_bytes())
    loose.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        exchange.client("vdab", key=loose)


def test_server_not_running_gives_clear_error_after_bounded_retries(exchange: Exchange, tmp_path: Path) -> None:
    exchange.stop()
    log = tmp_path / "audit.jsonl"
    started = time.monotonic()
    with pytest.raises(ConnectionFailed, match="failed after 3 attempts") as caught:
        exchange.client("vdab", AuditLog(log, "vdab")).__enter__()
    assert time.monotonic() - started < 3
    assert "server is running" in str(caught.value)
    assert events(log) == ["failure"] * 3


def test_server_restart_is_ridden_out_by_retries(exchange: Exchange, tmp_path: Path) -> None:
    source = payload(tmp_path / "2026-S2.verrijking.age", 50_000)
    exchange.stop()
    restart = threading.Timer(0.3, exchange.start)
    restart.start()
    try:
        retry = RetryPolicy(attempts=8, first_delay_s=0.1, max_delay_s=0.5, timeout_s=5)
        with exchange.client("vdab", retry=retry) as client:
            client.upload(source, outbox("vdab"))
    finally:
        restart.join()
    assert (exchange.root / "naar-agentschap" / source.name).read_bytes() == source.read_bytes()


def drop_connection_after(client: SftpTransport, limit: int) -> Callable[[int, int], None]:
    """A progress hook that resets the TCP connection once ``limit`` bytes have gone through, like a network cut."""
    dropped = []

    def hook(done: int, total: int) -> None:
        if done >= limit and not dropped and client._client is not None:
            dropped.append(done)
            client._client.get_transport().sock.shutdown(socket.SHUT_RDWR)

    return hook


def test_interrupted_upload_leaves_no_final_file_and_rerun_completes(exchange: Exchange, tmp_path: Path) -> None:
    source = payload(tmp_path / "2026-S2.pseudoniem.age", 2_000_000)
    final = exchange.root / "naar-vdab" / source.name
    with (
        exchange.client("agentschap", retry=ONE_SHOT) as client,
        pytest.raises(ConnectionFailed, match="run the command again"),
    ):
        client.upload(source, "naar-vdab", on_progress=drop_connection_after(client, 500_000))
    assert not final.exists()
    assert all(not name.endswith(".age") for name in os.listdir(final.parent))
    with exchange.client("vdab") as receiver:
        assert receiver.listdir("naar-vdab") == []

    with exchange.client("agentschap") as client:
        client.upload(source, "naar-vdab")
    assert sorted(os.listdir(final.parent)) == [source.name]
    assert final.read_bytes() == source.read_bytes()


def test_upload_retries_through_a_dropped_connection(exchange: Exchange, tmp_path: Path) -> None:
    source = payload(tmp_path / "2026-S2.aanvraag.age", 2_000_000)
    log = tmp_path / "audit.jsonl"
    with exchange.client("agentschap", AuditLog(log, "agentschap")) as client:
        uploaded = client.upload(source, "naar-vdab", on_progress=drop_connection_after(client, 500_000))
    assert uploaded.sha256 == sha(source)
    assert (exchange.root / "naar-vdab" / source.name).read_bytes() == source.read_bytes()
    assert sorted(os.listdir(exchange.root / "naar-vdab")) == [source.name]
    assert events(log) == ["connect", "failure", "connect", "upload"]


def test_interrupted_download_leaves_nothing_locally(exchange: Exchange, tmp_path: Path) -> None:
    # Many times the read pipeline (64 x 32 KiB in flight): with 2 MB the whole file could already be in paramiko's
    # buffers when the cut comes at 300 kB, and the download then completed (about 1 run in 17 against OpenSSH).
    source = payload(exchange.root / "naar-agentschap" / "2026-S2.verrijking.age", 16_000_000)
    target = tmp_path / "in" / source.name
    with exchange.client("agentschap", retry=ONE_SHOT) as client, pytest.raises(ConnectionFailed):
        client.download("naar-agentschap/" + source.name, target, on_progress=drop_connection_after(client, 300_000))
    assert list(target.parent.iterdir()) == []
    with exchange.client("agentschap") as client:
        client.download("naar-agentschap/" + source.name, target)
    assert target.read_bytes() == source.read_bytes()


def test_file_disappearing_between_listing_and_download(exchange: Exchange, tmp_path: Path) -> None:
    payload(exchange.root / "naar-vdab" / "2026-S2.aanvraag.age", 10_000)
    target = tmp_path / "in" / "2026-S2.aanvraag.age"
    log = tmp_path / "audit.jsonl"
    with exchange.client("vdab", AuditLog(log, "vdab")) as client:
        (listed,) = client.listdir("naar-vdab")
        (exchange.root / listed.path).unlink()
        with pytest.raises(RemoteFileError, match="no longer on the server"):
            client.download(listed.path, target)
    assert not target.parent.exists() or list(target.parent.iterdir()) == []
    assert events(log) == ["connect", "failure"]


def test_sha256_mismatch_keeps_target_absent(exchange: Exchange, tmp_path: Path) -> None:
    payload(exchange.root / "naar-vdab" / "2026-S2.aanvraag.age", 10_000)
    target = tmp_path / "in" / "2026-S2.aanvraag.age"
    with exchange.client("vdab") as client, pytest.raises(RemoteFileError, match="manifest says"):
        client.download("naar-vdab/2026-S2.aanvraag.age", target, expected_sha256="0" * 64)
    assert list(target.parent.iterdir()) == []


def test_duplicate_upload_duplicates_nothing(exchange: Exchange, tmp_path: Path) -> None:
    source = payload(tmp_path / "2026-S2.aanvraag.age", 100_000)
    with exchange.client("agentschap") as client:
        first = client.upload(source, "naar-vdab")
        second = client.upload(source, "naar-vdab")
        assert client.listdir("naar-vdab") == [first] == [second]
    assert sorted(os.listdir(exchange.root / "naar-vdab")) == [source.name]


def test_part_file_is_never_visible_under_the_final_name(exchange: Exchange, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    old = payload(tmp_path / "old" / "2026-S2.aanvraag.age", 300_000, seed=1)
    new = payload(tmp_path / "2026-S2.aanvraag.age", 1_500_000, seed=2)
    final = exchange.root / "naar-vdab" / new.name
    seen: list[tuple[list[str], bytes]] = []

    def watch(done: int, total: int) -> None:
        seen.append((sorted(os.listdir(final.parent)), final.read_bytes()))

    with exchange.client("agentschap") as client:
        client.upload(old, "naar-vdab")
        client.upload(new, "naar-vdab", on_progress=watch)
    assert len(seen) > 3
    for names, content in seen:
        assert names == [new.name, new.name + ".part"]
        assert content == old.read_bytes()
    assert final.read_bytes() == new.read_bytes()
    assert sorted(os.listdir(final.parent)) == [new.name]
