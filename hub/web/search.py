"""Search (DOMAIN.md §7): by MSIX ID, by state student id, or by demographics.

Searches are posted, never put in the address: a name and birth date in a URL would land in
browser history, proxy logs and the Referer. Each search is audited with the children it
returned, never with what was typed.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from hub.errors import HubError, Issue, IssueCode, error
from hub.security import AuditAction, Permission, User
from hub.services.search import (
    DemographicQuery,
    SearchResult,
    find_by_msix_id,
    find_by_state_id,
    search_demographics,
)
from hub.web._audit import record
from hub.web._door import WebRoute, render, store_of
from hub.web._viewer import require_permission

router = APIRouter(route_class=WebRoute, include_in_schema=False)

Searcher = Annotated[User, Depends(require_permission(Permission.SEARCH))]

SEXES = ("Female", "Male", "Not reported")
_DEMOGRAPHIC_FIELDS = (
    "first_name",
    "last_name_1",
    "last_name_2",
    "birth_date",
    "sex",
    "parent_first_name",
    "parent_last_name",
    "state",
)
_MAX_FIELD = 60


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, user: Searcher) -> Response:
    """The three ways to look a child up."""
    return _page(request, by="demographics", values={}, issues=[], result=None)


@router.post("/search", response_class=HTMLResponse)
async def search(request: Request, user: Searcher) -> Response:
    """Run one search and show the children found, best match first."""
    form = await request.form()
    by = str(form.get("by", "demographics"))
    values = {name: str(form.get(name, "")).strip()[:_MAX_FIELD] for name in _ALL_FIELDS}
    store = store_of(request)
    try:
        if by == "msix_id":
            result = await store.run(find_by_msix_id, store, values["msix_id"])
        elif by == "state_id":
            result = await store.run(
                find_by_state_id, store, values["id_state"], values["state_student_id"]
            )
        else:
            by = "demographics"
            query = _query(values)
            result = await store.run(search_demographics, store, query)
    except HubError as exc:
        return _page(request, by=by, values=values, issues=list(exc.issues), status_code=422)
    await record(
        request,
        AuditAction.SEARCH,
        user,
        f"search by {by}: {len(result.hits)} found",
        msix_ids=[hit.msix_id for hit in result.hits],
    )
    return _page(request, by=by, values=values, issues=[], result=result)


_ALL_FIELDS = ("msix_id", "id_state", "state_student_id", *_DEMOGRAPHIC_FIELDS)


def _query(values: dict[str, str]) -> DemographicQuery:
    issues: list[Issue] = []
    born: date | None = None
    if values["birth_date"]:
        try:
            born = date.fromisoformat(values["birth_date"])
        except ValueError:
            issues.append(
                error(IssueCode.VALUE, "enter the birth date as YYYY-MM-DD", "birth_date")
            )
    sex = values["sex"] if values["sex"] in SEXES else None
    query = DemographicQuery(
        first_name=values["first_name"] or None,
        last_name_1=values["last_name_1"] or None,
        last_name_2=values["last_name_2"] or None,
        birth_date=born,
        sex=sex,
        parent_first_name=values["parent_first_name"] or None,
        parent_last_name=values["parent_last_name"] or None,
        state=values["state"].upper() or None,
    )
    issues += query.problems() if not issues else []
    if issues:
        raise HubError(issues)
    return query


def _page(
    request: Request,
    *,
    by: str,
    values: dict[str, str],
    issues: list[Issue],
    result: SearchResult | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "title": "Search for a child",
        "by": by,
        "values": values,
        "issues": issues,
        "result": result,
        "sexes": SEXES,
    }
    return render(request, "search.html", context, status_code=status_code)
