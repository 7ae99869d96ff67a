"""Start, inspect and stop a local KRaft cluster of 1 or 3 combined broker/controller nodes.

State lives in one folder: ``cluster.json`` (ports, cluster id, version) and a
``node-N/`` folder per node with its ``server.properties``, ``broker.pid``,
``broker.log`` and data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient

from gateway.broker.jars import KafkaRuntime, resolve_runtime
from gateway.broker.ports import check_port_number, check_ports_free, free_port
from gateway.broker.procs import (
    CHILDREN,
    private_dir,
    raise_file_limit,
    runs,
    stop_pids,
    write_private,
)
from gateway.broker.secure import (
    SecureMaterial,
    admin_client_kwargs,
    merge_properties,
    scram_format_arg,
)
from gateway.errors import SetupError

__all__ = ["BrokerStatus", "ClusterSpec", "LocalCluster", "NodeStatus"]

log = structlog.get_logger(__name__)

STORAGE_TOOL = "kafka.tools.StorageTool"
BROKER_MAIN = "kafka.Kafka"
# The broker's heap: 256 MB growing to 1 GB, unless Kafka's own KAFKA_HEAP_OPTS says otherwise
# (as kafka-server-start.sh reads it; ``make soak`` gives "-Xms1g -Xmx1g -XX:+AlwaysPreTouch" so
# the JVM's resident memory is whole from its start and any growth after it is off the heap).
HEAP_OPTS = ["-Xms256m", "-Xmx1g"]
JVM_OPTS = [
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-Djava.awt.headless=true",
]


def heap_options() -> list[str]:
    """A broker's heap flags: ``KAFKA_HEAP_OPTS`` split on spaces when set, else ``HEAP_OPTS``."""
    return os.environ.get("KAFKA_HEAP_OPTS", "").split() or HEAP_OPTS


@dataclass(frozen=True)
class ClusterSpec:
    """What ``cluster.json`` records about a formatted cluster."""

    cluster_id: str
    brokers: int
    ports: list[int]
    controller_ports: list[int]
    kafka_version: str
    secure: bool = False  # SASL_SSL + SCRAM-SHA-512 + ACLs (``broker up --secure``)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)


@dataclass(frozen=True)
class NodeStatus:
    """One node of the cluster: its number, ports, and pid when it runs."""

    node: int
    port: int
    controller_port: int
    pid: int | None
    alive: bool


@dataclass(frozen=True)
class BrokerStatus:
    """Whether each node runs, and how to reach the cluster."""

    running: bool
    bootstrap: str | None
    kafka_version: str | None
    pids: list[int | None]
    nodes: list[NodeStatus] = field(default_factory=list)
    secure: bool = False

    @property
    def state(self) -> str:
        """``running`` (every node), ``partial`` (some nodes) or ``stopped``."""
        if self.running:
            return "running"
        return "partial" if any(n.alive for n in self.nodes) else "stopped"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (``broker status --json``)."""
        return {"state": self.state, **asdict(self)}


class LocalCluster:
    """A local Kafka cluster whose state lives in ``data_dir``.

    It never deletes or reformats a folder that holds data: a new cluster is formatted
    only in an empty or new folder, and a recorded one starts with the shape it has.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()

    # -- paths -------------------------------------------------------------------------
    @property
    def spec_file(self) -> Path:
        return self.data_dir / "cluster.json"

    def node_dir(self, index: int) -> Path:
        return self.data_dir / f"node-{index + 1}"

    def log_file(self, index: int = 0) -> Path:
        return self.node_dir(index) / "broker.log"

    def pid_file(self, index: int) -> Path:
        return self.node_dir(index) / "broker.pid"

    def props_file(self, index: int) -> Path:
        return self.node_dir(index) / "server.properties"

    # -- state -------------------------------------------------------------------------
    def spec(self) -> ClusterSpec | None:
        """The recorded cluster, or None if this folder was never formatted."""
        try:
            text = self.spec_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise self._unreadable(error) from None
        try:
            spec = ClusterSpec(**json.loads(text))
        except (ValueError, TypeError) as error:
            raise self._unreadable(error) from None
        if spec.brokers not in (1, 3) or not (
            len(spec.ports) == len(spec.controller_ports) == spec.brokers
        ):
            raise self._unreadable(ValueError("ports do not match the number of brokers"))
        return spec

    def _unreadable(self, error: Exception) -> SetupError:
        return SetupError(
            f"{self.spec_file} cannot be read: {type(error).__name__}: {error}",
            hint="Restore it (it records the cluster id and ports), or use a new --data-dir; "
            "Frontline will not reformat this folder.",
        )

    def _pid(self, index: int) -> int | None:
        """The pid of node ``index`` (0-based) if that node runs, else None."""
        try:
            pid = int(self.pid_file(index).read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if runs(pid, self.props_file(index)) else None

    def status(self) -> BrokerStatus:
        """Running if every node's process is alive; ``nodes`` says which are."""
        spec = self.spec()
        if spec is None:
            return BrokerStatus(False, None, None, [])
        pids = [self._pid(i) for i in range(spec.brokers)]
        nodes = [
            NodeStatus(i + 1, spec.ports[i], spec.controller_ports[i], pid, pid is not None)
            for i, pid in enumerate(pids)
        ]
        running = all(p is not None for p in pids)
        return BrokerStatus(
            running, spec.bootstrap, spec.kafka_version, pids, nodes, secure=spec.secure
        )

    # -- up ----------------------------------------------------------------------------
    @property
    def security(self) -> SecureMaterial:
        """Certificates and credentials of a secured cluster (see :mod:`gateway.broker.secure`)."""
        return SecureMaterial(self.data_dir)

    def up(
        self,
        *,
        port: int | None = None,
        brokers: int | None = None,
        secure: bool | None = None,
        timeout: float = 90.0,
    ) -> ClusterSpec:
        """Start the cluster recorded here, or format and start a new one in an empty folder.

        A recorded cluster keeps its shape: ``port`` (unless None or 0) and ``brokers``
        (unless None) must match it, else a ``SetupError`` says what is recorded. Only
        nodes that are down are started. Every check runs before anything is written.
        ``secure`` formats a new cluster with SASL_SSL, SCRAM-SHA-512 and ACLs; a recorded
        one restarts in its recorded mode (``secure=True`` on a plaintext one is refused).
        """
        if brokers is not None and brokers not in (1, 3):
            raise SetupError(f"--brokers {brokers} is not supported.", hint="Use 1 or 3.")
        if port is not None:
            check_port_number(port, span=2 * (brokers or 1))
        spec = self.spec()
        if spec is None:
            return self._create(
                port=9092 if port is None else port,
                brokers=brokers or 1,
                secure=bool(secure),
                timeout=timeout,
            )
        self._check_shape(spec, port=port, brokers=brokers, secure=secure)
        self._check_formatted(spec)
        if spec.secure:
            self.security.check(spec.brokers)
        # Folders laid out by an older Frontline may be 0755: tighten, the data is personal.
        private_dir(self.data_dir)
        for index in range(spec.brokers):
            self.node_dir(index).chmod(0o700)
        down = [i for i in range(spec.brokers) if self._pid(i) is None]
        if not down:
            return spec
        check_ports_free(
            [p for i in down for p in (spec.ports[i], spec.controller_ports[i])],
            what="recorded in cluster.json for a node that is down",
            hint="Stop what holds it; a formatted cluster keeps its ports "
            "(a new cluster in a new --data-dir may use others).",
        )
        runtime = resolve_runtime()
        for index in down:
            self._start_node(runtime, index)
        self._wait_ready(spec, timeout, only=down)
        return spec

    def _check_shape(
        self,
        spec: ClusterSpec,
        *,
        port: int | None,
        brokers: int | None,
        secure: bool | None = None,
    ) -> None:
        wrong = []
        if secure is not None and secure != spec.secure:
            wrong.append("--secure" if secure else "a plaintext broker")
        if brokers is not None and brokers != spec.brokers:
            wrong.append(f"--brokers {brokers}")
        if port and port != spec.ports[0]:
            wrong.append(f"--port {port}")
        if not wrong:
            return
        raise SetupError(
            f"{self.data_dir} holds a {'secured ' if spec.secure else ''}"
            f"{spec.brokers}-node cluster on port "
            f"{spec.ports[0]} (bootstrap {spec.bootstrap}, recorded in cluster.json); "
            f"{' '.join(wrong)} asks for another. Nothing was changed: Frontline never "
            "reformats a folder that holds a cluster.",
            hint=f"Run `frontline broker up --data-dir {self.data_dir}` to start it as "
            "recorded (it starts only the nodes that are down); for another shape, use a "
            "new --data-dir.",
        )

    def _check_formatted(self, spec: ClusterSpec) -> None:
        for index in range(spec.brokers):
            for needed in (self.props_file(index), self.node_dir(index) / "data/meta.properties"):
                if not needed.exists():
                    raise SetupError(
                        f"Node {index + 1} of the cluster in {self.data_dir} lacks {needed}.",
                        hint="Restore the node's folder, or start a new cluster in a new "
                        "--data-dir; Frontline will not reformat a node of a recorded cluster.",
                    )

    def _create(self, *, port: int, brokers: int, secure: bool, timeout: float) -> ClusterSpec:
        if self.data_dir.exists() and (not self.data_dir.is_dir() or any(self.data_dir.iterdir())):
            raise SetupError(
                f"{self.data_dir} is not empty and holds no cluster.json: Frontline formats "
                "a new cluster only in an empty or new folder, and never deletes one.",
                hint="Pick an empty or new --data-dir. If that folder is an old broker's and "
                "its data may go, delete it yourself.",
            )
        if port == 0:
            ports = [free_port() for _ in range(brokers)]
            controller_ports = [free_port() for _ in range(brokers)]
        else:
            ports = [port + 2 * i for i in range(brokers)]
            controller_ports = [port + 2 * i + 1 for i in range(brokers)]
        check_ports_free(
            ports + controller_ports,
            what=f"wanted by a new {brokers}-node cluster",
            hint="Stop what holds it, or pick other ports with --port (0 picks free ports).",
        )
        runtime = resolve_runtime()
        spec = self._format(runtime, ports, controller_ports, secure=secure)
        for index in range(brokers):
            self._start_node(runtime, index)
        self._wait_ready(spec, timeout)
        return spec

    def _format(
        self,
        runtime: KafkaRuntime,
        ports: list[int],
        controller_ports: list[int],
        *,
        secure: bool = False,
    ) -> ClusterSpec:
        """Format a new cluster in the (empty) data folder; ``cluster.json`` is written last."""
        brokers = len(ports)
        private_dir(self.data_dir)
        cluster_id = self._java_out(runtime, [STORAGE_TOOL, "random-uuid"]).strip().splitlines()[-1]
        spec = ClusterSpec(
            cluster_id, brokers, ports, controller_ports, runtime.kafka_version, secure=secure
        )
        template = Template((runtime.config_dir / "server.properties.template").read_text())
        secure_template = Template(
            (runtime.config_dir / "server-secure.properties.template").read_text()
        )
        format_extra: list[str] = []
        if secure:
            # The admin exists from the first start (KIP-900); other users come later.
            format_extra = ["--add-scram", scram_format_arg(self.security.create(brokers))]
        voters = ",".join(f"{i + 1}@127.0.0.1:{cp}" for i, cp in enumerate(controller_ports))
        for index in range(brokers):
            node = self.node_dir(index)
            private_dir(node / "data")
            node.chmod(0o700)
            props = template.substitute(
                node_id=index + 1,
                voters=voters,
                port=ports[index],
                controller_port=controller_ports[index],
                log_dir=node / "data",
                replication=min(brokers, 3),
                min_isr=1 if brokers == 1 else 2,
            )
            if secure:
                props = merge_properties(
                    props,
                    self.security.properties(
                        secure_template,
                        node=index + 1,
                        port=ports[index],
                        controller_port=controller_ports[index],
                    ),
                )
            write_private(self.props_file(index), props)
            props_path = str(self.props_file(index))
            self._java_out(
                runtime, [STORAGE_TOOL, "format", "-t", cluster_id, "-c", props_path, *format_extra]
            )
        write_private(self.spec_file, json.dumps(asdict(spec), indent=2))
        return spec

    def _java_cmd(
        self, runtime: KafkaRuntime, args: list[str], *, broker: bool = False
    ) -> list[str]:
        log4j = runtime.config_dir / "log4j2.properties"
        return [
            runtime.java,
            *(heap_options() if broker else HEAP_OPTS),
            *JVM_OPTS,
            f"-Dlog4j2.configurationFile={log4j}",
            "-cp",
            runtime.classpath,
            *args,
        ]

    def _java_out(self, runtime: KafkaRuntime, args: list[str]) -> str:
        done = subprocess.run(
            self._java_cmd(runtime, args), capture_output=True, text=True, check=False, umask=0o077
        )
        if done.returncode != 0:
            raise SetupError(
                f"{args[0]} {args[1]} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}",
                hint="See the output above; delete the data folder to start afresh.",
            )
        return done.stdout

    def _start_node(self, runtime: KafkaRuntime, index: int) -> None:
        # Every partition keeps segment files open: lift the open-file limit, which the
        # broker inherits, as far as this process may (a no-op without the privilege).
        raise_file_limit()
        node = self.node_dir(index)
        cmd = self._java_cmd(runtime, [BROKER_MAIN, str(node / "server.properties")], broker=True)
        fd = os.open(self.log_file(index), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "ab") as out:
            proc = subprocess.Popen(  # our own java argv, no shell
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=node,
                umask=0o077,  # the broker's segments hold personal data: owner only
            )
        # Keep the handle: the broker outlives this call, and a collected handle of a running
        # child warns; ``down`` reaps it through the same handle.
        CHILDREN[proc.pid] = proc
        write_private(self.pid_file(index), str(proc.pid))
        log.info("broker node started", node=index + 1, pid=proc.pid)

    def _wait_ready(self, spec: ClusterSpec, timeout: float, only: list[int] | None = None) -> None:
        """Wait until each node in ``only`` (default: all) answers on its own port with
        metadata listing every node."""
        deadline = time.monotonic() + timeout
        waiting = list(range(spec.brokers)) if only is None else list(only)
        while True:
            for index in range(spec.brokers):
                if self._pid(index) is None:
                    raise SetupError(
                        f"Broker node {index + 1} died during start. Last lines of its log:\n"
                        + self.tail(index, 25),
                        hint=f"Read {self.log_file(index)}; `frontline broker down` then up again.",
                    )
            security = admin_client_kwargs(self.security) if spec.secure else {}
            waiting = [
                i
                for i in waiting
                if not asyncio.run(
                    _answers_metadata(f"127.0.0.1:{spec.ports[i]}", spec.brokers, security)
                )
            ]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise SetupError(
                    f"Node {waiting[0] + 1} did not answer metadata requests within "
                    f"{timeout:.0f}s.",
                    hint=f"Read {self.log_file(waiting[0])}.",
                )
            time.sleep(0.5)

    # -- one node ----------------------------------------------------------------------
    def _node_index(self, spec: ClusterSpec, node_id: int) -> int:
        if not 1 <= node_id <= spec.brokers:
            raise SetupError(
                f"There is no node {node_id}: the cluster in {self.data_dir} has "
                f"{spec.brokers} node(s).",
                hint=f"Pick a node from 1 to {spec.brokers}.",
            )
        return node_id - 1

    def _recorded(self) -> ClusterSpec:
        spec = self.spec()
        if spec is None:
            raise SetupError(
                f"{self.data_dir} holds no cluster (no cluster.json).",
                hint="Start one with `frontline broker up --data-dir DIR`.",
            )
        return spec

    def node_pid(self, node_id: int) -> int | None:
        """The pid of node ``node_id`` (1-based) if it runs, else None."""
        spec = self._recorded()
        return self._pid(self._node_index(spec, node_id))

    def start_node(self, node_id: int, *, timeout: float = 60.0) -> bool:
        """Start node ``node_id`` (1-based) of the recorded cluster if it is not running.

        Waits until the node answers metadata listing every node; returns False if it
        was already running. Its data folder is never reformatted.
        """
        spec = self._recorded()
        index = self._node_index(spec, node_id)
        if self._pid(index) is not None:
            return False
        self._check_formatted(spec)
        check_ports_free(
            (spec.ports[index], spec.controller_ports[index]),
            what=f"recorded in cluster.json for node {node_id}",
            hint="Stop what holds it; a formatted cluster keeps its ports.",
        )
        private_dir(self.node_dir(index))
        self._start_node(resolve_runtime(), index)
        self._wait_ready(spec, timeout, only=[index])
        return True

    def stop_node(self, node_id: int, *, kill: bool = False, timeout: float = 60.0) -> bool:
        """Stop node ``node_id`` (1-based): SIGTERM (or SIGKILL with ``kill``); True if it ran."""
        spec = self._recorded()
        index = self._node_index(spec, node_id)
        pid = self._pid(index)
        if pid is None:
            return False
        stop_pids([pid], kill=kill, timeout=timeout)
        return True

    # -- down and logs -----------------------------------------------------------------
    def down(self, timeout: float = 60.0) -> bool:
        """Stop every node gracefully (SIGTERM, then SIGKILL after ``timeout``); True if any ran."""
        spec = self.spec()
        if spec is None:
            return False
        pids = [p for p in (self._pid(i) for i in range(spec.brokers)) if p is not None]
        stop_pids(pids, kill=False, timeout=timeout)
        for index in range(spec.brokers):
            self.pid_file(index).unlink(missing_ok=True)
        return bool(pids)

    def tail(self, index: int = 0, lines: int = 40) -> str:
        """The last ``lines`` lines of a node's log."""
        path = self.log_file(index)
        if not path.exists():
            return "(no log yet)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


async def _answers_metadata(bootstrap: str, brokers: int, security: dict[str, Any]) -> bool:
    # Connection refusals are expected while the JVM starts; keep them out of the output,
    # and only for this probe: the process's own aiokafka logging stays as configured.
    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000, **security)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return len(cluster.get("brokers", [])) >= brokers
    except Exception:  # any failure means "not ready yet"
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
        quiet.setLevel(level)
