"""Placeholder: the routes of this module are being built (issue 15)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

if TYPE_CHECKING:
    from gateway.post.service import PostService

__all__ = ["install"]


def install(app: FastAPI, service: PostService) -> None:
    """Add this module's routes to a post's app (none yet)."""
    del app, service
