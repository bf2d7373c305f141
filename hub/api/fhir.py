"""The FHIR R4 door (`/fhir`): metadata, published artifacts, `$validate`, read and vread;
searches and history (`hub.api.fhir_search`), vendor writes (`hub.api.fhir_writes`).

Answers are `application/fhir+json`; every error is an OperationOutcome rendered by
`hub.api.errors`. Reads serve the stored JSON as it was validated on write: no model is built
(STANDARDS.md §1). docs/fhir-api.md describes the whole door.
"""

from __future__ import annotations

from typing import Annotated, cast

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from starlette.convertors import Convertor, register_url_convertor

from hub.api import fhir_export, fhir_search, fhir_writes
from hub.api._fhir_http import (
    ID_PATTERN,
    SERVED_RESOURCES,
    access,
    posted_resource,
    served,
    stored_response,
)
from hub.api.deps import CallerDep, DirectCallerDep, StoreDep
from hub.api.errors import FHIR_JSON, operation_outcome
from hub.errors import Issue, IssueCode, Severity, error
from hub.fhir import load_artifacts, validate_resource
from hub.services import fhir_access
from hub.store import Store

router = APIRouter(prefix="/fhir", tags=["fhir"])

ArtifactId = Annotated[str, Path(pattern=ID_PATTERN, description="The artifact's logical id")]
ResourceId = Annotated[str, Path(pattern=ID_PATTERN, description="The resource's logical id")]


def _fhir(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type=FHIR_JSON, headers=headers)


class _Verbatim(Convertor[str]):
    """A path segment matching the subclass's `regex`, passed on as it is."""

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class _ServedType(_Verbatim):
    regex = "|".join(SERVED_RESOURCES)


class _FhirId(_Verbatim):
    regex = ID_PATTERN.strip("^$")


register_url_convertor("served_type", _ServedType())
register_url_convertor("fhir_id", _FhirId())


async def read(
    request: Request,
    resource_type: str,
    resource_id: ResourceId,
    caller: CallerDep,
    store: StoreDep,
) -> Response:
    """The current version, as stored; needs `system/<type>.r` (or `.read`, `.rs`).

    A merged child's retired MSIX ID answers with its own, inactive Patient whose `link` is
    `replaced-by` the surviving Patient.
    """
    served(resource_type)
    caller.require_scopes(f"system/{resource_type}.r")
    stored = await store.run(
        fhir_access.read, store, access(request, caller), resource_type, resource_id
    )
    return stored_response(stored)


async def _read_served(
    request: Request, resource_type: str, resource_id: str, caller: DirectCallerDep
) -> Response:
    # `read` for the paths the convertors below admit, with one dependency instead of five.
    store = cast(Store, request.app.state.store)
    return await read(request, resource_type, resource_id, caller, store)


# Reads are the hot path, so they are matched first: routes are tried in order, and FastAPI
# would otherwise try some thirty before the generic read (0.4 ms a request, measured). The
# convertors admit only served types and FHIR ids, so `_history`, `$everything`, `$validate`,
# `AuditEvent/{id}` and the published artifacts still reach their own routes.
router.add_api_route(
    "/{resource_type:served_type}/{resource_id:fhir_id}",
    _read_served,
    methods=["GET"],
    include_in_schema=False,
)


@router.get("/metadata", summary="CapabilityStatement")
async def metadata() -> Response:
    """What this server offers: the profiles it validates against and its interactions."""
    return _fhir(load_artifacts().json_bytes("CapabilityStatement", "msix-hub"))


@router.get("/StructureDefinition/{artifact_id}", summary="Read a published profile")
async def structure_definition(artifact_id: ArtifactId) -> Response:
    """One of the MSIX profiles (differential and snapshot), as published in `profiles/`."""
    return _fhir(load_artifacts().json_bytes("StructureDefinition", artifact_id))


@router.get("/ValueSet/{artifact_id}", summary="Read a bundled ValueSet")
async def value_set(artifact_id: ArtifactId) -> Response:
    """A ValueSet the profiles bind (the validator checks required bindings against it)."""
    return _fhir(load_artifacts().json_bytes("ValueSet", artifact_id))


@router.get("/CodeSystem/{artifact_id}", summary="Read a bundled CodeSystem")
async def code_system(artifact_id: ArtifactId) -> Response:
    """A CodeSystem the bundled ValueSets draw from (e.g. the dated CVX fragment)."""
    return _fhir(load_artifacts().json_bytes("CodeSystem", artifact_id))


@router.post("/{resource_type}/$validate", summary="Validate a resource against its profile")
async def validate(
    request: Request,
    resource_type: str,
    profile: Annotated[
        str | None, Query(description="Canonical URL of the profile (default: the MSIX one)")
    ] = None,
) -> Response:
    """Every issue of the posted resource (or `Parameters` with a `resource` part) at once.

    200 with an OperationOutcome whenever validation ran, errors included, as FHIR's
    `$validate` does; 400 only when the body is not a JSON object.
    """
    resource = posted_resource(await request.body())
    served(resource_type)
    issues = validate_resource(resource, profile)
    if resource.get("resourceType") != resource_type:
        message = f"the body is a {resource.get('resourceType')!r}, not a {resource_type}"
        issues.insert(0, error(IssueCode.INVALID, message, "resourceType", "fhir.type"))
    if not any(issue.severity != Severity.INFORMATION for issue in issues):
        ok = Issue(Severity.INFORMATION, IssueCode.INFORMATIONAL, "no errors or warnings")
        issues.insert(0, ok)
    return _fhir(orjson.dumps(operation_outcome(issues)))


# Searches, history and writes: registered before the generic read, whose `{resource_id}`
# would otherwise catch `_history` and `AuditEvent/{id}`; `$export` before the type search.
router.include_router(fhir_export.router)
router.include_router(fhir_search.router)
router.include_router(fhir_writes.router)


# Every other type answers the not-served OperationOutcome through the same handler.
router.add_api_route(
    "/{resource_type}/{resource_id}", read, methods=["GET"], summary="Read a resource"
)


@router.get("/{resource_type}/{resource_id}/_history/{version_id}", summary="Read a version")
async def vread(
    request: Request,
    resource_type: str,
    resource_id: ResourceId,
    version_id: Annotated[int, Path(ge=1, description="The versionId")],
    caller: CallerDep,
    store: StoreDep,
) -> Response:
    """One version of a resource, as stored; needs `system/<type>.r` (or `.read`, `.rs`)."""
    served(resource_type)
    caller.require_scopes(f"system/{resource_type}.r")
    stored = await store.run(
        fhir_access.vread, store, access(request, caller), resource_type, resource_id, version_id
    )
    return stored_response(stored)
