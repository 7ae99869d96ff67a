"""Fixtures of the integration tests: a running hub on the real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.settings import Settings
from tests.support.hub import TOPOLOGY, Harness, create_hub_topics, start_hub, stop_hub


@pytest.fixture
async def hub(bootstrap: str, prefix: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """A hub with the seven-country topology of ``tests.support.hub``, running until the test
    ends (commits every 50 ms)."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology,
        commit_interval_ms=50,
    )  # fmt: skip
    await create_hub_topics(settings, TOPOLOGY)
    harness = await start_hub(settings, bootstrap)
    try:
        yield harness
    finally:
        await stop_hub(harness)
