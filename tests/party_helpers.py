"""Both parties' configurations against a test SFTP server (``sftp_fixtures.Exchange``), for the leg and notice
tests; a plain module, so test modules can import it (``sftp_fixtures`` is a pytest plugin)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pijler3 import keys as party_keys
from pijler3.config import PartyConfig, load_config

if TYPE_CHECKING:
    from sftp_fixtures import Exchange


class PartyConfigs:
    """Both parties' key folders and configurations in one temp tree, talking to ``exchange`` (wave ``wave``)."""

    def __init__(self, exchange: Exchange, base: Path, wave: str) -> None:
        self.exchange, self.base, self.wave = exchange, base, wave
        for party in party_keys.PARTIES:
            party_keys.generate(party, base / "keys" / party)
        self.paths = {party: self.write_config(party) for party in party_keys.PARTIES}

    def write_config(self, party: str) -> Path:
        other = next(p for p in party_keys.PARTIES if p != party)
        path = self.base / f"{party}.toml"
        path.write_text(
            f'party = "{party}"\nwave = "{self.wave}"\n\n'
            f'[sftp]\nhost = "127.0.0.1"\nport = {self.exchange.port}\nuser = "{self.exchange.user[party]}"\n'
            f'key = "{getattr(self.exchange.keys, party)}"\nknown_hosts = "{self.exchange.known_hosts}"\n'
            "attempts = 2\n\n"
            f'[keys]\nfolder = "keys/{party}"\npeer_bundle = "keys/{other}/bundle.json"\n\n'
            f'[folders]\noutgoing = "{party}/uit"\nincoming = "{party}/in"\nwork = "{party}/werk"\naudit = "audit"\n',
            encoding="utf-8",
        )
        return path

    def config(self, party: str) -> PartyConfig:
        return load_config(self.paths[party])
