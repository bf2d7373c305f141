"""Dependencies shared by the API routers, as `Annotated` aliases.

Failures are raised as hub errors (`AuthenticationError`, `PermissionDeniedError`);
`hub.api.errors` renders them, so no route here picks a status code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.config import Settings
from hub.errors import AuthenticationError, IssueCode, error
from hub.security import Caller, ReplayCache, verify_access_token
from hub.security.scopes import parse_scopes
from hub.store import Store

# auto_error=False: a missing or non-Bearer header reaches `get_caller`, which raises the hub's
# own error. The scheme still appears in OpenAPI, so /docs offers an "Authorize" button.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="Access token from POST /auth/token (OAuth2 client credentials)",
)


# Dependencies are `async def`, even the trivial ones: FastAPI runs a plain `def` dependency in
# its thread pool, two thread hops per request for reading an attribute.


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_store(request: Request) -> Store:
    return cast(Store, request.app.state.store)


async def get_replay_cache(request: Request) -> ReplayCache:
    """Client-assertion replay cache: the store's, shared by every process (unless a test set one).

    Its methods run on the store thread: call them inside `store.run`.
    """
    cache = getattr(request.app.state, "replay_cache", None)
    store = cast(Store, request.app.state.store)
    return cast(ReplayCache, cache if cache is not None else store.assertions)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
ReplayCacheDep = Annotated[ReplayCache, Depends(get_replay_cache)]


async def get_caller(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller behind `Authorization: Bearer <access token>`, or `AuthenticationError`."""
    return _authenticate(request, settings, credentials.credentials if credentials else None)


async def get_caller_direct(request: Request) -> Caller:
    """`get_caller` without sub-dependencies, for the hottest route (the FHIR read, matched
    before the documented one and left out of OpenAPI): FastAPI spends about 30 µs solving each
    dependency. The header is read as `HTTPBearer` reads it."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    settings = cast(Settings, request.app.state.settings)
    return _authenticate(request, settings, token if scheme.lower() == "bearer" else None)


def _authenticate(request: Request, settings: Settings, token: str | None) -> Caller:
    if token is None or not token.strip():
        raise AuthenticationError(
            [
                error(
                    IssueCode.LOGIN,
                    "send an access token from POST /auth/token as 'Authorization: Bearer <token>'",
                    "Authorization",
                )
            ]
        )
    caller = verify_access_token(token.strip(), settings, now=datetime.now(UTC))
    # Kept on the request so audit and logging further down know who called.
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
DirectCallerDep = Annotated[Caller, Depends(get_caller_direct)]


def require_scopes(*scopes: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency giving the caller when their token grants every one of `scopes`.

    Use as `Annotated[Caller, Depends(require_scopes("system/Patient.read"))]`. The scopes are
    parsed here, so a typo fails when the router is imported, not on the first request. v1 and v2
    forms are equivalent: a token holding `system/Patient.rs` passes `system/Patient.read`.
    """
    parse_scopes(scopes)

    async def caller_with_scopes(caller: CallerDep) -> Caller:
        caller.require_scopes(*scopes)
        return caller

    return caller_with_scopes
