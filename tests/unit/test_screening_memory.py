"""The screening memos are bounded: a post screening for hours stops growing for them."""

from __future__ import annotations

import random
import string
import tracemalloc

from gateway.post.screening import names, normalize

MB = 1_000_000


def _tokens(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    letters = string.ascii_lowercase
    return ["".join(rng.choices(letters, k=rng.randint(4, 9))) for _ in range(count)]


def _growth(fill: int, call: object) -> int:
    """Bytes still held after ``fill`` calls of ``call(i)`` (tokens made beforehand)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(fill):
            call(i)  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_token_pair_memo_holds_its_bound_in_under_four_megabytes() -> None:
    """Past its size the token-pair memo keeps its size and holds under 4 MB in all."""
    left, right = _tokens(400, 1), _tokens(400, 2)
    for token in left + right:  # the per-token memos are not what this test measures
        normalize.skeleton_keys(token)
        normalize.bare(token)
    names._token_sim.cache_clear()
    fill = names.TOKEN_PAIR_MEMO + 2_000
    held = _growth(fill, lambda i: names._token_sim(left[i % 400], right[i // 400], False))
    assert names._token_sim.cache_info().currsize == names.TOKEN_PAIR_MEMO
    assert held < 4 * MB, f"{held / MB:.1f} MB"
    names._token_sim.cache_clear()


def test_name_pair_memo_holds_its_bound_with_the_token_memo_under_six_megabytes() -> None:
    """Past its size the name-pair memo keeps its size; with the token memo, under 6 MB."""
    pool = _tokens(300, 3)
    queries = [(pool[i % 300], pool[(i * 7) % 300]) for i in range(200)]
    entries = [(pool[(i * 11) % 300], pool[(i * 13) % 300], pool[i % 300]) for i in range(200)]
    for q in queries:  # warm the token memos: only the name memo's growth is measured
        for e in entries[:5]:
            names._name_similarity(q, e, False)
    names._name_similarity.cache_clear()
    names._token_sim.cache_clear()
    fill = names.NAME_PAIR_MEMO + 1_000

    def call(i: int) -> None:
        names._name_similarity(queries[i % 200], entries[i // 200], False)

    held = _growth(fill, call)
    assert names._name_similarity.cache_info().currsize == names.NAME_PAIR_MEMO
    # The token-pair memo fills alongside (bounded by the test above).
    assert held < 6 * MB, f"{held / MB:.1f} MB"
    names._name_similarity.cache_clear()
    names._token_sim.cache_clear()
