"""A secured broker (``broker up --secure``): every client authenticated, every topic authorized.

One module-scoped secured cluster with a small topology: two organizations, two countries,
two posts each. Every refusal comes from the real broker's StandardAuthorizer.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from confluent_kafka import Consumer as RdConsumer
from pydantic import SecretStr
from typer.testing import CliRunner

from gateway.broker import LocalCluster
from gateway.broker.secure import ADMIN, CredentialStore
from gateway.cli import app as frontline
from gateway.errors import SetupError
from gateway.kafka.access import plan_access
from gateway.kafka.access_admin import apply_access
from gateway.kafka.authz import (
    AccessDeniedError,
    AuthenticationRefusedError,
    check_topics,
    refusals,
)
from gateway.kafka.clients import make_consumer, make_producer
from gateway.kafka.credentials import principal_settings
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.settings import SecurityProtocol, Settings
from gateway.topology import Topology, parse_topology

pytestmark = pytest.mark.integration

TOPOLOGY = """
version = 1
[[organizations]]
code = "INTERPOL"
name = "International Criminal Police Organization"
kind = "global"
[[organizations]]
code = "EUROPOL"
name = "European Union Agency for Law Enforcement Cooperation"
kind = "regional"
[[countries]]
code = "FRA"
name = "France"
  [[countries.posts]]
  id = "CDG"
  name = "Paris Charles de Gaulle Airport"
  type = "AIRPORT"
  [[countries.posts]]
  id = "ORY"
  name = "Paris Orly Airport"
  type = "AIRPORT"
[[countries]]
code = "DEU"
name = "Germany"
  [[countries.posts]]
  id = "FRA"
  name = "Frankfurt Airport"
  type = "AIRPORT"
"""
PREFIX = "sec."


class Secured:
    """The running secured cluster, its topology, and settings per principal."""

    def __init__(self, folder: Path, topology: Topology) -> None:
        self.folder = folder
        self.topology = topology
        self.base = Settings(topic_prefix=PREFIX, partitions=1)

    def as_(self, principal: str) -> Settings:
        return principal_settings(self.base, self.folder, principal)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    """A secured one-node cluster with the test topology's topics, users and ACLs."""
    folder = tmp_path_factory.mktemp("secure") / "broker"
    cluster = LocalCluster(folder)
    cluster.up(port=0, secure=True)
    try:
        env = Secured(folder, parse_topology(TOPOLOGY))
        admin = env.as_(ADMIN)
        asyncio.run(apply_topics(plan_topics(env.topology, admin), admin))
        results = apply_access(
            plan_access(env.topology, PREFIX), admin, CredentialStore(folder / "credentials")
        )
        assert all(r.error is None for r in results)
        yield env
    finally:
        cluster.down()


async def _settle() -> None:
    """Let TLS shutdowns of connections aiokafka closed without waiting (a refused login closes
    its connection inside ``connect``) finish before ``asyncio.run`` closes the loop: a socket
    left open then is reported by gc in whichever later test collects it."""
    await asyncio.sleep(0.2)


async def _produce(settings: Settings, topic: str, *, transactional_id: str | None = None) -> None:
    producer = make_producer(settings, transactional_id=transactional_id, request_timeout_ms=10_000)
    try:
        async with refusals(settings, topic=topic, transactional_id=transactional_id):
            await producer.start()
            if transactional_id is None:
                await producer.send_and_wait(topic, b"payload", key=b"k")
            else:
                async with producer.transaction():
                    await producer.send_and_wait(topic, b"payload", key=b"k")
    finally:
        await producer.stop()
        await _settle()


async def _read(settings: Settings, topic: str, *, group: str | None = None) -> int:
    """Records read from ``topic`` (from the start), after an up-front authorization check."""
    await check_topics(settings, [topic], doing="read")
    consumer = make_consumer(settings, group_id=group, auto_offset_reset="earliest")
    try:
        async with refusals(settings, topic=topic, group=group):
            await consumer.start()
            if group is None:
                consumer.assign([TopicPartition(topic, 0)])
            else:
                consumer.subscribe([topic])
            batch = await consumer.getmany(timeout_ms=5000)
            return sum(len(v) for v in batch.values())
    finally:
        await consumer.stop()
        await _settle()


def test_files_are_private_and_admin_password_generated(secured: Secured) -> None:
    """Keys, stores and credentials are 0600 in 0700 folders, and each password is unique."""
    for folder in (secured.folder / "security", secured.folder / "credentials"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for path in folder.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    store = CredentialStore(secured.folder / "credentials")
    passwords = [store.get(n).password for n in store.names()]  # type: ignore[union-attr]
    assert len(passwords) == len(set(passwords)) > 5
    assert all(len(p) >= 40 for p in passwords)


def test_unauthenticated_client_is_refused(secured: Secured) -> None:
    """A PLAINTEXT client gets no access: a clear AuthenticationRefusedError."""
    plain = secured.base.model_copy(
        update={"bootstrap_servers": secured.as_(ADMIN).bootstrap_servers}
    )
    with pytest.raises(AuthenticationRefusedError, match="closed an unauthenticated"):
        asyncio.run(_produce(plain, f"{PREFIX}ingress.interpol"))


def test_wrong_password_is_refused(secured: Secured) -> None:
    """A known user with a wrong password fails the SASL login, naming the principal."""
    wrong = secured.as_("hub").model_copy(update={"sasl_password": SecretStr("not-the-password")})
    with pytest.raises(AuthenticationRefusedError, match="User:hub"):
        asyncio.run(_produce(wrong, f"{PREFIX}audit"))


def test_connector_writes_only_its_own_ingress(secured: Secured) -> None:
    """connector-interpol writes its ingress and quarantine, never Europol's ingress."""
    interpol = secured.as_("connector-interpol")
    asyncio.run(_produce(interpol, f"{PREFIX}ingress.interpol"))
    asyncio.run(_produce(interpol, f"{PREFIX}quarantine"))
    with pytest.raises(AccessDeniedError) as refused:
        asyncio.run(_produce(interpol, f"{PREFIX}ingress.europol"))
    assert "User:connector-interpol" in str(refused.value)
    assert f"{PREFIX}ingress.europol" in str(refused.value)


def test_post_reads_only_its_own_feed(secured: Secured) -> None:
    """post-FRA.CDG reads its feed, in its own group too; another post's feed is refused."""
    asyncio.run(_produce(secured.as_("node-FRA"), f"{PREFIX}post.FRA.CDG"))
    cdg = secured.as_("post-FRA.CDG")
    assert asyncio.run(_read(cdg, f"{PREFIX}post.FRA.CDG")) >= 1
    assert asyncio.run(_read(cdg, f"{PREFIX}post.FRA.CDG", group=f"{PREFIX}post.FRA.CDG")) >= 1
    with pytest.raises(AccessDeniedError, match=r"User:post-FRA\.CDG .*sec\.post\.FRA\.ORY"):
        asyncio.run(_read(cdg, f"{PREFIX}post.FRA.ORY"))
    with pytest.raises(AccessDeniedError, match=r"group 'sec\.hub'"):
        asyncio.run(_read(cdg, f"{PREFIX}post.FRA.CDG", group=f"{PREFIX}hub"))


def test_node_reads_only_its_country(secured: Secured) -> None:
    """node-FRA reads ncb.FRA and writes FRA's feeds; ncb.DEU and DEU's feeds are refused."""
    asyncio.run(_produce(secured.as_("hub"), f"{PREFIX}ncb.FRA"))
    node = secured.as_("node-FRA")
    assert asyncio.run(_read(node, f"{PREFIX}ncb.FRA")) >= 1
    with pytest.raises(AccessDeniedError, match=r"User:node-FRA .*sec\.ncb\.DEU"):
        asyncio.run(_read(node, f"{PREFIX}ncb.DEU"))
    with pytest.raises(AccessDeniedError, match=r"sec\.post\.DEU\.FRA"):
        asyncio.run(_produce(node, f"{PREFIX}post.DEU.FRA"))


@pytest.mark.parametrize("principal", ["node-FRA", "connector-interpol", "operator"])
def test_hub_transactional_ids_are_the_hub_s(secured: Secured, principal: str) -> None:
    """Only the hub may use transactional ids under ``<prefix>hub-``."""
    txn = f"{PREFIX}hub-{PREFIX}ingress.interpol-0"
    with pytest.raises(AccessDeniedError, match=rf"User:{principal} .*transactional id"):
        asyncio.run(_produce(secured.as_(principal), f"{PREFIX}quarantine", transactional_id=txn))


def test_hub_and_node_transactions_work(secured: Secured) -> None:
    """The hub writes a national topic, and a node a feed, in their own transactions."""
    hub_txn = f"{PREFIX}hub-{PREFIX}ingress.interpol-0"
    asyncio.run(_produce(secured.as_("hub"), f"{PREFIX}ncb.DEU", transactional_id=hub_txn))
    node_txn = f"{PREFIX}node-{PREFIX}ncb.FRA-0"
    asyncio.run(
        _produce(secured.as_("node-FRA"), f"{PREFIX}post.FRA.ORY", transactional_id=node_txn)
    )


def test_operator_reads_audit_and_writes_decisions(secured: Secured) -> None:
    """The operator reads audit and writes review decisions, but cannot read a national topic."""
    operator = secured.as_("operator")
    asyncio.run(_read(operator, f"{PREFIX}audit"))
    asyncio.run(_produce(operator, f"{PREFIX}review.decisions"))
    with pytest.raises(AccessDeniedError, match="User:operator"):
        asyncio.run(_read(operator, f"{PREFIX}ncb.FRA"))


def test_properties_work_for_another_kafka_client(secured: Secured) -> None:
    """`access credentials --format properties` is enough for librdkafka to read the feed."""
    runner = CliRunner()
    env = {"FRONTLINE_TOPIC_PREFIX": PREFIX}
    args = ["access", "credentials", "post-FRA.CDG", "--data-dir", str(secured.folder)]
    done = runner.invoke(frontline, args, env=env)
    assert done.exit_code == 0, done.output
    config = dict(
        line.split("=", 1) for line in done.output.splitlines() if line and line[0] != "#"
    )
    assert config["security.protocol"] == "SASL_SSL"
    consumer = RdConsumer(
        config | {"group.id": f"{PREFIX}post.FRA.CDG", "auto.offset.reset": "earliest"}
    )
    try:
        consumer.subscribe([f"{PREFIX}post.FRA.CDG"])
        message = None
        for _ in range(30):
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                break
        assert message is not None
        assert message.error() is None
    finally:
        consumer.close()
    env_out = runner.invoke(frontline, [*args, "--format", "env"], env=env)
    assert "export FRONTLINE_SASL_USERNAME=post-FRA.CDG" in env_out.output


def test_access_apply_twice_is_no_drift(secured: Secured) -> None:
    """`access apply` on an applied cluster creates nothing and reports no drift."""
    topology = secured.folder.parent / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    args = ["access", "apply", "--data-dir", str(secured.folder), "--topology", str(topology)]
    env = {"FRONTLINE_TOPIC_PREFIX": PREFIX}
    done = CliRunner().invoke(frontline, [*args, "--json"], env=env)
    assert done.exit_code == 0, done.output
    counts = json.loads(done.output)["counts"]
    assert counts == {
        "principals": 2 + 1 + 2 + 3 + 1,
        "users_created": 0, "users_to_create": 0, "acls_created": 0, "acls_to_create": 0,
        "drift": 0, "failed": 0,
    }  # fmt: skip


def test_bad_ca_file_is_a_setup_error(secured: Secured, tmp_path: Path) -> None:
    """A CA file that is not PEM stops the client with a SetupError naming the setting."""
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    broken = secured.as_("hub").model_copy(update={"ssl_cafile": bad})
    with pytest.raises(SetupError, match="FRONTLINE_SSL_CAFILE"):
        asyncio.run(_produce(broken, f"{PREFIX}audit"))


def test_restart_keeps_secure_mode(secured: Secured) -> None:
    """`broker up` on a recorded secured cluster keeps it secured; plaintext is refused."""
    cluster = LocalCluster(secured.folder)
    spec = cluster.up()
    assert spec.secure
    assert cluster.status().secure
    with pytest.raises(SetupError, match="secured"):
        cluster.up(secure=False)
    assert os.access(cluster.security.ca_file, os.R_OK)
    assert secured.as_(ADMIN).security_protocol is SecurityProtocol.SASL_SSL
