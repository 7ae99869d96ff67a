"""The exercise on the real broker: every screening in an access log, no traveller in any log."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.broker.ports import free_port_block
from gateway.post.access_log import AccessLog

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

FRONTLINE = str(Path(sys.executable).parent / "frontline")


def test_exercise_logs_every_screening_and_no_process_log_names_a_traveller(
    bootstrap: str, tmp_path: Path
) -> None:
    """Each screening of the exercise is in its post's access log; no log line names its query."""
    report = tmp_path / "report"
    env = {
        **os.environ,
        "FRONTLINE_DATA_DIR": str(tmp_path / "state"),
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTLINE_LOG_FORMAT": "json",
    }
    done = subprocess.run(
        [FRONTLINE, "simulate", "--duration", "8s", "--rate", "40", "--countries", "2",
         "--posts-per-country", "1", "--seed", "13", "--report", str(report),
         "--metrics-base-port", str(free_port_block(32))],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    result = json.loads((report / "report.json").read_text())
    queries = result["screening"]["queries"]
    assert queries > 0, done.stderr[-3000:]
    # The flag check screens each flagged person at its country's posts too (its detail says
    # how many); those screenings are logged like any other.
    flag_checks = [c["detail"] for c in result["accounting"] if c["name"].startswith("every flag")]
    screened = re.search(r"(\d+) \(post, alert\) screened", " ".join(flag_checks))
    queries += int(screened.group(1)) if screened else 0
    # So is the screening of one planted stolen document at the end (screening.documents).
    queries += int(result["screening"].get("documents", {}).get("screened", 0))
    stores = sorted((report / "state" / "posts").glob("*.sqlite"))
    assert len(stores) == 2
    secrets: set[str] = set()
    logged = 0
    for store in stores:
        access = AccessLog(store, store.name.removesuffix(".sqlite"))
        rows = access.entries()
        access.close()
        logged += len(rows)
        assert {r.officer for r in rows} <= {"1"}  # the exercise's one officer per post
        for row in rows:
            # A bare birth year (1996) also occurs in timestamps' digits: months and days only.
            for field, shortest in (("name", 4), ("date_of_birth", 7), ("document_number", 5)):
                value = row.query.get(field)
                if isinstance(value, str) and len(value) >= shortest:
                    secrets.add(value)
    assert logged == queries  # every answered screening, no more, no fewer
    assert any(" " in s for s in secrets)  # names were screened, so the check below means something
    texts = {"stdout": done.stdout, "stderr": done.stderr}
    texts |= {str(p): p.read_text(errors="replace") for p in (report / "logs").glob("*.log")}
    assert len(texts) >= 5
    for where, text in texts.items():
        for line in text.splitlines():
            named = [s for s in secrets if s in line]
            assert not named, f"{where}: a log line carries screened values {named[:3]}"
