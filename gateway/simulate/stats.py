"""Small statistics helpers for the report: quantiles of latency samples."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

__all__ = ["Quantiles", "quantiles"]


class Quantiles(BaseModel):
    """p50/p95/p99/max of a sample, in milliseconds."""

    model_config = ConfigDict(frozen=True)

    count: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


def _pick(ordered: Sequence[float], q: float) -> float:
    # Nearest-rank quantile: the smallest value with at least q of the sample at or below it.
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def quantiles(samples_ms: Sequence[float]) -> Quantiles:
    """Nearest-rank quantiles of ``samples_ms``; all None for an empty sample."""
    if not samples_ms:
        return Quantiles(count=0, p50_ms=None, p95_ms=None, p99_ms=None, max_ms=None)
    ordered = sorted(samples_ms)
    return Quantiles(
        count=len(ordered),
        p50_ms=round(_pick(ordered, 0.50), 2),
        p95_ms=round(_pick(ordered, 0.95), 2),
        p99_ms=round(_pick(ordered, 0.99), 2),
        max_ms=round(ordered[-1], 2),
    )
