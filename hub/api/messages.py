"""`POST /messages` (XML exchange), `GET /messages` (pull a mailbox), `POST /messages/{id}/ack`,
and `PUT|GET|DELETE /messages/endpoint` (the mailbox's push endpoint).

Every exchange answer is XML (`xsd/message-envelope.xsd`, `xsd/message-bodies.xsd`): a message, a
Mailbox page, or an Error message whose type picks the status here. The endpoint routes are
operator configuration and speak JSON (errors as OperationOutcome, like every JSON door).
A message body is capped at `max_xml_bytes` while it is read, before any parsing.
Authentication failures (no or bad token) are answered before the route, as everywhere, with an
OperationOutcome.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from hub.api.deps import CallerDep, SettingsDep, StoreDep
from hub.errors import HubError, IssueCode, TooLargeError, ValidationError, error
from hub.messages.bodies import ErrorType
from hub.messages.envelope import MessageType, mailbox_document
from hub.security import Caller
from hub.services.delivery import (
    PushEndpoint,
    push_endpoint,
    register_push_endpoint,
    remove_push_endpoint,
)
from hub.services.messages import (
    ExchangeContext,
    Reply,
    acknowledge_delivery,
    exchange,
    pull_mailbox,
    refusal,
)

XML = "application/xml"
_XML_TYPES = ("application/xml", "text/xml")

STATUS_BY_ERROR: dict[ErrorType, int] = {
    ErrorType.MESSAGE_TOO_LARGE: 413,
    ErrorType.SCHEMA_INVALID: 422,
    ErrorType.INVALID: 422,
    ErrorType.EXPIRED: 422,
    ErrorType.UNKNOWN_DESTINATION: 422,
    ErrorType.NOT_FOUND: 404,
    ErrorType.DUPLICATE: 409,
    ErrorType.IN_PROGRESS: 409,
    ErrorType.SECURITY: 403,
    ErrorType.DESTINATION_UNAVAILABLE: 503,
    ErrorType.INTERNAL: 500,
}

router = APIRouter(prefix="/messages", tags=["messages"])

_XML_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The hub's answer", "content": {XML: {}}},
    204: {"description": "An acknowledgement was recorded; acknowledgements are never answered"},
    403: {"description": "Error message: not your state, or a security refusal"},
    409: {
        "description": "Error message: MessageId reused with another payload (Duplicate), or "
        "the same message still being processed (InProgress, with Retry-After)"
    },
    413: {"description": "Error message: larger than the limit (nothing was parsed)"},
    422: {"description": "Error message: schema, digest or expiry; every issue located"},
}


@router.post("", summary="Send one XML message", responses=_XML_RESPONSES, response_model=None)
async def send_message(
    request: Request, caller: CallerDep, store: StoreDep, settings: SettingsDep
) -> Response:
    """Send a RecordRequest, MoveNotification, EnrollmentUpdate, Acknowledgement or Ping.

    Needs `msix/messages.write`; a RecordResponse includes immunizations and conditions only for
    `msix/health.read`. The envelope's Sender/State must be the client's own state. A retry (the
    same MessageId and payload) gets the first answer again; the same MessageId with another
    payload is refused as a duplicate (409).
    """
    context = _context(request, caller, settings.max_xml_bytes, settings.token_issuer)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type not in _XML_TYPES:
            raise ValidationError(
                [error(IssueCode.NOT_SUPPORTED, f"send {XML}, not {content_type or 'nothing'}")]
            )
        data = await _read_capped(request, settings.max_xml_bytes)
    except HubError as exc:
        return _reply(refusal(exc, None, context))
    return _reply(await exchange(store, data, context))


@router.get("", summary="Pull messages from your state's mailbox", response_model=None)
async def read_mailbox(
    request: Request,
    caller: CallerDep,
    store: StoreDep,
    settings: SettingsDep,
    since: Annotated[
        datetime | None,
        Query(description="Only messages received after this instant (any status)"),
    ] = None,
    message_type: Annotated[
        MessageType | None, Query(alias="type", description="Only this message type")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """A Mailbox page: without `since`, every message not yet acknowledged; oldest first.

    Needs `msix/messages.read`. Nothing past its Expires is handed out.
    """
    now = datetime.now(UTC)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    try:
        mailbox, entries, more = await store.run(
            pull_mailbox,
            store,
            caller,
            now=now,
            since=since,
            message_type=message_type,
            limit=limit,
        )
    except HubError as exc:
        context = _context(request, caller, settings.max_xml_bytes, settings.token_issuer)
        return _reply(refusal(exc, None, context))
    return Response(mailbox_document(mailbox, entries, more=more), media_type=XML)


@router.post(
    "/{message_id}/ack",
    summary="Acknowledge receipt of a mailbox message",
    status_code=204,
    response_model=None,
)
async def acknowledge(
    request: Request, message_id: str, caller: CallerDep, store: StoreDep, settings: SettingsDep
) -> Response:
    """Mark a message of your mailbox as received (idempotent). Needs `msix/messages.read`."""
    try:
        await store.run(acknowledge_delivery, store, caller, message_id, now=datetime.now(UTC))
    except HubError as exc:
        context = _context(request, caller, settings.max_xml_bytes, settings.token_issuer)
        return _reply(refusal(exc, None, context))
    return Response(status_code=204)


class EndpointRegistration(BaseModel):
    url: str = Field(
        description="https URL the hub POSTs your state's messages to (http only for loopback)",
        examples=["https://msix.example-state.test/hub-inbox"],
    )


class EndpointInfo(BaseModel):
    mailbox: str
    url: str
    updated_at: datetime
    signing_secret: str | None = Field(
        None,
        description="HMAC-SHA256 key of the X-MSIX-Signature header; shown only when registered",
    )

    @classmethod
    def of(cls, endpoint: PushEndpoint, secret: str | None = None) -> EndpointInfo:
        return cls(
            mailbox=endpoint.mailbox,
            url=endpoint.url,
            updated_at=endpoint.updated_at,
            signing_secret=secret,
        )


@router.put("/endpoint", summary="Register your mailbox's push endpoint")
async def register_endpoint(
    registration: EndpointRegistration, caller: CallerDep, store: StoreDep
) -> EndpointInfo:
    """From now on the hub POSTs each message of your state's mailbox to `url`, signed, with
    retries and back-off; answer with an Acknowledgement of its MessageId to close it. Needs
    `msix/messages.read`. Registering again replaces the URL and the signing secret."""
    endpoint, secret = await store.run(
        register_push_endpoint, store, caller, registration.url, now=datetime.now(UTC)
    )
    return EndpointInfo.of(endpoint, secret)


@router.get("/endpoint", summary="Your mailbox's push endpoint")
async def read_endpoint(caller: CallerDep, store: StoreDep) -> EndpointInfo:
    """The registered URL (never the secret); 404 when your mailbox is pulled."""
    return EndpointInfo.of(await store.run(push_endpoint, store, caller))


@router.delete("/endpoint", summary="Stop pushing your mailbox", status_code=204)
async def delete_endpoint(caller: CallerDep, store: StoreDep) -> Response:
    """Your receivers pull again (`GET /messages`); idempotent."""
    await store.run(remove_push_endpoint, store, caller)
    return Response(status_code=204)


def _context(request: Request, caller: Caller, max_bytes: int, observer: str) -> ExchangeContext:
    address = request.client.host if request.client else None
    return ExchangeContext(caller, datetime.now(UTC), max_bytes, observer, address)


def _reply(reply: Reply) -> Response:
    if reply.xml is None:
        return Response(status_code=204)
    status = 200 if reply.error is None else STATUS_BY_ERROR[reply.error]
    headers = {"X-Message-Replayed": "true"} if reply.replayed else {}
    if reply.error is ErrorType.IN_PROGRESS:
        headers["Retry-After"] = "1"
    return Response(reply.xml, status_code=status, media_type=XML, headers=headers)


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLargeError(_too_large(int(declared), limit))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError(_too_large(size, limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> list[Any]:
    return [
        error(
            IssueCode.TOO_LONG,
            f"the message is at least {size} bytes; the limit is {limit} (nothing was parsed)",
            "body",
            "xml-size",
        )
    ]
