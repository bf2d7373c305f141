"""Worklists for data administrators (DOMAIN.md §6): near matches side by side with the engine's
evidence, decisions, and the validation of merges and splits under the two-person rule.

The rules live in `hub.services.worklists`; this door shows them. A refusal (someone validating
their own merge, an item outside their jurisdiction, an item already decided) is shown on the
item's page with the service's own words.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from hub.errors import HubError, Issue, IssueCode, PermissionDeniedError, error
from hub.security import Jurisdiction, Level, Permission, User
from hub.services import worklists
from hub.services.reports import KIND_TITLES
from hub.services.search import source_record
from hub.store import Document, Store
from hub.web._audit import writer_for
from hub.web._door import WebRoute, now_utc, redirect, render, settings_of, status_for, store_of
from hub.web._viewer import caller_of, require_permission

router = APIRouter(prefix="/worklist", route_class=WebRoute, include_in_schema=False)

Administrator = Annotated[User, Depends(require_permission(Permission.WORKLIST))]

NOTICES = {
    "same-child": "Decided: same child. A merge validation is now waiting for another data "
    "administrator.",
    "different-children": "Decided: different children. The records will not be linked again.",
    "approved": "Approved: the merge or split has taken effect.",
    "rejected": "Rejected: nothing was merged or split.",
}
SIDE_FIELDS = (
    ("first_name", "First name"),
    ("middle_name", "Middle name"),
    ("last_name_1", "Last name 1"),
    ("last_name_2", "Last name 2"),
    ("sex", "Sex"),
    ("birth_date", "Birth date"),
    ("multiple_birth", "Multiple birth"),
    ("birth_city", "Birth city"),
    ("birth_state", "Birth state"),
)


@router.get("", response_class=HTMLResponse)
async def worklist_page(request: Request, user: Administrator) -> Response:
    """Items routed to the administrator, and those waiting lower down in their jurisdiction."""
    store = store_of(request)
    caller = caller_of(user)
    mine, below = await store.run(_lists, store, user)
    window = settings_of(request).worklist_escalation_days
    now = now_utc()
    return render(
        request,
        "worklist/list.html",
        {
            "title": "Worklist",
            "mine": [_row(item, now, window) for item in mine],
            "below": [_row(item, now, window) for item in below],
            "scope": str(caller.jurisdiction),
            "window": window,
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
    )


@router.get("/{item_id}", response_class=HTMLResponse)
async def item_page(request: Request, user: Administrator, item_id: str) -> Response:
    """One item: the evidence, and the decision or validation it waits for."""
    return await _item_page(request, user, item_id, issues=[])


@router.post("/{item_id}/decide", response_class=HTMLResponse)
async def decide(request: Request, user: Administrator, item_id: str) -> Response:
    """Near match: same child (a merge validation opens) or different children."""
    form = await request.form()
    same = form.get("same_child") == "yes"
    master = str(form.get("master", "")) or None
    store = store_of(request)
    try:
        await store.run(
            worklists.decide_near_match,
            store,
            caller_of(user),
            item_id,
            same_child=same,
            now=now_utc(),
            audit=writer_for(request),
            master=master if same else None,
        )
    except HubError as exc:
        return await _item_page(request, user, item_id, list(exc.issues), status_for(exc))
    return redirect(f"/worklist?notice={'same-child' if same else 'different-children'}")


@router.post("/{item_id}/validate", response_class=HTMLResponse)
async def validate(request: Request, user: Administrator, item_id: str) -> Response:
    """Approve or reject another administrator's merge or split."""
    form = await request.form()
    approve = form.get("approve") == "yes"
    store = store_of(request)
    try:
        await store.run(
            worklists.validate,
            store,
            caller_of(user),
            item_id,
            approve=approve,
            now=now_utc(),
            audit=writer_for(request),
        )
    except HubError as exc:
        return await _item_page(request, user, item_id, list(exc.issues), status_for(exc))
    return redirect(f"/worklist?notice={'approved' if approve else 'rejected'}")


# -- internals ------------------------------------------------------------------------------


async def _item_page(
    request: Request, user: User, item_id: str, issues: list[Issue], status_code: int = 200
) -> Response:
    store = store_of(request)
    item, sides = await store.run(_item_with_sides, store, user, item_id)
    window = settings_of(request).worklist_escalation_days
    return render(
        request,
        "worklist/item.html",
        {
            "title": f"{KIND_TITLES.get(item['kind'], item['kind'])} {item['_id']}",
            "item": item,
            "row": _row(item, now_utc(), window),
            "sides": sides,
            "fields": SIDE_FIELDS,
            "is_initiator": item.get("initiator") == user.username,
            "issues": issues,
            "kind_title": KIND_TITLES.get(item["kind"], item["kind"]),
        },
        status_code=status_code,
    )


def _covers(user: User, item: Document) -> bool:
    return user.jurisdiction.covers(Jurisdiction(state=item["route"]["state"]))


def _lists(store: Store, user: User) -> tuple[list[Document], list[Document]]:
    caller = caller_of(user)
    mine = worklists.items_for(store, caller)
    where = user.jurisdiction
    if where.state is None or where.level is Level.DISTRICT:
        return mine, []
    known = {item["_id"] for item in mine}
    below = [
        item
        for item in store.worklist.find({"route.state": where.state, "status": "open"})
        if item["_id"] not in known
        and where.covers(
            Jurisdiction(
                state=item["route"]["state"],
                region=item["route"].get("region"),
                district=item["route"].get("district"),
            )
        )
    ]
    return mine, below


def _item_with_sides(
    store: Store, user: User, item_id: str
) -> tuple[Document, list[dict[str, Any]]]:
    item = store.worklist.get(item_id)
    if not _covers(user, item):
        raise PermissionDeniedError(
            [
                error(
                    IssueCode.FORBIDDEN,
                    f"item {item_id} is worked in {item['route']['state']}, "
                    f"outside {user.jurisdiction}",
                )
            ]
        )
    sides: list[dict[str, Any]] = []
    if item["kind"] == worklists.Kind.NEAR_MATCH:
        incoming = item["record"]
        sides.append(
            _side(store, incoming["msix_id"], incoming["state"], incoming["state_student_id"])
        )
        for candidate in item.get("candidates", []):
            matched = candidate.get("matched_record") or {}
            side = _side(
                store,
                str(candidate["msix_id"]),
                matched.get("state"),
                matched.get("state_student_id"),
            )
            side["candidate"] = candidate
            sides.append(side)
    else:
        for msix_id in item.get("msix_ids", []):
            sides.append(_side(store, msix_id, None, None))
    return item, sides


def _side(
    store: Store, msix_id: str, state: str | None, state_student_id: str | None
) -> dict[str, Any]:
    """A child's identity as one column: the named record's, else the child's surviving one."""
    records = store.state_records.for_child(msix_id)
    if not records:
        child = store.students.get(msix_id)
        if child is not None and child.get("alias_of"):
            records = store.state_records.for_child(child["alias_of"])
    chosen = [
        record
        for record in records
        if state is None or (record.state, record.state_student_id) == (state, state_student_id)
    ] or records
    identity: dict[str, Any] = {}
    for record in chosen[:1]:
        identity = dict(record.record.get("identity") or {})
    received = source_record(chosen[0]).received_at if chosen else None
    return {
        "msix_id": msix_id,
        "record": f"{chosen[0].state} {chosen[0].state_student_id}" if chosen else "—",
        "received": received,
        "identity": identity,
        "states": sorted({record.state for record in records}),
        "records": [f"{r.state} {r.state_student_id}" for r in records],
    }


def _row(item: Document, now: datetime, window: int) -> dict[str, Any]:
    created = _aware(item["created_at"])
    since = _aware(item.get("level_since") or item["created_at"])
    level = item.get("level", "")
    last = level == Level.STATE.value
    validation = item["kind"] in worklists.VALIDATIONS
    due = since + timedelta(days=window)
    if item.get("status") != "open":
        next_step = f"decided: {item.get('outcome')}"
    elif last and validation:
        next_step = f"auto-approved after {due.date().isoformat()}"
    elif last:
        next_step = "stays at state level"
    else:
        next_step = f"escalates {due.date().isoformat()}"
    return {
        "id": item["_id"],
        "kind": KIND_TITLES.get(item["kind"], item["kind"]),
        "children": item.get("msix_ids", []),
        "opened": created.date().isoformat(),
        "age_days": max((now - created).days, 0),
        "level": level,
        "route": "/".join(
            part
            for part in (
                item["route"]["state"],
                item["route"].get("region") or "",
                item["route"].get("district") or "",
            )
        ).rstrip("/"),
        "next_step": next_step,
        "overdue": not last and now >= due,
        "initiator": item.get("initiator") or "identity engine",
        "status": item.get("status"),
    }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
