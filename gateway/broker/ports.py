"""Port checks for the local cluster: number range, and whether something holds a port."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterable

from gateway.errors import SetupError

__all__ = [
    "MAX_PORT",
    "check_port_number",
    "check_ports_free",
    "free_port",
    "free_port_block",
    "port_in_use",
]

MAX_PORT = 65535


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something already listens on (or holds) ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel says is free now (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_port_block(count: int, host: str = "127.0.0.1") -> int:
    """The first of ``count`` consecutive ports free now, below the kernel's ephemeral range.

    A program that starts servers on consecutive ports later (the exercise: base port + N)
    needs them to stay free meanwhile; ports from :func:`free_port` come from the ephemeral
    range (32768 and up on Linux), where the next outgoing connection may take them first.
    """
    low, high = 20_000, 32_000
    for _ in range(500):
        start = low + secrets.randbelow(high - low - count)
        if not any(port_in_use(port, host) for port in range(start, start + count)):
            return start
    raise SetupError(
        f"no {count} consecutive free ports between {low} and {high}",
        hint="Stop what listens there, or give the ports yourself.",
    )


def check_port_number(
    port: int, *, option: str = "--port", span: int = 1, allow_zero: bool = True
) -> None:
    """Refuse a port outside 1..65535 (0 = "any free" when ``allow_zero``).

    ``span`` is how many consecutive ports from ``port`` will be used; the last must fit too.
    """
    low = 0 if allow_zero else 1
    last = port + span - 1
    if low <= port <= MAX_PORT and last <= MAX_PORT:
        return
    zero = "; 0 picks free ports" if allow_zero else ""
    if low <= port <= MAX_PORT:
        why = f"it needs ports {port} to {last}, past {MAX_PORT}"
    else:
        why = f"ports run from 1 to {MAX_PORT}"
    raise SetupError(
        f"{option} {port} is not a usable port ({why}).",
        hint=f"Give {option} from 1 to {MAX_PORT - span + 1}{zero}.",
    )


def check_ports_free(
    ports: Iterable[int], *, what: str, hint: str, host: str = "127.0.0.1"
) -> None:
    """Raise a ``SetupError`` naming the first of ``ports`` that something already holds."""
    for port in ports:
        if port_in_use(port, host):
            raise SetupError(f"Port {port} on {host} ({what}) is already in use.", hint=hint)
