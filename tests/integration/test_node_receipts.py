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


async def test_receipts_from_two_posts_give_received_two(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Receipts of CDG and MENTON (the intended posts of a wanted person) end in a summary with
    intended=2, received=2; a repeated receipt changes nothing."""
    settings = await node_settings(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    async with running_node(settings):
        await send_alert(settings, "INTERPOL:N-1")
        await read_all(bootstrap, names.post("FRA", "MENTON"), 1, quiet_s=0.3)
        await send_message(settings, names.up("FRA"), "INTERPOL:N-1:CDG", _receipt("CDG"))
        first = await read_all(bootstrap, names.hub_inbox, 1, quiet_s=0.3)
        await send_message(settings, names.up("FRA"), "INTERPOL:N-1:MENTON", _receipt("MENTON"))
        await send_message(settings, names.up("FRA"), "INTERPOL:N-1:CDG", _receipt("CDG"))
        inbox = await read_all(bootstrap, names.hub_inbox, len(first) + 1, quiet_s=2.5)
    summaries = [orjson.loads(r.value) for r in inbox]
    assert {r.key for r in inbox} == {b"rs:INTERPOL:N-1:FRA"}
    assert {dict(r.headers)["fl-msg"] for r in inbox} == {b"receipt-summary"}
    assert summaries[0]["received"] == 1
    last = summaries[-1]
    assert (last["version"], last["removed"], last["intended"], last["received"]) == (
        1,
        False,
        2,
        2,
    )
    assert last["last_at"] is not None
    assert len(summaries) == 2  # one per change of the count, not one per receipt
