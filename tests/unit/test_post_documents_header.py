"""The national node's ``fl-doc`` header: a bootstrapping post reads travel documents from it
without decoding the payload, and only where it may (no signature checks)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from aiokafka import TopicPartition

from gateway.contract import AlertKind
from gateway.contract.codec import decode_dict
from gateway.contract.trust import TrustStore
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.signatures import BatchVerifier
from gateway.node.route import DOCUMENT_HEADER, document_header
from gateway.post import PostService
from gateway.post.screening import PersonQuery
from gateway.post.screening.documents import decode_document, document_from_header
from gateway.settings import Settings
from tests.support.alerts import make_alert


def _payload(alert_id: str, number: str, version: int = 1) -> bytes:
    return make_alert(
        alert_id, version, kind=AlertKind.TRAVEL_DOCUMENT,
        subject={"document_number": number, "issuing_country": "deu", "status": "LOST"},
    )  # fmt: skip


def _record(offset: int, alert_id: str, payload: bytes, doc: bytes | None) -> SimpleNamespace:
    headers = RouteHeaders(
        kind="TRAVEL_DOCUMENT", org="INTERPOL", tlp="GREEN", status="ACTUAL",
        msg_type="ALERT", version=1,
    ).to_kafka()  # fmt: skip
    if doc is not None:
        headers.append((DOCUMENT_HEADER, doc))
    return SimpleNamespace(offset=offset, key=alert_id.encode(), value=payload, headers=headers)


def test_node_header_reads_back_as_the_decoded_document() -> None:
    """The header the node writes gives the post the very document decoding would give."""
    payload = _payload("INTERPOL:SLTD-7", "C01X00T47", 3)
    doc = document_header(decode_dict(payload)[1])
    assert doc is not None
    assert document_from_header("INTERPOL:SLTD-7", "INTERPOL", doc) == decode_document(
        payload, org="INTERPOL"
    )
    assert document_from_header("INTERPOL:SLTD-7", "INTERPOL", b"2\x1fX") is None


def test_bootstrap_takes_documents_from_the_header_not_the_payload(tmp_path: Path) -> None:
    """While bootstrapping without signature checks the header is what the post keeps (the
    payload is not decoded); once caught up, the payload is decoded again."""
    service = PostService(Settings(data_dir=tmp_path, receipts=False), "FRA", "CDG")
    told = document_header(decode_dict(_payload("INTERPOL:SLTD-1", "HEADER1"))[1])
    tp = TopicPartition(service.topic, 0)
    service.feed.apply(
        {tp: [_record(0, "INTERPOL:SLTD-1", _payload("INTERPOL:SLTD-1", "PAYLOAD1"), told)]}
    )
    assert service.screen_person(PersonQuery(document_number="HEADER1")).documents
    assert not service.screen_person(PersonQuery(document_number="PAYLOAD1")).documents
    service.feed.caught_up.set()
    told2 = document_header(decode_dict(_payload("INTERPOL:SLTD-2", "HEADER2"))[1])
    service.feed.apply(
        {tp: [_record(1, "INTERPOL:SLTD-2", _payload("INTERPOL:SLTD-2", "PAYLOAD2"), told2)]}
    )
    assert service.screen_person(PersonQuery(document_number="PAYLOAD2")).documents
    service.close()


def test_mixed_runs_keep_the_partition_order(tmp_path: Path) -> None:
    """Headed documents, payload-only documents and a tombstone fold in offset order."""
    service = PostService(Settings(data_dir=tmp_path, receipts=False), "FRA", "CDG")

    def headed(offset: int, alert_id: str, number: str) -> SimpleNamespace:
        payload = _payload(alert_id, number)
        return _record(offset, alert_id, payload, document_header(decode_dict(payload)[1]))

    tomb = _record(2, "INTERPOL:SLTD-1", b"", None)
    tomb.value = None
    service.feed.apply(
        {
            TopicPartition(service.topic, 0): [
                headed(0, "INTERPOL:SLTD-1", "A1"),
                _record(1, "INTERPOL:SLTD-2", _payload("INTERPOL:SLTD-2", "B2"), None),
                tomb,
                headed(3, "INTERPOL:SLTD-3", "C3"),
            ]
        }
    )
    assert service.store.document_count() == 2
    assert not service.screen_person(PersonQuery(document_number="A1")).documents
    assert service.screen_person(PersonQuery(document_number="B2")).documents
    assert service.screen_person(PersonQuery(document_number="C3")).documents
    service.close()


def test_with_signature_checks_the_header_is_not_trusted(tmp_path: Path) -> None:
    """A post with a trust store verifies every payload: an unsigned document carrying an
    ``fl-doc`` header is refused, not taken from its (unsigned) header."""
    service = PostService(Settings(data_dir=tmp_path, receipts=False), "FRA", "CDG")
    service.feed.verifier = BatchVerifier(TrustStore([]))
    payload = _payload("INTERPOL:SLTD-9", "UNSIGNED9")
    told = document_header(decode_dict(payload)[1])
    service.feed.apply(
        {TopicPartition(service.topic, 0): [_record(0, "INTERPOL:SLTD-9", payload, told)]}
    )
    assert len(service.documents) == 0
    assert service.store.document_count() == 0
    service.close()
