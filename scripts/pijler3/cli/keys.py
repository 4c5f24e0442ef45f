"""``pijler3 keys``: generate, fingerprint, rotate and retire a party's keys (see ``pijler3.keys``)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from pijler3 import keys
from pijler3.audit import AuditLog
from pijler3.blootstelling import exposure
from pijler3.config import load_config
from pijler3.errors import ConfigError

_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The party's TOML configuration: its key folder, and the audit log that records the change.",
)


def _print_bundle(bundle: keys.Bundle) -> None:
    click.echo(f"party: {bundle.party}")
    for index, recipient in enumerate(bundle.age_recipients):
        label = "current" if index == 0 else "older"
        click.echo(f"  age key ({label}):     {keys.group_fingerprint(recipient.fingerprint)}  {recipient.text}")
    for index, signing_key in enumerate(bundle.signing_keys):
        label = "current" if index == 0 else "older"
        click.echo(f"  signing key ({label}): {keys.group_fingerprint(signing_key.fingerprint)}")


@click.group(short_help="Key management per party: encryption, signing and pseudonym keys.")
def command() -> None:
    """Key management per party (protocol art. 6): age encryption keys, Ed25519 signing keys, public bundle."""


@command.command()
@click.option("--party", type=click.Choice(keys.PARTIES), required=True, help="Whose keys these are.")
@click.option("--out", "folder", type=click.Path(path_type=Path, file_okay=False), required=True, help="Key folder.")
@click.option("--force", is_flag=True, help="Replace existing keys (files sealed for them can no longer be opened).")
@click.option(
    "--inside-git-work-tree",
    is_flag=True,
    help="Allow a key folder inside a git work tree (refused by default: private keys do not belong in a clone).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The party's configuration, when it exists already: its audit log records the new keys.",
)
def generate(party: str, folder: Path, force: bool, inside_git_work_tree: bool, config_path: Path | None) -> None:
    """Create age.key and signing.pem (mode 0600), bundle.json (to hand to the other party) and, for the agencies,
    pseudonym.key (kept, never replaced, when it exists). The folder must be outside any git work tree."""
    config = load_config(config_path) if config_path is not None else None
    if config is not None and config.party != party:
        raise ConfigError(
            f"{config_path} is the configuration of {config.party}, not of {party}; pass --party {config.party}"
        )
    generated = keys.generate(cast(keys.Party, party), folder, force=force, inside_git_work_tree=inside_git_work_tree)
    if config is not None:
        AuditLog(config.audit_log, config.party).record(
            "keys-generate",
            key_folder=folder.name,
            replaced=force,
            age_key=generated.bundle.age_recipients[0].fingerprint,
            signing_key=generated.bundle.signing_keys[0].fingerprint,
        )
    click.echo(f"keys for {party} in {folder}; hand {folder / keys.BUNDLE_FILE} to the other party")
    if generated.pseudonym_key is not None:
        state = "existing one kept: a new one would unlink earlier waves" if generated.pseudonym_key_kept else "new"
        click.echo(f"pseudonym secret: {generated.pseudonym_key} ({state}; never leaves the agencies)")
    _print_bundle(generated.bundle)


@command.command()
@click.argument("bundle", type=click.Path(path_type=Path, exists=True))
def fingerprint(bundle: Path) -> None:
    """Print the fingerprints of a public bundle (or a key folder) to compare out of band, e.g. by phone."""
    _print_bundle(keys.load_bundle(bundle))


_dir_option = click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Key folder; default: [keys] folder of the configuration.",
)


@command.command()
@_config_option
@_dir_option
def rotate(config_path: Path, folder: Path | None) -> None:
    """Add a new age key and signing key; old ones keep working until retired. Hand the new bundle over."""
    config = load_config(config_path)
    folder = folder or config.key_folder
    bundle = keys.rotate(folder)
    AuditLog(config.audit_log, config.party).record(
        "keys-rotate",
        key_folder=folder.name,
        age_key=bundle.age_recipients[0].fingerprint,
        signing_key=bundle.signing_keys[0].fingerprint,
    )
    click.echo(f"rotated; hand {folder / keys.BUNDLE_FILE} to the other party")
    _print_bundle(bundle)


@command.command()
@_config_option
@_dir_option
@click.option("--fingerprint", "fingerprint_", required=True, help="Fingerprint of the old key (spaces allowed).")
def retire(config_path: Path, folder: Path | None, fingerprint_: str) -> None:
    """Remove an old age key or signing key once no file in transit needs it."""
    config = load_config(config_path)
    folder = folder or config.key_folder
    fingerprint = fingerprint_.replace(" ", "").lower()
    bundle = keys.retire(folder, fingerprint)
    AuditLog(config.audit_log, config.party).record("keys-retire", key_folder=folder.name, fingerprint=fingerprint)
    click.echo(f"retired {fingerprint_}; hand {folder / keys.BUNDLE_FILE} to the other party")
    _print_bundle(bundle)


@command.command()
@_config_option
@click.option("--fingerprint", "fingerprint_", required=True, help="Fingerprint of the key (spaces allowed).")
def blootstelling(config_path: Path, fingerprint_: str) -> None:
    """List what a key exposed (art. 9, docs/datalek.md): every envelope sealed for it or signed by it, with wave,
    rows and dates, from the kept manifests, the ledger and the audit log."""
    found = exposure(load_config(config_path), fingerprint_)
    click.echo(f"key {keys.group_fingerprint(found.fingerprint)}: {found.key}")
    if not found.envelopes:
        click.echo("no envelope in this party's records was sealed for or signed by it")
        return
    for e in found.envelopes:
        server = "server times not in this party's log"
        if e.on_server is not None:
            first, last = e.on_server
            server = f"on the server at {first}" + (f" until {last}" if last != first else "")
        note = "; in quarantine, never verified" if not e.verified else ""
        click.echo(
            f"{e.wave} {e.kind} ({e.direction}, {e.role}): {e.rows} row(s); sealed {e.sealed_at}; {server};"
            f" opened {e.opened_at or 'not by this party'}{note}"
        )
    click.echo(
        f"{len(found.envelopes)} envelope(s), waves {', '.join(found.waves)}, {found.rows} row(s) in verified"
        " envelopes; each row of a request, enrichment or notice is one person"
    )
