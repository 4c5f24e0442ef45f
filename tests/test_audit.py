"""The audit log: one fsync'd, hash-chained JSON line per event, and it refuses anything that looks like an INSZ."""

from __future__ import annotations

import getpass
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pijler3.audit import (
    GENESIS,
    Anchor,
    AuditLog,
    ChainBroken,
    current_head,
    entry_hash,
    parse_head,
    read_audit_log,
    verify_chain,
)
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
        ({"prev": "0" * 64}, "reserved"),
        ({"os_user": "root"}, "reserved"),
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


def test_concurrent_writers_never_interleave_lines_nor_break_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "agentschap.jsonl"

    def write(worker: int) -> None:
        # One AuditLog per worker, as separate commands have: only the file lock orders them.
        log = AuditLog(path, "agentschap")
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
    assert verify_chain(path).ok


def test_a_damaged_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "vdab.jsonl"
    AuditLog(path, "vdab").record("connect")
    with path.open("a") as handle:
        handle.write("{half a record\n")
    with pytest.raises(InputError, match=r"vdab.jsonl, line 2"):
        list(read_audit_log(path))


def test_every_event_names_the_os_user_and_host_and_is_chained(tmp_path: Path) -> None:
    path = tmp_path / "vdab.jsonl"
    log = AuditLog(path, "vdab")
    first = log.record("connect", user="vdab-sftp")
    second = log.record("purge", waves="2025-S2")
    assert first["os_user"] == getpass.getuser() and first["os_host"] == socket.gethostname()
    assert first["user"] == "vdab-sftp", "the SFTP account stays next to the OS user"
    assert (first["seq"], first["prev"]) == (1, GENESIS)
    assert (second["seq"], second["prev"]) == (2, first["hash"])
    assert second["hash"] == entry_hash(second)
    status = verify_chain(path)
    assert status.ok and status.lines == 2 and status.head == second["hash"]


def _log_of(path: Path, lines: int) -> list[str]:
    log = AuditLog(path, "agentschap")
    for n in range(1, lines + 1):
        log.record("step-done", step=f"stap-{n}", wave="2026-S1", rows=n)
    return path.read_text().splitlines(keepends=True)


def _edit(lines: list[str], index: int) -> list[str]:
    entry = json.loads(lines[index])
    entry["rows"] = 999
    return [*lines[:index], json.dumps(entry, ensure_ascii=False) + "\n", *lines[index + 1 :]]


@pytest.mark.parametrize(
    ("tamper", "line", "message"),
    [
        (lambda lines: _edit(lines, 3), 4, "line 4 was changed"),
        (
            lambda lines: [*lines[:3], *lines[4:]],
            4,
            "line 4 was written as line 5: the line(s) written as 4 were removed",
        ),
        (lambda lines: [*lines[:3], lines[4], lines[3], *lines[5:]], 4, "line 4 was written as line 5"),
        (lambda lines: [*lines[:2], *lines[5:]], 3, "written as 3 to 5 were removed or moved"),
        (lambda lines: [*lines, lines[1]], 7, "line 7 was written as line 2: it was moved or copied"),
        (lambda lines: [*lines[:3], "{}\n", *lines[4:]], 4, "line 4 is not a chained audit record"),
    ],
    ids=["edited", "removed", "reordered", "three-removed", "duplicated", "replaced-by-junk"],
)
def test_verify_names_the_first_line_that_was_tampered_with(
    tmp_path: Path, tamper: object, line: int, message: str
) -> None:
    path = tmp_path / "agentschap.jsonl"
    lines = _log_of(path, 6)
    assert verify_chain(path).ok
    path.write_text("".join(tamper(lines)))  # type: ignore[operator]
    status = verify_chain(path)
    assert not status.ok and status.line == line
    assert message in str(status.problem)


def test_a_line_forged_with_a_recomputed_hash_breaks_the_link_of_the_next(tmp_path: Path) -> None:
    path = tmp_path / "agentschap.jsonl"
    lines = _log_of(path, 4)
    forged = json.loads(lines[1])
    forged["rows"] = 999
    forged["hash"] = entry_hash(forged)
    path.write_text("".join([lines[0], json.dumps(forged, ensure_ascii=False) + "\n", *lines[2:]]))
    status = verify_chain(path)
    assert status.line == 2 and "line 3 does not follow the line before it: line 2 was replaced" in str(status.problem)


def test_anchors_catch_lines_cut_off_the_end_and_a_rebuilt_chain(tmp_path: Path) -> None:
    path = tmp_path / "agentschap.jsonl"
    lines = _log_of(path, 5)
    anchor = Anchor(5, json.loads(lines[4])["hash"], "werk/2026-S1/stappen/insz-scan.json")
    assert verify_chain(path, [anchor]).ok
    path.write_text("".join(lines[:3]))
    assert verify_chain(path).ok, "a shorter chain verifies on its own"
    status = verify_chain(path, [anchor])
    assert not status.ok and "recorded line 5, but the log ends at line 3: lines were cut" in str(status.problem)
    path.unlink()
    _log_of(path, 5)  # the same events written again: other times, so other hashes
    status = verify_chain(path, [anchor])
    assert status.line == 5 and "differs from the one werk/2026-S1/stappen/insz-scan.json recorded" in str(
        status.problem
    )


def test_recording_after_a_damaged_last_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vdab.jsonl"
    AuditLog(path, "vdab").record("connect")
    with path.open("a") as handle:
        handle.write('{"event": "hand-written"}\n')
    with pytest.raises(ChainBroken, match="last line is not a chained audit record"):
        AuditLog(path, "vdab").record("connect")


def _rebuilt(lines: list[str], edit_at: int) -> list[str]:
    """The log with line ``edit_at`` (1-based) edited and every hash after it recomputed: a consistent chain."""
    entries = [json.loads(line) for line in lines]
    entries[edit_at - 1]["rows"] = 999
    prev = GENESIS
    for entry in entries:
        entry["prev"] = prev
        entry["hash"] = prev = entry_hash(entry)
    return [json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries]


def test_a_rebuilt_chain_is_named_by_the_span_between_the_anchors_around_the_edit(tmp_path: Path) -> None:
    path = tmp_path / "agentschap.jsonl"
    lines = _log_of(path, 12)
    hashes = [json.loads(line)["hash"] for line in lines]
    # given out of line order, as the step records of several waves are read
    anchors = [Anchor(n, hashes[n - 1], f"stap {n}") for n in (11, 3, 8)]
    path.write_text("".join(_rebuilt(lines, 5)))
    assert verify_chain(path).ok, "a rebuilt chain verifies on its own"
    status = verify_chain(path, anchors)
    assert status.line == 8 and status.span == (4, 8)
    assert "line 8 differs from the one stap 8 recorded: the log was changed after line 3 (stap 3" in str(
        status.problem
    )


def test_only_an_external_anchor_bounds_a_change_an_external_anchor_found(tmp_path: Path) -> None:
    path = tmp_path / "agentschap.jsonl"
    lines = _log_of(path, 12)
    archived = parse_head(f"2:{json.loads(lines[1])['hash']}", "archived head")
    received = Anchor(10, json.loads(lines[9])["hash"], "vdab.jsonl line 40", external=True)
    forged = _rebuilt(lines, 5)
    # the step records rewritten along with the chain: they match the forgery
    steps = [Anchor(n, json.loads(forged[n - 1])["hash"], f"stap {n}") for n in (4, 6, 8)]
    path.write_text("".join(forged))
    status = verify_chain(path, [*steps, archived, received])
    assert status.span == (3, 10), "the internal anchors at 4, 6 and 8 prove nothing against an external one"
    assert "changed after line 2 (archived head 2:" in str(status.problem)
    assert "3 anchor(s) in step records in between still match: they were rewritten with the chain" in str(
        status.problem
    )


def test_a_tail_cut_below_an_archived_head_names_the_missing_lines(tmp_path: Path) -> None:
    path = tmp_path / "agentschap.jsonl"
    lines = _log_of(path, 9)
    head = f"9:{json.loads(lines[8])['hash']}"
    path.write_text("".join(lines[:6]))
    status = verify_chain(path, [Anchor(4, json.loads(lines[3])["hash"], "stap 4"), parse_head(head, "archived")])
    assert status.span == (1, 9)
    assert "recorded line 9, but the log ends at line 6: lines were cut from its end" in str(status.problem)
    # a head given without its position: found anywhere in the log, or the log was changed at or before it
    assert verify_chain(path, [parse_head(json.loads(lines[2])["hash"], "archived")]).ok
    status = verify_chain(path, [parse_head(json.loads(lines[8])["hash"], "archived")])
    assert not status.ok and "is not a line of this log" in str(status.problem)


@pytest.mark.parametrize("text", ["", "12", "0:" + "a" * 64, "x:" + "a" * 64, "5:" + "g" * 64, "5:" + "a" * 63])
def test_a_malformed_head_is_refused_with_what_is_expected(text: str) -> None:
    with pytest.raises(InputError, match="expected SEQ:HASH as the evidence report prints"):
        parse_head(text, "--head")


def test_current_head_is_the_last_line_and_genesis_without_a_log(tmp_path: Path) -> None:
    path = tmp_path / "vdab.jsonl"
    assert current_head(path) == (0, GENESIS)
    AuditLog(path, "vdab").record("connect")
    last = AuditLog(path, "vdab").record("connect")
    assert current_head(path) == (2, last["hash"])


def test_a_line_dated_before_the_lines_it_follows_is_named_even_in_a_rebuilt_chain(tmp_path: Path) -> None:
    path = tmp_path / "agentschap.jsonl"
    lines = _log_of(path, 6)
    entries = [json.loads(line) for line in lines]
    # an event slipped in at line 4, dated a day back so that it looks older than it is
    forged = {**entries[2], "time": "2020-01-01T00:00:00.000Z", "rows": 1}
    entries.insert(3, forged)
    prev = GENESIS
    for seq, entry in enumerate(entries, start=1):
        entry["seq"], entry["prev"] = seq, prev
        entry["hash"] = prev = entry_hash(entry)
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    status = verify_chain(path)
    assert status.line == 4
    assert "line 4 is dated 2020-01-01T00:00:00.000Z, before line 3" in str(status.problem)
    assert "so it was inserted or its time changed" in str(status.problem)
