"""Helpers for driving the ``frontline`` command as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

FRONTLINE = str(Path(sys.executable).parent / "frontline")

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def frontline(tmp_path: Path) -> Run:
    """Run ``frontline ARGS`` in a scratch folder and return the completed process."""

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 180,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        full_env = {
            **os.environ,
            "FRONTLINE_DATA_DIR": str(tmp_path / "state"),
            "FRONTLINE_LOG_FORMAT": "json",
            **(env or {}),
        }
        return subprocess.run(
            [FRONTLINE, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env,
            cwd=tmp_path,
            input=input_text,
            check=False,
        )

    return run
