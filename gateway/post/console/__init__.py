"""The officer's console: a web page served by the post at ``/`` (issue 15).

Sign in with an officer's token, screen a traveller (typed, or from a pasted or scanned MRZ)
or a conveyance, see the ranked hits with their reasons, actions, cautions, sources and TLP
markings, report a hit and follow its acknowledgement, and always see how fresh the
watchlist is. Labels in English, French, Spanish and Arabic. Every asset is served by the
post itself (``/console/static/``): a border post may have no Internet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

if TYPE_CHECKING:
    from gateway.post.service import PostService

__all__ = ["install"]


def install(app: FastAPI, service: PostService) -> None:
    """Add the console's pages, fragments and static files to a post's app."""
    from gateway.post.console.views import install_routes  # noqa: PLC0415  # why: views import the API module, which imports this package

    install_routes(app, service)
