"""The evidence report for the data protection officer (protocol art. 6: "alle betrokken instanties moeten kunnen
aantonen …"): per wave which files were exchanged, when, how large, how many rows, their hashes and the keys involved,
which checks ran and passed, and the retention status.

Built only from metadata — the party's audit log, the signed manifests kept in ``<work>/<wave>/`` and the step records
of ``pijler3.wave`` — so it holds no personal data. Markdown, or a simple HTML rendering of the same text when the
output name ends in ``.html``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from pathlib import Path
from typing import Any

from pijler3 import keys as party_keys
from pijler3.audit import Scalar, read_audit_log
from pijler3.config import PartyConfig
from pijler3.envelope import MANIFEST_SUFFIX, WAVE_PATTERN, check_wave
from pijler3.errors import InputError
from pijler3.wave import STEPS

Event = dict[str, Scalar]
_TRANSFER_EVENTS = ("upload", "download", "delete")


def waves_in(config: PartyConfig) -> list[str]:
    """Waves the party has work folders for, oldest first."""
    if not config.work.is_dir():
        return []
    return sorted(p.name for p in config.work.iterdir() if p.is_dir() and WAVE_PATTERN.match(p.name))


def report_markdown(config: PartyConfig, wave: str | None = None, *, today: dt.date | None = None) -> str:
    if wave is not None:
        check_wave(wave)
    waves = [wave] if wave else waves_in(config)
    events = list(read_audit_log(config.audit_log)) if config.audit_log.is_file() else []
    today = today or dt.date.today()
    lines = [
        f"# Evidence report — {config.party}",
        "",
        f"Generated {_now()} from `{config.audit_log.name}` ({len(events)} audit events), the signed manifests and the "
        "step records of each wave. Contains no personal data: file names, sizes, row counts, hashes, key "
        "fingerprints and check results only.",
        "",
        "## Keys",
        "",
        *_keys_section(config),
        "",
        "## Retention (protocol art. 3)",
        "",
        *_retention_section(config, events, today),
    ]
    for name in waves:
        lines += ["", f"## Wave {name}", "", *_wave_section(config, name, events)]
    if not waves:
        lines += ["", "No wave has been run with this configuration yet."]
    return "\n".join(lines) + "\n"


def write_report(config: PartyConfig, out: Path, wave: str | None = None) -> Path:
    """Write the report to ``out`` (Markdown, or HTML when ``out`` ends in ``.html``), atomically."""
    text = report_markdown(config, wave)
    content = render_html(text, f"Evidence report {config.party}") if out.suffix == ".html" else text
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temp.write_text(content, encoding="utf-8")
    os.replace(temp, out)
    return out


def _keys_section(config: PartyConfig) -> list[str]:
    lines = ["| party | key | fingerprint | created |", "|---|---|---|---|"]
    for label, path in (("own", config.key_folder / party_keys.BUNDLE_FILE), ("peer, pinned", config.peer_bundle)):
        try:
            bundle = party_keys.load_bundle(path)
        except Exception as exc:
            lines.append(f"| {label} | bundle `{path.name}` | unreadable: {type(exc).__name__} | |")
            continue
        for recipient in bundle.age_recipients:
            lines.append(
                f"| {bundle.party} ({label}) | age encryption | `{party_keys.group_fingerprint(recipient.fingerprint)}`"
                f" | {recipient.created_at} |"
            )
        for signing in bundle.signing_keys:
            lines.append(
                f"| {bundle.party} ({label}) | Ed25519 signing | `{party_keys.group_fingerprint(signing.fingerprint)}`"
                f" | {signing.created_at} |"
            )
    return lines


def _retention_section(config: PartyConfig, events: list[Event], today: dt.date) -> list[str]:
    until = config.retention_until
    if until is None:
        status = (
            "the end of the cooperation agreement is not set (`[retention] agreement_end`); data may be kept at most "
            f"{config.retention_years} years after it ends"
        )
    elif today > until:
        status = f"**past retention since {until}**: run `pijler3 purge` now"
    else:
        status = f"data may be kept until {until} (agreement ends {config.agreement_end}, + {config.retention_years} y)"
    lines = [f"Status on {today}: {status}."]
    purges = [e for e in events if e.get("event") == "purge"]
    if purges:
        lines += ["", "| time | waves removed | rows removed | server files removed |", "|---|---|---|---|"]
        lines += [
            f"| {e.get('time')} | {e.get('waves')} | {e.get('rows_removed')} | {e.get('server_files_removed')} |"
            for e in purges
        ]
    else:
        lines.append("No purge has been run yet.")
    return lines


def _manifests(config: PartyConfig, wave: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for direction, folder in (("sent", "verzonden"), ("received", "ontvangen")):
        base = config.work / wave / folder
        if base.is_dir():
            for path in sorted(base.glob(f"*{MANIFEST_SUFFIX}")):
                try:
                    found.append((direction, json.loads(path.read_text(encoding="utf-8"))))
                except (OSError, ValueError) as exc:
                    raise InputError(f"{path}: unreadable manifest ({exc})") from exc
    return found


def _steps(config: PartyConfig, wave: str) -> dict[str, dict[str, Any]]:
    records = {}
    for step in STEPS[config.party]:
        path = config.work / wave / "stappen" / f"{step.name}.json"
        if path.is_file():
            records[step.name] = json.loads(path.read_text(encoding="utf-8"))
    return records


def _wave_section(config: PartyConfig, wave: str, events: list[Event]) -> list[str]:
    own = [e for e in events if e.get("wave") == wave]
    lines = ["### Files exchanged (signed manifests)", ""]
    manifests = _manifests(config, wave)
    if manifests:
        lines += [
            "| direction | kind | file | created | rows | plaintext bytes / sha-256 | ciphertext bytes / sha-256 "
            "| sender key | recipient key |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for direction, m in manifests:
            lines.append(
                f"| {direction} ({m['sender']} → {m['recipient']}) | {m['kind']} | `{m['file_name']}` | "
                f"{m['created_at']} | {m['row_count']:,} | {m['plaintext_size']:,} / `{m['plaintext_sha256']}` | "
                f"{m['ciphertext_size']:,} / `{m['ciphertext_sha256']}` | "
                f"`{party_keys.group_fingerprint(m['sender_key_fingerprint'])}` | "
                f"`{party_keys.group_fingerprint(m['recipient_key_fingerprint'])}` |"
            )
    else:
        lines.append("No file exchanged yet.")
    transfers = [e for e in own if e.get("event") in _TRANSFER_EVENTS]
    lines += ["", "### Transfers (audit log)", ""]
    if transfers:
        lines += ["| time | event | user | remote path | bytes | sha-256 |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {e.get('time')} | {e.get('event')} | {e.get('user', '')} | `{e.get('remote_path', '')}` | "
            f"{e.get('size', '')} | `{e.get('sha256') or ''}` |"
            for e in transfers
        ]
    else:
        lines.append("No transfer recorded.")
    lines += ["", "### Checks", "", *_checks(config, wave, own, manifests)]
    steps = _steps(config, wave)
    lines += ["", "### Steps", "", "| step | completed | facts |", "|---|---|---|"]
    for step in STEPS[config.party]:
        record = steps.get(step.name)
        if record is None:
            lines.append(f"| {step.name} | not yet | |")
            continue
        facts = ", ".join(f"{k} {v}" for k, v in record.get("details", {}).items() if not k.endswith("sha256"))
        lines.append(f"| {step.name} | {record.get('done_at')} | {facts} |")
    failures = [e for e in own if e.get("event") in ("leg-failed", "step-failed", "failure")]
    if failures:
        lines += ["", "### Failures (each followed by a successful rerun when the step is completed above)", ""]
        lines += [
            f"- {e.get('time')}: {e.get('event')} {e.get('leg') or e.get('step') or e.get('action')} "
            f"({e.get('error') or e.get('reason') or ''})"
            for e in failures
        ]
    return lines


def _checks(
    config: PartyConfig, wave: str, events: list[Event], manifests: list[tuple[str, dict[str, Any]]]
) -> list[str]:
    results: list[tuple[str, bool | None, str]] = []
    opened = {str(e.get("kind")): e for e in events if e.get("event") == "open"}
    downloads = {str(e.get("sha256")) for e in events if e.get("event") == "download"}
    uploads = {str(e.get("sha256")) for e in events if e.get("event") == "upload"}
    for direction, m in manifests:
        kind = m["kind"]
        if direction == "received":
            results.append(
                (
                    f"signature of the {kind} manifest verified against the pinned key of {m['sender']}, recipient "
                    "key, wave and replay checked before decrypting",
                    kind in opened,
                    "recorded as `open` in the audit log" if kind in opened else "no `open` event",
                )
            )
            results.append(
                (
                    f"{kind}: downloaded ciphertext sha-256 equals the signed manifest",
                    m["ciphertext_sha256"] in downloads,
                    f"`{m['ciphertext_sha256'][:16]}…`",
                )
            )
        else:
            results.append(
                (
                    f"{kind}: uploaded ciphertext sha-256 equals the signed manifest",
                    m["ciphertext_sha256"] in uploads,
                    f"`{m['ciphertext_sha256'][:16]}…`",
                )
            )
    steps = _steps(config, wave)

    def details(step: str) -> dict[str, Any] | None:
        record = steps.get(step)
        return None if record is None else dict(record.get("details", {}))

    for step, label in (
        ("build-request", "dbt tests of the request build"),
        ("build-dataset", "dbt tests of the pseudonymisation and marts"),
        ("build-enrichment", "dbt tests of the enrichment build"),
    ):
        if (found := details(step)) is not None:
            results.append(
                (
                    label,
                    True,
                    f"{found.get('dbt_nodes')} nodes, {found.get('dbt_passed')} passed, {found.get('dbt_warnings')} "
                    "data-quality warning(s) (art. 7, reported, not dropped)",
                )
            )
    if (found := details("publish-bi")) is not None:
        results.append(
            (
                "disclosure control on the BI file (small counts suppressed, secondary suppression)",
                True,
                f"{found.get('suppressed_cells')} cell(s) of this wave suppressed in {found.get('marts')} marts",
            )
        )
    if (found := details("delete-restricted")) is not None:
        results.append(("restricted database and opened enrichment deleted after the run", True, "removed"))
    if (found := details("insz-scan")) is not None:
        results.append(
            (
                "INSZ-leak scan of everything kept (databases, BI file, docs, exchange folders, logs)",
                found.get("findings") == 0,
                f"{found.get('files_scanned')} files, {found.get('findings')} finding(s)",
            )
        )
    if (found := details("clean-up")) is not None:
        results.append(
            (
                "request and everything linked to it removed from VDAB's database, then verified",
                True,
                f"{found.get('dropped_relations')} relation(s) dropped, {found.get('checked_relations')} checked",
            )
        )
    if not results:
        return ["No check has run for this wave yet."]
    lines = ["| check | result | evidence |", "|---|---|---|"]
    for label, passed, evidence in results:
        verdict = "passed" if passed else ("not run" if passed is None else "**FAILED**")
        lines.append(f"| {label} | {verdict} | {evidence} |")
    return lines


def render_html(markdown: str, title: str) -> str:
    """The report's Markdown (headings, paragraphs, pipe tables, lists, `code`, **bold**) as one HTML page."""
    body: list[str] = []
    rows: list[list[str]] = []

    def flush_table() -> None:
        if not rows:
            return
        head, *rest = rows
        body.append("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr></thead><tbody>")
        body.extend("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rest)
        body.append("</tbody></table>")
        rows.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r"-+", c) for c in cells):
                rows.append([_inline(c) for c in cells])
            continue
        flush_table()
        if heading := re.match(r"(#{1,3}) (.*)", line):
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif line.startswith("- "):
            body.append(f"<ul><li>{_inline(line[2:])}</li></ul>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    flush_table()
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:110em}table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #bbb;padding:.2em .5em;font-size:.9em;text-align:left}code{font-size:.85em}"
    )
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _inline(text: str) -> str:
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]*)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*([^*]*)\*\*", r"<strong>\1</strong>", escaped)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
