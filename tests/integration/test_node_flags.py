"""Flags by the receiving country on the real broker: re-delivered flagged, unflag clears it."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from gateway.contract.messages import FlagAction
from gateway.kafka.headers import H, headers_to_dict
from gateway.kafka.topic_names import TopicNames
from gateway.node.bureau import publish_flag
from tests.support.kafka import read_all
from tests.support.node import node_settings, running_node, send_alert

pytestmark = pytest.mark.integration


async def test_flag_redelivers_flagged_and_unflag_clears(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A flag re-delivers the alert to its posts with fl-flag-* headers, tells the hub; unflag
    re-delivers it without them, and a new version while flagged arrives flagged."""
    settings = await node_settings(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    feed = names.post("FRA", "CDG")
    async with running_node(settings):
        await send_alert(settings, "INTERPOL:N-1")
        first = await read_all(bootstrap, feed, 1, quiet_s=0.5)
        await publish_flag(
            settings, "FRA", "INTERPOL:N-1", flagged=True, reason="no arrest here",
            action=FlagAction.INFORM, by="duty",
        )  # fmt: skip
        flagged = await read_all(bootstrap, feed, 2, quiet_s=0.5)
        await send_alert(settings, "INTERPOL:N-1", version=2)
        newer = await read_all(bootstrap, feed, 3, quiet_s=0.5)
        await publish_flag(
            settings, "FRA", "INTERPOL:N-1", flagged=False, reason=None,
            action=FlagAction.INFORM, by="duty",
        )  # fmt: skip
        cleared = await read_all(bootstrap, feed, 4, quiet_s=0.5)
        menton = await read_all(bootstrap, names.post("FRA", "MENTON"), 4, quiet_s=0.5)
        inbox = await read_all(bootstrap, names.hub_inbox, 2, quiet_s=0.5)
    assert H.FLAG_COUNTRY not in headers_to_dict(first[0].headers)
    last = headers_to_dict(flagged[-1].headers)
    assert (last[H.FLAG_COUNTRY], last[H.FLAG_ACTION], last[H.FLAG_REASON]) == (
        "FRA", "INFORM", "no arrest here",
    )  # fmt: skip
    assert flagged[-1].value == first[0].value  # the payload is the alert's, unchanged
    v2 = headers_to_dict(newer[-1].headers)
    assert (v2[H.VERSION], v2[H.FLAG_ACTION]) == ("2", "INFORM")
    assert (
        not {H.FLAG_COUNTRY, H.FLAG_ACTION, H.FLAG_REASON}
        & headers_to_dict(cleared[-1].headers).keys()
    )
    assert len(menton) == 4  # the other intended post gets the same sequence
    flags = [orjson.loads(r.value) for r in inbox]
    assert [(f["alert_id"], f["flagged"]) for f in flags] == [
        ("INTERPOL:N-1", True), ("INTERPOL:N-1", False),
    ]  # fmt: skip
    assert {r.key for r in inbox} == {b"flag:INTERPOL:N-1:FRA"}
