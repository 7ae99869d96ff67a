"""Security material of a ``--secure`` local cluster: certificates, passwords, properties.

Layout under the cluster's data folder (all 0700 folders, 0600 files):

- ``security/ca.pem`` the CA certificate clients trust, ``security/ca.key`` its key,
  ``security/broker-N.pem`` node N's PEM key store (key + certificate);
- ``credentials/<principal>.json`` one SCRAM credential per principal, ``admin`` included.

Passwords are generated (``secrets``), never defaulted, and never logged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from string import Template

from gateway.broker.certs import CertPaths, make_broker_cert, make_ca
from gateway.broker.procs import private_dir, write_private
from gateway.errors import SetupError

__all__ = [
    "ADMIN",
    "MECHANISM",
    "Credential",
    "CredentialStore",
    "SecureMaterial",
    "merge_properties",
    "scram_format_arg",
]

ADMIN = "admin"
MECHANISM = "SCRAM-SHA-512"
SCRAM_ITERATIONS = 8192
_PRINCIPAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def new_password() -> str:
    """A random password: 32 bytes of entropy, URL-safe characters (safe in JAAS quotes)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Credential:
    """A SCRAM user and its password; ``repr`` hides the password."""

    username: str
    password: str
    mechanism: str = MECHANISM

    def __repr__(self) -> str:
        return f"Credential(username={self.username!r}, mechanism={self.mechanism!r})"


class CredentialStore:
    """One JSON file per principal, mode 0600, in a 0700 folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, username: str) -> Path:
        if not username or not set(username) <= _PRINCIPAL_CHARS or username.startswith("."):
            raise SetupError(
                f"{username!r} is not a valid principal name.",
                hint="Principals are letters, digits, '.', '_' and '-' "
                "(see `frontline access plan`).",
            )
        return self.folder / f"{username}.json"

    def get(self, username: str) -> Credential | None:
        """The stored credential, or None if there is none."""
        try:
            data = json.loads(self.path(username).read_text(encoding="utf-8"))
            return Credential(data["username"], data["password"], data.get("mechanism", MECHANISM))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SetupError(
                f"The credential file of {username} cannot be read ({type(error).__name__}).",
                hint=f"Delete {self.path(username)} and run `frontline access apply` "
                "to issue a new password.",
            ) from None

    def put(self, credential: Credential) -> None:
        private_dir(self.folder)
        data = {
            "username": credential.username,
            "password": credential.password,
            "mechanism": credential.mechanism,
        }
        write_private(self.path(credential.username), json.dumps(data, indent=2) + "\n")

    def issue(self, username: str) -> Credential:
        """A new credential with a generated password, stored before it is returned."""
        credential = Credential(username, new_password())
        self.put(credential)
        return credential

    def names(self) -> list[str]:
        """Every principal with a stored credential."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json"))


def scram_format_arg(credential: Credential) -> str:
    """``--add-scram`` value for ``StorageTool format`` carrying only a salted password (KIP-900),
    so the clear password never shows on a command line."""
    salt = secrets.token_bytes(24)
    salted = hashlib.pbkdf2_hmac(
        "sha512", credential.password.encode(), salt, SCRAM_ITERATIONS, dklen=64
    )
    return (
        f"{credential.mechanism}=[name={credential.username},iterations={SCRAM_ITERATIONS},"
        f'salt="{base64.b64encode(salt).decode()}",'
        f'saltedpassword="{base64.b64encode(salted).decode()}"]'
    )


def merge_properties(base: str, overrides: str) -> str:
    """``base`` without the keys ``overrides`` sets, then ``overrides`` (one value per key)."""
    keys = {
        line.split("=", 1)[0].strip()
        for line in overrides.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    kept = [
        line
        for line in base.splitlines()
        if line.lstrip().startswith("#") or line.split("=", 1)[0].strip() not in keys
    ]
    return "\n".join(kept).rstrip("\n") + "\n\n" + overrides


class SecureMaterial:
    """Certificates and broker-side secrets of one secured cluster folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.certs = CertPaths(data_dir / "security")
        self.credentials = CredentialStore(data_dir / "credentials")

    @property
    def ca_file(self) -> Path:
        return self.certs.ca_cert

    def create(self, brokers: int) -> Credential:
        """Make the CA, one store per node and the admin credential; return the admin's."""
        private_dir(self.certs.folder)
        make_ca(self.certs)
        for node in range(1, brokers + 1):
            make_broker_cert(self.certs, node)
        return self.credentials.issue(ADMIN)

    def admin(self) -> Credential:
        """The admin super-user's credential; a SetupError if it is missing."""
        credential = self.credentials.get(ADMIN)
        if credential is None:
            raise SetupError(
                f"The admin credential of the secured cluster in {self.data_dir} is missing.",
                hint=f"Restore {self.credentials.path(ADMIN)}; without it nobody may manage "
                "the cluster (start a new cluster in a new --data-dir otherwise).",
            )
        return credential

    def check(self, brokers: int) -> None:
        """Every file a secured node needs exists; else a SetupError naming it."""
        needed = [self.certs.ca_cert] + [self.certs.broker_store(n) for n in range(1, brokers + 1)]
        for path in needed:
            if not path.exists():
                raise SetupError(
                    f"The secured cluster in {self.data_dir} lacks {path}.",
                    hint="Restore it from a backup; Frontline does not re-issue certificates "
                    "of a recorded cluster.",
                )
        self.admin()
        os.chmod(self.certs.folder, 0o700)

    def properties(self, template: Template, *, node: int, port: int, controller_port: int) -> str:
        """The secure listener, TLS, SASL and authorizer properties of node ``node``."""
        admin = self.admin()
        return template.substitute(
            port=port,
            controller_port=controller_port,
            admin=admin.username,
            admin_password=admin.password,
            # The controller listener authenticates with PLAIN (SCRAM credentials live in the
            # metadata log, which controllers must read first); its password is the admin's.
            controller_password=admin.password,
            keystore=self.certs.broker_store(node),
            truststore=self.certs.ca_cert,
        )


def admin_client_kwargs(material: SecureMaterial) -> dict[str, object]:
    """aiokafka connection arguments for the admin super-user on a secured local cluster."""
    from aiokafka.helpers import create_ssl_context  # noqa: PLC0415  # why: only secured runs

    admin = material.admin()
    return {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": admin.mechanism,
        "sasl_plain_username": admin.username,
        "sasl_plain_password": admin.password,
        "ssl_context": create_ssl_context(cafile=str(material.ca_file)),
    }
