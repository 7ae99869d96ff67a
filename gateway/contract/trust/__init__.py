"""Signed alerts: Ed25519 keys per organization, the trust file, signing and verification.

Connectors sign with ``Signer``; the hub and the border posts verify with ``TrustStore``.
Lives in ``gateway.contract`` because connectors may import only the contract, Kafka,
settings and errors packages. Design and operations: docs/signing.md.
"""

from __future__ import annotations

from gateway.contract.trust.file import (
    TrustedKey,
    TrustFile,
    add_key,
    key_id_of,
    parse_trust_text,
    read_trust_file,
    render_entry,
    revoke_key,
)
from gateway.contract.trust.keys import (
    GeneratedKey,
    demo_key_path,
    generate_demo_keys,
    generate_key,
    load_private_key,
)
from gateway.contract.trust.signing import (
    SIG_HEADERS,
    Reason,
    SigHeaders,
    Signer,
    TrustStore,
    Verdict,
    from_epoch_ms,
    signed_message,
    to_epoch_ms,
)

__all__ = [
    "SIG_HEADERS",
    "GeneratedKey",
    "Reason",
    "SigHeaders",
    "Signer",
    "TrustFile",
    "TrustStore",
    "TrustedKey",
    "Verdict",
    "add_key",
    "demo_key_path",
    "from_epoch_ms",
    "generate_demo_keys",
    "generate_key",
    "key_id_of",
    "load_private_key",
    "parse_trust_text",
    "read_trust_file",
    "render_entry",
    "revoke_key",
    "signed_message",
    "to_epoch_ms",
]
