"""The audit log: one fsync'd JSON line per event, append-only, and it refuses anything that looks like an INSZ."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pijler3.audit import AuditLog, read_audit_log
from pijler3.errors import ConfigError, InputError

SHA = "ab" * 32


def test_records_are_appended_in_order_with_utc_time_and_party(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "agentschap.jsonl"
    AuditLog(path, "agentschap").record("connect", user="agentschap", host="127.0.0.1", port=2222)
    before = path.read_bytes()
    AuditLog(path, "agentschap").record(
        "upload", remote_path="naar-vdab/2026-S2.aanvraag.age", size=1234, sha256=SHA, wave="2026-S2", kind="aanvraag"
    )
    assert path.read_bytes().startswith(before)
    first, second = read_audit_log(path)
    assert [first["event"], second["event"]] == ["connect", "upload"]
    assert {first["party"], second["party"]} == {"agentschap"}
    assert second["size"] == 1234 and second["sha256"] == SHA and second["kind"] == "aanvraag"
    stamp = str(second["time"])
    assert stamp.endswith("Z")
    written = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - written) < timedelta(minutes=1)


@pytest.mark.parametrize("value", ["85073003328", "85.07.30-033.28", "bestand 85073003328.csv", "85 07 30 033 28"])
def test_insz_like_values_are_refused_and_nothing_is_written(tmp_path: Path, value: str) -> None:
    path = tmp_path / "vdab.jsonl"
    with pytest.raises(InputError, match="INSZ"):
        AuditLog(path, "vdab").record("open", remote_path=value)
    assert not path.exists()


def test_values_that_merely_contain_digits_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "vdab.jsonl"
    fingerprint = "0123456789012345678abcdef0123456"
    AuditLog(path, "vdab").record(
        "open", remote_path="naar-vdab/2026-S2.aanvraag.age", size=85073003328, sender_key=fingerprint, sha256="1" * 64
    )
    (entry,) = read_audit_log(path)
    assert entry["size"] == 85073003328 and entry["sender_key"] == fingerprint


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sha256": "not-a-hash"}, "sha256 must be"),
        ({"time": "yesterday"}, "reserved"),
        ({"Remote Path": "x"}, "reserved or not a lower-case name"),
        ({"rows": ["a", "b"]}, "string or number"),
    ],
)
def test_malformed_fields_are_refused(tmp_path: Path, fields: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        AuditLog(tmp_path / "x.jsonl", "vdab").record("upload", **fields)  # type: ignore[arg-type]


def test_party_and_event_must_be_plain_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="party"):
        AuditLog(tmp_path / "x.jsonl", "VDAB Brussel")
    with pytest.raises(InputError, match="audit event"):
        AuditLog(tmp_path / "x.jsonl", "vdab").record("Upload!")


def test_concurrent_writers_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "agentschap.jsonl"
    log = AuditLog(path, "agentschap")

    def write(worker: int) -> None:
        for n in range(25):
            log.record("download", remote_path=f"naar-agentschap/file-{worker}-{n}.age", size=n)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = list(read_audit_log(path))
    assert len(entries) == 100
    assert len({e["remote_path"] for e in entries}) == 100


def test_a_damaged_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "vdab.jsonl"
    AuditLog(path, "vdab").record("connect")
    with path.open("a") as handle:
        handle.write("{half a record\n")
    with pytest.raises(InputError, match=r"vdab.jsonl, line 2"):
        list(read_audit_log(path))
