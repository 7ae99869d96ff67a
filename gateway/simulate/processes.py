"""Child processes of an exercise: each component runs as its own ``frontline`` process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import structlog

from gateway.errors import SetupError

__all__ = ["Component", "ComponentSet"]

log = structlog.get_logger(__name__)


def _frontline() -> list[str]:
    """How to run the ``frontline`` command from the current interpreter."""
    script = Path(sys.executable).parent / "frontline"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gateway"]


@dataclass
class Component:
    """One ``frontline`` sub-command running in the background, with its log file."""

    name: str
    args: list[str]
    ready_url: str | None
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)  # added to the set's (its principal)
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self, env: dict[str, str]) -> None:
        """Launch the process, its output going to its log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(  # our own CLI, fixed argv, no shell
                [*_frontline(), *self.args], stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            )  # fmt: skip
        log.info("component started", component=self.name, pid=self.proc.pid)

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 20) -> str:
        """The end of the component's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait, then SIGKILL; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return self.proc.returncode


@dataclass
class ComponentSet:
    """Start components in order, wait until each answers, stop them in reverse."""

    env: dict[str, str]
    components: list[Component] = field(default_factory=list)

    async def start(self, component: Component, wait_s: float = 60.0) -> None:
        """Start ``component`` and wait until its readiness URL answers 200."""
        component.start(self.env | component.env)
        self.components.append(component)
        if component.ready_url is None:
            return
        deadline = time.monotonic() + wait_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not component.alive():
                    raise SetupError(
                        f"{component.name} exited during start:\n{component.tail()}",
                        hint=f"Read {component.log_path}.",
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(component.ready_url)).status_code == 200:
                        return
                await asyncio.sleep(0.3)
        raise SetupError(
            f"{component.name} did not answer {component.ready_url} within {wait_s:.0f}s",
            hint=f"Read {component.log_path}.",
        )

    def check_alive(self) -> list[str]:
        """Names of components that died."""
        return [c.name for c in self.components if not c.alive()]

    def stop_all(self) -> dict[str, int | None]:
        """Stop every component, last started first."""
        return {c.name: c.stop() for c in reversed(self.components)}
