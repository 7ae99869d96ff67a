"""Options and checks shared by several commands: the consuming services' (``hub run``,
``node run``), ``--dry-run`` of the commands that create (``topics apply``, ``access apply``),
and the listening-port check of the commands that serve HTTP."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Annotated

import typer

from gateway.errors import ConfigError
from gateway.kafka.eos import Mode
from gateway.settings import Settings

__all__ = [
    "ApiOpt",
    "CreateDryRun",
    "ModeOption",
    "PostArg",
    "TokenOpt",
    "VerifyTrustFile",
    "check_listen_port",
    "with_trust_file",
]

VerifyTrustFile = Annotated[
    Path | None,
    typer.Option(
        "--trust-file",
        help="Trust file of the organizations' public keys: verify every alert's signature"
        " (default FRONTLINE_TRUST_FILE; unset, signature checks are off).",
    ),
]
CreateDryRun = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be created; change nothing.")
]
ModeOption = Annotated[
    Mode, typer.Option(help="exactly-once (transactions) or at-least-once (comparison).")
]


def with_trust_file(settings: Settings, trust_file: Path | None) -> Settings:
    """``settings`` with ``--trust-file`` in place of FRONTLINE_TRUST_FILE when it is given."""
    if trust_file is None:
        return settings
    return settings.model_copy(update={"trust_file": trust_file})


def check_listen_port(host: str, port: int, *, option: str = "--port") -> None:
    """Refuse a port a server could not listen on, before anything starts (a ``ConfigError``
    naming ``option``, the command's port option, and the fix)."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is already in use",
                hint=f"pick another {option}, or stop what listens there"
                f" (`ss -ltnp 'sport = :{port}'`)",
            ) from None
        raise ConfigError(
            f"cannot listen on {host}:{port}: {error.strerror or error}",
            hint=f"check --host (an address of this machine) and {option}",
        ) from None


# The border-post commands' shared arguments (`post screen`, `screen-mrz`, `screen-manifest` ...).
PostArg = Annotated[str, typer.Argument(help="ISO3.POST (e.g. FRA.CDG) or a unique post id.")]
ApiOpt = Annotated[
    str | None, typer.Option("--api", help="Ask a running client, e.g. http://127.0.0.1:8080.")
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="FRONTLINE_OFFICER_TOKEN",
        show_default=False,
        help="An officer's token (`post officers add`); needed with --api.",
    ),
]
