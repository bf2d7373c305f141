"""FHIR Bulk Data `$export` (`/fhir`): kick-off, status, cancel and the NDJSON files.

`GET /fhir/$export` and `GET /fhir/Group/state-XX/$export` with `Prefer: respond-async` answer
202 with `Content-Location: /fhir/$export-status/<job>`; the work runs as a task of this app
(`hub.services.fhir_export.run_export`). Status, cancel and files answer only the client that
started the export, with an access token. docs/fhir-api.md §`$export` describes the rules.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, FastAPI, Path, Request, Response
from fastapi.responses import FileResponse

from hub.api._fhir_http import ID_PATTERN, access, base_url, fhir_response, lenient
from hub.api.deps import CallerDep, StoreDep
from hub.api.errors import operation_outcome
from hub.config import Settings
from hub.errors import HubError, IssueCode, NotFoundError, PermissionDeniedError, error
from hub.security import AuditAction, Caller
from hub.services import fhir_export
from hub.services.fhir_export import EXPORT_TYPES, ExportJobs, ExportRequest

router = APIRouter(tags=["fhir"])

NDJSON = "application/fhir+ndjson"
_OUTPUT_FORMATS = {NDJSON, "application/ndjson", "ndjson"}
_KNOWN = {"_type", "_since", "_outputFormat"}
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The export job")]
GroupId = Annotated[str, Path(pattern=ID_PATTERN, description="state-XX")]


@router.get("/$export", summary="Bulk export, system level (asynchronous)")
async def export_system(request: Request, caller: CallerDep, store: StoreDep) -> Response:
    """Every child of the caller's jurisdiction, as NDJSON; needs `Prefer: respond-async` and
    `system/<Type>.read` for each exported type (`system/*.read` covers all)."""
    return await _kick_off(request, caller, store, group=None)


@router.get("/Group/{group_id}/$export", summary="Bulk export of a Group (asynchronous)")
async def export_group(
    request: Request, group_id: GroupId, caller: CallerDep, store: StoreDep
) -> Response:
    """`Group/state-XX`: the children with a linked record of state XX (a state client may
    export only its own state's Group)."""
    state = fhir_export.group_state(group_id)
    return await _kick_off(request, caller, store, group=state)


@router.get("/$export-status/{job_id}", summary="Status of a bulk export")
async def export_status(request: Request, job_id: JobId, caller: CallerDep) -> Response:
    """202 with `X-Progress` while running; 200 with the manifest when done; 500 if it failed."""
    job = _own_job(request, caller, job_id)
    if job["status"] == fhir_export.IN_PROGRESS:
        return Response(
            status_code=202, headers={"X-Progress": job["progress"], "Retry-After": "1"}
        )
    if job["status"] == fhir_export.FAILED:
        issues = [error(IssueCode.EXCEPTION, message, "export") for message in job["error"]]
        return fhir_response(operation_outcome(issues), status=500)
    base = base_url(request)
    manifest: dict[str, Any] = {
        "transactionTime": job["transactionTime"],
        "request": job["request"],
        "requiresAccessToken": True,
        "output": [
            {
                "type": item["type"],
                "url": f"{base}/$export-file/{job_id}/{item['type']}.ndjson",
                "count": item["count"],
            }
            for item in job["output"]
        ],
        "error": [],
    }
    # Bulk Data: the manifest's files are available until `Expires` (RFC 9110 HTTP-date).
    expires = datetime.fromisoformat(job["expires"]) if job.get("expires") else None
    headers = {"Expires": format_datetime(expires, usegmt=True)} if expires else {}
    return Response(orjson.dumps(manifest), media_type="application/json", headers=headers)


@router.delete("/$export-status/{job_id}", summary="Cancel or discard a bulk export")
async def export_delete(request: Request, job_id: JobId, caller: CallerDep) -> Response:
    """Stops a running export and deletes its files (202); the status then answers 404."""
    _own_job(request, caller, job_id)
    task = _tasks(request.app).pop(job_id, None)
    if task is not None:
        task.cancel()
    _jobs(request).delete(job_id)
    return Response(status_code=202)


@router.get("/$export-file/{job_id}/{resource_type}.ndjson", summary="A bulk export file")
async def export_file(
    request: Request, job_id: JobId, resource_type: str, caller: CallerDep
) -> Response:
    """One NDJSON file of a completed export (`application/fhir+ndjson`)."""
    job = _own_job(request, caller, job_id)
    path = _jobs(request).file(job_id, resource_type)
    if job["status"] != fhir_export.COMPLETED or not path.is_file():
        raise NotFoundError(f"no {resource_type} file in export {job_id}", "file")
    return FileResponse(path, media_type=NDJSON)


async def cancel_exports(app: FastAPI) -> None:
    """Stop this app's running exports (at shutdown, before the store closes)."""
    tasks = list(_tasks(app).values())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _kick_off(
    request: Request, caller: Caller, store: StoreDep, group: str | None
) -> Response:
    if not _prefers_async(request):
        raise HubError(
            [error(IssueCode.INVALID, "$export needs the header Prefer: respond-async", "Prefer")]
        )
    export = _parse(request, caller, group)
    caller.require_scopes(*(f"system/{t}.rs" for t in export.types))
    reader = access(request, caller)
    jobs = _jobs(request)
    job = jobs.create(caller.id, export, reader.now)
    await store.run(reader.record, store, AuditAction.EXPORT, [], description="kick-off")
    task = asyncio.create_task(fhir_export.run_export(store, jobs, job["id"], export, reader))
    tasks = _tasks(request.app)
    tasks[job["id"]] = task
    task.add_done_callback(lambda _: tasks.pop(job["id"], None))
    location = f"{base_url(request)}/$export-status/{job['id']}"
    return Response(status_code=202, headers={"Content-Location": location})


def _parse(request: Request, caller: Caller, group: str | None) -> ExportRequest:
    params = request.query_params
    issues = []
    unknown = [key for key in params if key not in _KNOWN and key != "_format"]
    if unknown and not lenient(request):
        issues += [error(IssueCode.NOT_SUPPORTED, f"unknown parameter {k!r}", k) for k in unknown]
    for output_format in params.getlist("_outputFormat"):
        if output_format not in _OUTPUT_FORMATS:
            message = f"_outputFormat {output_format!r} is not offered; use {NDJSON}"
            issues.append(error(IssueCode.NOT_SUPPORTED, message, "_outputFormat"))
    named = [name.strip() for value in params.getlist("_type") for name in value.split(",") if name]
    for name in named:
        if name not in EXPORT_TYPES:
            message = f"_type {name!r} is not exported; only {', '.join(EXPORT_TYPES)}"
            issues.append(error(IssueCode.NOT_SUPPORTED, message, "_type"))
    since = None
    if "_since" in params:
        try:
            since = datetime.fromisoformat(params["_since"])
        except ValueError:
            message = "_since must be a FHIR instant (2024-01-31T00:00:00Z)"
            issues.append(error(IssueCode.INVALID, message, "_since"))
        else:
            since = since.replace(tzinfo=UTC) if since.tzinfo is None else since
            # The store keeps milliseconds: a finer `_since` must not skip its own millisecond.
            since = since.replace(microsecond=since.microsecond // 1000 * 1000)
    if issues:
        raise HubError(issues)
    types = tuple(t for t in EXPORT_TYPES if t in named) if named else EXPORT_TYPES
    state = fhir_export.export_state(caller.jurisdiction.state, group)
    return ExportRequest(str(request.url), types, since, state)


def _prefers_async(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(part.strip() == "respond-async" for part in prefer.split(","))


def _own_job(request: Request, caller: Caller, job_id: str) -> dict[str, Any]:
    job = _jobs(request).load(job_id)
    if job["owner"] != caller.id:
        raise PermissionDeniedError(
            [error(IssueCode.FORBIDDEN, "only the client that started an export may use it", "id")]
        )
    return job


def _jobs(request: Request) -> ExportJobs:
    settings: Settings = request.app.state.settings
    return ExportJobs(settings.data_dir, timedelta(hours=settings.export_retention_hours))


def _tasks(app: FastAPI) -> dict[str, asyncio.Task[None]]:
    tasks: dict[str, asyncio.Task[None]] | None = getattr(app.state, "export_tasks", None)
    if tasks is None:
        tasks = {}
        app.state.export_tasks = tasks
    return tasks
