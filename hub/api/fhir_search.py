"""FHIR searches and history (`/fhir`): type search (GET and POST `_search`), `_history`,
`Patient/{id}/$everything` and the audit log (`/fhir/AuditEvent`).

Searches run on the stored projection with keyset paging (docs/fhir-api.md); every answer is
a Bundle of stored JSON and every one writes an AuditEvent (`hub.services.fhir_access`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from hub.api._fhir_http import (
    ID_PATTERN,
    access,
    base_url,
    fhir_response,
    lenient,
    page_links,
    search_parameters,
    served,
)
from hub.api.deps import CallerDep, StoreDep
from hub.errors import HubError, IssueCode, NotFoundError, error
from hub.fhir import DEFAULT_COUNT, MAX_COUNT, history, parse_search, searchset
from hub.security import Caller
from hub.services import fhir_access

router = APIRouter(tags=["fhir"])

ResourceId = Annotated[str, Path(pattern=ID_PATTERN, description="The resource's logical id")]
Count = Annotated[int, Query(alias="_count", ge=1, le=MAX_COUNT, description="Versions per page")]


@router.get("/AuditEvent", summary="Search the audit log")
async def audit_search(
    request: Request,
    caller: CallerDep,
    store: StoreDep,
    patient: Annotated[str | None, Query(description="Events about this child")] = None,
    date: Annotated[list[str] | None, Query(description="recorded, with ge/gt/le/lt")] = None,
    count: Annotated[int, Query(alias="_count", ge=1, le=MAX_COUNT)] = DEFAULT_COUNT,
    cursor: Annotated[str | None, Query(alias="_cursor")] = None,
) -> Response:
    """AuditEvents newest first; needs `system/AuditEvent.read` (or `.rs`)."""
    caller.require_scopes("system/AuditEvent.s")
    known = {"patient", "date", "_count", "_cursor", "_format"}
    unknown = [key for key in request.query_params if key not in known]
    if unknown and not lenient(request):
        raise HubError(
            [error(IssueCode.NOT_SUPPORTED, f"unknown parameter {key!r}", key) for key in unknown]
        )
    since, until = _recorded_range(date or [])
    before = tuple(cursor.split("|", 1)) if cursor and "|" in cursor else None
    events = await store.run(
        store.audit.search,
        msix_ids=[patient.rsplit("/", 1)[-1]] if patient else None,
        since=since,
        until=until,
        before=before,  # type: ignore[arg-type]
        limit=count + 1,
    )
    url = f"{base_url(request)}/AuditEvent"
    params = [(k, v) for k, v in request.query_params.multi_items() if k in known - {"_cursor"}]
    links = [("self", str(request.url))]
    if len(events) > count:
        last = events[count - 1]
        query = "&".join(f"{k}={v}" for k, v in params)
        links.append(("next", f"{url}?{query}&_cursor={last['recorded']}|{last['id']}"))
    return fhir_response(searchset(base_url(request), events[:count], links=links))


@router.get("/AuditEvent/{event_id}", summary="Read an AuditEvent")
async def audit_read(event_id: ResourceId, caller: CallerDep, store: StoreDep) -> Response:
    """One AuditEvent; needs `system/AuditEvent.read` (or `.r`)."""
    caller.require_scopes("system/AuditEvent.r")
    event = await store.run(store.audit.get, event_id)
    if event is None:
        raise NotFoundError(f"AuditEvent/{event_id} not found", "id")
    return fhir_response(event)


@router.get("/{resource_type}/_history", summary="History of a resource type")
async def type_history(
    request: Request,
    resource_type: str,
    caller: CallerDep,
    store: StoreDep,
    since: Annotated[datetime | None, Query(alias="_since")] = None,
    count: Count = DEFAULT_COUNT,
) -> Response:
    """The newest versions of any resource of the type (`_since`, `_count`); needs `.s`."""
    served(resource_type)
    caller.require_scopes(f"system/{resource_type}.s")
    versions = await store.run(
        fhir_access.type_history,
        store,
        access(request, caller),
        resource_type,
        since=since,
        count=count,
    )
    return fhir_response(history(base_url(request), versions, links=[("self", str(request.url))]))


@router.get("/{resource_type}/{resource_id}/_history", summary="History of a resource")
async def instance_history(
    request: Request,
    resource_type: str,
    resource_id: ResourceId,
    caller: CallerDep,
    store: StoreDep,
) -> Response:
    """Every version of one resource, newest first (deletions included); needs `.r`."""
    served(resource_type)
    caller.require_scopes(f"system/{resource_type}.r")
    versions = await store.run(
        fhir_access.instance_history, store, access(request, caller), resource_type, resource_id
    )
    return fhir_response(history(base_url(request), versions, links=[("self", str(request.url))]))


@router.get("/Patient/{resource_id}/$everything", summary="A child's whole health record")
async def everything(
    request: Request, resource_id: ResourceId, caller: CallerDep, store: StoreDep
) -> Response:
    """The Patient and every Immunization and Condition about the child (record transfer);
    a retired MSIX ID answers with the survivor's record. Needs Patient `.r` and `.s` on both
    health types."""
    caller.require_scopes("system/Patient.r", "system/Immunization.s", "system/Condition.s")
    resources = await store.run(fhir_access.everything, store, access(request, caller), resource_id)
    links = [("self", str(request.url))]
    bundle = searchset(base_url(request), [stored.resource for stored in resources], links=links)
    bundle["total"] = len(resources)
    return fhir_response(bundle)


@router.get("/{resource_type}", summary="Search")
async def search_get(
    request: Request, resource_type: str, caller: CallerDep, store: StoreDep
) -> Response:
    """Search with the parameters of docs/fhir-api.md; needs `system/<type>.s` (or `.read`)."""
    return await _search(request, resource_type, caller, store)


@router.post("/{resource_type}/_search", summary="Search (POST form)")
async def search_post(
    request: Request, resource_type: str, caller: CallerDep, store: StoreDep
) -> Response:
    """The same search with its parameters in an `application/x-www-form-urlencoded` body."""
    return await _search(request, resource_type, caller, store)


async def _search(
    request: Request, resource_type: str, caller: Caller, store: StoreDep
) -> Response:
    served(resource_type)
    caller.require_scopes(f"system/{resource_type}.s")
    params = await search_parameters(request)
    search = parse_search(resource_type, params, lenient=lenient(request))
    if search.include:
        caller.require_scopes("system/Patient.r")
    for source in dict.fromkeys(item.split(":")[0] for item in search.revinclude):
        caller.require_scopes(f"system/{source}.s")
    page = await store.run(fhir_access.search, store, access(request, caller), search)
    bundle = searchset(
        base_url(request),
        [stored.resource for stored in page.matches],
        [stored.resource for stored in page.included],
        links=page_links(request, search, page.next_after),
        total=page.total,
    )
    return fhir_response(bundle)


def _recorded_range(values: list[str]) -> tuple[str | None, str | None]:
    since = until = None
    for value in values:
        prefix, moment = (value[:2], value[2:]) if value[:2].isalpha() else ("eq", value)
        if prefix in ("ge", "gt"):
            since = moment
        elif prefix in ("le", "lt"):
            until = moment
        else:
            raise HubError(
                [error(IssueCode.NOT_SUPPORTED, "AuditEvent date takes ge/gt/le/lt", "date")]
            )
    return since, until
