"""Move notices (DOMAIN.md §4): sent from a child's record, received in the state's inbox.

Sending goes through `hub.services.move_notices`, which builds the same MoveNotification the XML
exchange carries and delivers it to the destination state's mailbox (audited there). The form
carries a message id made when the page was drawn, so sending it twice delivers one notice.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from hub.errors import Issue, IssueCode, ValidationError, error
from hub.messages.bodies import School
from hub.security import AuditAction, Permission, User
from hub.services.move_notices import acknowledge_notice, move_notices_for, send_move_notice
from hub.web._audit import record
from hub.web._door import WebRoute, now_utc, redirect, render, settings_of, store_of
from hub.web._viewer import caller_of, require_permission

router = APIRouter(route_class=WebRoute, include_in_schema=False)

Sender = Annotated[User, Depends(require_permission(Permission.SEND_MOVE_NOTICE))]
Reader = Annotated[User, Depends(require_permission(Permission.VIEW))]
INBOX_DAYS = 30


@router.post("/children/{msix_id}/move-notice", response_class=HTMLResponse)
async def send_notice(request: Request, user: Sender, msix_id: str) -> Response:
    """Tell the destination state that the child is leaving."""
    form = await request.form()
    store = store_of(request)
    sent = await store.run(
        send_move_notice,
        store,
        caller_of(user),
        msix_id=msix_id,
        to_state=str(form.get("to_state", "")),
        now=now_utc(),
        departure_date=_date(form, "departure_date"),
        expected_arrival=_date(form, "expected_arrival"),
        school=School(str(form["school"]).strip()) if str(form.get("school", "")).strip() else None,
        comments=str(form.get("comments", "")).strip() or None,
        message_id=str(form.get("message_id", "")) or None,
        observer=settings_of(request).token_issuer,
    )
    return redirect(f"/children/{sent.msix_id}?notice=move-notice-sent")


@router.get("/notices", response_class=HTMLResponse)
async def inbox(request: Request, user: Reader) -> Response:
    """Move notices sent to the user's state in the last 30 days, newest first."""
    store = store_of(request)
    now = now_utc()
    notices = await store.run(
        move_notices_for, store, user.jurisdiction, now=now, since=now - timedelta(days=INBOX_DAYS)
    )
    return render(
        request,
        "notices.html",
        {
            "title": "Move notices",
            "notices": sorted(notices, key=lambda n: n.received_at, reverse=True),
            "state": user.jurisdiction.state,
            "days": INBOX_DAYS,
            "notice": "Acknowledged." if request.query_params.get("notice") == "ack" else None,
        },
    )


@router.post("/notices/acknowledge", response_class=HTMLResponse)
async def acknowledge(request: Request, user: Reader) -> Response:
    """Mark a notice as received by this state."""
    form = await request.form()
    store = store_of(request)
    msix_id = await store.run(
        acknowledge_notice, store, caller_of(user), str(form.get("message_id", "")), now=now_utc()
    )
    await record(
        request,
        AuditAction.MOVE_NOTICE,
        user,
        "move notice acknowledged",
        msix_ids=[msix_id] if msix_id else [],
    )
    return redirect("/notices?notice=ack")


def _date(form: FormData, name: str) -> date | None:
    text = str(form.get(name, "")).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        issue: Issue = error(IssueCode.VALUE, "enter the date as YYYY-MM-DD", name)
        raise ValidationError([issue]) from None
