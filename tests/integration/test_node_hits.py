"""The national node and its posts' hits on the real broker: auto-confirm, the bureau's
decisions, FALSE_MATCH offers, acknowledgements, incoming hits and a restart mid-flow."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from gateway.contract.enums import Org
from gateway.contract.messages import HitAck, HitOutcome
from gateway.errors import ConfigError
from gateway.kafka.topic_names import TopicNames
from gateway.node.bureau import decide_hit, incoming_hits, list_hits
from gateway.node.hits import HitStatus
from tests.support.kafka import read_all
from tests.support.node import hit, node_settings, running_node, send, send_message

pytestmark = pytest.mark.integration


def _kinds(records: list[object]) -> Counter[tuple[str, str]]:
    """(key, fl-msg) of each record."""
    return Counter(
        (r.key.decode(), dict(r.headers).get("fl-msg", b"").decode())  # type: ignore[attr-defined]
        for r in records
    )


async def test_auto_confirmed_hit_reaches_the_hub_inbox_once(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """With --auto-confirm a hit on fl.up.FRA lands once on fl.hub.inbox, re-sends ignored."""
    settings = await node_settings(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    report = hit("H-1")
    async with running_node(settings, auto_confirm=True):
        await send_message(settings, names.up("FRA"), "H-1", report)
        await send_message(settings, names.up("FRA"), "H-1", report)  # the post re-sends it
        inbox = await read_all(bootstrap, names.hub_inbox, 1, quiet_s=1.5)
    assert _kinds(inbox) == Counter({("H-1", "hit"): 1})
    assert orjson.loads(inbox[0].value)["hit_id"] == "H-1"
    book = await list_hits(settings, "FRA")
    entry = book.get("H-1")
    assert entry is not None
    assert entry.status is HitStatus.CONFIRMED
    assert entry.decision is not None
    assert entry.decision.decided_by == "auto-confirm"


async def test_bureau_confirms_or_dismisses_with_a_reason(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Without auto-confirm hits wait; dismiss needs a reason and forwards nothing; confirm once."""
    settings = await node_settings(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    async with running_node(settings):
        await send_message(settings, names.up("FRA"), "H-1", hit("H-1"))
        await send_message(settings, names.up("FRA"), "H-2", hit("H-2", HitOutcome.DETAINED))
        await read_all(bootstrap, names.up("FRA"), 2, quiet_s=0.5)
        pending = (await list_hits(settings, "FRA")).pending()
        assert [e.report.hit_id for e in pending] == ["H-1", "H-2"]
        with pytest.raises(ConfigError, match="reason"):
            await decide_hit(settings, "FRA", "H-2", confirm=False, reason="  ", by="duty")
        await decide_hit(settings, "FRA", "H-2", confirm=False, reason="wrong person", by="duty")
        await decide_hit(settings, "FRA", "H-1", confirm=True, reason=None, by="duty")
        with pytest.raises(ConfigError, match="already CONFIRMED"):
            await decide_hit(settings, "FRA", "H-1", confirm=True, reason=None, by="duty")
        inbox = await read_all(bootstrap, names.hub_inbox, 1, quiet_s=1.5)
    assert _kinds(inbox) == Counter({("H-1", "hit"): 1})
    book = await list_hits(settings, "FRA")
    assert [book.get(h).status for h in ("H-1", "H-2")] == [  # type: ignore[union-attr]
        HitStatus.CONFIRMED,
        HitStatus.DISMISSED,
    ]


async def test_false_match_goes_to_the_other_posts_only(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A FALSE_MATCH from CDG is offered to FRLEH and MENTON, not CDG nor the hub."""
    settings = await node_settings(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    report = hit("H-9", HitOutcome.FALSE_MATCH, subject_key="s" * 64)
    async with running_node(settings, auto_confirm=True):
        await send_message(settings, names.up("FRA"), "H-9", report)
        key = f"fm:INTERPOL:N-1:{'s' * 64}"
        for post in ("FRLEH", "MENTON"):
            got = await read_all(bootstrap, names.post("FRA", post), 1, quiet_s=0.5)
            assert _kinds(got) == Counter({(key, "false-match"): 1})
        assert await read_all(bootstrap, names.post("FRA", "CDG"), quiet_s=0.5) == []
        assert await read_all(bootstrap, names.hub_inbox, quiet_s=0.5) == []


async def test_ack_reaches_the_reporting_post_and_incoming_hits_stay(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A hit-ack on ncb.FRA goes to MENTON's feed (ack:<id>); an incoming hit is not routed."""
    settings = await node_settings(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    ack = HitAck(
        hit_id="H-5", alert_id="INTERPOL:N-1", org=Org.INTERPOL, instructions="hold him",
        acked_at=datetime.now(UTC), acked_by="interpol-duty",
    )  # fmt: skip
    foreign = hit("H-DE-1", post="CDG").model_copy(update={"country": "DEU"})
    async with running_node(settings, auto_confirm=True):
        await send_message(settings, names.up("FRA"), "H-5", hit("H-5", post="MENTON"))
        await read_all(bootstrap, names.hub_inbox, 1, quiet_s=0.5)
        await send_message(settings, names.ncb("FRA"), "hit:H-DE-1", foreign)
        await send_message(settings, names.ncb("FRA"), "ack:H-5", ack)
        await send(settings, names.ncb("FRA"), b"x:1", b"{}", [("fl-msg", b"nonsense")])
        menton = await read_all(bootstrap, names.post("FRA", "MENTON"), 1, quiet_s=1.0)
        quarantine = await read_all(bootstrap, names.quarantine, 1, quiet_s=0.5)
    assert _kinds(menton) == Counter({("ack:H-5", "hit-ack"): 1})
    assert orjson.loads(menton[0].value)["instructions"] == "hold him"
    assert await read_all(bootstrap, names.post("FRA", "CDG"), quiet_s=0.3) == []
    assert len(quarantine) == 1
    assert b"unknown_message" in b"".join(v for _, v in quarantine[0].headers)
    assert [r.hit_id for r in await incoming_hits(settings, "FRA")] == ["H-DE-1"]


async def test_restarted_node_forwards_each_hit_once(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A hit pending across a restart is forwarded once when confirmed; a forwarded one never."""
    settings = await node_settings(bootstrap, prefix, tmp_path)
    names = TopicNames(prefix)
    async with running_node(settings, auto_confirm=True):
        await send_message(settings, names.up("FRA"), "H-1", hit("H-1"))
        await read_all(bootstrap, names.hub_inbox, 1, quiet_s=0.3)
    async with running_node(settings):  # manual now: H-2 waits
        await send_message(settings, names.up("FRA"), "H-2", hit("H-2"))
        await read_all(bootstrap, names.up("FRA"), 3, quiet_s=0.3)
    await decide_hit(settings, "FRA", "H-2", confirm=True, reason=None, by="duty")
    async with running_node(settings, auto_confirm=True):  # restarts, reads back, decides H-2
        inbox = await read_all(bootstrap, names.hub_inbox, 2, quiet_s=1.5)
    assert _kinds(inbox) == Counter({("H-1", "hit"): 1, ("H-2", "hit"): 1})
