"""structlog configured in one place: JSON when not on a terminal, console otherwise."""

from __future__ import annotations

import logging
import sys

import structlog

from gateway.settings import LogFormat

__all__ = ["configure_logging"]


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
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr, force=True)
