"""Who each participant of an exercise connects as, and what it signs or verifies with.

Plaintext (the default) every participant shares the exercise's settings. Secured
(``frontline simulate --secure``), the exercise starts a secured local broker in its own
folder (``DATA_DIR/broker-secure``), creates the topics as the admin, applies the access
plan of its topology (``frontline access apply``) and hands each participant its own
principal's ``FRONTLINE_*`` settings from :mod:`gateway.kafka.credentials`: connectors
``connector-<org>``, the hub ``hub``, each national node ``node-<ISO3>``, each border post
``post-<ISO3>.<POST>``; the exercise reads the broker as ``admin`` and reviews as
``operator``. Signing (always when secured, ``--sign`` in plaintext) makes a throw-away
key set in the report folder: each connector signs with its organization's key, and the
hub, the nodes and the posts verify with the trust file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from gateway.broker import LocalCluster
from gateway.broker.secure import ADMIN, CredentialStore
from gateway.contract.trust import demo_key_path, generate_demo_keys
from gateway.errors import SetupError
from gateway.kafka.access import (
    HUB,
    OPERATOR,
    connector_principal,
    node_principal,
    plan_access,
    post_principal,
)
from gateway.kafka.access_admin import apply_access
from gateway.kafka.credentials import env_of, principal_settings
from gateway.settings import Settings
from gateway.simulate.processes import Component
from gateway.simulate.scenario import write_topology
from gateway.topology import Topology

__all__ = ["Network", "child_env", "pipeline", "secure_broker"]

SECURE_FOLDER = "broker-secure"


def secure_broker(data_dir: Path) -> tuple[Path, str, str]:
    """Start (or restart as recorded) the exercise's secured broker: folder, bootstrap, version.

    A new one takes free ports, so it never collides with the plaintext demo broker.
    """
    folder = data_dir / SECURE_FOLDER
    spec = LocalCluster(folder).up(port=0, secure=True)
    return folder, spec.bootstrap, spec.kafka_version


def child_env(settings: Settings) -> dict[str, str]:
    """Every child's environment: this process's, with the exercise's topics and folders."""
    env = dict(os.environ)
    env.update({
        "FRONTLINE_BOOTSTRAP_SERVERS": str(settings.bootstrap_servers),
        "FRONTLINE_TOPIC_PREFIX": settings.topic_prefix,
        "FRONTLINE_TOPOLOGY_FILE": str(settings.topology_file),
        "FRONTLINE_DATA_DIR": str(settings.data_dir),
        "FRONTLINE_LOG_FORMAT": "json",
        "FRONTLINE_COMMIT_INTERVAL_MS": str(settings.commit_interval_ms),
    })  # fmt: skip
    if settings.policy_file:
        env["FRONTLINE_POLICY_FILE"] = str(settings.policy_file)
    return env


@dataclass(frozen=True)
class Network:
    """Settings per participant; ``cluster_dir`` None means plaintext (one shared settings)."""

    base: Settings  # the children's settings: prefix, topology, data folder, bootstrap
    cluster_dir: Path | None = None
    keys_dir: Path | None = None
    trust_file: Path | None = None

    @property
    def secure(self) -> bool:
        """True on a secured broker."""
        return self.cluster_dir is not None

    def with_keys(self, report_dir: Path) -> Network:
        """A fresh throw-away key set under ``report_dir/keys`` (the old one is replaced)."""
        keys = report_dir / "keys"
        if keys.exists():
            shutil.rmtree(keys)  # the exercise's own throw-away keys, never a real one
        trust = generate_demo_keys(keys)
        return Network(self.base, self.cluster_dir, keys, trust)

    def settings(self, principal: str) -> Settings:
        """``base`` connecting as ``principal`` (plaintext: ``base`` itself)."""
        if self.cluster_dir is None:
            return self.base
        return principal_settings(self.base, self.cluster_dir, principal)

    @property
    def admin(self) -> Settings:
        """The exercise's own reader (topics, accounting): the admin super-user."""
        return self.settings(ADMIN)

    @property
    def operator(self) -> Settings:
        """The exercise's reviewer: the operator principal."""
        return self.settings(OPERATOR)

    def connector(self, org: str) -> Settings:
        """A connector's settings: its principal and, when signing, its organization's key."""
        settings = self.settings(connector_principal(org))
        if self.keys_dir is None:
            return settings
        return settings.model_copy(update={"signing_key": demo_key_path(self.keys_dir, org)})

    def env(self, principal: str | None) -> dict[str, str]:
        """What a child process adds to its environment: its principal, the trust file."""
        env: dict[str, str] = {}
        if self.cluster_dir is not None and principal is not None:
            env |= env_of(self.settings(principal))
        if self.trust_file is not None:
            env["FRONTLINE_TRUST_FILE"] = str(self.trust_file)
        return env

    def hub_env(self) -> dict[str, str]:
        """The hub's environment additions."""
        return self.env(HUB)

    def node_env(self, country: str | None) -> dict[str, str]:
        """A national node's (``None``: every node in one plaintext process)."""
        return self.env(None if country is None else node_principal(country))

    def post_env(self, post: str | None) -> dict[str, str]:
        """A border post's, for ``ISO3.POST`` (``None``: every post in one plaintext process)."""
        if post is None:
            return self.env(None)
        country, post_id = post.split(".", 1)
        return self.env(post_principal(country, post_id))

    async def apply_access(self, topology: Topology) -> int:
        """Create every principal's credential and ACLs for the topics in use; ACLs created."""
        if self.cluster_dir is None:
            return 0
        principals = plan_access(topology, self.base.topic_prefix)
        store = CredentialStore(self.cluster_dir / "credentials")
        results = await asyncio.to_thread(apply_access, principals, self.admin, store)
        failed = [f"{r.principal.name}: {r.error}" for r in results if r.error]
        if failed:
            raise SetupError(
                f"access apply failed for {len(failed)} principal(s): {'; '.join(failed[:3])}",
                hint="read the broker log (`frontline broker logs`)",
            )
        return sum(len(r.created) for r in results)


def pipeline(
    net: Network,
    topology: Topology,
    *,
    base_port: int,
    host: str,
    report_dir: Path,
    split: bool,
) -> tuple[list[Component], dict[str, str]]:
    """The hub, node and post processes in start order, and each post's base URL.

    Plaintext, every node runs in one process (``node run --all``, port P+2) and every post
    in another (``post run --all``, P+3). ``split`` (always when secured, each process being
    one principal) runs one node process per country and one posts host per post (its own
    one-post topology), on ports P+4 onward: nodes first, then posts.
    """
    logs = report_dir / "logs"
    local = "http://127.0.0.1"
    hub = base_port + 1
    parts = [Component("hub", ["hub", "run", "--metrics-port", str(hub)],
                       f"{local}:{hub}/metrics", logs / "hub.log", net.hub_env())]  # fmt: skip
    names = [f"{c.code}.{p.id}" for c, p in topology.posts()]
    if not split:
        nodes, posts = base_port + 2, base_port + 3
        parts.append(Component(
            "nodes", ["node", "run", "--all", "--auto-confirm", "--metrics-port", str(nodes)],
            f"{local}:{nodes}/metrics", logs / "nodes.log", net.node_env(None)))  # fmt: skip
        parts.append(Component(
            "posts", ["post", "run", "--all", "--http-port", str(posts), "--host", host],
            f"{local}:{posts}/health", logs / "posts.log", net.post_env(None)))  # fmt: skip
        return parts, dict.fromkeys(names, f"{local}:{posts}")
    port = base_port + 4
    for country in topology.countries:
        parts.append(Component(
            f"node-{country.code}",
            ["node", "run", country.code, "--auto-confirm", "--metrics-port", str(port)],
            f"{local}:{port}/metrics", logs / f"node-{country.code}.log",
            net.node_env(country.code)))  # fmt: skip
        port += 1
    urls: dict[str, str] = {}
    for country, post in topology.posts():
        name = f"{country.code}.{post.id}"
        alone = country.model_copy(update={"posts": (post,)})
        only = write_topology(
            topology.model_copy(update={"countries": (alone,)}),
            report_dir / "topologies" / f"post-{name}.toml",
        )
        env = net.post_env(name) | {"FRONTLINE_TOPOLOGY_FILE": str(only)}
        parts.append(Component(
            f"post-{name}", ["post", "run", "--all", "--http-port", str(port), "--host", host],
            f"{local}:{port}/health", logs / f"post-{name}.log", env))  # fmt: skip
        urls[name] = f"{local}:{port}"
        port += 1
    return parts, urls
