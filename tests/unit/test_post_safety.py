"""The post's store and CLI: private files, one writer, checked ports and countries, streaming."""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import post as post_cli
from gateway.post import PostStore, store_path
from gateway.post import service as service_module
from gateway.post.store import Change, StoreLockedError
from gateway.settings import Settings

runner = CliRunner()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_is_private(tmp_path: Path) -> None:
    """A store (names of wanted persons) is created 0600 in a 0700 folder, WAL files too."""
    path = store_path(Settings(data_dir=tmp_path), "FRA", "CDG")
    store = PostStore(path)
    store.apply([Change("A:1", 1, b"x", "INTERPOL")], {("t", 0): 1})
    try:
        assert _mode(path.parent) == 0o700
        for file in path.parent.iterdir():
            assert _mode(file) == 0o600, file.name
    finally:
        store.close()


def test_an_older_loose_store_is_tightened(tmp_path: Path) -> None:
    """A store left 0644 in a 0755 folder by an older version is made private when opened."""
    path = store_path(Settings(data_dir=tmp_path), "FRA", "CDG")
    PostStore(path).close()
    os.chmod(path.parent, 0o755)  # noqa: S103  # why: the loose layout being fixed
    os.chmod(path, 0o644)
    PostStore(path).close()
    assert (_mode(path.parent), _mode(path)) == (0o700, 0o600)


def test_a_second_writer_is_refused_naming_the_first(tmp_path: Path) -> None:
    """Claiming a store another writer holds fails with the holder's process id."""
    path = store_path(Settings(data_dir=tmp_path), "FRA", "CDG")
    first, second = PostStore(path), PostStore(path)
    first.claim()
    with pytest.raises(StoreLockedError, match=f"process {os.getpid()}"):
        second.claim()
    first.close()
    second.claim()  # released with the first store
    second.close()


@pytest.mark.timeout(30)
def test_post_run_on_a_held_store_exits_at_once(tmp_path: Path) -> None:
    """`post run` on a store another process runs exits 2 naming that process."""
    held = PostStore(store_path(Settings(data_dir=tmp_path), "FRA", "CDG"))
    held.claim()
    try:
        result = runner.invoke(
            post_cli.app, ["run", "FRA.CDG"], env={"FRONTLINE_DATA_DIR": str(tmp_path)}
        )
    finally:
        held.close()
    assert result.exit_code == 2
    assert f"process {os.getpid()}" in result.output


@pytest.mark.parametrize("port", ["0", "70000", "-1"])
def test_post_run_refuses_ports_out_of_range(tmp_path: Path, port: str) -> None:
    """--http-port outside 1-65535 is refused before anything is opened."""
    result = runner.invoke(
        post_cli.app,
        ["run", "FRA.CDG", "--http-port", port],
        env={"FRONTLINE_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 2
    assert not (tmp_path / "posts").exists()


@pytest.mark.timeout(30)
def test_post_run_refuses_a_port_in_use(tmp_path: Path) -> None:
    """A port something already listens on is a clear error, before the store is touched."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(
            post_cli.app,
            ["run", "FRA.CDG", "--http-port", str(port)],
            env={"FRONTLINE_DATA_DIR": str(tmp_path)},
        )
    assert result.exit_code == 2
    assert "already in use" in result.output
    assert not (tmp_path / "posts").exists()


@pytest.mark.parametrize(
    ("option", "value"), [("--nationality", "ZZZ"), ("--document-country", "FR")]
)
def test_screen_refuses_unknown_countries(tmp_path: Path, option: str, value: str) -> None:
    """`post screen` refuses a country that is not ISO 3166-1 alpha-3, naming the option."""
    result = runner.invoke(
        post_cli.app,
        ["screen", "FRA.CDG", "--name", "Karim", option, value],
        env={"FRONTLINE_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 2
    assert option.removeprefix("--").replace("-", "_") in result.output
    assert "alpha-3" in result.output


def _big_store(data_dir: Path, n: int) -> None:
    store = PostStore(store_path(Settings(data_dir=data_dir), "FRA", "CDG"))
    changes = [
        Change(f"INTERPOL:{i:06d}", 1, b"-", "INTERPOL", (),
               json.dumps([1, f"INTERPOL:{i:06d}", 1, "WANTED_PERSON", "INTERPOL"]))
        for i in range(n)
    ]  # fmt: skip
    store.apply(reversed(changes), {("t", 0): n})
    store.close()


def test_watchlist_streams_a_large_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`post watchlist` lists 41,810 entries in id order from the store, without loading them."""
    _big_store(tmp_path, 41_810)

    def no_service(*args: object, **kwargs: object) -> None:
        raise AssertionError("the listing must not build the watchlist")

    monkeypatch.setattr(service_module.PostService, "__init__", no_service)
    env = {"FRONTLINE_DATA_DIR": str(tmp_path)}
    started = time.perf_counter()
    listed = runner.invoke(post_cli.app, ["watchlist", "FRA.CDG", "--json"], env=env)
    took = time.perf_counter() - started
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)
    assert len(items) == 41_810
    assert items[0] == {
        "alert_id": "INTERPOL:000000", "version": 1, "kind": "WANTED_PERSON", "org": "INTERPOL"
    }  # fmt: skip
    assert [i["alert_id"] for i in items] == sorted(i["alert_id"] for i in items)
    assert took < 5, f"listing took {took:.1f} s"
    table = runner.invoke(post_cli.app, ["watchlist", "FRA.CDG"], env=env)
    assert table.exit_code == 0
    assert "INTERPOL:041809" in table.stdout
    assert table.stdout.rstrip().endswith("41810 alerts")
