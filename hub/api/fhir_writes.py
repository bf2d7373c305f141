"""Vendor writes at the FHIR door: create, update, conditional create/update, delete.

The rules (own state only, validate first, If-Match, If-None-Exist) live in
`hub.services.fhir_vendor_writes`; this module reads the HTTP parts and picks the status.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from starlette.exceptions import HTTPException

from hub.api._fhir_http import (
    ID_PATTERN,
    base_url,
    fhir_response,
    if_match,
    posted_resource,
    query_of,
    served,
    version_headers,
)
from hub.api.deps import CallerDep, StoreDep
from hub.fhir import parse_search
from hub.services import fhir_vendor_writes as writes

router = APIRouter(tags=["fhir"])

ResourceId = Annotated[str, Path(pattern=ID_PATTERN, description="The resource's logical id")]


@router.post("/{resource_type}", summary="Create (optionally conditional: If-None-Exist)")
async def create(
    request: Request, resource_type: str, caller: CallerDep, store: StoreDep
) -> Response:
    """Create an Immunization or Condition of the caller's state; needs `system/<type>.c` (or
    `.write`). With `If-None-Exist: identifier=system|value` (or that query on the POST URL) an
    existing match is answered (200) instead of created; several matches are refused (412)."""
    _writable(resource_type)
    caller.require_scopes(f"system/{resource_type}.c")
    resource = posted_resource(await request.body())
    condition = request.headers.get("if-none-exist")
    # fhirpy sends the condition as the query of the POST (`POST /Immunization?identifier=...`).
    params = query_of(condition) if condition else list(request.query_params.multi_items())
    search = parse_search(resource_type, params) if params else None
    result = await store.run(
        writes.create, store, caller, resource, now=datetime.now(UTC), if_none_exist=search
    )
    return _written(request, result)


@router.put("/{resource_type}/{resource_id}", summary="Update (or create under this id)")
async def update(
    request: Request,
    resource_type: str,
    resource_id: ResourceId,
    caller: CallerDep,
    store: StoreDep,
) -> Response:
    """Replace a resource of the caller's state; `If-Match: W/"n"` refuses a stale version
    (412). Needs `system/<type>.u` (or `.write`)."""
    _writable(resource_type)
    caller.require_scopes(f"system/{resource_type}.u")
    resource = posted_resource(await request.body())
    result = await store.run(
        writes.update,
        store,
        caller,
        resource_type,
        resource_id,
        resource,
        now=datetime.now(UTC),
        if_match=if_match(request),
    )
    return _written(request, result)


@router.put("/{resource_type}", summary="Conditional update")
async def conditional_update(
    request: Request, resource_type: str, caller: CallerDep, store: StoreDep
) -> Response:
    """Update the one resource the query matches (`?identifier=system|value`), or create it."""
    _writable(resource_type)
    caller.require_scopes(f"system/{resource_type}.u", f"system/{resource_type}.c")
    resource = posted_resource(await request.body())
    search = parse_search(resource_type, list(request.query_params.multi_items()))
    result = await store.run(
        writes.conditional_update,
        store,
        caller,
        search,
        resource,
        now=datetime.now(UTC),
        if_match=if_match(request),
    )
    return _written(request, result)


@router.delete("/{resource_type}/{resource_id}", summary="Delete")
async def delete(
    request: Request,
    resource_type: str,
    resource_id: ResourceId,
    caller: CallerDep,
    store: StoreDep,
) -> Response:
    """Delete a resource of the caller's state (a new, deleted version; history keeps the
    rest). Needs `system/<type>.d` (or `.write`)."""
    _writable(resource_type)
    caller.require_scopes(f"system/{resource_type}.d")
    await store.run(
        writes.delete,
        store,
        caller,
        resource_type,
        resource_id,
        now=datetime.now(UTC),
        if_match=if_match(request),
    )
    return Response(status_code=204)


def _writable(resource_type: str) -> None:
    served(resource_type)
    if resource_type not in writes.WRITABLE_TYPES:
        # A Patient is derived from the consolidated identity; nobody writes it directly.
        raise HTTPException(
            405, f"{resource_type} is derived by the hub and not written by clients"
        )


def _written(request: Request, result: writes.WriteResult) -> Response:
    stored = result.stored
    headers = version_headers(stored)
    location = f"{base_url(request)}/{stored.resource_type}/{stored.id}"
    headers["Location"] = f"{location}/_history/{stored.version_id}"
    status = 201 if result.created else 200
    if "return=minimal" in request.headers.get("prefer", ""):
        return Response(status_code=status, headers=headers)
    return fhir_response(stored.resource, status, headers)
