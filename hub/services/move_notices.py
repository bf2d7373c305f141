"""Move notices from the web UI (DOMAIN.md §4): the same MoveNotification a state system sends to
`POST /messages`, built for a signed-in person and put through the same exchange (checks,
replay safety by (sender, MessageId), delivery to the destination state's mailbox, audit), and
the destination state's inbox with acknowledgement.

A person is not an OAuth client: their role must allow move notices, and they then send as
their own state (sender party: their state, `USER_SYSTEM`, their username) with the message
scopes for this one exchange. Every function runs on the store thread.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from hub.errors import (
    ConflictError,
    Issue,
    IssueCode,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    error,
)
from hub.messages.bodies import (
    Acknowledgement,
    AckResult,
    ErrorBody,
    MoveNotification,
    School,
    StudentRef,
)
from hub.messages.body_xml import body_element, read_body
from hub.messages.envelope import (
    HUB,
    USER_SYSTEM,
    Header,
    MessageType,
    Party,
    build_message,
    new_message_id,
    parse_message,
)
from hub.security import Caller, Jurisdiction, Permission
from hub.services.messages import MESSAGES_READ, MESSAGES_WRITE, ExchangeContext, process_message
from hub.store import Store, is_valid_msix_id

MAX_MESSAGE_BYTES = 2 * 1024 * 1024
MAX_SCHOOL_NAME = 60
MAX_COMMENTS = 1000


@dataclass(frozen=True)
class SentNotice:
    message_id: str
    msix_id: str
    from_state: str
    to_state: str
    received: Acknowledgement  # the hub's answer (a Receipt when delivered)


@dataclass(frozen=True)
class ReceivedNotice:
    """One move notice in a state's inbox."""

    message_id: str
    msix_id: str | None
    status: str  # pending, acknowledged, ...
    sender_state: str | None
    sender: str  # the sending organisation (a username for notices sent from the UI)
    received_at: datetime
    notice: MoveNotification

    @property
    def acknowledged(self) -> bool:
        return self.status == "acknowledged"


def _sender(caller: Caller) -> Caller:
    if not caller.may(Permission.SEND_MOVE_NOTICE):
        raise PermissionDeniedError(
            [error(IssueCode.FORBIDDEN, "your role does not send move notices", "role")]
        )
    if caller.jurisdiction.state is None:
        raise PermissionDeniedError(
            [error(IssueCode.FORBIDDEN, "move notices are sent by a state", "jurisdiction")]
        )
    return replace(caller, scopes=frozenset({MESSAGES_WRITE, MESSAGES_READ}))


def _form_issues(
    msix_id: str, from_state: str, to_state: str, school: School | None, comments: str | None
) -> list[Issue]:
    issues: list[Issue] = []
    if not is_valid_msix_id(msix_id):
        issues.append(error(IssueCode.VALUE, "not a valid 12-digit MSIX ID", "msix_id"))
    if len(to_state) != 2 or not to_state.isalpha():
        issues.append(error(IssueCode.VALUE, "the destination is a 2-letter state", "to_state"))
    elif to_state == from_state:
        issues.append(
            error(
                IssueCode.BUSINESS_RULE,
                f"the child is leaving {from_state}: name the state the child moves to",
                "to_state",
            )
        )
    if school is not None and (not school.name or len(school.name) > MAX_SCHOOL_NAME):
        issues.append(
            error(IssueCode.VALUE, f"a school name has 1 to {MAX_SCHOOL_NAME} characters", "school")
        )
    if comments is not None and len(comments) > MAX_COMMENTS:
        issues.append(error(IssueCode.VALUE, f"at most {MAX_COMMENTS} characters", "comments"))
    return issues


def send_move_notice(
    store: Store,
    caller: Caller,
    *,
    msix_id: str,
    to_state: str,
    now: datetime,
    departure_date: date | None = None,
    expected_arrival: date | None = None,
    school: School | None = None,
    comments: str | None = None,
    message_id: str | None = None,
    observer: str = "msix-hub",
) -> SentNotice:
    """Send a MoveNotification for a child from the caller's state to `to_state`.

    `message_id` lets a resubmitted form be recognised as the same message (one delivery).
    """
    sender = _sender(caller)
    from_state = sender.jurisdiction.state or ""
    to_state = to_state.strip().upper()
    comments = comments.strip() if comments else None
    issues = _form_issues(msix_id, from_state, to_state, school, comments)
    if issues:
        raise ValidationError(issues)
    child = store.students.resolve(msix_id)  # NotFoundError for an unknown child
    identity = child.get("identity") or {}
    born = identity.get("birth_date")
    student = StudentRef(
        msix_id=child["_id"],
        first_name=identity.get("first_name"),
        last_name_1=identity.get("last_name_1"),
        birth_date=date.fromisoformat(str(born)[:10]) if born else None,
    )
    header = Header(
        message_id=message_id or new_message_id(),
        message_type=MessageType.MOVE_NOTIFICATION,
        sender=Party(from_state, USER_SYSTEM, sender.id),
        receiver=HUB,
        created=now,
    )
    body = MoveNotification(
        student=student,
        from_state=from_state,
        to_state=to_state,
        departure_date=departure_date,
        expected_arrival=expected_arrival,
        destination_school=school,
        comments=comments,
    )
    parsed = parse_message(build_message(header, body_element(body)), max_bytes=MAX_MESSAGE_BYTES)
    context = ExchangeContext(sender, now, MAX_MESSAGE_BYTES, observer)
    reply = process_message(store, parsed, context)
    if reply.xml is None:
        raise ConflictError("the hub gave no answer to the move notice")
    answer = read_body(parse_message(reply.xml, max_bytes=MAX_MESSAGE_BYTES))
    if isinstance(answer, ErrorBody):
        raise ConflictError(list(answer.issues) or f"the move notice was refused ({answer.type})")
    if not isinstance(answer, Acknowledgement):
        raise ConflictError("the hub answered the move notice with an unexpected message")
    if answer.result is AckResult.REJECTED:
        raise ValidationError(list(answer.issues))
    return SentNotice(header.message_id, child["_id"], from_state, to_state, answer)


def move_notices_for(
    store: Store, jurisdiction: Jurisdiction, *, now: datetime, since: datetime | None = None
) -> list[ReceivedNotice]:
    """Notices in a state's mailbox, oldest first: those not yet acknowledged, or with `since`
    every notice received after it. A national jurisdiction has no mailbox."""
    if jurisdiction.state is None:
        return []
    docs = store.messages.mailbox(
        jurisdiction.state,
        now=now,
        since=since,
        message_type=MessageType.MOVE_NOTIFICATION.value,
        limit=500,
    )
    notices: list[ReceivedNotice] = []
    for doc in docs:
        parsed = parse_message(bytes(doc["message"]), max_bytes=MAX_MESSAGE_BYTES)
        move = read_body(parsed)
        if not isinstance(move, MoveNotification):
            continue
        notices.append(
            ReceivedNotice(
                message_id=parsed.header.message_id,
                msix_id=doc.get("msix_id") or move.student.msix_id,
                status=str(doc["status"]),
                sender_state=parsed.header.sender.state,
                sender=parsed.header.sender.organization,
                received_at=doc["received_at"],
                notice=move,
            )
        )
    return notices


def acknowledge_notice(
    store: Store, caller: Caller, message_id: str, *, now: datetime
) -> str | None:
    """Mark a notice in the caller's state mailbox received (idempotent); the child's MSIX ID.
    `NotFoundError` when the caller's state has no such notice."""
    state = caller.jurisdiction.state
    doc = None if state is None else store.messages.acknowledge(state, message_id, now=now)
    if doc is None:
        raise NotFoundError(f"no move notice {message_id} in your state's inbox", "message_id")
    msix_id: str | None = doc.get("msix_id")
    return msix_id
