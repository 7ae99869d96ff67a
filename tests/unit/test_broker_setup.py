"""Local broker set-up: clear errors for missing tools, ports, and config rendering."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gateway.broker import jars
from gateway.broker.local import LocalCluster
from gateway.broker.ports import free_port, port_in_use
from gateway.errors import SetupError


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
