"""Signing and verification: round trip, tampering, unknown keys, orgs, rotation, revocation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.contract.trust import (
    GeneratedKey,
    Reason,
    SigHeaders,
    Signer,
    TrustedKey,
    TrustStore,
    generate_key,
    load_private_key,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
PAYLOAD = b"\xc3\x01" + bytes(range(256)) * 2  # shaped like a framed alert: binary, ~500 bytes


def _key(tmp_path: Path, org: str = "INTERPOL", days: int = 30, **changes: object) -> GeneratedKey:
    made = generate_key(org, tmp_path, valid_from=T0, valid_until=T0 + days * DAY)
    if changes:
        made = GeneratedKey(
            made.entry.model_copy(update=changes), made.private_path, made.public_path
        )
    return made


def _signer(made: GeneratedKey) -> Signer:
    return Signer(made.entry.org.value, load_private_key(made.private_path))


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _parts(headers: list[tuple[str, bytes]]) -> tuple[str, bytes, int]:
    found = dict(headers)
    return (
        found[SigHeaders.KEY].decode(),
        base64.b64decode(found[SigHeaders.SIG]),
        int(found[SigHeaders.TS]),
    )


def test_round_trip_verifies(tmp_path: Path) -> None:
    """A payload signed by an organization's key verifies under the trust store, via headers too."""
    made = _key(tmp_path)
    store = TrustStore([made.entry])
    headers = _signer(made).sign(PAYLOAD, at=T0 + DAY)
    key_id, signature, at_ms = _parts(headers)
    assert store.verify("INTERPOL", key_id, PAYLOAD, signature, at_ms).ok
    assert store.verify("INTERPOL", key_id, PAYLOAD, signature, T0 + DAY).ok
    verdict = store.verify_headers("INTERPOL", PAYLOAD, headers)
    assert verdict.ok
    assert verdict.key_id == made.entry.id


@pytest.mark.parametrize("index", [0, 5, len(PAYLOAD) - 1])
def test_one_flipped_payload_byte_is_a_bad_signature(tmp_path: Path, index: int) -> None:
    """Flipping any single payload byte after signing makes the record a bad_signature."""
    made = _key(tmp_path)
    headers = _signer(made).sign(PAYLOAD, at=T0 + DAY)
    verdict = TrustStore([made.entry]).verify_headers("INTERPOL", _flip(PAYLOAD, index), headers)
    assert verdict.reason is Reason.BAD_SIGNATURE


@pytest.mark.parametrize("index", [0, 31, 63])
def test_one_flipped_signature_byte_is_a_bad_signature(tmp_path: Path, index: int) -> None:
    """Flipping any single byte of the signature makes it a bad_signature."""
    made = _key(tmp_path)
    key_id, signature, at_ms = _parts(_signer(made).sign(PAYLOAD, at=T0 + DAY))
    verdict = TrustStore([made.entry]).verify(
        "INTERPOL", key_id, PAYLOAD, _flip(signature, index), at_ms
    )
    assert verdict.reason is Reason.BAD_SIGNATURE


def test_a_changed_signing_time_is_a_bad_signature(tmp_path: Path) -> None:
    """The signing time is signed: moving it (e.g. to before a revocation) breaks the signature."""
    made = _key(tmp_path)
    key_id, signature, at_ms = _parts(_signer(made).sign(PAYLOAD, at=T0 + DAY))
    verdict = TrustStore([made.entry]).verify("INTERPOL", key_id, PAYLOAD, signature, at_ms - 1)
    assert verdict.reason is Reason.BAD_SIGNATURE


def test_missing_headers_are_a_missing_signature(tmp_path: Path) -> None:
    """A record without any of the three signature headers is refused as missing_signature."""
    made = _key(tmp_path)
    store = TrustStore([made.entry])
    headers = _signer(made).sign(PAYLOAD, at=T0 + DAY)
    assert store.verify_headers("INTERPOL", PAYLOAD, None).reason is Reason.MISSING_SIGNATURE
    for name in (SigHeaders.KEY, SigHeaders.SIG, SigHeaders.TS):
        partial = [(k, v) for k, v in headers if k != name]
        assert store.verify_headers("INTERPOL", PAYLOAD, partial).reason is Reason.MISSING_SIGNATURE


def test_repeated_or_unreadable_headers_are_a_bad_signature(tmp_path: Path) -> None:
    """A second signature header, non-base64 signature or non-numeric time is never trusted."""
    made = _key(tmp_path)
    store = TrustStore([made.entry])
    headers = _signer(made).sign(PAYLOAD, at=T0 + DAY)
    others = [(k, v) for k, v in headers if k != SigHeaders.SIG]
    bad = [
        [*headers, (SigHeaders.SIG, dict(headers)[SigHeaders.SIG])],
        [*others, (SigHeaders.SIG, b"not base64!")],
        [*others, (SigHeaders.SIG, base64.b64encode(b"short"))],
        [*[(k, v) for k, v in headers if k != SigHeaders.TS], (SigHeaders.TS, b"yesterday")],
    ]
    for variant in bad:
        assert store.verify_headers("INTERPOL", PAYLOAD, variant).reason is Reason.BAD_SIGNATURE


def test_a_key_not_in_the_trust_file_is_unknown(tmp_path: Path) -> None:
    """A signature by a key the trust file does not list is unknown_key."""
    trusted, stranger = _key(tmp_path / "a"), _key(tmp_path / "b")
    headers = _signer(stranger).sign(PAYLOAD, at=T0 + DAY)
    verdict = TrustStore([trusted.entry]).verify_headers("INTERPOL", PAYLOAD, headers)
    assert verdict.reason is Reason.UNKNOWN_KEY


def test_another_organizations_key_is_wrong_org(tmp_path: Path) -> None:
    """A record claiming EUROPOL but signed with INTERPOL's trusted key is wrong_org."""
    made = _key(tmp_path)
    headers = _signer(made).sign(PAYLOAD, at=T0 + DAY)
    verdict = TrustStore([made.entry]).verify_headers("EUROPOL", PAYLOAD, headers)
    assert verdict.reason is Reason.WRONG_ORG


def test_signer_for_another_org_than_its_key_is_wrong_org(tmp_path: Path) -> None:
    """A connector signing as EUROPOL with INTERPOL's key is refused under either org."""
    made = _key(tmp_path)
    headers = Signer("EUROPOL", load_private_key(made.private_path)).sign(PAYLOAD, at=T0 + DAY)
    store = TrustStore([made.entry])
    assert store.verify_headers("EUROPOL", PAYLOAD, headers).reason is Reason.WRONG_ORG
    assert store.verify_headers("INTERPOL", PAYLOAD, headers).reason is Reason.BAD_SIGNATURE


def test_signing_time_outside_the_window(tmp_path: Path) -> None:
    """Signed before valid_from is key_not_valid_yet; at or after valid_until is key_expired."""
    made = _key(tmp_path, days=10)
    store, signer = TrustStore([made.entry]), _signer(made)
    early = signer.sign(PAYLOAD, at=T0 - timedelta(milliseconds=1))
    late = signer.sign(PAYLOAD, at=T0 + 10 * DAY)
    assert store.verify_headers("INTERPOL", PAYLOAD, early).reason is Reason.KEY_NOT_VALID_YET
    assert store.verify_headers("INTERPOL", PAYLOAD, late).reason is Reason.KEY_EXPIRED


def test_rotation_overlap_both_keys_verify(tmp_path: Path) -> None:
    """During the overlap of an old and a new key both verify; after it only the new one does."""
    old = _key(tmp_path / "old", days=30)
    new = generate_key(
        "INTERPOL", tmp_path / "new", valid_from=T0 + 20 * DAY, valid_until=T0 + 400 * DAY
    )
    store = TrustStore([old.entry, new.entry])
    overlap, after = T0 + 25 * DAY, T0 + 31 * DAY
    for made in (old, new):
        assert store.verify_headers("INTERPOL", PAYLOAD, _signer(made).sign(PAYLOAD, at=overlap)).ok
    assert store.verify_headers("INTERPOL", PAYLOAD, _signer(new).sign(PAYLOAD, at=after)).ok
    stale = _signer(old).sign(PAYLOAD, at=after)
    assert store.verify_headers("INTERPOL", PAYLOAD, stale).reason is Reason.KEY_EXPIRED


def test_an_alert_signed_before_expiry_still_verifies_later(tmp_path: Path) -> None:
    """Verification time does not matter: an alert signed inside the window stays good."""
    made = _key(tmp_path, days=10)
    headers = _signer(made).sign(PAYLOAD, at=T0 + DAY)
    assert TrustStore([made.entry]).verify_headers("INTERPOL", PAYLOAD, headers).ok


def test_revocation_refuses_signatures_from_its_time_on(tmp_path: Path) -> None:
    """A revoked key's signatures at or after revoked_at are key_revoked; earlier ones verify."""
    revoked_at = T0 + 5 * DAY
    made = _key(tmp_path, revoked_at=revoked_at)
    store, signer = TrustStore([made.entry]), _signer(made)
    before = signer.sign(PAYLOAD, at=revoked_at - timedelta(milliseconds=1))
    at_revocation = signer.sign(PAYLOAD, at=revoked_at)
    assert store.verify_headers("INTERPOL", PAYLOAD, before).ok
    assert store.verify_headers("INTERPOL", PAYLOAD, at_revocation).reason is Reason.KEY_REVOKED


def test_a_forged_signature_under_a_revoked_key_reports_bad_signature(tmp_path: Path) -> None:
    """The signature is checked before the windows, so forgery is never reported as a time."""
    made = _key(tmp_path, revoked_at=T0 + DAY)
    key_id, signature, at_ms = _parts(_signer(made).sign(PAYLOAD, at=T0 + 2 * DAY))
    verdict = TrustStore([made.entry]).verify(
        "INTERPOL", key_id, _flip(PAYLOAD, 1), signature, at_ms
    )
    assert verdict.reason is Reason.BAD_SIGNATURE


def test_signer_refuses_an_unknown_org(tmp_path: Path) -> None:
    """A Signer for a code that is no organization fails at start, not at the hub."""
    made = _key(tmp_path)
    with pytest.raises(Exception, match="not an organization code"):
        Signer("NOBODY", load_private_key(made.private_path))


def test_entry_fields_round_trip(tmp_path: Path) -> None:
    """The generated entry's id is derived from its public key as the trust file requires."""
    made = _key(tmp_path)
    again = TrustedKey.model_validate(made.entry.model_dump())
    assert again == made.entry
    assert len(made.entry.id) == 16
