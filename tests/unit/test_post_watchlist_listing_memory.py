"""GET /watchlist streams its items without a model per entry: a listing costs little memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import httpx
from aiokafka import TopicPartition

from gateway.post import PostService
from gateway.post.api import create_app
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.post import feed_record

ENTRIES = 3_000


async def test_listing_a_watchlist_peaks_under_350_bytes_an_entry(tmp_path: Path) -> None:
    """Listing 3,000 entries raises the process's traced memory by under 350 bytes an entry at
    its peak, the client's copy of the body included (a pydantic model per entry: 574)."""
    service = PostService(Settings(data_dir=tmp_path, receipts=False), "FRA", "CDG")
    records = [
        feed_record(i, f"INTERPOL:N-{i}", make_alert(f"INTERPOL:N-{i}"), "WANTED_PERSON")
        for i in range(ENTRIES)
    ]
    service.feed.apply({TopicPartition(service.topic, 0): records})
    _, token = service.officers.add("Officer Test")
    transport = httpx.ASGITransport(app=create_app(service))
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://p", headers=auth) as web:
        await web.get("/watchlist")  # first call: imports and caches out of the measure
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            answer = await web.get("/watchlist")
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
    listed = answer.json()
    service.close()
    assert listed["size"] == ENTRIES
    assert len(listed["items"]) == ENTRIES
    assert peak / ENTRIES < 350, f"{peak / ENTRIES:.0f} bytes an entry"
