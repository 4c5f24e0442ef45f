"""``pijler3 envelope seal|open``: the signed, encrypted envelope every exchanged file travels in
(see ``pijler3.envelope``)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from pijler3 import envelope, keys

_existing_file = click.Path(path_type=Path, exists=True, dir_okay=False)


@click.group()
def command() -> None:
    """Seal a file for the other party, or open one it sent (NAME.age + NAME.manifest.json + NAME.manifest.sig)."""


@command.command()
@click.argument("file", type=_existing_file)
@click.option(
    "--to", "to", type=click.Path(path_type=Path, exists=True), required=True, help="The recipient's public bundle."
)
@click.option("--sign-with", type=_existing_file, required=True, help="Our Ed25519 signing key (signing.pem).")
@click.option("--wave", required=True, help="Wave, e.g. 2026-S2.")
@click.option("--kind", type=click.Choice(envelope.KINDS), required=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), help="Default: FILE's folder.")
@click.option("--as", "sender", type=click.Choice(keys.PARTIES), help="Sender; default: the recipient's counterpart.")
@click.option("--schema-version", default="1", show_default=True, help="Version of the file's column layout.")
def seal(
    file: Path,
    to: Path,
    sign_with: Path,
    wave: str,
    kind: str,
    out_dir: Path | None,
    sender: str | None,
    schema_version: str,
) -> None:
    """Encrypt FILE for the recipient and write its signed manifest."""
    sealed = envelope.seal(
        file,
        to=to,
        sign_with=sign_with,
        wave=wave,
        kind=kind,
        out_dir=out_dir,
        sender=cast(keys.Party | None, sender),
        schema_version=schema_version,
    )
    click.echo(f"sealed {file} ({sealed.manifest.row_count} rows) for {sealed.manifest.recipient}:")
    for path in (sealed.ciphertext, sealed.manifest_path, sealed.signature):
        click.echo(f"  {path}")


@command.command("open")
@click.argument("sealed", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--from",
    "sender_bundle",
    type=click.Path(path_type=Path, exists=True),
    required=True,
    help="The sender's pinned public bundle.",
)
@click.option("--identity", type=_existing_file, required=True, help="Our age identity file (age.key).")
@click.option("--wave", required=True, help="The wave being processed, e.g. 2026-S2.")
@click.option("--kind", type=click.Choice(envelope.KINDS), required=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), help="Default: the .age's folder.")
@click.option(
    "--ledger",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Ledger of opened envelopes; default: {envelope.LEDGER_FILE} beside the identity file.",
)
@click.option("--force", is_flag=True, help="Open a wave again that was already processed; replace the output.")
def open_(
    sealed: Path,
    sender_bundle: Path,
    identity: Path,
    wave: str,
    kind: str,
    out_dir: Path | None,
    ledger: Path | None,
    force: bool,
) -> None:
    """Verify and decrypt SEALED (NAME.age); the plaintext appears only when every check passed."""
    opened = envelope.open_envelope(
        sealed,
        sender_bundle=sender_bundle,
        identity=identity,
        wave=wave,
        kind=kind,
        out_dir=out_dir,
        ledger=ledger,
        force=force,
    )
    manifest = opened.manifest
    click.echo(
        f"opened {manifest.kind} {manifest.wave} from {manifest.sender} ({manifest.row_count} rows, "
        f"key {keys.group_fingerprint(manifest.sender_key_fingerprint)}): {opened.plaintext}"
    )
