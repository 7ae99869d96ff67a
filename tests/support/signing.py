"""Throw-away signing keys for the tests of signature checks (hub, node, post)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway.contract.trust import Signer, TrustedKey, key_id_of, render_entry

__all__ = ["flip_byte", "make_key", "trust_text"]


def make_key(org: str, *, revoked_at: datetime | None = None) -> tuple[Signer, TrustedKey]:
    """A fresh key pair: its signer and its trust-file entry (valid from a day ago, 30 days)."""
    now = datetime.now(UTC)
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    entry = TrustedKey(
        org=org, id=key_id_of(raw), public_key=base64.b64encode(raw).decode(),
        valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=30),
        revoked_at=revoked_at,
    )  # fmt: skip
    return Signer(org, private), entry


def trust_text(*entries: TrustedKey) -> str:
    """A trust file listing ``entries``."""
    return "version = 1\n\n" + "\n".join(render_entry(e) for e in entries)


def flip_byte(payload: bytes, index: int = -3) -> bytes:
    """``payload`` with one bit of one byte flipped (near the end: still decodable)."""
    out = bytearray(payload)
    out[index] ^= 0x01
    return bytes(out)
