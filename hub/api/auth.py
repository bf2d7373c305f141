"""OAuth2 client credentials for system clients (SMART Backend Services) and token probes.

The token endpoint answers errors in the RFC 6749 §5.2 JSON shape (`{"error": ...}`), not as an
OperationOutcome, because OAuth client libraries parse that shape; it renders them itself.
Everything else raises hub errors for `hub.api.errors` to render.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from hub.api.deps import CallerDep, ReplayCacheDep, SettingsDep, StoreDep
from hub.config import Settings
from hub.security import (
    CLIENT_ASSERTION_TYPE,
    SUPPORTED_SCOPES,
    AuditAction,
    AuditAgent,
    AuditOutcome,
    AuditWriter,
    Client,
    InvalidClientError,
    InvalidRequestError,
    IssuedToken,
    OAuthError,
    ReplayCache,
    UnsupportedGrantTypeError,
    assertion_client_id,
    find_client,
    issue_token,
    split_scope_parameter,
    verify_client_assertion,
    verify_secret,
)
from hub.security.clients import ASSERTION_ALGORITHMS
from hub.store import Store

router = APIRouter(tags=["auth"])

TOKEN_ROUTE = "oauth_token"  # noqa: S105 (a route name)
_FORM = "application/x-www-form-urlencoded"
_MAX_FORM_BYTES = 64 * 1024
_MAX_AGENT_ID = 128
# RFC 6749 §5.2: error_description is limited to these characters.
_NOT_DESCRIPTION_CHARACTER = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
# RFC 6749 §5.1: token responses must not be cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (RFC 6749 token type)
    expires_in: int
    scope: str


class OAuthErrorBody(BaseModel):
    error: str
    error_description: str | None = None


class WhoAmI(BaseModel):
    kind: str
    id: str
    scopes: list[str]
    jurisdiction: str
    token_id: str | None


_TOKEN_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "scope": {"type": "string", "description": "Space-separated; omit for every scope held"},
        "client_assertion_type": {"type": "string", "enum": [CLIENT_ASSERTION_TYPE]},
        "client_assertion": {"type": "string", "description": "Signed JWT (private_key_jwt)"},
    },
}


@router.post(
    "/auth/token",
    name=TOKEN_ROUTE,
    summary="Issue an access token (client credentials)",
    response_model=None,
    responses={
        200: {"model": TokenResponse},
        400: {"model": OAuthErrorBody, "description": "invalid_request, invalid_scope, ..."},
        401: {"model": OAuthErrorBody, "description": "invalid_client"},
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {_FORM: {"schema": _TOKEN_FORM_SCHEMA}}}
    },
)
async def token(
    request: Request, settings: SettingsDep, store: StoreDep, replay_cache: ReplayCacheDep
) -> JSONResponse:
    """Issue an access token (OAuth2 client credentials grant, SMART Backend Services).

    Authenticate with HTTP Basic (`client_secret_basic`) or with a signed JWT
    (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and
    `client_assertion`, i.e. `private_key_jwt`). Every success and failure is audited.
    """
    now = datetime.now(UTC)
    writer = AuditWriter(settings.token_issuer)
    address = request.client.host if request.client else None
    attempt = _Attempt()
    try:
        form = await _read_form(request)
        if "grant_type" not in form:
            raise InvalidRequestError("grant_type is required", "grant_type")
        if form["grant_type"] != "client_credentials":
            raise UnsupportedGrantTypeError(
                "only grant_type=client_credentials is supported", "grant_type"
            )
        client = await _authenticate(request, form, attempt, settings, store, replay_cache, now=now)
        issued = issue_token(client, split_scope_parameter(form.get("scope")), settings, now=now)
    except OAuthError as exc:
        agent = AuditAgent("client", attempt.client_id or "unidentified", address=address)
        await store.run(
            writer.record,
            store.audit,
            action=AuditAction.TOKEN,
            agent=agent,
            now=now,
            outcome=AuditOutcome.MINOR_FAILURE,
            outcome_description=f"{exc.oauth_error}: {exc}",
        )
        return _error_response(exc)
    agent = AuditAgent("client", client.client_id, client.jurisdiction, address=address)
    await store.run(
        writer.record,
        store.audit,
        action=AuditAction.TOKEN,
        agent=agent,
        now=now,
        outcome_description=f"token {issued.token_id} issued; scope: {issued.scope}",
    )
    return _token_response(issued)


@router.get("/auth/whoami", response_model=WhoAmI, summary="Who the access token stands for")
async def whoami(
    caller: CallerDep,
    scope: Annotated[
        list[str] | None,
        Query(description="Answer 403 unless the token grants each of these scopes"),
    ] = None,
) -> WhoAmI:
    """Who the bearer token stands for; optionally check that it grants given scopes.

    A client can use this to test a token before calling the FHIR or message APIs. With one or
    more `scope` parameters the answer is 403 (OperationOutcome naming the missing scopes) unless
    every one is granted, by exactly the check the protected routes use.
    """
    if scope:
        caller.require_scopes(*scope)
    return WhoAmI(
        kind=caller.kind,
        id=caller.id,
        scopes=sorted(caller.scopes),
        jurisdiction=str(caller.jurisdiction),
        token_id=caller.token_id,
    )


@router.get("/.well-known/smart-configuration", summary="SMART configuration")
@router.get("/fhir/.well-known/smart-configuration", include_in_schema=False)
async def smart_configuration(request: Request) -> dict[str, Any]:
    """SMART discovery: token endpoint, client authentication methods and scopes."""
    return {
        "token_endpoint": str(request.url_for(TOKEN_ROUTE)),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        "token_endpoint_auth_signing_alg_values_supported": sorted(ASSERTION_ALGORITHMS),
        "scopes_supported": list(SUPPORTED_SCOPES),
        "capabilities": ["client-confidential-asymmetric", "client-confidential-symmetric"],
    }


@dataclass
class _Attempt:
    """What is known about who is asking, for the audit of a failed request."""

    client_id: str | None = None


async def _read_form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != _FORM:
        raise InvalidRequestError(f"send the parameters as {_FORM}")
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise InvalidRequestError(f"the form exceeds {_MAX_FORM_BYTES} bytes")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, max_num_fields=16
        )
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequestError("the form body is malformed") from None
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        # RFC 6749 §3.2: request parameters must not be included more than once.
        raise InvalidRequestError(f"parameters sent more than once: {', '.join(repeated)}")
    # RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
    return {name: value for name, value in pairs if value}


async def _authenticate(
    request: Request,
    form: dict[str, str],
    attempt: _Attempt,
    settings: Settings,
    store: Store,
    replay_cache: ReplayCache,
    *,
    now: datetime,
) -> Client:
    basic = _basic_credentials(request.headers.get("authorization"))
    uses_assertion = "client_assertion" in form or "client_assertion_type" in form
    if "client_secret" in form:
        raise InvalidClientError("client_secret_post is not supported; use HTTP Basic")
    if basic is not None and uses_assertion:
        raise InvalidRequestError("use exactly one client authentication method")
    if basic is not None:
        attempt.client_id = basic[0][:_MAX_AGENT_ID]
        client = await store.run(find_client, store.clients, basic[0])
        # argon2 takes tens of milliseconds: off the event loop and off the store thread.
        verified = await asyncio.to_thread(verify_secret, client, basic[1])
        if client is None or not verified:
            raise InvalidClientError("client authentication failed")
    elif uses_assertion:
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise InvalidClientError(f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}")
        if "client_assertion" not in form:
            raise InvalidRequestError("client_assertion is required", "client_assertion")
        client_id = assertion_client_id(form["client_assertion"])
        attempt.client_id = client_id[:_MAX_AGENT_ID]
        client = await store.run(find_client, store.clients, client_id)
        if client is None:
            raise InvalidClientError("client authentication failed")
        # On the store thread: the replay check writes to the store.
        await store.run(
            verify_client_assertion,
            form["client_assertion"],
            client,
            str(request.url_for(TOKEN_ROUTE)),
            settings,
            now=now,
            replay_cache=replay_cache,
        )
    else:
        raise InvalidClientError("client authentication required: HTTP Basic or a client_assertion")
    if form.get("client_id", client.client_id) != client.client_id:
        raise InvalidClientError("client_id does not match the authenticated client")
    return client


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClientError("authenticate the client with HTTP Basic or a client_assertion")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClientError("malformed HTTP Basic credentials") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise InvalidClientError("malformed HTTP Basic credentials")
    # RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def _token_response(issued: IssuedToken) -> JSONResponse:
    body = TokenResponse(
        access_token=issued.access_token,
        token_type=issued.token_type,
        expires_in=issued.expires_in,
        scope=issued.scope,
    )
    return JSONResponse(body.model_dump(), headers=_NO_STORE)


def _error_response(exc: OAuthError) -> JSONResponse:
    description = _NOT_DESCRIPTION_CHARACTER.sub("?", str(exc))
    body = OAuthErrorBody(error=exc.oauth_error, error_description=description or None)
    headers = dict(_NO_STORE)
    status = 400
    if isinstance(exc, InvalidClientError):
        # RFC 6749 §5.2: 401 with a challenge for the scheme clients authenticate with.
        status = 401
        headers["WWW-Authenticate"] = 'Basic realm="msix"'
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)
