"""The XML message exchange (issue #6): check, deduplicate, route, answer, remember the answer.

`exchange` takes one message as received and returns the hub's answer as a message. In order:
scope, the checks of `hub.messages.envelope.parse_message` (off the store thread), the sender
must be the caller's own state, expiry; then, on the store thread, `claim` makes
(sender organisation, MessageId) unique before anything is processed:

- a new key is routed by type: Ping -> Acknowledgement, RecordRequest -> RecordResponse (or a
  CandidateList when demographics match several children), MoveNotification -> the destination
  state's mailbox and a Receipt acknowledgement, EnrollmentUpdate -> the ingest pipeline (same
  validation, identity and storage as a state file) and a Processed acknowledgement;
- the same key and digest again gets the stored answer back, byte for byte, and nothing else;
  while the first copy is still being processed (two copies at the same instant, in two
  processes) the second waits up to `IN_FLIGHT_WAIT_SECONDS` for that answer, then is refused
  as `InProgress` (retry later);
- the same key with another digest is refused as a duplicate (SIF_Ack 7, X12 TA1 025).

Refusals are Error messages (`hub.messages.bodies.ErrorType`); the door picks a status from the
type. An Acknowledgement from a receiver closes a mailbox entry and is never answered.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from hub.errors import (
    AuthenticationError,
    ConflictError,
    DuplicateError,
    HubError,
    IssueCode,
    NotFoundError,
    PermissionDeniedError,
    TooLargeError,
    ValidationError,
    error,
)
from hub.messages.bodies import (
    DUPLICATE_CODES,
    AckLevel,
    Acknowledgement,
    AckResult,
    Body,
    ErrorBody,
    ErrorType,
    Ping,
    message_type_of,
)
from hub.messages.body_xml import body_element, read_body
from hub.messages.envelope import (
    CLIENT_SYSTEM,
    HUB,
    AckRequested,
    Header,
    InvalidMessageError,
    MailboxEntry,
    MessageType,
    ParsedMessage,
    Party,
    build_message,
    new_message_id,
    parse_message,
    reply_header,
)
from hub.security import AuditAgent, Caller
from hub.services import _message_routes as routes
from hub.store import Store
from hub.store.messages import Claim

MESSAGES_WRITE = "msix/messages.write"
MESSAGES_READ = "msix/messages.read"
# A claim still `processing` this long after it was made belongs to a process that died.
CLAIM_STALE_AFTER = timedelta(minutes=5)
IN_FLIGHT_WAIT_SECONDS = 2.0
_IN_FLIGHT_POLL_SECONDS = 0.05

_NOT_ACCEPTED = frozenset(
    {MessageType.RECORD_RESPONSE, MessageType.CANDIDATE_LIST, MessageType.ERROR}
)


@dataclass(frozen=True)
class ExchangeContext:
    """Who sends, when, and the limits that apply."""

    caller: Caller
    now: datetime
    max_bytes: int
    observer: str = "msix-hub"
    address: str | None = None
    spool_dir: Path | None = None

    @property
    def agent(self) -> AuditAgent:
        return AuditAgent.of(self.caller, self.address)


@dataclass(frozen=True)
class Reply:
    """The hub's answer: a message (None for an acknowledgement, which is never answered)."""

    xml: bytes | None
    message_type: MessageType | None
    error: ErrorType | None = None
    replayed: bool = False


async def exchange(store: Store, data: bytes, context: ExchangeContext) -> Reply:
    """Check, route and answer one message; never raises a `HubError` (it becomes an Error)."""
    try:
        context.caller.require_scopes(MESSAGES_WRITE)
        parsed = await asyncio.to_thread(parse_message, data, max_bytes=context.max_bytes)
    except HubError as exc:
        header = exc.header if isinstance(exc, InvalidMessageError) else None
        return refusal(exc, header, context)
    reply = await store.run(process_message, store, parsed, context)
    # A twin of this message is being processed (by another request or process): its answer
    # usually follows within milliseconds, so wait a little for it rather than refuse at once.
    waited = 0.0
    while reply.error is ErrorType.IN_PROGRESS and waited < IN_FLIGHT_WAIT_SECONDS:
        await asyncio.sleep(_IN_FLIGHT_POLL_SECONDS)
        waited += _IN_FLIGHT_POLL_SECONDS
        reply = await store.run(process_message, store, parsed, context)
    return reply


def process_message(store: Store, message: ParsedMessage, context: ExchangeContext) -> Reply:
    """Everything after parsing; runs on the store thread."""
    header = message.header
    try:
        _check_sender(header, context)
        if header.message_type in _NOT_ACCEPTED:
            raise ValidationError(
                [
                    error(
                        IssueCode.NOT_SUPPORTED,
                        f"the hub sends {header.message_type} messages; it does not accept them",
                        "/Message/Header/MessageType",
                    )
                ]
            )
        if header.message_type is MessageType.ACKNOWLEDGEMENT:
            _close_delivery(store, message, context)
            return Reply(None, None)
    except HubError as exc:
        return refusal(exc, header, context)
    sender, message_id = header.sender.key, header.message_id
    claim = store.messages.claim(
        sender,
        message_id,
        message.digest,
        {
            "message_type": header.message_type.value,
            "created": header.created,
            "expires": header.expires,
            "client_id": context.caller.id,
            "size": len(message.data),
        },
        now=context.now,
        stale_after=CLAIM_STALE_AFTER,
    )
    if not claim.owned:
        return _known(claim, message, context)
    try:
        reply = _route(store, message, context)
    except BaseException:
        # Not a refusal (those are replies): a fault. Let a retry process the message afresh.
        store.messages.release(sender, message_id, claim.claim_id)
        raise
    store.messages.complete(
        sender,
        message_id,
        claim.claim_id,
        reply.xml or b"",
        {
            "response_type": reply.message_type.value if reply.message_type else None,
            "error": reply.error.value if reply.error else None,
        },
    )
    return reply


def _known(claim: Claim, message: ParsedMessage, context: ExchangeContext) -> Reply:
    """The answer to a key already claimed: a conflict, the stored answer, or 'in flight'."""
    header, known = message.header, claim.doc
    if known["digest"] != message.digest:
        return refusal(_duplicate(header.message_id), header, context)
    if claim.processed:
        response, response_type, fault = (
            known.get("response"),
            known.get("response_type"),
            known.get("error"),
        )
        return Reply(
            bytes(response) if isinstance(response, bytes | bytearray) and response else None,
            MessageType(str(response_type)) if response_type else None,
            ErrorType(str(fault)) if fault else None,
            replayed=True,
        )
    return refusal(_in_progress(header.message_id), header, context)


def refusal(exc: HubError, header: Header | None, context: ExchangeContext) -> Reply:
    """An Error message for `exc`, addressed back to the sender (or to the calling client)."""
    kind = _error_type(exc)
    fault = ErrorBody(
        kind, tuple(exc.issues), DUPLICATE_CODES if kind is ErrorType.DUPLICATE else ()
    )
    if header is None:
        caller = context.caller
        reply_to = Header(
            message_id=new_message_id(),
            message_type=MessageType.ERROR,
            sender=HUB,
            receiver=Party(caller.jurisdiction.state, CLIENT_SYSTEM, caller.id),
            created=context.now,
            ack_requested=AckRequested.NEVER,
        )
    else:
        reply_to = reply_header(header, MessageType.ERROR, now=context.now)
    return Reply(build_message(reply_to, body_element(fault)), MessageType.ERROR, kind)


def pull_mailbox(
    store: Store,
    caller: Caller,
    *,
    now: datetime,
    since: datetime | None = None,
    message_type: MessageType | None = None,
    limit: int = 100,
) -> tuple[str, list[MailboxEntry], bool]:
    """The caller's state mailbox: (mailbox, entries oldest first, more). Store thread."""
    caller.require_scopes(MESSAGES_READ)
    mailbox = mailbox_of(caller)
    docs = store.messages.mailbox(
        mailbox,
        now=now,
        since=since,
        message_type=message_type.value if message_type else None,
        limit=limit + 1,
    )
    entries = [
        MailboxEntry(doc["received_at"], str(doc["status"]), bytes(doc["message"]))
        for doc in docs[:limit]
    ]
    return mailbox, entries, len(docs) > limit


def acknowledge_delivery(store: Store, caller: Caller, message_id: str, *, now: datetime) -> None:
    """Acknowledge receipt of a message in the caller's mailbox (idempotent). Store thread."""
    caller.require_scopes(MESSAGES_READ)
    if store.messages.acknowledge(mailbox_of(caller), message_id, now=now) is None:
        raise NotFoundError(f"no message {message_id} in your mailbox", "message_id")


def _route(store: Store, message: ParsedMessage, context: ExchangeContext) -> Reply:
    kind = message.header.message_type
    body: Body
    try:
        if kind is MessageType.PING:
            body = _ping_ack(message)
        elif kind is MessageType.RECORD_REQUEST:
            body = routes.answer_request(
                store, message, context.caller, context.agent, context.now, context.observer
            )
        elif kind is MessageType.MOVE_NOTIFICATION:
            body = routes.deliver_move(store, message, context.agent, context.now, context.observer)
        else:
            body = routes.apply_enrollment(
                store, message, context.agent, context.now, context.observer, context.spool_dir
            )
    except HubError as exc:
        return refusal(exc, message.header, context)
    answer = reply_header(message.header, message_type_of(body), now=context.now)
    return Reply(build_message(answer, body_element(body)), message_type_of(body))


def _ping_ack(message: ParsedMessage) -> Acknowledgement:
    body = read_body(message)
    assert isinstance(body, Ping)
    return Acknowledgement(AckLevel.PROCESSED, AckResult.ACCEPTED, message.header.message_id)


def _close_delivery(store: Store, message: ParsedMessage, context: ExchangeContext) -> None:
    ack = read_body(message)
    assert isinstance(ack, Acknowledgement)
    acknowledge_delivery(store, context.caller, ack.acknowledged_message_id, now=context.now)


def _check_sender(header: Header, context: ExchangeContext) -> None:
    state = context.caller.jurisdiction.state
    if header.sender.state is None or header.sender.state != state:
        raise PermissionDeniedError(
            [
                error(
                    IssueCode.FORBIDDEN,
                    f"the sender's state must be the client's own ({state or 'none'})",
                    "/Message/Header/Sender/State",
                    "message-sender",
                )
            ]
        )
    if header.expires is not None and header.expires <= context.now:
        raise ValidationError(
            [
                error(
                    IssueCode.EXPIRED,
                    "the message expired before it arrived; nothing was delivered",
                    "/Message/Header/Expires",
                    "message-expired",
                )
            ]
        )


def mailbox_of(caller: Caller) -> str:
    """The mailbox a caller reads: its state's."""
    state = caller.jurisdiction.state
    if not state:
        raise PermissionDeniedError("only a client acting for a state has a mailbox", "client")
    return state


def _duplicate(message_id: str) -> DuplicateError:
    return DuplicateError(
        [
            error(
                IssueCode.DUPLICATE,
                f"message {message_id} was already received with another payload; "
                "a retry must resend the same payload, a new message needs a new MessageId",
                "/Message/Header/MessageId",
                "message-duplicate-id",
            )
        ]
    )


def _in_progress(message_id: str) -> ConflictError:
    return ConflictError(
        [
            error(
                IssueCode.CONFLICT,
                f"message {message_id} is being processed now; send it again shortly for its "
                "answer",
                "/Message/Header/MessageId",
                "message-in-progress",
            )
        ]
    )


def _error_type(exc: HubError) -> ErrorType:
    codes = {issue.code for issue in exc.issues}
    if isinstance(exc, TooLargeError):
        return ErrorType.MESSAGE_TOO_LARGE
    if isinstance(exc, DuplicateError):
        return ErrorType.DUPLICATE
    if isinstance(exc, ConflictError) and IssueCode.CONFLICT in codes:
        return ErrorType.IN_PROGRESS
    if isinstance(exc, AuthenticationError | PermissionDeniedError) or IssueCode.SECURITY in codes:
        return ErrorType.SECURITY
    if IssueCode.EXPIRED in codes:
        return ErrorType.EXPIRED
    if isinstance(exc, NotFoundError):
        return ErrorType.NOT_FOUND
    if isinstance(exc, InvalidMessageError):
        return ErrorType.SCHEMA_INVALID
    if isinstance(exc, ValidationError):
        return ErrorType.INVALID
    return ErrorType.INTERNAL
