"""Process and file helpers for the local cluster: liveness, stopping, private files."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import time
from pathlib import Path

__all__ = [
    "CHILDREN",
    "alive",
    "private_dir",
    "raise_file_limit",
    "runs",
    "stop_pids",
    "write_private",
]

OPEN_FILES_WANTED = 1_048_576
# Handles of brokers this process started: the broker outlives the call that started it,
# and a collected handle of a running child warns; stopping reaps it through the handle.
CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def alive(pid: int | None) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
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
    with contextlib.suppress(OSError):
        return not stat.read_text().split(") ")[-1].startswith("Z")
    return True


def runs(pid: int | None, props: Path) -> bool:
    """Whether ``pid`` is alive and (where /proc tells) is the broker started with ``props``.

    A pid file outlives a reboot; its number may now belong to another process, which must
    be neither reported as the broker nor signalled by ``down``.
    """
    if pid is None:
        return False
    child = CHILDREN.get(pid)
    if child is not None:  # started by this process: its handle knows
        return child.poll() is None
    if not alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc, or not ours to read: trust the pid
    # An empty read says nothing (the kernel may not show it at that instant): trust the pid.
    return not cmdline or str(props).encode() in cmdline


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def private_dir(path: Path) -> None:
    """Create ``path`` (and parents) and make it 0700: broker data holds personal data."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def stop_pids(pids: list[int], *, kill: bool, timeout: float) -> None:
    """Signal ``pids`` (SIGTERM, or SIGKILL with ``kill``), wait, then SIGKILL what remains."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        child = CHILDREN.pop(pid, None)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(5)


def raise_file_limit() -> None:
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
