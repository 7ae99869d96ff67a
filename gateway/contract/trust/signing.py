"""Ed25519 signatures over an alert's exact payload bytes: the connector's ``Signer`` and the
verifiers' ``TrustStore`` (the hub and every border post).

The signed message binds the payload to its organization, key and signing time::

    b"frontline-sig-v1\\n" + ORG + b"\\n" + KEY_ID + b"\\n" + SIGNING_TIME_MS + b"\\n" + PAYLOAD

so nobody downstream can move a signature to another organization's record or change the
signing time the trust file's windows are checked against. Everything travels as ASCII
headers (key id, base64 signature, decimal epoch milliseconds), so headers that pass through
``gateway.kafka.headers.RouteHeaders`` as text survive unchanged.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway.contract.enums import Org
from gateway.contract.trust.file import TrustedKey, TrustFile, key_id_of, read_trust_file
from gateway.contract.trust.keys import load_private_key
from gateway.errors import ConfigError

__all__ = [
    "SIG_HEADERS",
    "Reason",
    "SigHeaders",
    "Signer",
    "TrustStore",
    "Verdict",
    "from_epoch_ms",
    "signed_message",
    "to_epoch_ms",
]

_ORGS = frozenset(o.value for o in Org)
SIGNATURE_BYTES = 64
_DOMAIN = b"frontline-sig-v1\n"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_LAST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last time a datetime holds


class SigHeaders:
    """Kafka header names of a signature (here until ``gateway.kafka.headers`` takes them)."""

    KEY = "fl-sig-key"  # the key id, 16 hex digits
    SIG = "fl-sig"  # the 64-byte Ed25519 signature, standard base64
    TS = "fl-sig-ts"  # the signing time, epoch milliseconds, covered by the signature


SIG_HEADERS = frozenset({SigHeaders.KEY, SigHeaders.SIG, SigHeaders.TS})
_ORDER = (SigHeaders.KEY, SigHeaders.SIG, SigHeaders.TS)


class Reason(StrEnum):
    """Why a signature is refused; each value is also the record's quarantine reason."""

    MISSING_SIGNATURE = "missing_signature"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    WRONG_ORG = "wrong_org"
    KEY_NOT_VALID_YET = "key_not_valid_yet"
    KEY_EXPIRED = "key_expired"
    KEY_REVOKED = "key_revoked"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one verification: ``ok``, or the ``reason`` it was refused."""

    reason: Reason | None
    key_id: str | None = None

    @property
    def ok(self) -> bool:
        """True when the signature verified under a key valid at its signing time."""
        return self.reason is None


def to_epoch_ms(at: datetime) -> int:
    """Whole epoch milliseconds of an aware datetime (exact integer arithmetic)."""
    return (at - _EPOCH) // _MS


def from_epoch_ms(ms: int) -> datetime:
    """The UTC datetime of epoch milliseconds."""
    return _EPOCH + ms * _MS


def signed_message(org: str, key_id: str, signed_at_ms: int, payload: bytes) -> bytes:
    """The exact bytes an organization's key signs for ``payload``."""
    head = f"{org}\n{key_id}\n{signed_at_ms}\n".encode("ascii")
    return b"".join((_DOMAIN, head, payload))


class Signer:
    """A connector's signing key: signs payload bytes and returns the headers to publish."""

    def __init__(self, org: str, private_key: Ed25519PrivateKey) -> None:
        if str(org) not in _ORGS:
            raise ConfigError(
                f"{org!r} is not an organization code",
                hint=f"sign as one of {', '.join(sorted(_ORGS))}",
            )
        self.org = str(org)
        self._key = private_key
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id_of(raw)

    @classmethod
    def from_file(cls, path: Path, org: str) -> Signer:
        """Load ``org``'s private key (PEM, mode 0600 or stricter, else a ``ConfigError``)."""
        return cls(org, load_private_key(path))

    def sign(self, payload: bytes, at: datetime | None = None) -> list[tuple[str, bytes]]:
        """Sign ``payload`` as of ``at`` (now by default); the three headers to add."""
        signed_at_ms = to_epoch_ms(at or datetime.now(UTC))
        signature = self._key.sign(signed_message(self.org, self.key_id, signed_at_ms, payload))
        return [
            (SigHeaders.KEY, self.key_id.encode("ascii")),
            (SigHeaders.SIG, base64.b64encode(signature)),
            (SigHeaders.TS, str(signed_at_ms).encode("ascii")),
        ]


@dataclass(frozen=True, slots=True)
class _Key:
    entry: TrustedKey
    public: Ed25519PublicKey


class TrustStore:
    """The public keys of a trust file, ready to verify (keys are parsed once)."""

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
        self._keys = {
            k.id: _Key(k, Ed25519PublicKey.from_public_bytes(k.raw_public_key)) for k in keys
        }

    @classmethod
    def from_file(cls, path: Path) -> TrustStore:
        """Load and validate a trust file (``ConfigError`` naming ``file:line`` otherwise)."""
        return cls.from_model(read_trust_file(path))

    @classmethod
    def from_model(cls, model: TrustFile) -> TrustStore:
        """A store of every key in a parsed trust file."""
        return cls(model.keys)

    def trusted_keys(self) -> list[TrustedKey]:
        """Every trusted key, in file order."""
        return [k.entry for k in self._keys.values()]

    def verify(
        self,
        org: str,
        key_id: str | None,
        payload: bytes,
        signature: bytes | None,
        at: datetime | int | None,
    ) -> Verdict:
        """Check ``signature`` (raw 64 bytes) over ``payload`` by ``org``'s key ``key_id``.

        ``at`` is the signing time the signer claimed (an aware datetime or epoch ms); it is
        part of the signed message, so it must be passed exactly as signed. The signature is
        checked before the key's windows, so a forged record never reports a time reason.
        """
        if not key_id or not signature or at is None:
            return Verdict(Reason.MISSING_SIGNATURE, key_id or None)
        known = self._keys.get(key_id)
        if known is None or known.entry.org.value != str(org):
            return Verdict(Reason.UNKNOWN_KEY if known is None else Reason.WRONG_ORG, key_id)
        signed_at_ms = at if isinstance(at, int) else to_epoch_ms(at)
        if not _signature_ok(
            known.public,
            signed_message(org, key_id, signed_at_ms, payload),
            signature,
            signed_at_ms,
        ):
            return Verdict(Reason.BAD_SIGNATURE, key_id)
        status = known.entry.status(from_epoch_ms(signed_at_ms))
        if status != "valid":
            return Verdict(Reason(f"key_{status}"), key_id)
        return Verdict(None, key_id)

    def verify_headers(
        self, org: str, payload: bytes, headers: Iterable[tuple[str, bytes]] | None
    ) -> Verdict:
        """Verify a record as published: the signature headers read from ``headers``.

        A header that is absent gives ``missing_signature``; one that is repeated or
        unreadable gives ``bad_signature`` (nothing ambiguous is trusted).
        """
        found: dict[str, bytes] = {}
        for name, value in headers or ():
            if name in SIG_HEADERS:
                if name in found:
                    return Verdict(Reason.BAD_SIGNATURE)
                found[name] = value
        raw_key, raw_sig, raw_ts = (
            found.get(n) for n in (SigHeaders.KEY, SigHeaders.SIG, SigHeaders.TS)
        )
        if not raw_key or not raw_sig or not raw_ts:
            return Verdict(Reason.MISSING_SIGNATURE)
        try:
            key_id = raw_key.decode("ascii")
            signature = base64.b64decode(raw_sig, validate=True)
            signed_at_ms = int(raw_ts.decode("ascii"))
        except (UnicodeDecodeError, binascii.Error, ValueError):
            return Verdict(Reason.BAD_SIGNATURE)
        if len(signature) != SIGNATURE_BYTES:
            return Verdict(Reason.BAD_SIGNATURE, key_id)
        return self.verify(org, key_id, payload, signature, signed_at_ms)


def _signature_ok(
    public: Ed25519PublicKey, message: bytes, signature: bytes, signed_at_ms: int
) -> bool:
    """Whether ``signature`` over ``message`` verifies, with a signing time a datetime holds."""
    if not 0 <= signed_at_ms <= _LAST_MS:
        return False
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True
