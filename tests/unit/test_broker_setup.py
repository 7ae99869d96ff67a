"""Local broker set-up: clear errors for missing tools, ports, and config rendering."""

from __future__ import annotations

import json
import os
import socket
import stat
from dataclasses import asdict
from pathlib import Path

import pytest

from gateway._resources import resource_path
from gateway.broker import jars, local
from gateway.broker.local import ClusterSpec, LocalCluster
from gateway.broker.ports import free_port, free_port_block, port_in_use
from gateway.errors import SetupError
from gateway.kafka.clients import resolve_bootstrap
from gateway.settings import Settings


def test_missing_java_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without java on PATH the error says to install Java 17+."""
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr("shutil.which", lambda _name: None)
    with pytest.raises(SetupError) as caught:
        jars.check_java()
    assert "Java" in caught.value.message
    assert caught.value.hint is not None
    assert "17" in caught.value.hint


def test_old_java_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A Java older than 17 is refused with the version it found."""
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(SetupError, match="Java 11"):
        jars.check_java()


def test_missing_maven_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With no cached jars and no mvn on PATH, the error says to install Maven."""
    monkeypatch.setenv("FRONTLINE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(jars, "check_java", lambda: "/usr/bin/java")
    monkeypatch.setattr("shutil.which", lambda _name: None)
    with pytest.raises(SetupError) as caught:
        jars.resolve_runtime()
    assert "Maven" in caught.value.message
    assert caught.value.hint is not None
    assert "maven" in caught.value.hint.lower()


def test_port_in_use_is_detected() -> None:
    """A port held by a listening socket is reported in use; a fresh free port is not."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        held = sock.getsockname()[1]
        assert port_in_use(held)
    assert not port_in_use(free_port())


def test_status_of_unformatted_folder_is_stopped(tmp_path: Path) -> None:
    """A folder that never held a broker reports stopped with no address."""
    state = LocalCluster(tmp_path).status()
    assert not state.running
    assert state.bootstrap is None


def test_up_refuses_unsupported_cluster_size(tmp_path: Path) -> None:
    """Only 1- and 3-node clusters are offered, and the error says so."""
    with pytest.raises(SetupError, match="--brokers 2"):
        LocalCluster(tmp_path).up(brokers=2)


# -- issue 11 item 3: `broker up` checks everything before touching anything --------------


def _no_java(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to reach Java fail the test: the checks must come first."""

    def refuse() -> jars.KafkaRuntime:
        raise AssertionError("reached resolve_runtime before the checks refused")

    monkeypatch.setattr(local, "resolve_runtime", refuse)


def _recorded_cluster(folder: Path, brokers: int = 3, port: int = 39092) -> ClusterSpec:
    """Lay out what `broker up --brokers N` leaves on disk (without running Java)."""
    spec = ClusterSpec(
        cluster_id="abc",
        brokers=brokers,
        ports=[port + 2 * i for i in range(brokers)],
        controller_ports=[port + 2 * i + 1 for i in range(brokers)],
        kafka_version="4.4.0",
    )
    for index in range(brokers):
        node = folder / f"node-{index + 1}"
        (node / "data" / "topic-0").mkdir(parents=True)
        (node / "data" / "meta.properties").write_text(f"node.id={index + 1}\n")
        (node / "data" / "topic-0" / "00000000000000000000.log").write_bytes(b"x" * 1000)
        (node / "server.properties").write_text(f"node.id={index + 1}\n")
    (folder / "cluster.json").write_text(json.dumps(asdict(spec)))
    return spec


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("port", [70000, -1, 65536])
def test_out_of_range_port_fails_before_creating_the_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, port: int
) -> None:
    """`broker up --port 70000` is refused with the valid range, and no data folder appears."""
    _no_java(monkeypatch)
    folder = tmp_path / "broker"
    with pytest.raises(SetupError, match=str(port)) as caught:
        LocalCluster(folder).up(port=port)
    assert caught.value.hint is not None
    assert "from 1 to 65534" in caught.value.hint
    assert not folder.exists()


def test_three_nodes_must_fit_under_the_last_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Three nodes use six consecutive ports, so --port 65532 is refused before anything."""
    _no_java(monkeypatch)
    with pytest.raises(SetupError, match="65532 to 65537, past 65535"):
        LocalCluster(tmp_path / "b").up(port=65532, brokers=3)
    assert not (tmp_path / "b").exists()


def test_port_in_use_fails_before_creating_the_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A held port is named in the error and no data folder is created or formatted."""
    _no_java(monkeypatch)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        held = sock.getsockname()[1]
        with pytest.raises(SetupError, match=f"Port {held} "):
            LocalCluster(tmp_path / "b").up(port=held)
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("port", "brokers", "named"),
    [(None, 1, "--brokers 1"), (39092, 1, "--brokers 1"), (40000, None, "--port 40000")],
)
def test_other_shape_on_a_recorded_cluster_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    port: int | None,
    brokers: int | None,
    named: str,
) -> None:
    """Asking a folder holding a 3-node cluster for another shape is refused, files untouched."""
    _no_java(monkeypatch)
    _recorded_cluster(tmp_path)
    before = _snapshot(tmp_path)
    with pytest.raises(SetupError) as caught:
        LocalCluster(tmp_path).up(port=port, brokers=brokers)
    assert "3-node cluster on port 39092" in caught.value.message
    assert named in caught.value.message
    assert caught.value.hint is not None
    assert f"frontline broker up --data-dir {tmp_path.resolve()}" in caught.value.hint
    assert _snapshot(tmp_path) == before


def test_folder_with_data_but_no_cluster_json_is_never_formatted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A non-empty folder without cluster.json is refused, and its files stay as they were."""
    _no_java(monkeypatch)
    _recorded_cluster(tmp_path)
    (tmp_path / "cluster.json").unlink()
    before = _snapshot(tmp_path)
    with pytest.raises(SetupError, match="not empty"):
        LocalCluster(tmp_path).up(port=0)
    assert _snapshot(tmp_path) == before


def test_unreadable_cluster_json_is_a_setup_error(tmp_path: Path) -> None:
    """A corrupt cluster.json gives a SetupError with a fix, not a traceback."""
    (tmp_path / "cluster.json").write_bytes(b"\xff{not json")
    with pytest.raises(SetupError, match="cannot be read") as caught:
        LocalCluster(tmp_path).status()
    assert caught.value.hint is not None


def test_up_on_a_partly_running_cluster_starts_only_the_nodes_that_are_down(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With nodes 1 and 3 running, `up` (no shape given) starts node 2 alone, unformatted."""
    _recorded_cluster(tmp_path, port=free_port_block(6))  # below the ephemeral range
    cluster = LocalCluster(tmp_path)
    running = {0: 111, 2: 333}
    started: list[int] = []
    monkeypatch.setattr(cluster, "_pid", running.get)
    monkeypatch.setattr(local, "resolve_runtime", lambda: None)
    monkeypatch.setattr(cluster, "_start_node", lambda _rt, index: started.append(index))
    monkeypatch.setattr(cluster, "_wait_ready", lambda *_a, **_k: None)
    monkeypatch.setattr(cluster, "_format", lambda *_a, **_k: pytest.fail("reformatted"))
    before = _snapshot(tmp_path)
    assert cluster.status().state == "partial"
    cluster.up()
    assert started == [1]
    assert _snapshot(tmp_path) == before


def test_new_cluster_folder_and_files_are_owner_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Under a loose umask, the data folder, node folders and files are 0700/0600."""
    runtime = jars.KafkaRuntime("java", tmp_path, resource_path("kafka"), "4.4.0")
    folder = tmp_path / "broker"
    cluster = LocalCluster(folder)
    monkeypatch.setattr(local, "resolve_runtime", lambda: runtime)
    monkeypatch.setattr(cluster, "_java_out", lambda _rt, _args: "some-uuid\n")
    monkeypatch.setattr(cluster, "_start_node", lambda _rt, _index: None)
    monkeypatch.setattr(cluster, "_wait_ready", lambda *_a, **_k: None)
    old = os.umask(0o022)
    try:
        cluster.up(port=0, brokers=3)
    finally:
        os.umask(old)
    for path in [folder, *folder.glob("node-*"), *folder.glob("node-*/data")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    for path in [folder / "cluster.json", *folder.glob("node-*/server.properties")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_stale_pid_of_another_process_is_not_the_broker(tmp_path: Path) -> None:
    """A pid file naming an unrelated live process reads as down, and `down` never signals it."""
    _recorded_cluster(tmp_path, brokers=1)
    (tmp_path / "node-1" / "broker.pid").write_text(str(os.getpid()))
    cluster = LocalCluster(tmp_path)
    assert cluster.status().state == "stopped"
    assert cluster.down() is False


def test_start_node_refuses_a_node_the_cluster_lacks(tmp_path: Path) -> None:
    """`start_node(4)` on a 3-node cluster says which nodes exist."""
    _recorded_cluster(tmp_path)
    with pytest.raises(SetupError, match="no node 4") as caught:
        LocalCluster(tmp_path).start_node(4)
    assert caught.value.hint == "Pick a node from 1 to 3."


def test_status_json_lists_every_node(tmp_path: Path) -> None:
    """The JSON status names the state and each node's ports and liveness."""
    _recorded_cluster(tmp_path)
    view = LocalCluster(tmp_path).status().as_dict()
    assert view["state"] == "stopped"
    assert [n["node"] for n in view["nodes"]] == [1, 2, 3]
    assert view["nodes"][1]["port"] == 39094
    assert json.loads(json.dumps(view)) == view


def test_up_tightens_folders_of_an_older_cluster(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`up` on a recorded cluster laid out 0755 leaves its data and node folders 0700."""
    folder = tmp_path / "broker"
    folder.mkdir()
    _recorded_cluster(folder)
    for path in [folder, *folder.glob("node-*")]:
        path.chmod(0o755)
    cluster = LocalCluster(folder)
    monkeypatch.setattr(cluster, "_pid", lambda index: 100 + index)
    cluster.up()
    for path in [folder, *folder.glob("node-*")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path


def test_a_partly_running_local_cluster_is_still_the_bootstrap(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With one node of three down, commands still find the local cluster's bootstrap."""
    spec = _recorded_cluster(tmp_path / "broker")
    monkeypatch.setattr(LocalCluster, "_pid", lambda _self, index: None if index == 1 else 7)
    settings = Settings(data_dir=tmp_path, bootstrap_servers=None)
    assert resolve_bootstrap(settings) == spec.bootstrap


def test_kafka_heap_opts_sets_the_brokers_heap_and_only_the_brokers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """KAFKA_HEAP_OPTS replaces the broker's default heap flags; the storage tool keeps them."""
    runtime = jars.KafkaRuntime("java", tmp_path, resource_path("kafka"), "4.4.0")
    cluster = LocalCluster(tmp_path / "c")
    monkeypatch.delenv("KAFKA_HEAP_OPTS", raising=False)
    assert cluster._java_cmd(runtime, ["x"], broker=True)[1:3] == ["-Xms256m", "-Xmx1g"]
    monkeypatch.setenv("KAFKA_HEAP_OPTS", "-Xms1g -Xmx1g -XX:+AlwaysPreTouch")
    broker = cluster._java_cmd(runtime, ["x"], broker=True)
    assert broker[1:4] == ["-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"]
    assert "-Xms256m" not in broker
    assert cluster._java_cmd(runtime, ["x"])[1:3] == ["-Xms256m", "-Xmx1g"]
