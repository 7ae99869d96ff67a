"""The traffic plan's pool of revisable alerts: a draw takes out one held alert chosen
uniformly at random, in constant time, and a put or discard keeps every other one drawable."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from connectors.base import RawRecord
from gateway.simulate.livepool import LivePool


def _record(n: int) -> RawRecord:
    return RawRecord("EUROPOL", "test", n, f"record-{n}".encode())


@given(st.lists(st.tuples(st.sampled_from(["put", "discard", "draw"]), st.integers(0, 20))))
def test_pool_holds_what_a_dict_would(steps: list[tuple[str, int]]) -> None:
    """Any sequence of puts, discards and draws leaves the pool holding exactly what a
    dictionary given the same puts and removals holds, with each id's last record."""
    pool, model, rng = LivePool(), dict[str, RawRecord](), random.Random(3)
    for op, n in steps:
        alert_id = f"A{n}"
        if op == "put":
            pool.put(alert_id, _record(n))
            model[alert_id] = _record(n)
        elif op == "discard":
            assert pool.discard(alert_id) == model.pop(alert_id, None)
        else:
            drawn = pool.draw(rng)
            if not model:
                assert drawn is None
                continue
            key = next(k for k, v in model.items() if v == drawn)
            del model[key]
        assert len(pool) == len(model)
        assert set(pool) == set(model)
        assert all(k in pool for k in model)


def test_draws_are_uniform() -> None:
    """Each of ten held alerts is drawn about as often as any other (put back after each)."""
    pool, rng, seen = LivePool(), random.Random(7), Counter[int]()
    for n in range(10):
        pool.put(f"A{n}", _record(n))
    for _ in range(20_000):
        record = pool.draw(rng)
        assert record is not None
        seen[record.index] += 1
        pool.put(f"A{record.index}", record)
    assert len(seen) == 10
    assert max(seen.values()) < 2_200
    assert min(seen.values()) > 1_800
