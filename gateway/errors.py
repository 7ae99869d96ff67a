"""One exception root for the project; subclasses say what a caller should do."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DecodeError",
    "FrontlineError",
    "QuarantineError",
    "SetupError",
]


class FrontlineError(Exception):
    """Root of every error Frontline raises on purpose.

    ``retriable`` tells a loop whether trying again may succeed; ``hint`` names the fix
    a person should apply, and the CLI prints it under the message.
    """

    retriable: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  fix: {self.hint}"


class SetupError(FrontlineError):
    """The machine lacks something Frontline needs (Java, Maven, a free port, jars)."""


class ConfigError(FrontlineError):
    """A settings value, topology or policy file is invalid."""


class QuarantineError(FrontlineError):
    """A record that cannot be processed: it goes to quarantine with ``reason``, never a crash."""

    def __init__(self, message: str, *, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.quarantine_reason = reason


class DecodeError(QuarantineError):
    """Bytes that are not a valid single-object-encoded alert."""
