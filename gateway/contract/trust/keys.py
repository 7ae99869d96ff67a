"""Ed25519 key files: generating an organization's key pair and loading a private key safely.

A private key is PEM (PKCS#8, unencrypted) in a file only its owner can read (mode 0600,
created that way, never widened); a file readable by group or others is refused. The
public key is written next to it (``.pub``, PEM) and, with its id and validity, as the
``[[keys]]`` entry of the trust file.
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from gateway.contract.enums import Org
from gateway.contract.trust.file import TrustedKey, add_key, key_id_of
from gateway.errors import ConfigError

__all__ = [
    "DEFAULT_VALIDITY",
    "GeneratedKey",
    "demo_key_path",
    "generate_demo_keys",
    "generate_key",
    "load_private_key",
]

DEFAULT_VALIDITY = timedelta(days=365)
DEMO_TRUST_FILE = "trust.toml"


@dataclass(frozen=True)
class GeneratedKey:
    """A new key pair: its trust-file entry and where its two files were written."""

    entry: TrustedKey
    private_path: Path
    public_path: Path


def generate_key(
    org: Org | str,
    out_dir: Path,
    *,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    stem: str | None = None,
) -> GeneratedKey:
    """Make a key pair for ``org`` in ``out_dir`` (``<stem>.key`` 0600, ``<stem>.pub``).

    ``stem`` defaults to ``<ORG>-<key id>``; validity defaults to now for a year.
    An existing file is never overwritten.
    """
    code = _org(org)
    start = valid_from or datetime.now(UTC).replace(microsecond=0)
    end = valid_until or start + DEFAULT_VALIDITY
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = key_id_of(raw)
    entry = TrustedKey(
        org=code,
        id=key_id,
        public_key=base64.b64encode(raw).decode("ascii"),
        valid_from=start,
        valid_until=end,
    )
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = stem or f"{code.value}-{key_id}"
    private_path, public_path = out_dir / f"{name}.key", out_dir / f"{name}.pub"
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    _write_new(private_path, pem, 0o600)
    public_pem = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    _write_new(public_path, public_pem, 0o644)
    return GeneratedKey(entry, private_path, public_path)


def _org(org: Org | str) -> Org:
    try:
        return Org(str(org))
    except ValueError:
        raise ConfigError(
            f"{org!r} is not an organization code",
            hint=f"use one of {', '.join(o.value for o in Org)}",
        ) from None


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` from the start (no window with wider permissions)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, flags, mode)
    except FileExistsError:
        raise ConfigError(
            f"{path} already exists; a key file is never overwritten",
            hint="choose another --out directory or remove the old key deliberately",
        ) from None
    with os.fdopen(handle, "wb") as out:
        os.fchmod(out.fileno(), mode)
        out.write(data)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file only its owner can read (``ConfigError`` else)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(
                f"signing key {path} is not a regular file",
                hint="point the connector at the .key file `frontline keys generate` wrote",
            )
        loose = info.st_mode & 0o077
        if loose:
            raise ConfigError(
                f"signing key {path} is readable or writable by group or others"
                f" (mode {stat.S_IMODE(info.st_mode):04o}); refusing to use it",
                hint=f"`chmod 600 {path}`, and replace the key if others may have read it",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read signing key {path}: {exc.strerror or exc}",
            hint="generate one with `frontline keys generate ORG`",
        ) from None
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"signing key {path} is not an unencrypted PEM private key: {exc}",
            hint="use the .key file `frontline keys generate` wrote",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(
            f"signing key {path} is a {type(key).__name__}, not an Ed25519 key",
            hint="generate one with `frontline keys generate ORG`",
        )
    return key


def demo_key_path(directory: Path, org: Org | str) -> Path:
    """Where ``generate_demo_keys`` put ``org``'s private key."""
    return directory / f"{_org(org).value}.key"


def generate_demo_keys(
    directory: Path, orgs: Iterable[Org | str] | None = None, *, now: datetime | None = None
) -> Path:
    """A throw-away key set for an exercise: one key per organization, and its trust file.

    Keys are ``<ORG>.key``/``<ORG>.pub`` in ``directory`` (see ``demo_key_path``), valid
    from a day before ``now`` to 30 days after; returns the path of ``directory/trust.toml``.
    """
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    trust = directory / DEMO_TRUST_FILE
    codes = [_org(o) for o in (orgs if orgs is not None else Org)]
    for code in dict.fromkeys(codes):
        made = generate_key(
            code,
            directory,
            valid_from=moment - timedelta(days=1),
            valid_until=moment + timedelta(days=30),
            stem=code.value,
        )
        add_key(trust, made.entry)
    return trust
