"""A principal's connection settings, from the credential store of a secured cluster folder.

``frontline access credentials`` prints them for any Kafka client (librdkafka/Java property
names) or as the ``FRONTLINE_*`` variables Frontline's own components read.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from pydantic import SecretStr

from gateway.broker.local import LocalCluster
from gateway.broker.secure import ADMIN, MECHANISM, Credential
from gateway.errors import SetupError
from gateway.settings import SecurityProtocol, Settings

__all__ = ["as_env", "as_properties", "env_of", "principal_settings"]


def _credential(cluster: LocalCluster, principal: str) -> Credential:
    credential = cluster.security.credentials.get(principal)
    if credential is None:
        raise SetupError(
            f"No credential for principal {principal!r} in {cluster.security.credentials.folder}.",
            hint="Run `frontline access apply` (it issues one per principal of the topology); "
            "`frontline access apply --dry-run` lists the principals.",
        )
    return credential


def principal_settings(settings: Settings, cluster_dir: Path, principal: str = ADMIN) -> Settings:
    """``settings`` connecting as ``principal`` to the secured cluster recorded in ``cluster_dir``.

    The bootstrap address is FRONTLINE_BOOTSTRAP_SERVERS when set, else the recorded one.
    """
    cluster = LocalCluster(cluster_dir)
    spec = cluster.spec()
    if spec is None or not spec.secure:
        raise SetupError(
            f"{cluster.data_dir} holds no secured cluster.",
            hint="Start one with `frontline broker up --secure` (a new --data-dir for a new "
            "cluster), or pass the --data-dir of the secured one.",
        )
    credential = _credential(cluster, principal)
    return settings.model_copy(
        update={
            "bootstrap_servers": settings.bootstrap_servers or spec.bootstrap,
            "security_protocol": SecurityProtocol.SASL_SSL,
            "sasl_mechanism": credential.mechanism or MECHANISM,
            "sasl_username": credential.username,
            "sasl_password": SecretStr(credential.password),
            "ssl_cafile": cluster.security.ca_file,
        }
    )


def _fields(settings: Settings) -> tuple[str, str, str, str, str, str]:
    password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
    return (
        settings.bootstrap_servers or "",
        settings.security_protocol.value,
        settings.sasl_mechanism or MECHANISM,
        settings.sasl_username or "",
        password,
        str(settings.ssl_cafile or ""),
    )


def as_properties(settings: Settings) -> str:
    """Client properties in librdkafka names (which Java clients share, but for the CA)."""
    bootstrap, protocol, mechanism, user, password, ca = _fields(settings)
    return (
        f"bootstrap.servers={bootstrap}\n"
        f"security.protocol={protocol}\n"
        f"sasl.mechanism={mechanism}\n"
        f"sasl.username={user}\n"
        f"sasl.password={password}\n"
        f"ssl.ca.location={ca}\n"
        "# Java clients: ssl.truststore.type=PEM, ssl.truststore.location=<ssl.ca.location>,\n"
        "# sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required"
        ' username="<sasl.username>" password="<sasl.password>";\n'
    )


def env_of(settings: Settings) -> dict[str, str]:
    """The ``FRONTLINE_*`` variables of a principal, for a child process's environment."""
    bootstrap, protocol, mechanism, user, password, ca = _fields(settings)
    return {
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTLINE_SECURITY_PROTOCOL": protocol,
        "FRONTLINE_SASL_MECHANISM": mechanism,
        "FRONTLINE_SASL_USERNAME": user,
        "FRONTLINE_SASL_PASSWORD": password,
        "FRONTLINE_SSL_CAFILE": ca,
    }


def as_env(settings: Settings) -> str:
    """``export FRONTLINE_*=...`` lines for a shell (``eval "$(...)"``)."""
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env_of(settings).items())
