"""The one settings model, read from ``FRONTLINE_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.errors import ConfigError

__all__ = [
    "DEFAULT_STALE_S",
    "LogFormat",
    "LogLevel",
    "SecurityProtocol",
    "Settings",
    "load_settings",
    "stale_frontline_s",
]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

# Kafka topic names: ASCII letters, digits, '.', '_' and '-', at most 249 characters; the
# prefix leaves room for the longest name built on it (``<prefix>post.XXX.<40-char post id>``).
TOPIC_PREFIX_PATTERN = r"^[A-Za-z0-9._-]*$"
TOPIC_PREFIX_MAX = 100


class SecurityProtocol(StrEnum):
    """Kafka listener protocols a client may speak."""

    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"


class LogFormat(StrEnum):
    """How log lines are rendered: ``auto`` picks console on a terminal, JSON elsewhere."""

    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class Settings(BaseSettings):
    """Everything a Frontline process is configured with; built once in ``main`` and passed down."""

    model_config = SettingsConfigDict(env_prefix="FRONTLINE_", frozen=True, extra="ignore")

    bootstrap_servers: str | None = Field(
        default=None,
        description="Kafka bootstrap servers, comma-separated; unset means the local broker.",
    )
    security_protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    topic_prefix: str = Field(
        default="fl.", pattern=TOPIC_PREFIX_PATTERN, max_length=TOPIC_PREFIX_MAX
    )
    topology_file: Path | None = Field(
        default=None, description="Topology TOML; unset means the shipped default."
    )
    policy_file: Path | None = Field(
        default=None, description="Sharing policy TOML; unset means the shipped default."
    )
    trust_file: Path | None = Field(
        default=None,
        description="Trust file TOML of the organizations' public keys (docs/signing.md);"
        " set, the hub, the national nodes and the border posts verify every alert's"
        " signature; unset, signature checks are off.",
    )
    signing_key: Path | None = Field(
        default=None,
        description="A connector's Ed25519 private key (PEM, mode 0600): set, every alert it"
        " publishes carries its organization's signature (docs/signing.md).",
    )
    data_dir: Path = Field(
        default=Path(".frontline"), description="Where the local broker and posts keep state."
    )
    receipts: bool = Field(
        default=True,
        description="Border posts send a delivery receipt per committed alert version"
        " (docs/twoway.md); false turns them off.",
    )
    subject_salt: SecretStr | None = Field(
        default=None,
        description="The key of a border post's subject_key digests (FALSE_MATCH memory);"
        " the same on every post of a country. Unset: derived from the country code.",
    )

    linger_ms: int = Field(default=5, ge=0, le=60_000)
    max_batch_size: int = Field(default=262_144, ge=1024, le=16 * 1024 * 1024)
    commit_interval_ms: int = Field(
        default=100,
        ge=1,
        le=60_000,
        description="How long a transaction stays open: lower = less latency, higher = throughput.",
    )
    partitions: int = Field(
        default=3, ge=1, le=1000, description="Partitions for topics Frontline creates."
    )
    replication_factor: int | None = Field(
        default=None,
        ge=1,
        le=32,
        description="Copies of each topic Frontline creates; unset: min(3, brokers in the"
        " cluster), with min.insync.replicas=2 from three copies on.",
    )
    client_rack: str | None = Field(
        default=None,
        max_length=255,
        description="This process's rack or zone (the brokers' broker.rack names): consumers"
        " then read from the nearest in-sync replica (KIP-392; the brokers need"
        " replica.selector.class=...RackAwareReplicaSelector). Unset: read from leaders.",
    )

    metrics_host: str = Field(
        default="127.0.0.1",
        description="Address metrics and HTTP APIs listen on; 0.0.0.0 inside containers.",
    )

    log_format: LogFormat = LogFormat.AUTO
    log_level: Annotated[
        LogLevel, BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v)
    ] = "INFO"

    @field_validator("trust_file", "signing_key", mode="before")
    @classmethod
    def _unset_path(cls, value: Any) -> Any:
        """An empty FRONTLINE_TRUST_FILE or FRONTLINE_SIGNING_KEY means unset (not the cwd)."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bootstrap_servers")
    @classmethod
    def _bootstrap(cls, value: str | None) -> str | None:
        """``host[:port]`` items, comma-separated, each port in 1..65535."""
        if value is None or not value.strip():
            return None
        for item in value.split(","):
            host, sep, port = item.strip().rpartition(":")
            if not sep:
                host, port = port, "9092"
            if not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{item.strip()!r} is not host:port with a port in 1..65535")
        return value


# What each setting accepts, for error messages (pydantic's own message comes first).
_ALLOWED = {
    "topic_prefix": (
        f"ASCII letters, digits, '.', '_' and '-' (Kafka topic characters),"
        f" at most {TOPIC_PREFIX_MAX}; default 'fl.'"
    ),
    "log_format": "one of auto, json, console",
    "log_level": "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    "security_protocol": "one of " + ", ".join(p.value for p in SecurityProtocol),
    "bootstrap_servers": "host:port[,host:port...], e.g. 127.0.0.1:9092",
}


def _describe(error: Any) -> str:
    """``FRONTLINE_X='given': pydantic's message (allowed: ...)`` for one validation error."""
    field = str(error["loc"][0]) if error["loc"] else ""
    given = error.get("input")
    shown = f"={given!r}" if isinstance(given, str | int | float) else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    allowed = _ALLOWED.get(field)
    if allowed is None:
        info = Settings.model_fields.get(field)
        metadata = info.metadata if info is not None else []
        low = next((m.ge for m in metadata if hasattr(m, "ge")), None)
        high = next((m.le for m in metadata if hasattr(m, "le")), None)
        allowed = f"a whole number in {low}..{high}" if low is not None else None
    tail = f" (allowed: {allowed})" if allowed else ""
    return f"FRONTLINE_{field.upper()}{shown}: {message}{tail}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and ``overrides``); a bad value is a ``ConfigError``."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = [_describe(e) for e in error.errors()]
        raise ConfigError(
            "invalid setting"
            + ("s" if len(problems) > 1 else "")
            + ":\n  "
            + "\n  ".join(problems),
            hint="Fix or unset the named FRONTLINE_* environment variable"
            " (docs/operations.md lists every setting).",
        ) from None


DEFAULT_STALE_S = 300.0
"""How long an alert version may take to reach every intended post before it counts as stale."""


def stale_frontline_s(environ: Mapping[str, str] | None = None) -> float:
    """``FRONTLINE_STALE_FRONTLINE_S`` (seconds, default 300): the hub's stale limit, from
    which the national node derives how long an incomplete receipt waits; ConfigError when
    not a positive number."""
    text = (environ if environ is not None else os.environ).get("FRONTLINE_STALE_FRONTLINE_S")
    if not text:
        return DEFAULT_STALE_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ConfigError(
            f"FRONTLINE_STALE_FRONTLINE_S={text[:20]!r} is not a positive number of seconds",
            hint="Unset it (300 s) or give seconds, e.g. FRONTLINE_STALE_FRONTLINE_S=600.",
        )
    return value
