"""The consolidated record (DOMAIN.md §7): view, print, each state's own record, and starting a
merge or split from it.

Opening, printing and the historical view are each audited with the child's MSIX ID. Health
detail (immunizations, conditions) is read only for roles with `Permission.VIEW_HEALTH`: the
service leaves it out otherwise, so it is never in the page to hide.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from hub.errors import ValidationError
from hub.messages.envelope import new_message_id
from hub.security import AuditAction, Permission, User
from hub.services import worklists
from hub.services.child_view import ChildView, child_view, record_history
from hub.web._audit import record, writer_for
from hub.web._charts import legend, timeline
from hub.web._door import WebRoute, now_utc, redirect, render, store_of
from hub.web._viewer import caller_of, require_permission

router = APIRouter(prefix="/children", route_class=WebRoute, include_in_schema=False)

Viewer = Annotated[User, Depends(require_permission(Permission.VIEW))]
Printer = Annotated[User, Depends(require_permission(Permission.PRINT))]
Initiator = Annotated[User, Depends(require_permission(Permission.INITIATE_MERGE_SPLIT))]

IDENTITY_LABELS = {
    "first_name": "First name",
    "middle_name": "Middle name",
    "last_name_1": "Last name 1",
    "last_name_2": "Last name 2",
    "suffix": "Suffix",
    "sex": "Sex",
    "birth_date": "Birth date",
    "multiple_birth": "Multiple birth",
    "birth_city": "Birth city",
    "birth_state": "Birth state",
    "birth_country": "Birth country",
    "birth_date_verification": "Birth date verification",
    "parents": "Parents or guardians",
}
NOTICES = {
    "merge-requested": "Merge requested. It takes effect when another data administrator "
    "validates it; until then the children are on the Potential Merge list.",
    "split-requested": "Split requested. It takes effect when another data administrator "
    "validates it; until then the child is on the Potential Split list.",
    "move-notice-sent": "Move notice sent. The destination state finds it in its inbox.",
}
_MSIX_IDS = re.compile(r"\d{12}")


@router.get("/{msix_id}", response_class=HTMLResponse)
async def child_page(request: Request, user: Viewer, msix_id: str) -> Response:
    """The consolidated record of one child."""
    view = await _view(request, user, msix_id, AuditAction.VIEW, "consolidated record viewed")
    return render(
        request,
        "children/record.html",
        {
            **_context(view, user),
            "title": "Consolidated record",
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
    )


@router.get("/{msix_id}/print", response_class=HTMLResponse)
async def child_print(request: Request, user: Printer, msix_id: str) -> Response:
    """The record laid out for the enrolling school's file (print stylesheet)."""
    view = await _view(request, user, msix_id, AuditAction.PRINT, "consolidated record printed")
    return render(
        request,
        "children/print.html",
        {**_context(view, user), "title": "Consolidated record (print)", "printed_at": now_utc()},
    )


@router.get("/{msix_id}/history", response_class=HTMLResponse)
async def child_history(request: Request, user: Viewer, msix_id: str) -> Response:
    """Each linked state's own record as that state sent it, with its versions."""
    store = store_of(request)
    surviving, histories = await store.run(record_history, store, msix_id)
    await record(
        request, AuditAction.VIEW, user, "historical view of state records", msix_ids=[surviving]
    )
    return render(
        request,
        "children/history.html",
        {
            "title": "State records (historical view)",
            "msix_id": surviving,
            "histories": histories,
            "may_split": Permission.INITIATE_MERGE_SPLIT in user.permissions and len(histories) > 1,
        },
    )


@router.post("/{msix_id}/merge", response_class=HTMLResponse)
async def child_merge(request: Request, user: Initiator, msix_id: str) -> Response:
    """Ask to merge other children into this one (this child's MSIX ID survives)."""
    form = await request.form()
    others = _MSIX_IDS.findall(str(form.get("others", "")))
    if not others:
        raise ValidationError("enter the MSIX ID of each child to merge into this one", "others")
    store = store_of(request)
    master = (await store.run(store.students.resolve, msix_id))["_id"]
    await store.run(
        worklists.initiate_merge,
        store,
        caller_of(user),
        master=master,
        others=others,
        now=now_utc(),
        audit=writer_for(request),
        note=str(form.get("note", "")).strip()[:500] or None,
    )
    return redirect(f"/children/{master}?notice=merge-requested")


@router.post("/{msix_id}/split", response_class=HTMLResponse)
async def child_split(request: Request, user: Initiator, msix_id: str) -> Response:
    """Ask to split the picked state records off this child, as one new child."""
    form = await request.form()
    picked = [str(value) for value in form.getlist("records")]
    if not picked:
        raise ValidationError("pick the state records that belong to another child", "records")
    store = store_of(request)
    master = (await store.run(store.students.resolve, msix_id))["_id"]
    await store.run(
        worklists.initiate_split,
        store,
        caller_of(user),
        msix_id=master,
        groups=[picked],
        now=now_utc(),
        audit=writer_for(request),
        note=str(form.get("note", "")).strip()[:500] or None,
    )
    return redirect(f"/children/{master}?notice=split-requested")


async def _view(
    request: Request, user: User, msix_id: str, action: AuditAction, what: str
) -> ChildView:
    store = store_of(request)
    health = Permission.VIEW_HEALTH in user.permissions
    view = await store.run(child_view, store, msix_id, include_health=health)
    await record(request, action, user, what, msix_ids=[view.msix_id])
    return view


def _context(view: ChildView, user: User) -> dict[str, Any]:
    today = now_utc().date()
    held = user.permissions
    return {
        "view": view,
        "labels": IDENTITY_LABELS,
        "timeline_svg": timeline(view.timeline, today=today),
        "timeline_legend": legend(sorted({period.state for period in view.timeline})),
        "may_print": Permission.PRINT in held,
        "may_merge": Permission.INITIATE_MERGE_SPLIT in held,
        "may_notify": Permission.SEND_MOVE_NOTICE in held and user.jurisdiction.state is not None,
        "notice_message_id": new_message_id(),
        "home_state": user.jurisdiction.state,
    }
