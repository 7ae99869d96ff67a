"""Officers' bearer tokens on the post API and the `post officers` CLI (no broker)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from gateway.cli import post as post_cli
from gateway.post import PostService, store_path
from gateway.post.api import create_app
from gateway.post.officers import OfficerRefusedError, OfficerRevokedError, Officers
from gateway.settings import Settings
from tests.support.post import service  # noqa: F401  # why: the shared fixture

PERSON = {"name": "Anna Maria Eriksson"}


@pytest.fixture
async def anonymous(service: PostService) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811  # why: the fixture above
    """A client with no token."""
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://post") as http:
        yield http


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/watchlist"), ("POST", "/screen/person"), ("POST", "/screen/object")],
)
async def test_no_token_is_401(anonymous: httpx.AsyncClient, method: str, path: str) -> None:
    """Without a token the watchlist and screening answer 401 with a Bearer challenge."""
    body = {"container": "MWCU6059784"} if path.endswith("object") else PERSON
    answer = await anonymous.request(method, path, json=body if method == "POST" else None)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "token",
    ["1.wrong", "nonsense", "99.x", "1." + "a" * 500, "1.", "", "9" * 40 + ".x"],
)
async def test_wrong_token_is_401(
    anonymous: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
    token: str,
) -> None:
    """A token this post did not issue (or a malformed one) is 401, whatever its shape."""
    service.officers.add("Officer Real")
    answer = await anonymous.post("/screen/person", json=PERSON, headers=_bearer(token))
    assert answer.status_code == 401


async def test_revoked_token_is_403_at_once(
    anonymous: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """A token works until its officer is revoked (by another connection), then it is 403."""
    officer, token = service.officers.add("Officer Dupont")
    assert (await anonymous.get("/watchlist", headers=_bearer(token))).status_code == 200
    other = Officers(service.store.path)  # as `post officers revoke` would, from the CLI
    other.revoke(officer.id)
    other.close()
    answer = await anonymous.post("/screen/person", json=PERSON, headers=_bearer(token))
    assert answer.status_code == 403
    assert (await anonymous.get("/watchlist", headers=_bearer(token))).status_code == 403


async def test_refused_requests_are_not_screened_or_logged(
    anonymous: httpx.AsyncClient,
    service: PostService,  # noqa: F811  # why: the fixture above
) -> None:
    """A refused request never reaches screening: the access log stays empty, even for 422s."""
    await anonymous.post("/screen/person", json=PERSON)
    await anonymous.post("/screen/person", json={"name": 5}, headers=_bearer("1.x"))
    assert service.access.entries() == []


async def test_health_metrics_and_docs_need_no_token(anonymous: httpx.AsyncClient) -> None:
    """/health, /metrics, /docs and /openapi.json answer without a token; OpenAPI shows bearer."""
    for path in ("/health", "/metrics", "/docs", "/openapi.json"):
        assert (await anonymous.get(path)).status_code == 200, path
    spec = (await anonymous.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["officer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An officer's token from `frontline post officers add POST_ID NAME`.",
    }
    assert spec["paths"]["/screen/person"]["post"]["security"] == [{"officer": []}]
    assert "security" not in spec["paths"]["/health"]["get"]


def test_only_a_salted_hash_is_stored(tmp_path: Path) -> None:
    """The store holds neither the token nor its secret, and two officers' salts differ."""
    path = tmp_path / "posts" / "FRA.CDG.sqlite"
    officers = Officers(path)
    _, first = officers.add("A")
    _, second = officers.add("B")
    assert officers.verify(first).name == "A"
    officers.close()  # the WAL is checkpointed into the file
    raw = path.read_bytes()
    for token in (first, second):
        assert token.split(".", 1)[1].encode() not in raw
    salts = sqlite3.connect(path).execute("SELECT salt FROM officers").fetchall()
    assert len({bytes(s[0]) for s in salts}) == 2
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_verify_raises_refused_and_revoked(tmp_path: Path) -> None:
    """verify: an unknown token is OfficerRefusedError, a revoked one OfficerRevokedError."""
    officers = Officers(tmp_path / "s.sqlite")
    officer, token = officers.add("A")
    with pytest.raises(OfficerRefusedError):
        officers.verify(token[:-1] + ("A" if token[-1] != "A" else "B"))
    for odd in ("\u0663.abc", f"{officer.id}.\u00e9", None, ""):
        with pytest.raises(OfficerRefusedError):
            officers.verify(odd)
    officers.revoke(officer.id)
    with pytest.raises(OfficerRevokedError):
        officers.verify(token)


def _cli(data_dir: Path) -> Callable[..., Result]:
    runner = CliRunner()
    env = {"FRONTLINE_DATA_DIR": str(data_dir)}
    return lambda *args: runner.invoke(post_cli.app, list(args), env=env)


def test_officers_cli_add_list_revoke_json(data_dir: Path) -> None:
    """`post officers add` prints a working token once; list never shows it; revoke marks it."""
    run = _cli(data_dir)
    added = run("officers", "add", "FRA.CDG", "Officer Dupont", "--json")
    assert added.exit_code == 0, added.output
    token = json.loads(added.stdout)["token"]
    officer_id = json.loads(added.stdout)["officer"]["id"]
    listed = run("officers", "list", "FRA.CDG", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == [
        {
            "id": officer_id,
            "name": "Officer Dupont",
            "created": json.loads(added.stdout)["officer"]["created"],
            "revoked": None,
        }
    ]
    assert token.split(".", 1)[1] not in listed.output
    revoked = run("officers", "revoke", "FRA.CDG", str(officer_id), "--json")
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(revoked.stdout)["revoked"] is not None
    officers = Officers(store_path(Settings(data_dir=data_dir), "FRA", "CDG"))
    with pytest.raises(OfficerRevokedError):
        officers.verify(token)
    officers.close()
    table = run("officers", "list", "FRA.CDG")
    assert "Officer Dupont" in table.stdout
    assert token.split(".", 1)[1] not in table.output


def test_officers_cli_refuses_unknown_ids_and_bad_names(data_dir: Path) -> None:
    """Revoking an unknown id and adding an empty name are clean errors (exit 2)."""
    run = _cli(data_dir)
    assert run("officers", "add", "FRA.CDG", "A").exit_code == 0
    unknown = run("officers", "revoke", "FRA.CDG", "42")
    assert unknown.exit_code == 2
    assert "no officer 42" in unknown.output
    assert run("officers", "add", "FRA.CDG", "  ").exit_code == 2
