"""aiokafka's own log lines come out as structlog JSON, at levels that match what they mean."""

from __future__ import annotations

import json
import logging

import pytest

from gateway.logconfig import configure_logging
from gateway.settings import LogFormat

COORDINATOR = "aiokafka.consumer.group_coordinator"


def _lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_fresh_brokers_coordinator_error_is_json_info(capsys: pytest.CaptureFixture[str]) -> None:
    """GroupCoordinatorNotAvailable from aiokafka is one JSON line at INFO, not an ERROR."""
    configure_logging(LogFormat.JSON, "INFO")
    logging.getLogger(COORDINATOR).error(
        "Group Coordinator Request failed: %s",
        "[Error 15] GroupCoordinatorNotAvailableError",
    )
    [line] = _lines(capsys.readouterr().err)
    assert line["level"] == "info"
    assert line["logger"] == COORDINATOR
    assert "GroupCoordinatorNotAvailableError" in str(line["event"])
    assert "timestamp" in line


def test_transient_errors_are_hidden_at_warning_level(capsys: pytest.CaptureFixture[str]) -> None:
    """With FRONTLINE_LOG_LEVEL=WARNING a demoted coordinator message is not printed at all."""
    configure_logging(LogFormat.JSON, "WARNING")
    logging.getLogger(COORDINATOR).error(
        "Group Coordinator Request failed: %s", "GroupCoordinatorNotAvailableError"
    )
    assert capsys.readouterr().err == ""


def test_a_leader_moving_is_a_warning_and_an_unknown_error_stays_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A retried LeaderNotAvailable becomes WARNING; an unexpected aiokafka ERROR stays ERROR."""
    configure_logging(LogFormat.JSON, "INFO")
    logging.getLogger("aiokafka.producer.sender").error("Got error: %s", "LeaderNotAvailableError")
    logging.getLogger("aiokafka.producer.sender").error("Unexpected error in sender routine")
    levels = [line["level"] for line in _lines(capsys.readouterr().err)]
    assert levels == ["warning", "error"]


def test_a_repeated_message_is_printed_once_per_window(capsys: pytest.CaptureFixture[str]) -> None:
    """Twenty identical aiokafka errors in a burst print one line, not twenty."""
    configure_logging(LogFormat.JSON, "INFO")
    for _ in range(20):
        logging.getLogger("aiokafka.consumer.fetcher").error(
            "Failed fetch messages from %s: %s", 1, "boom"
        )
    assert len(_lines(capsys.readouterr().err)) == 1


def test_library_info_chatter_stays_out_at_info(capsys: pytest.CaptureFixture[str]) -> None:
    """aiokafka's own INFO lines (joined group, discovered coordinator) are not printed at INFO."""
    configure_logging(LogFormat.JSON, "INFO")
    logging.getLogger(COORDINATOR).info("Discovered coordinator 1 for group g")
    assert capsys.readouterr().err == ""
