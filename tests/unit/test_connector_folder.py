"""The folder a connector reads: links refused unread, and the CLI's ports, formats and exits."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from connectors.registry import CONNECTOR_MODULES, get_connector
from connectors.runtime.metrics import ConnectorMetrics
from connectors.runtime.publisher import Publisher
from connectors.runtime.watch import (
    DirectoryWatcher,
    Ledger,
    NotOwnFileError,
    ledger_path,
    list_folder,
    read_own_file,
)
from gateway.cli.connector import app
from gateway.settings import Settings
from tests.support.connectors import FakeProducer

SAMPLE = get_connector("INTERPOL").sample_path().read_bytes()


def _publisher(producer: FakeProducer, tmp_path: Path) -> Publisher:
    return Publisher(
        Settings(topic_prefix="f.", data_dir=tmp_path), get_connector("INTERPOL"),
        producer=producer, metrics=ConnectorMetrics(CollectorRegistry()),
    )  # fmt: skip


def _folder_with_links(tmp_path: Path) -> Path:
    """An inbox holding one good file, a link out of it, a link inside it and a hard link."""
    secret = tmp_path / "secret.json"
    secret.write_bytes(SAMPLE)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.json").write_bytes(SAMPLE)
    (inbox / "c.json").symlink_to(secret)
    (inbox / "d.json").symlink_to(inbox / "a.json")
    os.link(secret, inbox / "e.json")
    return inbox


def test_list_folder_refuses_symlinks_and_hard_links(tmp_path: Path) -> None:
    """Only the folder's own regular file is taken; each kind of link is refused by name."""
    inbox = _folder_with_links(tmp_path)
    listing = list_folder(inbox, (".json",))
    assert [p.name for p in listing.files] == ["a.json"]
    assert {p.name: why for p, why in listing.refused.items()} == {
        "c.json": "symlink", "d.json": "symlink", "e.json": "hard_link",
    }  # fmt: skip


def test_read_own_file_never_follows_a_link(tmp_path: Path) -> None:
    """A link swapped in after the listing is refused when opened, not read through."""
    target = tmp_path / "passwd"
    target.write_bytes(b"root:x:0:0")
    (tmp_path / "c.json").symlink_to(target)
    with pytest.raises(NotOwnFileError) as caught:
        read_own_file(tmp_path / "c.json")
    assert caught.value.reason == "symlink"
    assert read_own_file(target) == b"root:x:0:0"


async def test_watcher_publishes_nothing_through_links_and_counts_each_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The watcher publishes the own file only; links are counted once each, logged by name."""
    inbox = _folder_with_links(tmp_path)
    producer = FakeProducer()
    async with _publisher(producer, tmp_path) as pub:
        ledger = Ledger(ledger_path(Settings(data_dir=tmp_path), "INTERPOL"))
        seen: list[str] = []
        watcher = DirectoryWatcher(
            pub, inbox, ledger, interval=0.01, on_refused=lambda p, _: seen.append(p.name)
        )
        for _ in range(4):
            await watcher.poll_once()
        ledger.close()
    assert len(producer.sent) == 5  # the five notices of a.json, nothing else
    assert watcher.refused == {"symlink": 2, "hard_link": 1}
    assert sorted(seen) == ["c.json", "d.json", "e.json"]
    registry = pub.metrics.registry
    assert registry.get_sample_value(
        "frontline_connector_files_refused_total", {"org": "INTERPOL", "reason": "symlink"}
    ) == 2  # fmt: skip
    assert "KARIM" not in caplog.text


def test_formats_json_lists_every_organization() -> None:
    """`connector formats --json` prints one entry per organization with format and sample."""
    result = CliRunner().invoke(app, ["formats", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [f["org"] for f in body["formats"]] == list(CONNECTOR_MODULES)
    interpol = body["formats"][0]
    assert interpol["sample"] == "interpol.json"
    assert ".json" in interpol["extensions"]
    assert body["unavailable"] == {}


def test_serve_refuses_a_port_in_use_and_out_of_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """`connector serve` on a port in use or out of range exits 2 with a clear message."""
    monkeypatch.setenv("FRONTLINE_CONNECTOR_TOKEN_INTERPOL", "a-token-long-enough-for-this")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "INTERPOL", "--port", str(port)])
    assert result.exit_code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.output
    for bad in ("70000", "0", "-1"):
        out = CliRunner().invoke(app, ["serve", "INTERPOL", "--port", bad])
        assert out.exit_code == 2
        assert "--port" in out.output


def test_run_refuses_a_bad_metrics_port_and_interval(tmp_path: Path) -> None:
    """`connector run` refuses --metrics-port 70000, a NaN --interval and a port in use."""
    source = tmp_path / "x.json"
    source.write_bytes(SAMPLE)
    runner = CliRunner()
    base = ["run", "INTERPOL", "--source", str(source)]
    far = runner.invoke(app, [*base, "--metrics-port", "70000"])
    assert far.exit_code == 2
    assert "--metrics-port" in far.output
    nan = runner.invoke(app, [*base, "--interval", "nan"])
    assert nan.exit_code == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        used = runner.invoke(
            app, ["run", "INTERPOL", "--source", str(source), "--metrics-port", port]
        )
    assert used.exit_code == 2
    assert "cannot serve metrics" in used.output
