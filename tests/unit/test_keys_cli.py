"""``frontline keys``: generate, list, revoke and demo, as JSON and as text, with clean errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.cli.keys import parse_time
from gateway.contract.trust import Signer, TrustStore, read_trust_file
from gateway.errors import ConfigError


def _run(*args: str) -> Any:
    result = CliRunner().invoke(app, ["keys", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_generate_json_writes_owner_only_key_and_appends_entry(tmp_path: Path) -> None:
    """`keys generate --json --trust-file` writes a 0600 key and a trust entry that verifies it."""
    trust = tmp_path / "trust.toml"
    out = _run(
        "generate", "FRONTEX", "--out", str(tmp_path / "k"), "--trust-file", str(trust),
        "--valid-from", "2025-01-01", "--valid-until", "2027-01-01T00:00:00+01:00", "--json",
    )  # fmt: skip
    private = Path(out["private_key_file"])
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert out["valid_until"] == "2026-12-31T23:00:00+00:00"
    model = read_trust_file(trust)
    assert [k.id for k in model.keys] == [out["id"]]
    signer = Signer.from_file(private, "FRONTEX")
    assert TrustStore(model.keys).verify_headers("FRONTEX", b"x", signer.sign(b"x")).ok


def test_generate_without_trust_file_prints_the_entry(tmp_path: Path) -> None:
    """Without --trust-file the [[keys]] entry to paste is printed and no trust file is made."""
    result = CliRunner().invoke(app, ["keys", "generate", "UNODC", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert '[[keys]]\norg = "UNODC"' in result.stdout
    assert list(tmp_path.glob("*.toml")) == []


def test_list_and_revoke_json(tmp_path: Path) -> None:
    """`keys list --json` shows each status; `keys revoke --at` makes the key revoked."""
    trust = tmp_path / "trust.toml"
    _run("demo", "--out", str(tmp_path), "--org", "INTERPOL", "--org", "ECO", "--json")
    listed = _run("list", "--trust-file", str(trust), "--json")
    assert [(k["org"], k["status"]) for k in listed] == [("INTERPOL", "valid"), ("ECO", "valid")]
    key_id = listed[1]["id"]
    revoked = _run("revoke", key_id, "--at", "2020-01-01", "--trust-file", str(trust), "--json")
    assert revoked["revoked_at"] == "2020-01-01T00:00:00+00:00"
    listed = _run("list", "--trust-file", str(trust), "--json")
    assert [k["status"] for k in listed] == ["valid", "revoked"]


def test_trust_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FRONTLINE_TRUST_FILE is the default trust file of list and revoke."""
    _run("demo", "--out", str(tmp_path), "--org", "SCO", "--json")
    monkeypatch.setenv("FRONTLINE_TRUST_FILE", str(tmp_path / "trust.toml"))
    assert [k["org"] for k in _run("list", "--json")] == ["SCO"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["generate", "NOBODY"], "not an organization code"),
        (["generate", "ECO", "--valid-from", "2025-01-01T00:00:00"], "with an offset"),
        (["revoke", "0123456789abcdef", "--at", "now"], "no key"),
        (["list"], "cannot read the trust file"),
    ],
)
def test_errors_are_clean(tmp_path: Path, args: list[str], words: str) -> None:
    """Bad input is a one-line error with a fix and exit 2, never a traceback."""
    (tmp_path / "trust.toml").write_text("version = 1\n")
    extra = ["--out", str(tmp_path / "k")] if args[0] == "generate" else []
    if args[0] == "revoke":
        extra = ["--trust-file", str(tmp_path / "trust.toml")]
    if args[0] == "list":
        extra = ["--trust-file", str(tmp_path / "absent.toml")]
    result = CliRunner().invoke(app, ["keys", *args, *extra])
    assert result.exit_code == 2
    assert words in result.output
    assert "fix:" in result.output
    assert "Traceback" not in result.output


def test_parse_time_forms() -> None:
    """Times read as now, a date (midnight UTC) or an offset date-time; naive ones are refused."""
    assert parse_time("2026-03-01", "t").isoformat() == "2026-03-01T00:00:00+00:00"
    assert parse_time("2026-03-01T12:00:00Z", "t").isoformat() == "2026-03-01T12:00:00+00:00"
    assert parse_time("now", "t").tzinfo is not None
    with pytest.raises(ConfigError):
        parse_time("2026-03-01 12:00", "t")
