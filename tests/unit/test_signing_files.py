"""Key files and the trust file: modes, refused key files, line-precise errors, edits, demo keys."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.contract.trust import (
    Signer,
    TrustStore,
    add_key,
    demo_key_path,
    generate_demo_keys,
    generate_key,
    load_private_key,
    parse_trust_text,
    read_trust_file,
    render_entry,
    revoke_key,
)
from gateway.errors import ConfigError

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_generated_private_key_is_owner_only(tmp_path: Path) -> None:
    """The private key file is created 0600 and the public one 0644."""
    made = generate_key("EUROPOL", tmp_path / "keys")
    assert _mode(made.private_path) == 0o600
    assert _mode(made.public_path) == 0o644
    assert made.private_path.name == f"EUROPOL-{made.entry.id}.key"
    assert b"PRIVATE KEY" in made.private_path.read_bytes()


def test_a_key_file_is_never_overwritten(tmp_path: Path) -> None:
    """Generating into a name that exists is a ConfigError and leaves the old key intact."""
    first = generate_key("EUROPOL", tmp_path, stem="k")
    before = first.private_path.read_bytes()
    with pytest.raises(ConfigError, match="never overwritten"):
        generate_key("EUROPOL", tmp_path, stem="k")
    assert first.private_path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o644])
def test_a_key_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    """A private key file with any group or other permission is refused with a chmod hint."""
    made = generate_key("EUROPOL", tmp_path)
    made.private_path.chmod(mode)
    with pytest.raises(ConfigError) as caught:
        Signer.from_file(made.private_path, "EUROPOL")
    assert f"{mode:04o}" in caught.value.message
    assert caught.value.hint is not None
    assert "chmod 600" in caught.value.hint


def test_not_a_key_is_refused(tmp_path: Path) -> None:
    """A file that is not a PEM private key (here the public key) is a clear ConfigError."""
    made = generate_key("EUROPOL", tmp_path)
    made.public_path.chmod(0o600)
    with pytest.raises(ConfigError, match="not an unencrypted PEM private key"):
        load_private_key(made.public_path)
    with pytest.raises(ConfigError, match="cannot read signing key"):
        load_private_key(tmp_path / "absent.key")


GOOD = """\
# a comment the edits keep
version = 1

[[keys]]
org = "INTERPOL"
id = "{id}"
public_key = "{pk}"
valid_from = 2025-01-01T00:00:00Z
valid_until = 2026-01-01T00:00:00Z
"""


def _good(tmp_path: Path) -> str:
    made = generate_key("INTERPOL", tmp_path)
    return GOOD.format(id=made.entry.id, pk=made.entry.public_key)


def _error_line(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_trust_text(text, "trust.toml")
    return caught.value.message


def test_good_trust_file_loads(tmp_path: Path) -> None:
    """A well-formed trust file gives one INTERPOL key with aware datetimes."""
    model = parse_trust_text(_good(tmp_path), "trust.toml")
    assert [k.org.value for k in model.keys] == ["INTERPOL"]
    assert model.keys[0].valid_from == T0


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("valid_until = 2026-01-01T00:00:00Z", "valid_until = 2026-01-01T00:00:00", 9, "timezone"),
        ("valid_until = 2026-01-01T00:00:00Z", "valid_until = 2024-01-01T00:00:00Z", 9, "follow"),
        ('org = "INTERPOL"', 'org = "NOBODY"', 5, "NOBODY"),
        ("version = 1", "version = 2", 2, "version"),
        ('public_key = "', 'public_key = "AAAA', 7, "bytes"),
        ("[[keys]]", "[[keys]]\ncolour = 1", 5, "colour"),
    ],
)
def test_trust_file_errors_name_the_line(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    """Each invalid field is reported at its own line of the file."""
    message = _error_line(_good(tmp_path).replace(old, new, 1))
    assert message.startswith(f"trust.toml:{line}:")
    assert words in message


def test_id_must_match_the_public_key(tmp_path: Path) -> None:
    """An id copied from another key is reported at the id line with the expected id."""
    text = _good(tmp_path)
    other = generate_key("INTERPOL", tmp_path / "other").entry.id
    message = _error_line(text.replace('id = "', f'id = "{other}" #', 1))
    assert message.startswith("trust.toml:6:")
    assert "does not match public_key" in message


def test_second_key_errors_point_into_the_second_block(tmp_path: Path) -> None:
    """Errors in the second [[keys]] table name its lines, not the first's; repeats are caught."""
    text = _good(tmp_path)
    block = text[text.index("[[keys]]") :]
    message = _error_line(text + "\n" + block)
    assert message.startswith("trust.toml:13:")  # the second block's id line
    assert "listed twice" in message


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    """Broken TOML is reported with tomllib's line."""
    message = _error_line(_good(tmp_path).replace("valid_from =", "valid_from", 1))
    assert message.startswith("trust.toml:8:")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """Reading a trust file that does not exist is a ConfigError with a hint."""
    with pytest.raises(ConfigError) as caught:
        read_trust_file(tmp_path / "nope.toml")
    assert caught.value.hint is not None


def test_add_and_revoke_keep_comments(tmp_path: Path) -> None:
    """Appending a key and revoking one edit the file in place, keeping the comments."""
    path = tmp_path / "trust.toml"
    path.write_text(_good(tmp_path))
    path.chmod(0o640)
    added = generate_key("EUROPOL", tmp_path / "k")
    model = add_key(path, added.entry)
    assert [k.org.value for k in model.keys] == ["INTERPOL", "EUROPOL"]
    revoked = revoke_key(path, added.entry.id, T0 + timedelta(days=3))
    assert revoked.revoked_at == T0 + timedelta(days=3)
    text = path.read_text()
    assert text.startswith("# a comment the edits keep\n")
    assert _mode(path) == 0o640
    assert read_trust_file(path).keys[1].revoked_at == T0 + timedelta(days=3)
    assert read_trust_file(path).keys[0].revoked_at is None


def test_revocation_only_moves_earlier(tmp_path: Path) -> None:
    """A revocation may be brought forward but never postponed, and an unknown id is an error."""
    path = tmp_path / "trust.toml"
    path.write_text(_good(tmp_path))
    key_id = read_trust_file(path).keys[0].id
    revoke_key(path, key_id, T0 + timedelta(days=3))
    revoke_key(path, key_id, T0 + timedelta(days=2))
    assert path.read_text().count("revoked_at") == 1
    with pytest.raises(ConfigError, match="already revoked"):
        revoke_key(path, key_id, T0 + timedelta(days=4))
    with pytest.raises(ConfigError, match="no key"):
        revoke_key(path, "0" * 16, T0)


def test_render_entry_parses_back(tmp_path: Path) -> None:
    """The printed [[keys]] entry is exactly what the loader reads."""
    entry = generate_key("AFRIPOL", tmp_path).entry.model_copy(update={"revoked_at": T0})
    model = parse_trust_text("version = 1\n\n" + render_entry(entry), "x")
    assert model.keys == [entry]


def test_demo_keys_sign_and_verify_for_every_org(tmp_path: Path) -> None:
    """generate_demo_keys writes one owner-only key per org and a trust file that verifies them."""
    trust = generate_demo_keys(tmp_path / "demo", ["INTERPOL", "EUROPOL"])
    store = TrustStore.from_file(trust)
    assert sorted(k.org.value for k in store.trusted_keys()) == ["EUROPOL", "INTERPOL"]
    for org in ("INTERPOL", "EUROPOL"):
        assert _mode(demo_key_path(tmp_path / "demo", org)) == 0o600
        signer = Signer.from_file(demo_key_path(tmp_path / "demo", org), org)
        assert store.verify_headers(org, b"alert", signer.sign(b"alert")).ok


def test_shipped_trust_file_is_valid() -> None:
    """deploy/trust.toml loads and carries no key (no private key belongs in the repository)."""
    path = Path(__file__).resolve().parents[2] / "deploy" / "trust.toml"
    assert read_trust_file(path).keys == []
