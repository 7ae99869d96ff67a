"""Fixtures shared by every test layer: the real broker for integration and e2e tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.broker import LocalCluster


@pytest.fixture(scope="session")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Apache Kafka broker: FRONTLINE_BOOTSTRAP_SERVERS if set, else one started here."""
    existing = os.environ.get("FRONTLINE_BOOTSTRAP_SERVERS")
    if existing:
        yield existing
        return
    cluster = LocalCluster(tmp_path_factory.mktemp("kafka"))
    spec = cluster.up(port=0)
    try:
        yield spec.bootstrap
    finally:
        cluster.down()


@pytest.fixture
def prefix() -> str:
    """A topic prefix no other test uses, so tests can share one broker."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A per-test folder for local state (post stores, reports)."""
    return tmp_path
