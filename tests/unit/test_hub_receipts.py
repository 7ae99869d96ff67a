"""Receipt summaries at the hub: kept per alert and country, audited, summed per version for
`audit show`, and alert versions not at every intended post after a while counted (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition

from gateway.contract.messages import ReceiptSummary, encode_message
from gateway.errors import ConfigError
from gateway.hub.policy.decide import load_policy
from gateway.hub.receipts import coverage, stale_after_s, stale_versions
from gateway.hub.service import HubProcessor
from gateway.hub.state import StateStore
from gateway.kafka.topic_names import TopicNames
from gateway.topology import load_topology
from tests.support.alerts import make_alert

NAMES = TopicNames("fl.")
INTERPOL = TopicPartition(NAMES.ingress("INTERPOL"), 0)
INBOX = TopicPartition(NAMES.hub_inbox, 0)
ALERT = "INTERPOL:RC-1"
AT = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


def _processor() -> HubProcessor:
    return HubProcessor(
        policy=load_policy(), topology=load_topology(), names=NAMES,
        store=StateStore(NAMES.hub_state),
    )  # fmt: skip


def _run(p: HubProcessor, tp: TopicPartition, value: bytes, headers: Any = ()) -> list[Any]:
    out = list(p.process(tp, [SimpleNamespace(offset=0, value=value, headers=list(headers),
                                              timestamp=1, key=None)]))  # fmt: skip
    p.committed(tp)
    return out


def _send(p: HubProcessor, country: str, received: int, intended: int = 3) -> list[Any]:
    message = ReceiptSummary(
        alert_id=ALERT, version=1, country=country, intended=intended, received=received,
        last_at=AT,
    )  # fmt: skip
    value, headers = encode_message(message)
    return _run(p, INBOX, value, headers)


def _audits(outputs: list[Any]) -> list[dict[str, Any]]:
    return [orjson.loads(o.value) for o in outputs if getattr(o, "topic", "") == NAMES.audit]


def test_summaries_are_audited_and_summed_per_version() -> None:
    """Each summary is audited RECEIPTS; coverage sums the countries' latest summaries."""
    p = _processor()
    routed = _run(p, INTERPOL, make_alert(ALERT))
    history = _audits(routed)
    entry = p.store.committed(ALERT)
    assert entry is not None
    countries = sorted(entry.recipients)
    for country in countries[:2]:
        history += _audits(_send(p, country, received=1))
    history += _audits(_send(p, countries[0], received=3))  # a later summary replaces it
    assert [a["action"] for a in history[1:]] == ["RECEIPTS"] * 3
    [cov] = coverage(history)
    assert cov.version == 1
    assert cov.countries == tuple(countries)
    assert (cov.reporting, cov.received, cov.intended) == (2, 4, 6)
    assert cov.last_at_ms == int(AT.timestamp() * 1000)
    assert not cov.complete


def test_versions_not_at_every_post_after_the_stale_time_are_counted() -> None:
    """A delivered version is stale once older than the limit until every country reports
    every intended post; a fresh one is not counted."""
    p = _processor()
    _run(p, INTERPOL, make_alert(ALERT))
    entry = p.store.committed(ALERT)
    assert entry is not None
    assert entry.delivered_at_ms is not None
    later = entry.delivered_at_ms + 301_000
    assert stale_versions(p.store.entries(), p.side, entry.delivered_at_ms + 1, 300_000) == []
    assert stale_versions(p.store.entries(), p.side, later, 300_000) == [(ALERT, 1)]
    for country in sorted(entry.recipients):
        _send(p, country, received=2, intended=2)
    assert stale_versions(p.store.entries(), p.side, later, 300_000) == []


def test_summary_of_an_unknown_alert_is_quarantined() -> None:
    """A receipt summary naming an alert the hub never routed goes to quarantine."""
    p = _processor()
    out = _send(p, "FRA", received=1)
    assert [o.topic for o in out if o.topic == NAMES.quarantine] == [NAMES.quarantine]


def test_stale_time_comes_from_the_environment() -> None:
    """FRONTLINE_STALE_FRONTLINE_S sets the limit (default 300 s); a bad value is refused."""
    assert stale_after_s({}) == 300.0
    assert stale_after_s({"FRONTLINE_STALE_FRONTLINE_S": "60"}) == 60.0
    with pytest.raises(ConfigError):
        stale_after_s({"FRONTLINE_STALE_FRONTLINE_S": "soon"})


def test_only_complete_or_first_incomplete_summaries_are_audited() -> None:
    """A country's later incomplete summary and a repeated complete one write no RECEIPTS audit,
    but the kept summary still follows them (issue 14, receipts cost)."""
    p = _processor()
    _run(p, INTERPOL, make_alert(ALERT))
    entry = p.store.committed(ALERT)
    assert entry is not None
    country = sorted(entry.recipients)[0]
    counts = [len(_audits(_send(p, country, received=r))) for r in (1, 2, 3, 3)]
    assert counts == [1, 0, 1, 0]
    kept = p.side.committed(f"rcpt:{ALERT}|{country}")
    assert kept is not None
    assert (kept["r"], kept["n"]) == (3, 3)
