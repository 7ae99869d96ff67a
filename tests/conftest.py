"""Fixtures shared by every test layer: the real broker for integration and e2e tests."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

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
def prefix(request: pytest.FixtureRequest) -> Iterator[str]:
    """A topic prefix no other test uses; the test's topics are deleted when it ends.

    Every partition keeps files open on the broker, so a suite that left its topics behind
    would run the shared broker out of file handles.
    """
    name = f"t{uuid.uuid4().hex[:10]}."
    yield name
    if "bootstrap" in request.fixturenames:
        asyncio.run(delete_topics(request.getfixturevalue("bootstrap"), name))


async def delete_topics(bootstrap: str, prefix: str) -> None:
    """Delete every topic whose name starts with ``prefix`` (best effort)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    try:
        await admin.start()
        doomed = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
    except KafkaError:
        pass  # cleanup must never fail a test that passed
    finally:
        await admin.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A per-test folder for local state (post stores, reports)."""
    return tmp_path
