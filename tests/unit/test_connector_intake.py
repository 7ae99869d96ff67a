"""Connector intake without a broker: folder watching with its ledger, the HTTP API, the CLI."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from typer.testing import CliRunner

from connectors.registry import get_connector
from connectors.runtime.metrics import ConnectorMetrics
from connectors.runtime.publisher import Publisher
from connectors.runtime.serve import create_app, load_token
from connectors.runtime.watch import DirectoryWatcher, Ledger, ledger_path, wanted_files
from gateway.cli.connector import app
from gateway.errors import ConfigError
from gateway.settings import Settings
from tests.support.connectors import FakeProducer

SAMPLE = get_connector("INTERPOL").sample_path().read_bytes()
TOKEN = "s3cret-token-for-tests-only"  # noqa: S105  # a test fixture, not a real secret


def _publisher(producer: FakeProducer, tmp_path: Path) -> Publisher:
    settings = Settings(topic_prefix="w.", data_dir=tmp_path)
    return Publisher(
        settings, get_connector("INTERPOL"), producer=producer,
        metrics=ConnectorMetrics(CollectorRegistry()),
    )  # fmt: skip


def test_wanted_files_skip_hidden_partial_and_foreign(tmp_path: Path) -> None:
    """Only visible, complete files with the connector's extensions are taken."""
    for name in ("a.json", "B.JSON", ".hidden.json", "c.json.part", "d.txt", "e.json~"):
        (tmp_path / name).write_bytes(b"{}")
    (tmp_path / "sub.json").mkdir()
    assert [p.name for p in wanted_files(tmp_path, (".json",))] == ["B.JSON", "a.json"]


async def test_watcher_waits_for_stable_files_and_never_repeats(tmp_path: Path) -> None:
    """A file is published once it stopped changing, once, even after a restart or a copy."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    producer = FakeProducer()
    path = ledger_path(Settings(data_dir=tmp_path), "INTERPOL")
    (inbox / "one.json").write_bytes(SAMPLE)
    async with _publisher(producer, tmp_path) as pub:
        watcher = DirectoryWatcher(pub, inbox, Ledger(path), interval=0.01)
        assert await watcher.poll_once() == []  # first sight: not yet known to be stable
        assert [p.name for p in await watcher.poll_once()] == ["one.json"]
        assert await watcher.poll_once() == []
        (inbox / "copy.json").write_bytes(SAMPLE)  # same content, another name
        await watcher.poll_once()
        assert await watcher.poll_once() == []
        watcher.ledger.close()
    assert len(producer.sent) == 5
    assert watcher.stats.total.published == 5

    restarted = FakeProducer()
    async with _publisher(restarted, tmp_path) as pub:
        again = DirectoryWatcher(pub, inbox, Ledger(path), interval=0.01)
        await again.poll_once()
        assert await again.poll_once() == []
        assert again.ledger.count() == 1
        again.ledger.close()
    assert restarted.sent == []
    assert path.is_file()


async def test_watcher_skips_a_growing_file_until_it_settles(tmp_path: Path) -> None:
    """A file still being written (size changing between polls) is not published yet."""
    producer = FakeProducer()
    target = tmp_path / "late.json"
    target.write_bytes(SAMPLE[:100])
    async with _publisher(producer, tmp_path) as pub:
        watcher = DirectoryWatcher(pub, tmp_path, Ledger(tmp_path / "l.sqlite"), interval=0.01)
        await watcher.poll_once()
        target.write_bytes(SAMPLE)
        assert await watcher.poll_once() == []
        assert [p.name for p in await watcher.poll_once()] == ["late.json"]
        watcher.ledger.close()
    assert len(producer.sent) == 5


def test_token_from_environment_or_file(tmp_path: Path) -> None:
    """The environment variable wins; the TOML file is the fallback; short tokens are refused."""
    env = {"FRONTLINE_CONNECTOR_TOKEN_INTERPOL": TOKEN}
    assert load_token("interpol", environ=env).get_secret_value() == TOKEN
    tokens = tmp_path / "tokens.toml"
    tokens.write_text('EUROPOL = "another-long-enough-token"\n', encoding="utf-8")
    tokens.chmod(0o600)
    assert load_token("EUROPOL", environ={}, tokens_file=tokens).get_secret_value().startswith("a")
    with pytest.raises(ConfigError):
        load_token("FRONTEX", environ={}, tokens_file=tokens)
    with pytest.raises(ConfigError):
        load_token("INTERPOL", environ={"FRONTLINE_CONNECTOR_TOKEN_INTERPOL": "short"})


def test_a_tokens_file_others_may_read_is_refused(tmp_path: Path) -> None:
    """A tokens file with mode 0644 is refused with a chmod hint, not read silently."""
    tokens = tmp_path / "tokens.toml"
    tokens.write_text('EUROPOL = "another-long-enough-token"\n', encoding="utf-8")
    tokens.chmod(0o644)
    with pytest.raises(ConfigError, match="read by others") as caught:
        load_token("EUROPOL", environ={}, tokens_file=tokens)
    assert caught.value.hint == f"chmod 600 {tokens}"


async def _client(producer: FakeProducer, tmp_path: Path) -> tuple[httpx.AsyncClient, Publisher]:
    publisher = _publisher(producer, tmp_path)
    await publisher.start()
    application = create_app(publisher, SecretStr(TOKEN))
    transport = httpx.ASGITransport(app=application)
    return httpx.AsyncClient(transport=transport, base_url="http://intake"), publisher


async def test_http_answers_per_record(tmp_path: Path) -> None:
    """POST /records answers each record: alert_id and version, or stage and reason codes."""
    producer = FakeProducer()
    client, publisher = await _client(producer, tmp_path)
    async with client:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        good = await client.post("/records", content=SAMPLE, headers=auth)
        bad = await client.post("/records", content=b'{"entity_id": "x"}', headers=auth)
        metrics = await client.get("/metrics")
        health = await client.get("/health")
    await publisher.stop()
    assert good.status_code == 200
    body = good.json()
    assert body["summary"] == {"records_in": 5, "published": 5, "quarantined": 0}
    assert body["records"][0] == {
        "index": 0, "outcome": "published", "kind": "WANTED_PERSON",
        "alert_id": "INTERPOL:2021/75051", "version": 667991700, "msg_type": "ALERT",
    }  # fmt: skip
    refused = bad.json()["records"][0]
    assert refused["outcome"] == "quarantined"
    assert refused["stage"] == "map"
    assert refused["reasons"][0]["path"] == "entity_id"
    assert 'frontline_connector_records_total{kind="WANTED_PERSON"' in metrics.text
    assert health.json()["org"] == "INTERPOL"
    assert len(producer.sent) == 6


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-wrong-token"}, {"Authorization": f"Basic {TOKEN}"}],
)
async def test_http_refuses_without_the_token(tmp_path: Path, headers: dict[str, str]) -> None:
    """Without the organization's bearer token nothing is published and the answer is 401."""
    producer = FakeProducer()
    client, publisher = await _client(producer, tmp_path)
    async with client:
        response = await client.post("/records", content=SAMPLE, headers=headers)
    await publisher.stop()
    assert response.status_code == 401
    assert producer.sent == []


def test_cli_formats_lists_interpol() -> None:
    """`connector formats` names each available organization with its format and sample."""
    result = CliRunner().invoke(app, ["formats"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "INTERPOL notices web API JSON" in result.output
    assert "interpol.json" in result.output


def test_cli_unknown_org_and_missing_source_exit_2(tmp_path: Path) -> None:
    """Setup mistakes exit with code 2 and say how to fix them."""
    runner = CliRunner()
    unknown = runner.invoke(app, ["run", "NOPOL", "--source", str(tmp_path)])
    assert unknown.exit_code == 2
    missing = runner.invoke(app, ["run", "INTERPOL", "--source", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
    watch_file = runner.invoke(
        app, ["run", "INTERPOL", "--source", str(tmp_path / "x.json"), "--watch"]
    )
    assert watch_file.exit_code == 2


def test_cli_generate_writes_a_valid_payload() -> None:
    """`connector generate` prints a native payload the same connector fully accepts."""
    from connectors.base import Accepted, process  # noqa: PLC0415  # used by this test only

    result = CliRunner().invoke(app, ["generate", "INTERPOL", "--count", "7", "--seed", "3"])
    assert result.exit_code == 0
    outcomes = list(process(get_connector("INTERPOL"), result.stdout_bytes, "cli"))
    assert len(outcomes) == 7
    assert all(isinstance(o, Accepted) for o in outcomes)
