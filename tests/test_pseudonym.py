"""The pseudonym key file and the keyed HMAC, without dbt."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

import pytest

from pijler3.errors import ConfigError
from pijler3.keys import generate
from pijler3.pseudonym import load_key, pseudoniem


def write_key(path: Path, key: bytes, mode: int = 0o600) -> Path:
    path.write_text(key.hex() + "\n", encoding="ascii")
    path.chmod(mode)
    return path


def test_vector_is_hmac_sha256_over_the_normalised_insz(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    loaded = load_key(write_key(tmp_path / "pseudonym.key", key))
    expected = hmac.new(key, b"85073003328", hashlib.sha256).hexdigest()
    assert pseudoniem(loaded, "85073003328") == expected
    assert pseudoniem(loaded, "85.07.30-033.28") == expected


def test_different_keys_give_different_pseudonyms(tmp_path: Path) -> None:
    a = load_key(write_key(tmp_path / "a.key", secrets.token_bytes(32)))
    b = load_key(write_key(tmp_path / "b.key", secrets.token_bytes(32)))
    assert pseudoniem(a, "98472899765") != pseudoniem(b, "98472899765")


def test_invalid_insz_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as caught:
        pseudoniem(secrets.token_bytes(32), "12345678901")
    assert "12345678901" not in str(caught.value)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_accessible_to_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = write_key(tmp_path / "pseudonym.key", secrets.token_bytes(32), mode)
    with pytest.raises(ConfigError, match=rf"mode {mode:04o}.*chmod 600"):
        load_key(path)


def test_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"pseudonym key not found.*keys generate"):
        load_key(tmp_path / "absent.key")


@pytest.mark.parametrize(
    ("content", "reason"),
    [("ab" * 31 + "\n", "found 62 characters"), ("zz" * 32 + "\n", "other than 0-9"), ("", "found 0 characters")],
)
def test_malformed_key_is_refused_without_echoing_it(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "pseudonym.key"
    path.write_text(content, encoding="ascii")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match=reason) as caught:
        load_key(path)
    if content.strip():
        assert content.strip() not in str(caught.value)


def test_the_key_keys_generate_writes_is_the_key_load_key_reads(tmp_path: Path) -> None:
    generated = generate("agentschap", tmp_path / "agentschap")
    assert generated.pseudonym_key is not None
    key = load_key(generated.pseudonym_key)
    assert key == bytes.fromhex(generated.pseudonym_key.read_text(encoding="ascii").strip()) and len(key) == 32
