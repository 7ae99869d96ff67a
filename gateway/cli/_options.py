"""Options shared by several commands: the consuming services' (``hub run``, ``node run``)
and ``--dry-run`` of the commands that create (``topics apply``, ``access apply``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.kafka.eos import Mode
from gateway.settings import Settings

__all__ = ["CreateDryRun", "ModeOption", "VerifyTrustFile", "with_trust_file"]

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
