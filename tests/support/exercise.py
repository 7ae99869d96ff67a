"""Checks on an exercise report that several end-to-end tests share."""

from __future__ import annotations

from typing import Any

__all__ = ["assert_way_back"]


def assert_way_back(report: dict[str, Any]) -> None:
    """Hits of every outcome, each forwarded one acknowledged, every held version receipted."""
    names = {c["name"] for c in report["accounting"]}
    assert {
        "every hit reached its originating organization and country exactly once, no one else",
        "every acknowledgement reached the reporting post",
        "every flag reached its organization once and shows at its country's posts",
        "every delivered version has a receipt from every intended post",
    } <= names
    way = report["wayback"]
    assert all(n >= 1 for n in way["hits_by_outcome"].values()), way["hits_by_outcome"]
    forwarded = sum(way["hits_by_outcome"].values()) - way["hits_by_outcome"]["FALSE_MATCH"]
    assert way["acknowledged"] == forwarded == way["report_to_ack"]["count"]
    assert way["report_to_ack"]["p50_ms"] >= way["ack_delay_s"] * 1000
    assert way["flags"] >= 1
    assert way["versions_counted"] > 0
    assert way["versions_with_every_receipt"] == way["versions_counted"]
