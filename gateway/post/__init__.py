"""The border-post client: local watchlist from its feed, screening API, frontline latency."""

from __future__ import annotations

from gateway.post.feed import PostFeed
from gateway.post.metrics import PostMetrics
from gateway.post.service import PostService, resolve_post, store_path
from gateway.post.store import PostStore

__all__ = ["PostFeed", "PostMetrics", "PostService", "PostStore", "resolve_post", "store_path"]
