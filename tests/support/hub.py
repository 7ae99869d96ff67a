"""A hub for the integration tests: a seven-country topology, its topics, a running hub, and a
mixed stream of alerts with what each national topic must hold after it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.contract.codec import decode_dict
from gateway.hub.policy.decide import load_policy
from gateway.hub.route import Inbound, route
from gateway.hub.service import HubService, hub_topics
from gateway.hub.state import StateStore
from gateway.kafka.eos import Fanout, Output
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from gateway.topology import parse_topology
from tests.support.alerts import make_alert
from tests.support.kafka import read_all
from tests.support.paths import ROOT

__all__ = [
    "ALERTS",
    "COUNTRIES",
    "SAMPLE",
    "TOPOLOGY",
    "Harness",
    "alert_stream",
    "by_alert",
    "create_hub_topics",
    "expected_by_country",
    "flat_outputs",
    "start_hub",
    "stop_hub",
]

SAMPLE = ROOT / "connectors" / "samples" / "interpol.json"
"""INTERPOL's shipped connector sample."""

COUNTRIES = ("FRA", "DEU", "ESP", "COL", "NGA", "USA", "SYR")
"""The countries of ``TOPOLOGY``."""

TOPOLOGY = """version = 1
[[organizations]]
code = "INTERPOL"
name = "International Criminal Police Organization"
kind = "global"
[[organizations]]
code = "EUROPOL"
name = "European Union Agency for Law Enforcement Cooperation"
kind = "regional"
""" + "".join(f'[[countries]]\ncode = "{c}"\nname = "{c}"\n' for c in COUNTRIES)
"""Two organizations (INTERPOL, EUROPOL) and the seven ``COUNTRIES``, as topology TOML."""


async def create_hub_topics(settings: Settings, topology_text: str) -> None:
    """Create every topic the hub needs under the settings' prefix (2 ingress partitions)."""
    names = TopicNames(settings.topic_prefix)
    wanted = hub_topics(parse_topology(topology_text), names)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        new = [NewTopic(t, 2, 1) for t in wanted["ingress"]]
        new += [NewTopic(t, 1, 1) for t in wanted["ncb"] + wanted["internal"]]
        await admin.create_topics(new)
    finally:
        await admin.close()


@dataclass
class Harness:
    """A running hub under a fresh prefix, and helpers to feed and read it."""

    settings: Settings
    bootstrap: str
    service: HubService
    task: asyncio.Task[None]
    names: TopicNames

    async def produce(self, org: str, *values: bytes) -> None:
        """Publish encoded alerts on an organization's ingress topic, keyed by alert id."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await producer.start()
        try:
            for value in values:
                key = decode_dict(value)[1]["envelope"]["alert_id"].encode()
                await producer.send(self.names.ingress(org), value, key=key)
            await producer.flush()
        finally:
            await producer.stop()

    async def ncb(self, country: str, expect: int = 0, **kw: Any) -> list[Any]:
        """A national topic's records (``read_all``: ``expect`` counts every alert's records)."""
        return await read_all(self.bootstrap, self.names.ncb(country), expect, **kw)


async def start_hub(settings: Settings, bootstrap: str) -> Harness:
    """Run a hub in this event loop until it owns its partitions (its start-up error otherwise)."""
    service = HubService(settings, hub_id="test-hub")
    task = asyncio.create_task(service.run())
    waiter = asyncio.create_task(service.engine.ready.wait())
    done, _ = await asyncio.wait({task, waiter}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        task.result()  # raises the hub's start-up error
    assert waiter in done, "hub did not get its partitions within 30 s"
    return Harness(settings, bootstrap, service, task, TopicNames(settings.topic_prefix))


async def stop_hub(h: Harness) -> None:
    """Stop the hub and wait for it to finish its open transactions; the hub's own error is
    raised, and a CancelledError that escaped it (nobody cancels it here) is named as such,
    with the hub's traceback, rather than passing for the test's own cancellation."""
    h.service.stop()
    done, _ = await asyncio.wait({h.task}, timeout=30)
    assert done, "the hub did not return within 30 s of stop()"
    if h.task.cancelled():
        try:
            h.task.result()
        except asyncio.CancelledError as error:
            raise AssertionError("a CancelledError escaped the hub's run()") from error
    h.task.result()


def by_alert(records: list[Any]) -> dict[str, list[Any]]:
    """Records grouped by alert id (the key), in the order read."""
    by_id: dict[str, list[Any]] = {}
    for r in records:
        by_id.setdefault(r.key.decode(), []).append(r)
    return by_id


ALERTS = 900
"""How many alerts ``alert_stream`` issues (a quarter get a narrowing update)."""


def alert_stream() -> list[tuple[str, bytes]]:
    """(org, value) in publish order: first issues with varied reach, then narrowing updates."""
    out: list[tuple[str, bytes]] = []
    shapes: list[dict[str, Any]] = [
        {"tlp": "GREEN"},
        {"tlp": "AMBER"},
        {"tlp": "RED", "release_to_countries": ["FRA", "COL"]},
        {"tlp": "GREEN", "deny_countries": ["USA"]},
    ]
    for i in range(ALERTS):
        org = "INTERPOL" if i % 3 else "EUROPOL"
        out.append((org, make_alert(f"{org}:K-{i}", 1, **shapes[i % len(shapes)])))
        if i % 4 == 0:
            out.append((org, make_alert(f"{org}:K-{i}", 2, deny_countries=["FRA", "DEU"])))
    return out


def expected_by_country(
    stream: list[tuple[str, bytes]],
) -> dict[str, Counter[tuple[str, str, bool]]]:
    """What each national topic must hold, by the hub's own pure decisions in publish order."""
    store, policy = StateStore("expected"), load_policy()
    candidates = frozenset(COUNTRIES)
    want: dict[str, Counter[tuple[str, str, bool]]] = {c: Counter() for c in COUNTRIES}
    for offset, (org, value) in enumerate(stream):
        owner = (org, 0)
        effects = route(Inbound(org, owner, offset, value), store, policy, 0, candidates=candidates)
        version = str(decode_dict(value)[1]["envelope"]["version"])
        for country in effects.deliveries:
            want[country][(effects.alert_id or "", version, False)] += 1
        for country in effects.tombstones:
            want[country][(effects.alert_id or "", version, True)] += 1
        if effects.state is not None:
            store.stage(owner, effects.state)
            store.commit(owner)
    return want


def flat_outputs(outputs: Sequence[Output | Fanout]) -> list[Output]:
    """A processor's outputs with every fan-out spread into one record per topic."""
    flat: list[Output] = []
    for out in outputs:
        if isinstance(out, Fanout):
            flat.extend(Output(t, out.key, out.value, list(out.headers)) for t in out.topics)
        else:
            flat.append(out)
    return flat
