"""An audit chain that holds beyond one machine (art. 6): ``pijler3 audit verify`` against a head the DPO archived
from the evidence report (``--head``) and against the heads of this log the other party received in signed manifests
(``--peer-audit``), and the notice register reproduced from the log — on the demo, through the real commands.

The attacks are those of someone with write access to one party's machine: cut the events after a wave, edit a line,
rebuild the whole chain with consistent hashes and step anchors, forge register entries (with or without matching
events)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from cli_helpers import CliResult, pijler3
from pijler3.audit import GENESIS, HEAD_HASH_FIELD, HEAD_SEQ_FIELD, AuditLog, entry_hash
from pijler3.clock import utc_now, utc_timestamp
from pijler3.demo import WAVES

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow

OTHER = {"agentschap": "vdab", "vdab": "agentschap"}


def verify(demo: Path, party: str, *extra: str) -> CliResult:
    return pijler3("audit", "verify", "--config", str(demo / party / f"{party}.toml"), *extra)


def archived_head(demo: Path, party: str, tmp_path: Path) -> str:
    """The chain head as the DPO copies it from the printed evidence report (``pijler3 audit report``)."""
    out = tmp_path / f"rapport-{party}.md"
    done = pijler3("audit", "report", "--config", str(demo / party / f"{party}.toml"), "--out", str(out))
    assert done.code == 0, done.err
    text = out.read_text(encoding="utf-8")
    summary = text.split("| auditlogboek (hashketen) |")[1].split("\n")[0]
    note = re.search(r"\[(\d+)\]", summary)
    assert "**geverifieerd**" in summary and note, summary
    match = re.search(rf"^\[{note.group(1)}\] `(\d+:[0-9a-f]{{64}})`", text, re.M)
    assert match, "the report prints the head as line:hash in full"
    return match.group(1)


def log_entries(demo: Path, party: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (demo / "audit" / f"{party}.jsonl").read_text().splitlines()]


def rewrite(demo: Path, party: str, entries: list[dict[str, Any]]) -> None:
    """What someone with write access does after changing ``entries``: renumber and rehash the whole chain, and
    rewrite every step record's anchor to the new line and hash of the same event, so the log verifies on its own."""
    old = {e["hash"]: e for e in log_entries(demo, party)}
    prev = GENESIS
    moved: dict[str, tuple[int, str]] = {}
    for seq, entry in enumerate(entries, start=1):
        before = entry["hash"]
        entry["seq"], entry["prev"] = seq, prev
        entry["hash"] = prev = entry_hash(entry)
        if before in old:
            moved[before] = (seq, entry["hash"])
    (demo / "audit" / f"{party}.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    for record_path in (demo / party / "werk").glob("*/stappen/*.json"):
        record = json.loads(record_path.read_text())
        anchor = record.get("audit")
        if isinstance(anchor, dict) and anchor.get("hash") in moved:
            anchor["seq"], anchor["hash"] = moved[anchor["hash"]]
            record_path.write_text(json.dumps(record))


def last_step_line(entries: list[dict[str, Any]]) -> int:
    return max(int(e["seq"]) for e in entries if e["event"] == "step-done")


@pytest.mark.parametrize("party", ["agentschap", "vdab"])
def test_the_demo_verifies_against_its_archived_head_and_the_heads_the_other_party_received(
    demo_copy: Path, party: str, tmp_path: Path
) -> None:
    head = archived_head(demo_copy, party, tmp_path)
    peer = demo_copy / "audit" / f"{OTHER[party]}.jsonl"
    done = verify(demo_copy, party, "--head", head, "--peer-audit", str(peer))
    assert done.code == 0, done.err
    received = int(re.search(r"(\d+) head\(s\) the other party received", done.out).group(1))  # type: ignore[union-attr]
    # every envelope this party sent in both waves carried its head, and the other party recorded each one
    sent = [e for e in log_entries(demo_copy, party) if e["event"] == "seal"]
    assert received == len(sent) >= len(WAVES)
    assert "1 archived head(s)" in done.out and f"head {head}" in done.out
    assert "the notice register matches the log" in done.out
    opened = [e for e in log_entries(demo_copy, OTHER[party]) if e["event"] == "open" and e["sender"] == party]
    assert all(HEAD_SEQ_FIELD in e and HEAD_HASH_FIELD in e for e in opened)


def test_events_cut_after_a_waves_last_step_fail_against_the_archived_head_and_the_peers_heads(
    demo_copy: Path, tmp_path: Path
) -> None:
    head = archived_head(demo_copy, "vdab", tmp_path)
    entries = log_entries(demo_copy, "vdab")
    cut = last_step_line(entries)
    after = {e["event"] for e in entries[cut:]}
    assert {"melding-beantwoord", "melding-antwoord-verzonden"} <= after, "the demo answers a notice after the wave"
    # the answer's register change goes too, so that the register still matches the shortened log
    register = demo_copy / "vdab" / "werk" / "meldingen" / "register.json"
    data = json.loads(register.read_text())
    for notice in data["meldingen"]:
        notice.update(antwoord=None, beantwoord_op=None, antwoord_verzonden=False)
    register.write_text(json.dumps(data))
    (demo_copy / "audit" / "vdab.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries[:cut]))
    assert verify(demo_copy, "vdab").code == 0, "on its own, a log cut after the last step record still verifies"

    done = verify(demo_copy, "vdab", "--head", head)
    assert done.code == 6
    assert f"recorded line {len(entries)}, but the log ends at line {cut}: lines were cut from its end" in done.err
    done = verify(demo_copy, "vdab", "--peer-audit", str(demo_copy / "audit" / "agentschap.jsonl"))
    assert done.code == 6 and f"but the log ends at line {cut}: lines were cut from its end" in done.err
    assert "agentschap.jsonl line" in done.err, "names the other party's record that caught it"


def test_an_edited_line_is_named_and_a_rebuilt_chain_is_caught_in_the_span_around_it(
    demo_copy: Path, tmp_path: Path
) -> None:
    head = archived_head(demo_copy, "agentschap", tmp_path)
    peer = str(demo_copy / "audit" / "vdab.jsonl")
    entries = log_entries(demo_copy, "agentschap")
    target = next(e for e in entries[40:] if e["event"] == "upload")
    line = target["seq"]
    original = (demo_copy / "audit" / "agentschap.jsonl").read_text()

    target["size"] += 1
    (demo_copy / "audit" / "agentschap.jsonl").write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
    )
    done = verify(demo_copy, "agentschap")
    assert done.code == 6 and f"line {line} was changed: its content no longer matches its hash" in done.err

    (demo_copy / "audit" / "agentschap.jsonl").write_text(original)
    entries = log_entries(demo_copy, "agentschap")
    entries[line - 1]["size"] += 1
    rewrite(demo_copy, "agentschap", entries)
    assert verify(demo_copy, "agentschap").code == 0, "chain and step anchors rebuilt: verifies on its own"
    for extra in (("--head", head), ("--peer-audit", peer)):
        done = verify(demo_copy, "agentschap", *extra)
        assert done.code == 6, done
        span = re.search(r"the log was changed (?:after line (\d+)|from line 1 on) .*?up to line (\d+)", done.err)
        assert span, done.err
        low, high = int(span.group(1) or 0), int(span.group(2))
        assert low < line <= high, f"the span {low + 1}-{high} holds the edited line {line}"
        assert "rewritten with the chain" in done.err, "the step records that still match are called out"
    # the other party's heads bound the edit more tightly than the one head archived at the end
    done = verify(demo_copy, "agentschap", "--peer-audit", peer)
    high = int(re.search(r"up to line (\d+)", done.err).group(1))  # type: ignore[union-attr]
    assert high < len(entries)


def test_a_hand_edited_register_fails_verification(demo_copy: Path) -> None:
    register = demo_copy / "vdab" / "werk" / "meldingen" / "register.json"
    pristine = register.read_text()
    data = json.loads(pristine)
    first = next(m for m in data["meldingen"] if m["golf"] == WAVES[0] and m["richting"] == "ontvangen")
    first["uiterlijk"] = str(int(first["uiterlijk"][:4]) + 1) + first["uiterlijk"][4:]
    register.write_text(json.dumps(data))
    done = verify(demo_copy, "vdab")
    assert done.code == 6
    assert f"notice '{first['id']}' ('ontvangen'): uiterlijk is '{first['uiterlijk']}', but the log says" in done.err

    data = json.loads(pristine)
    first = next(m for m in data["meldingen"] if m["golf"] == WAVES[0] and m["richting"] == "ontvangen")
    first.update(antwoord="Rechtgezet.", beantwoord_op=first["geregistreerd_op"], antwoord_verzonden=True)
    register.write_text(json.dumps(data))
    done = verify(demo_copy, "vdab")
    assert done.code == 6 and f"notice '{first['id']}' ('ontvangen'): antwoord differs" in done.err
    report = pijler3(
        "audit", "report", "--config", str(demo_copy / "vdab" / "vdab.toml"), "--out", str(demo_copy / "r.md")
    )
    assert report.code == 0
    assert "**NIET geverifieerd**" in (demo_copy / "r.md").read_text()

    data = json.loads(pristine)
    data["meldingen"][0].update(id=f"2019-S1-{data['meldingen'][0]['afzender']}", golf="2019-S1")
    register.write_text(json.dumps(data))
    done = verify(demo_copy, "vdab")
    assert done.code == 6 and "notice '2019-S1-" in done.err and "no audit event registered it" in done.err
    # an entry no command could have written: the register is refused, and so is the verification
    data["meldingen"][0].update(antwoord="\x1b[2J", beantwoord_op=None)
    register.write_text(json.dumps(data))
    done = verify(demo_copy, "vdab")
    assert done.code == 6 and "the register of notices cannot be checked against the log" in done.err
    assert "\x1b" not in done.err and done.err.count("\n") == 1


def test_a_forged_answer_with_forged_events_inside_a_rebuilt_chain_fails_against_the_anchors_beyond_the_machine(
    demo_copy: Path, tmp_path: Path
) -> None:
    head = archived_head(demo_copy, "vdab", tmp_path)
    peer = str(demo_copy / "audit" / "agentschap.jsonl")
    entries = log_entries(demo_copy, "vdab")
    received = next(e for e in entries if e["event"] == "melding-ontvangen" and e["wave"] == WAVES[0])
    # a fake "beantwoord" of the first wave's notice, dated on time, put right after its arrival
    forged = {
        **received,
        "event": "melding-beantwoord",
        "on_time": True,
        "answered_at": received["registered_at"],
        "antwoord_sha256": "0" * 64,
        "hash": "",
    }
    for name in ("rows", "due", "created_at", "registered_at", *[k for k in received if k.startswith("aantal_")]):
        forged.pop(name)
    entries.insert(received["seq"], forged)
    rewrite(demo_copy, "vdab", entries)
    register = demo_copy / "vdab" / "werk" / "meldingen" / "register.json"
    data = json.loads(register.read_text())
    notice = next(m for m in data["meldingen"] if m["id"] == received["melding_id"] and m["richting"] == "ontvangen")
    notice.update(antwoord="Rechtgezet.", beantwoord_op=received["registered_at"])
    register.write_text(json.dumps(data))
    done = verify(demo_copy, "vdab")
    assert done.code == 6 and "antwoord differs" in done.err, "a register that differs from the log fails"

    # with a text whose hash the forged event carries, the register and the rebuilt log agree...
    entries = log_entries(demo_copy, "vdab")
    text = "Onderzocht en rechtgezet."
    next(e for e in entries if e["event"] == "melding-beantwoord" and e["wave"] == WAVES[0])["antwoord_sha256"] = (
        hashlib.sha256(text.encode()).hexdigest()
    )
    rewrite(demo_copy, "vdab", entries)
    notice["antwoord"] = text
    register.write_text(json.dumps(data))
    assert verify(demo_copy, "vdab").code == 0, "a forgery consistent on this machine verifies on its own"
    # ... but not with the head the DPO archived, nor with the heads VDAB signed into its later manifests
    for extra in (("--head", head), ("--peer-audit", peer)):
        done = verify(demo_copy, "vdab", *extra)
        assert done.code == 6, done
        assert re.search(r"the log was changed (after line \d+ \(|from line 1 on)", done.err)


def test_hostile_heads_and_peer_logs_are_refused_in_one_line(demo_copy: Path, tmp_path: Path) -> None:
    own = str(demo_copy / "audit" / "vdab.jsonl")
    peer_path = demo_copy / "audit" / "agentschap.jsonl"
    for extra, message in (
        (("--head", "412"), "expected SEQ:HASH as the evidence report prints the chain head"),
        (("--head", "1:" + "ab" * 31 + "\n; rm -rf /"), "expected SEQ:HASH"),
        (("--peer-audit", own), "written by vdab itself; pass the other party's audit log"),
        (("--peer-audit", str(tmp_path / "missing.jsonl")), "not found; pass the other party's audit log"),
    ):
        done = verify(demo_copy, "vdab", *extra)
        assert done.code == 2 and message in done.err and done.err.count("\n") == 1, done
        assert "Traceback" not in done.err
    # a bare hash that is no line of this log
    done = verify(demo_copy, "vdab", "--head", "ab" * 32)
    assert done.code == 6 and "is not a line of this log" in done.err

    # the other party's log edited by hand: it anchors nothing
    lines = peer_path.read_text().splitlines(keepends=True)
    opened = next(i for i, line in enumerate(lines) if '"event": "open"' in line)
    entry = json.loads(lines[opened])
    entry[HEAD_SEQ_FIELD] = 1
    peer_path.write_text("".join([*lines[:opened], json.dumps(entry) + "\n", *lines[opened + 1 :]]))
    done = verify(demo_copy, "vdab", "--peer-audit", str(peer_path))
    assert done.code == 2 and "the other party's audit log does not verify itself" in done.err
    # ... and rebuilt with a head field that is no head: named by its line
    entries = [json.loads(line) for line in lines]
    entries[opened][HEAD_HASH_FIELD] = "<script>"
    rewrite(demo_copy, "agentschap", entries)
    done = verify(demo_copy, "vdab", "--peer-audit", str(peer_path))
    assert done.code == 2 and f"agentschap.jsonl, line {opened + 1}: {HEAD_SEQ_FIELD} and" in done.err
    assert "<script>" not in done.err


def test_an_answer_appended_after_the_newest_anchor_cannot_be_backdated(demo_copy: Path, tmp_path: Path) -> None:
    """The limit the docs state: appending after the newest anchor is not caught by the anchors. What still holds:
    the log's times do not go back, and the register's times are those of the events, so the forgery shows its date."""
    head = archived_head(demo_copy, "vdab", tmp_path)
    entries = log_entries(demo_copy, "vdab")
    received = next(e for e in entries if e["event"] == "melding-ontvangen" and e["wave"] == WAVES[0])
    register = demo_copy / "vdab" / "werk" / "meldingen" / "register.json"
    pristine = register.read_text()
    text = "Onderzocht en rechtgezet."

    def forge(answered_at: str) -> CliResult:
        """An answer event written with pijler3's own library, as someone on the machine could, and its register."""
        log = AuditLog(demo_copy / "audit" / "vdab.jsonl", "vdab")
        log.record(
            "melding-beantwoord",
            melding_id=received["melding_id"],
            wave=received["wave"],
            sender=received["sender"],
            on_time=True,
            answered_at=answered_at,
            antwoord_sha256=hashlib.sha256(text.encode()).hexdigest(),
        )
        data = json.loads(pristine)
        notice = next(
            m for m in data["meldingen"] if m["id"] == received["melding_id"] and m["richting"] == "ontvangen"
        )
        notice.update(antwoord=text, beantwoord_op=answered_at)
        register.write_text(json.dumps(data))
        return verify(demo_copy, "vdab", "--head", head)

    # dated two hours back, as if answered within the term long ago: refused
    backdated = utc_timestamp(utc_now() - dt.timedelta(hours=2))
    done = forge(backdated)
    assert done.code == 6
    assert f"answered_at {backdated} is not the time the event was written" in done.err
    # dated now: the anchors cannot tell (the stated limit), but the register shows when it was really written
    (demo_copy / "audit" / "vdab.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    now = utc_timestamp()
    done = forge(now)
    assert done.code == 0, done.err
    assert now > json.loads(pristine)["meldingen"][0]["geregistreerd_op"]
