"""Delivery receipts on the real broker: the node counts its intended posts and tells the hub."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from gateway.contract.messages import Receipt
from gateway.kafka.topic_names import TopicNames
from tests.support.kafka import read_all
from tests.support.node import node_settings, running_node, send_alert, send_message

pytestmark = pytest.mark.integration


def _receipt(post: str, version: int = 1) -> Receipt:
    return Receipt(
        alert_id="INTERPOL:N-1", version=version, country="FRA", post_id=post,
        at=datetime.now(UTC),
    )  # fmt: skip


async def test_one_summary_when_every_intended_post_holds_the_version(
    bootstrap: str, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Receipts of CDG and MENTON (the intended posts of a wanted person) give one summary, sent
    when the version is complete (intended=2, received=2), none for the first receipt alone
    nor for a repeated one."""
    monkeypatch.setenv("FRONTLINE_STALE_FRONTLINE_S", "300")  # an incomplete one waits 30 s
    settings = await node_settings(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    async with running_node(settings):
        await send_alert(settings, "INTERPOL:N-1")
        await read_all(bootstrap, names.post("FRA", "MENTON"), 1, quiet_s=0.3)
        await send_message(settings, names.up("FRA"), "INTERPOL:N-1:CDG", _receipt("CDG"))
        await read_all(bootstrap, names.up("FRA"), 1, quiet_s=2.0)  # a tick or two pass
        await send_message(settings, names.up("FRA"), "INTERPOL:N-1:MENTON", _receipt("MENTON"))
        await send_message(settings, names.up("FRA"), "INTERPOL:N-1:CDG", _receipt("CDG"))
        inbox = await read_all(bootstrap, names.hub_inbox, 1, quiet_s=2.5)
    summaries = [orjson.loads(r.value) for r in inbox]
    assert {r.key for r in inbox} == {b"rs:INTERPOL:N-1:FRA"}
    assert {dict(r.headers)["fl-msg"] for r in inbox} == {b"receipt-summary"}
    [last] = summaries
    assert (last["version"], last["removed"], last["intended"], last["received"]) == (
        1,
        False,
        2,
        2,
    )
    assert last["last_at"] is not None


async def test_an_incomplete_version_is_summarized_once_after_the_bound(
    bootstrap: str, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only CDG's receipt, one summary (received=1 of 2) comes once a quarter of
    FRONTLINE_STALE_FRONTLINE_S has passed, no more while it stays incomplete, and MENTON's
    receipt then gives the complete one."""
    monkeypatch.setenv("FRONTLINE_STALE_FRONTLINE_S", "4")  # an incomplete one waits 1 s
    settings = await node_settings(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    async with running_node(settings):
        await send_alert(settings, "INTERPOL:N-1")
        await read_all(bootstrap, names.post("FRA", "MENTON"), 1, quiet_s=0.3)
        await send_message(settings, names.up("FRA"), "INTERPOL:N-1:CDG", _receipt("CDG"))
        first = await read_all(bootstrap, names.hub_inbox, 1, quiet_s=3.5)
        await send_message(settings, names.up("FRA"), "INTERPOL:N-1:MENTON", _receipt("MENTON"))
        inbox = await read_all(bootstrap, names.hub_inbox, 2, quiet_s=2.0)
    assert len(first) == 1
    summaries = [orjson.loads(r.value) for r in inbox]
    assert [(s["intended"], s["received"]) for s in summaries] == [(2, 1), (2, 2)]
