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
import resource
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from string import Template

import structlog
from aiokafka.admin import AIOKafkaAdminClient

from gateway.broker.jars import KafkaRuntime, resolve_runtime
from gateway.broker.ports import free_port, port_in_use
from gateway.errors import SetupError

__all__ = ["BrokerStatus", "ClusterSpec", "LocalCluster"]

log = structlog.get_logger(__name__)

STORAGE_TOOL = "kafka.tools.StorageTool"
BROKER_MAIN = "kafka.Kafka"
OPEN_FILES_WANTED = 1_048_576
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
JVM_OPTS = [
    "-Xms256m",
    "-Xmx1g",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-Djava.awt.headless=true",
]


@dataclass(frozen=True)
class ClusterSpec:
    """What ``cluster.json`` records about a formatted cluster."""

    cluster_id: str
    brokers: int
    ports: list[int]
    controller_ports: list[int]
    kafka_version: str

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)


@dataclass(frozen=True)
class BrokerStatus:
    """Whether each node runs, and how to reach the cluster."""

    running: bool
    bootstrap: str | None
    kafka_version: str | None
    pids: list[int | None]


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as dead.
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


class LocalCluster:
    """A local Kafka cluster whose state lives in ``data_dir``."""

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

    # -- state -------------------------------------------------------------------------
    def spec(self) -> ClusterSpec | None:
        """The recorded cluster, or None if this folder was never formatted."""
        if not self.spec_file.exists():
            return None
        return ClusterSpec(**json.loads(self.spec_file.read_text()))

    def _pid(self, index: int) -> int | None:
        try:
            return int(self.pid_file(index).read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def status(self) -> BrokerStatus:
        """Running if every node's process is alive."""
        spec = self.spec()
        if spec is None:
            return BrokerStatus(False, None, None, [])
        pids = [self._pid(i) for i in range(spec.brokers)]
        running = all(_alive(p) for p in pids)
        return BrokerStatus(running, spec.bootstrap, spec.kafka_version, pids)

    # -- up ----------------------------------------------------------------------------
    def up(self, *, port: int = 9092, brokers: int = 1, timeout: float = 90.0) -> ClusterSpec:
        """Format (first time) and start every node, then wait for metadata to answer."""
        if brokers not in (1, 3):
            raise SetupError(f"--brokers {brokers} is not supported.", hint="Use 1 or 3.")
        current = self.status()
        spec = self.spec()
        if current.running and spec is not None:
            return spec
        runtime = resolve_runtime()
        if spec is None or spec.brokers != brokers or (port and spec.ports[0] != port):
            spec = self._format(runtime, port=port, brokers=brokers)
        for p in spec.ports + spec.controller_ports:
            if port_in_use(p):
                raise SetupError(
                    f"Port {p} on 127.0.0.1 is already in use.",
                    hint="Stop what holds it, or pick another with --port (0 picks free ports).",
                )
        for index in range(spec.brokers):
            if not _alive(self._pid(index)):
                self._start_node(runtime, index)
        self._wait_ready(spec, timeout)
        return spec

    def _format(self, runtime: KafkaRuntime, *, port: int, brokers: int) -> ClusterSpec:
        if self.data_dir.exists() and any(self.data_dir.glob("node-*/data/meta.properties")):
            # Ports or size changed: the old metadata cannot be reused.
            for index in range(5):
                node = self.node_dir(index)
                if node.exists():
                    subprocess.run(["rm", "-rf", str(node)], check=True)
        ports: list[int] = []
        controller_ports: list[int] = []
        for index in range(brokers):
            if port == 0:
                ports.append(free_port())
                controller_ports.append(free_port())
            else:
                ports.append(port + 2 * index)
                controller_ports.append(port + 2 * index + 1)
        cluster_id = self._java_out(runtime, [STORAGE_TOOL, "random-uuid"]).strip().splitlines()[-1]
        spec = ClusterSpec(cluster_id, brokers, ports, controller_ports, runtime.kafka_version)
        template = Template((runtime.config_dir / "server.properties.template").read_text())
        voters = ",".join(f"{i + 1}@127.0.0.1:{cp}" for i, cp in enumerate(controller_ports))
        replication = min(brokers, 3)
        for index in range(brokers):
            node = self.node_dir(index)
            (node / "data").mkdir(parents=True, exist_ok=True)
            props = template.substitute(
                node_id=index + 1,
                voters=voters,
                port=ports[index],
                controller_port=controller_ports[index],
                log_dir=node / "data",
                replication=replication,
                min_isr=1 if brokers == 1 else 2,
            )
            (node / "server.properties").write_text(props)
            self._java_out(
                runtime,
                [
                    STORAGE_TOOL,
                    "format",
                    "-t",
                    cluster_id,
                    "-c",
                    str(node / "server.properties"),
                    "--ignore-formatted",
                ],
            )
        self.spec_file.write_text(json.dumps(asdict(spec), indent=2))
        return spec

    def _java_cmd(self, runtime: KafkaRuntime, args: list[str]) -> list[str]:
        log4j = runtime.config_dir / "log4j2.properties"
        return [
            runtime.java,
            *JVM_OPTS,
            f"-Dlog4j2.configurationFile={log4j}",
            "-cp",
            runtime.classpath,
            *args,
        ]

    def _java_out(self, runtime: KafkaRuntime, args: list[str]) -> str:
        done = subprocess.run(
            self._java_cmd(runtime, args), capture_output=True, text=True, check=False
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
        _raise_file_limit()
        node = self.node_dir(index)
        cmd = self._java_cmd(runtime, [BROKER_MAIN, str(node / "server.properties")])
        with self.log_file(index).open("ab") as out:
            proc = subprocess.Popen(  # our own java argv, no shell
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=node,
            )
        # Keep the handle: the broker outlives this call, and a collected handle of a running
        # child warns; ``down`` reaps it through the same handle.
        _CHILDREN[proc.pid] = proc
        self.pid_file(index).write_text(str(proc.pid))
        log.info("broker node started", node=index + 1, pid=proc.pid)

    def _wait_ready(self, spec: ClusterSpec, timeout: float, only: list[int] | None = None) -> None:
        """Wait until each node in ``only`` (default: all) answers on its own port with
        metadata listing every node."""
        deadline = time.monotonic() + timeout
        waiting = list(range(spec.brokers)) if only is None else list(only)
        while True:
            for index in range(spec.brokers):
                if not _alive(self._pid(index)):
                    raise SetupError(
                        f"Broker node {index + 1} died during start. Last lines of its log:\n"
                        + self.tail(index, 25),
                        hint=f"Read {self.log_file(index)}; `frontline broker down` then up again.",
                    )
            waiting = [
                i
                for i in waiting
                if not asyncio.run(_answers_metadata(f"127.0.0.1:{spec.ports[i]}", spec.brokers))
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
        pid = self._pid(self._node_index(spec, node_id))
        return pid if _alive(pid) else None

    def start_node(self, node_id: int, *, timeout: float = 60.0) -> bool:
        """Start node ``node_id`` (1-based) of the recorded cluster if it is not running.

        Waits until the node answers metadata listing every node; returns False if it
        was already running. Its data folder is never reformatted.
        """
        spec = self._recorded()
        index = self._node_index(spec, node_id)
        if _alive(self._pid(index)):
            return False
        for p in (spec.ports[index], spec.controller_ports[index]):
            if port_in_use(p):
                raise SetupError(
                    f"Port {p} of node {node_id} on 127.0.0.1 is already in use.",
                    hint="Stop what holds it; the node's ports are recorded in cluster.json.",
                )
        self._start_node(resolve_runtime(), index)
        self._wait_ready(spec, timeout, only=[index])
        return True

    def stop_node(self, node_id: int, *, kill: bool = False, timeout: float = 60.0) -> bool:
        """Stop node ``node_id`` (1-based): SIGTERM (or SIGKILL with ``kill``); True if it ran."""
        spec = self._recorded()
        index = self._node_index(spec, node_id)
        pid = self._pid(index)
        if not _alive(pid):
            return False
        assert pid is not None
        _stop_pids([pid], kill=kill, timeout=timeout)
        return True

    # -- down and logs -----------------------------------------------------------------
    def down(self, timeout: float = 60.0) -> bool:
        """Stop every node gracefully (SIGTERM, then SIGKILL after ``timeout``); True if any ran."""
        spec = self.spec()
        if spec is None:
            return False
        pids = [
            p for p in (self._pid(i) for i in range(spec.brokers)) if p is not None and _alive(p)
        ]
        _stop_pids(pids, kill=False, timeout=timeout)
        for index in range(spec.brokers):
            self.pid_file(index).unlink(missing_ok=True)
        return bool(pids)

    def tail(self, index: int = 0, lines: int = 40) -> str:
        """The last ``lines`` lines of a node's log."""
        path = self.log_file(index)
        if not path.exists():
            return "(no log yet)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _stop_pids(pids: list[int], *, kill: bool, timeout: float) -> None:
    """Signal ``pids`` (SIGTERM, or SIGKILL with ``kill``), wait, then SIGKILL what remains."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        child = _CHILDREN.pop(pid, None)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(5)


def _raise_file_limit() -> None:
    """Raise this process's open-file limit towards the kernel's maximum when privileged."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(soft, min(OPEN_FILES_WANTED, _kernel_max_files()))
    for limit in ((wanted, max(hard, wanted)), (hard, hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, limit)
        except (ValueError, OSError):
            continue
        return


def _kernel_max_files() -> int:
    try:
        return int(Path("/proc/sys/fs/nr_open").read_text())
    except (OSError, ValueError):
        return OPEN_FILES_WANTED


async def _answers_metadata(bootstrap: str, brokers: int) -> bool:
    # Connection refusals are expected while the JVM starts; keep them out of the output.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return len(cluster.get("brokers", [])) >= brokers
    except Exception:  # any failure means "not ready yet"
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
