"""Who is asking: the officer behind a request's bearer token, for every post endpoint.

The token is ``<officer id>.<secret>`` from `frontline post officers add` (officers.py).
Routes declare ``who: Authorized``; the officers are those of the post whose app answers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.errors import FrontlineError
from gateway.post.officers import Officer, OfficerRevokedError, Officers

__all__ = ["Authorized", "Credentials", "bearer", "officer_of"]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="officer",
    description="An officer's token from `frontline post officers add POST_ID NAME`.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def officer_of(officers: Officers, credentials: HTTPAuthorizationCredentials | None) -> Officer:
    """The officer behind a request's bearer token: 401 without or wrong, 403 if revoked."""
    try:
        return officers.verify(None if credentials is None else credentials.credentials)
    except OfficerRevokedError as error:
        raise HTTPException(403, error.message) from None
    except FrontlineError as error:
        raise HTTPException(401, error.message, headers={"WWW-Authenticate": "Bearer"}) from None


async def _officer(request: Request, credentials: Credentials) -> Officer:
    """The officer of this request, from the officers of the post whose app answers it."""
    return officer_of(request.app.state.officers, credentials)


Authorized = Annotated[Officer, Depends(_officer)]
