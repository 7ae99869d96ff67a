"""structlog configured in one place: JSON when not on a terminal, console otherwise.

Libraries that log through the standard ``logging`` module (aiokafka above all) are
rendered by the same structlog processors, so every line of a process has one format.
aiokafka logs retriable, self-healing conditions at ERROR (a fresh broker's
``GroupCoordinatorNotAvailable``, a leader moving, a connection being retried); those
known transient messages are demoted to WARNING or INFO, and a message repeated within a
few seconds is printed once with a ``repeated`` count.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any

import structlog

from gateway.settings import LogFormat

__all__ = ["KafkaLogLevels", "configure_logging"]

# aiokafka messages that describe a condition the client retries by itself, and the level
# they deserve. Matched against the formatted message; the first match wins.
_TRANSIENT: tuple[tuple[re.Pattern[str], int], ...] = (
    (
        re.compile(
            r"GroupCoordinatorNotAvailable|CoordinatorNotAvailable|CoordinatorLoadInProgress"
            r"|NotCoordinator|RebalanceInProgress|will rejoin"
        ),
        logging.INFO,
    ),
    (
        re.compile(
            r"LeaderNotAvailable|NotLeaderForPartition|NotLeaderOrFollower|RequestTimedOut"
            r"|NodeNotReady|KafkaConnectionError|Unable connect to|Unable to update metadata"
            r"|not found in cluster metadata|marking coordinator dead|Heartbeat"
            r"|OutOfOrderSequenceNumber|UnknownTopicOrPartition|Will retry"
        ),
        logging.WARNING,
    ),
)

_REPEAT_WINDOW_S = 10.0


class KafkaLogLevels(logging.Filter):
    """Demote aiokafka's transient ERRORs, drop what is under ``threshold``, fold repeats."""

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("aiokafka") and record.levelno > logging.INFO:
            message = record.getMessage()
            for pattern, level in _TRANSIENT:
                if level < record.levelno and pattern.search(message):
                    record.levelno = level
                    record.levelname = logging.getLevelName(level)
                    break
        if record.levelno < self.threshold:
            return False
        return self._first_in_window(record)

    def _first_in_window(self, record: logging.LogRecord) -> bool:
        """Let one line per (logger, message) through per window; count the others."""
        key = (record.name, str(record.msg))
        now = time.monotonic()
        since, hidden = self._last.get(key, (0.0, 0))
        if now - since < _REPEAT_WINDOW_S:
            self._last[key] = (since, hidden + 1)
            return False
        self._last[key] = (now, 0)
        if hidden:
            record.repeated = hidden
        if len(self._last) > 1000:  # bounded memory on a long run
            self._last.clear()
        return True


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now (tests and tools swap it; a closed one breaks)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler bound to the current ``sys.stderr`` rather than the one at setup."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _add_repeated(
    logger: object, method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Copy the repeat count the filter set on a stdlib record into the event."""
    record = event.get("_record")
    hidden = getattr(record, "repeated", 0)
    if hidden:
        event["repeated"] = hidden
    return event


def configure_logging(fmt: LogFormat = LogFormat.AUTO, level: str = "INFO") -> None:
    """Route structlog and stdlib logging to stderr in one format.

    Bind only identifiers (alert ids, organizations, topics, offsets) to log lines:
    names, birth dates and document numbers never go to logs.
    """
    use_json = fmt is LogFormat.JSON or (fmt is LogFormat.AUTO and not sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    )
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            timestamper,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            timestamper,
            _add_repeated,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    handler.addFilter(KafkaLogLevels(numeric))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # Libraries' own INFO chatter stays out unless DEBUG is asked for; their demoted
    # ERRORs still pass the logger (checked before the filter) and land at their new level.
    root.setLevel(numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING))
