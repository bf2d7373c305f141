"""The FHIR R4 door (`/fhir`): metadata, published artifacts, `$validate`, read and vread.

Answers are `application/fhir+json`; every error is an OperationOutcome rendered by
`hub.api.errors`. Reads serve the stored JSON as it was validated on write: no model is built
(STANDARDS.md §1). Search, history, writes, `$everything` and `$export` are not offered yet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request, Response

from hub.api.deps import CallerDep, StoreDep
from hub.api.errors import FHIR_JSON, operation_outcome
from hub.errors import HubError, Issue, IssueCode, NotFoundError, Severity, error
from hub.fhir import load_artifacts, validate_resource
from hub.store import StoredResource

router = APIRouter(prefix="/fhir", tags=["fhir"])

SERVED_RESOURCES = ("Patient", "Immunization", "Condition")
_ID = r"^[A-Za-z0-9\-\.]{1,64}$"
ArtifactId = Annotated[str, Path(pattern=_ID, description="The artifact's logical id")]
ResourceId = Annotated[str, Path(pattern=_ID, description="The resource's logical id")]


def _fhir(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type=FHIR_JSON, headers=headers)


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
    resource = _posted_resource(await request.body())
    _served(resource_type)
    issues = validate_resource(resource, profile)
    if resource.get("resourceType") != resource_type:
        message = f"the body is a {resource.get('resourceType')!r}, not a {resource_type}"
        issues.insert(0, error(IssueCode.INVALID, message, "resourceType", "fhir.type"))
    if not any(issue.severity != Severity.INFORMATION for issue in issues):
        ok = Issue(Severity.INFORMATION, IssueCode.INFORMATIONAL, "no errors or warnings")
        issues.insert(0, ok)
    return _fhir(orjson.dumps(operation_outcome(issues)))


@router.get("/{resource_type}/{resource_id}", summary="Read a resource")
async def read(
    resource_type: str, resource_id: ResourceId, caller: CallerDep, store: StoreDep
) -> Response:
    """The current version, as stored; needs `system/<type>.read` (or `.rs`)."""
    _served(resource_type)
    caller.require_scopes(f"system/{resource_type}.read")
    stored = await store.run(store.fhir.read, resource_type, resource_id)
    return _stored(stored, f"{resource_type}/{resource_id}")


@router.get("/{resource_type}/{resource_id}/_history/{version_id}", summary="Read a version")
async def vread(
    resource_type: str,
    resource_id: ResourceId,
    version_id: Annotated[int, Path(ge=1, description="The versionId")],
    caller: CallerDep,
    store: StoreDep,
) -> Response:
    """One version of a resource, as stored; needs `system/<type>.read` (or `.rs`)."""
    _served(resource_type)
    caller.require_scopes(f"system/{resource_type}.read")
    stored = await store.run(store.fhir.vread, resource_type, resource_id, version_id)
    return _stored(stored, f"{resource_type}/{resource_id}/_history/{version_id}")


def _stored(stored: StoredResource, name: str) -> Response:
    if stored.deleted:
        raise NotFoundError(f"{name} was deleted", "id")
    headers = {
        "ETag": f'W/"{stored.version_id}"',
        "Last-Modified": format_datetime(_utc(stored.last_updated), usegmt=True),
    }
    return _fhir(orjson.dumps(stored.resource), headers=headers)


def _utc(moment: datetime) -> datetime:
    # The embedded engine hands back naive datetimes; the store writes them in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _served(resource_type: str) -> None:
    if resource_type not in SERVED_RESOURCES:
        served = ", ".join(SERVED_RESOURCES)
        raise NotFoundError(
            [
                error(
                    IssueCode.NOT_SUPPORTED, f"{resource_type} is not served; only {served}", "type"
                )
            ]
        )


def _posted_resource(body: bytes) -> dict[str, Any]:
    try:
        posted = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _bad_body(f"the body is not JSON: {exc}") from None
    if isinstance(posted, dict) and posted.get("resourceType") == "Parameters":
        parts = [part for part in posted.get("parameter", []) if isinstance(part, dict)]
        posted = next((p.get("resource") for p in parts if p.get("name") == "resource"), None)
    if not isinstance(posted, dict):
        raise _bad_body("the body must be a FHIR resource (a JSON object)")
    return posted


def _bad_body(message: str) -> HubError:
    # A body that is not a resource is a malformed request (400), not an invalid resource (422).
    return HubError([error(IssueCode.STRUCTURE, message, "body")])
