"""The one settings model, read from ``FRONTLINE_*`` environment variables."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["LogFormat", "SecurityProtocol", "Settings"]


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

    topic_prefix: str = Field(default="fl.", pattern=r"^[A-Za-z0-9._-]*$")
    topology_file: Path | None = Field(
        default=None, description="Topology TOML; unset means the shipped default."
    )
    policy_file: Path | None = Field(
        default=None, description="Sharing policy TOML; unset means the shipped default."
    )
    data_dir: Path = Field(
        default=Path(".frontline"), description="Where the local broker and posts keep state."
    )

    linger_ms: int = Field(default=5, ge=0)
    max_batch_size: int = Field(default=262_144, ge=1024)
    commit_interval_ms: int = Field(
        default=100,
        ge=1,
        description="How long a transaction stays open: lower = less latency, higher = throughput.",
    )
    partitions: int = Field(default=3, ge=1, description="Partitions for topics Frontline creates.")
    replication_factor: int = Field(default=1, ge=1)

    metrics_host: str = Field(
        default="127.0.0.1",
        description="Address metrics and HTTP APIs listen on; 0.0.0.0 inside containers.",
    )

    log_format: LogFormat = LogFormat.AUTO
    log_level: str = "INFO"
