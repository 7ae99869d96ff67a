"""Where a benchmark runs: a plaintext or a secured local broker, and who connects to it.

A ``Target`` is a bare bootstrap address (a plaintext broker) or a principal's ``Settings``
(a secured broker: SASL_SSL with SCRAM-SHA-512, the client arguments built by
``gateway.kafka.clients.client_kwargs``). ``secured_broker`` starts a secured local broker
and hands out each principal's settings, as ``frontline simulate --secure`` does
(``gateway/simulate/secure.py``): the benchmark itself is ``admin``, each process under
test its own principal, with the access plan's ACLs applied for its topic prefix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.errors import SetupError
from gateway.kafka.clients import client_kwargs
from gateway.settings import SecurityProtocol, Settings

__all__ = [
    "Cluster",
    "Target",
    "cpu_seconds",
    "kafka_kwargs",
    "plain_broker",
    "secured_broker",
    "target_env",
]

# A bare bootstrap address (plaintext) or a principal's settings (secured broker).
Target = str | Settings


def kafka_kwargs(target: Target) -> dict[str, Any]:
    """aiokafka's connection arguments for ``target`` (with SASL and TLS for settings)."""
    if isinstance(target, str):
        return {"bootstrap_servers": target}
    return client_kwargs(target)


def target_env(target: Target) -> dict[str, str]:
    """The ``FRONTLINE_*`` connection variables a child process connecting as ``target`` needs."""
    if isinstance(target, str):
        return {"FRONTLINE_BOOTSTRAP_SERVERS": target}
    if target.security_protocol is SecurityProtocol.PLAINTEXT:
        return {"FRONTLINE_BOOTSTRAP_SERVERS": str(target.bootstrap_servers)}
    from gateway.kafka.credentials import env_of  # noqa: PLC0415  # why: secured runs only

    return env_of(target)


@dataclass(frozen=True)
class Cluster:
    """Where a benchmark runs: the bootstrap address and, when secured, its cluster folder.

    Plaintext, every client connects with the bare address. Secured, the benchmark itself
    (topics, loading, counting) is the ``admin`` super-user and each process under test gets
    its own principal's settings; ``grant`` runs the access plan's ACLs for a topic prefix.
    """

    bootstrap: str
    folder: Path | None = None  # the secured cluster folder; None: plaintext
    pids: tuple[int, ...] = ()  # the broker processes, for their CPU time

    @property
    def secure(self) -> bool:
        """True on a secured broker."""
        return self.folder is not None

    def principal(self, name: str) -> Target:
        """``name``'s connection (plaintext: the bare address)."""
        if self.folder is None:
            return self.bootstrap
        from gateway.kafka.credentials import principal_settings  # noqa: PLC0415  # why: secured only

        return principal_settings(Settings(bootstrap_servers=self.bootstrap), self.folder, name)

    @property
    def admin(self) -> Target:
        """The benchmark's own connection: topics, loading the input, counting the output."""
        from gateway.broker.secure import ADMIN  # noqa: PLC0415  # why: secured only

        return self.principal(ADMIN)

    def grant(self, prefix: str, principals: Sequence[str]) -> None:
        """Create ``principals``' SCRAM users and ACLs for the topics under ``prefix``."""
        if self.folder is None:
            return
        from gateway.broker.secure import CredentialStore  # noqa: PLC0415  # why: secured only
        from gateway.kafka.access import plan_access  # noqa: PLC0415  # why: secured only
        from gateway.kafka.access_admin import apply_access  # noqa: PLC0415  # why: secured only
        from gateway.topology import load_topology  # noqa: PLC0415  # why: secured only

        wanted = [p for p in plan_access(load_topology(), prefix) if p.name in principals]
        admin = self.admin
        assert isinstance(admin, Settings)
        store = CredentialStore(self.folder / "credentials")
        failed = [r for r in apply_access(wanted, admin, store) if r.error]
        if failed:
            first = failed[0]
            raise SetupError(
                f"access apply failed for {first.principal.name}: {first.error}",
                hint=f"read the broker log under {self.folder}",
            )

    def broker_cpu(self) -> float:
        """User + system seconds the broker processes have used so far (0 when unknown)."""
        return cpu_seconds(self.pids)


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system seconds running processes have used so far (Linux ``/proc``; 0 if gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@contextlib.contextmanager
def secured_broker(data_dir: Path | None = None) -> Iterator[Cluster]:
    """A fresh secured local broker (SASL_SSL, SCRAM-SHA-512, ACLs), stopped at the end."""
    from gateway.broker import LocalCluster  # noqa: PLC0415  # why: only when we start one

    with contextlib.ExitStack() as stack:
        folder = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="flb-")))
        cluster = LocalCluster(folder / "broker-secure")
        spec = cluster.up(port=0, secure=True)
        try:
            pids = tuple(p for p in cluster.status().pids if p is not None)
            yield Cluster(spec.bootstrap, cluster.data_dir, pids)
        finally:
            cluster.down()


@contextlib.contextmanager
def plain_broker(data_dir: Path | None = None, *, own: bool = False) -> Iterator[Cluster]:
    """``broker()`` as a ``Cluster``, with the broker's pids when this process started it.

    FRONTLINE_BOOTSTRAP_SERVERS, when set, is used unless ``own`` asks for a fresh broker.
    """
    from gateway.broker import LocalCluster  # noqa: PLC0415  # why: only when we start one

    given = os.environ.get("FRONTLINE_BOOTSTRAP_SERVERS")
    if given and not own:
        yield Cluster(given)
        return
    with contextlib.ExitStack() as stack:
        folder = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="flb-")))
        cluster = LocalCluster(folder / "broker")
        spec = cluster.up(port=0)
        try:
            pids = tuple(p for p in cluster.status().pids if p is not None)
            yield Cluster(spec.bootstrap, None, pids)
        finally:
            cluster.down()
