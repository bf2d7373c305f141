"""FHIR Bulk Data `$export` (asynchronous pattern): jobs, their files and the work that fills them.

A job is a directory under `<data dir>/exports/<job id>/`: `job.json` (owner, request, status,
progress, output counts) and one `<Type>.ndjson` file per exported type. Keeping the state on
disk, not in process memory, lets any worker process of the same data dir answer the status and
file requests; the work itself runs as an asyncio task of the process that accepted the kick-off
(`run_export`), reading the store one chunk of children at a time through the store thread so
reads and searches of other clients interleave with it.

Scope (docs/fhir-api.md §`$export`): the children exported are those of the caller's
jurisdiction — a state client's are the children with a linked record of its state, a national
client's are every child — narrowed by a Group (`Group/state-XX`: the children with a linked
record of state XX). Each child's Immunizations and Conditions follow the child, whichever state
recorded them. Every chunk written records an AuditEvent (`AuditAction.EXPORT`) naming its
children.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from hub.errors import IssueCode, NotFoundError, PermissionDeniedError, error
from hub.fhir import Criterion
from hub.security import AuditAction, AuditOutcome
from hub.services.fhir_access import Access
from hub.store import Store, StoredResource, filter_of

EXPORT_TYPES = ("Patient", "Immunization", "Condition")
HEALTH_TYPES = ("Immunization", "Condition")
# Children read per store call; each chunk's health resources are read in the same call.
CHUNK = 500
_GROUP = re.compile(r"^state-(?P<state>[A-Z]{2})$")
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
log = logging.getLogger("hub.services.fhir_export")
IN_PROGRESS, COMPLETED, FAILED = "in-progress", "completed", "failed"


@dataclass(frozen=True)
class ExportRequest:
    """What a kick-off asked for, once checked."""

    url: str  # the kick-off request URL (the manifest's `request`)
    types: tuple[str, ...]
    since: datetime | None = None
    state: str | None = None  # None: every child


def group_state(group_id: str) -> str:
    """The state of `Group/state-XX`; NotFoundError for any other Group id."""
    match = _GROUP.match(group_id)
    if match is None:
        raise NotFoundError(
            f"Group/{group_id} not found: the groups are state-XX (XX a state code)", "id"
        )
    return match["state"]


def export_state(caller_state: str | None, group: str | None) -> str | None:
    """The state whose children an export covers (None: every child), per the caller's
    jurisdiction: a state client exports its own state's children only."""
    if caller_state is None:
        return group
    if group is not None and group != caller_state:
        raise PermissionDeniedError(
            [
                error(
                    IssueCode.FORBIDDEN,
                    f"a client of {caller_state} may not export Group/state-{group}",
                    "Group",
                )
            ]
        )
    return caller_state


class ExportJobs:
    """The export jobs of one data dir (files only; no store access).

    A finished job (completed or failed) expires `retention` after it finished: from then on it
    answers as not found, and `purge_expired` (run by every app process's housekeeping) deletes
    its files, so bulk health data does not outlive its use.
    """

    def __init__(self, data_dir: Path, retention: timedelta = timedelta(hours=24)) -> None:
        self.root = data_dir / "exports"
        self.retention = retention

    def create(self, owner: str, request: ExportRequest, now: datetime) -> dict[str, Any]:
        job_id = uuid.uuid4().hex
        job: dict[str, Any] = {
            "id": job_id,
            "owner": owner,
            "status": IN_PROGRESS,
            "progress": "queued",
            "transactionTime": _instant(now),
            "request": request.url,
            "types": list(request.types),
            "output": [],
            "error": [],
        }
        self.directory(job_id).mkdir(parents=True)
        self.save(job)
        return job

    def directory(self, job_id: str) -> Path:
        if not _JOB_ID.match(job_id):
            raise NotFoundError(f"export {job_id} not found", "id")
        return self.root / job_id

    def load(self, job_id: str, *, now: datetime | None = None) -> dict[str, Any]:
        try:
            job: dict[str, Any] = orjson.loads((self.directory(job_id) / "job.json").read_bytes())
        except FileNotFoundError:
            raise NotFoundError(f"export {job_id} not found (or deleted)", "id") from None
        if _expired(job, now or datetime.now(UTC)):
            raise NotFoundError(f"export {job_id} expired at {job['expires']}", "id")
        return job

    def finish(self, job: dict[str, Any], now: datetime) -> None:
        """Record the end of a job (completed or failed) and when its files expire."""
        job["expires"] = _instant(now + self.retention)
        self.save(job)

    def purge_expired(self, now: datetime) -> list[str]:
        """Delete every job that expired; returns their ids."""
        purged = []
        for directory in sorted(self.root.glob("*")) if self.root.is_dir() else []:
            try:
                job = orjson.loads((directory / "job.json").read_bytes())
            except (FileNotFoundError, orjson.JSONDecodeError):
                continue
            if _expired(job, now):
                self.delete(job["id"])
                purged.append(job["id"])
        return purged

    def save(self, job: dict[str, Any]) -> None:
        directory = self.directory(job["id"])
        if not directory.is_dir():
            return  # deleted meanwhile: nothing to record
        temporary = directory / "job.json.tmp"
        temporary.write_bytes(orjson.dumps(job))
        temporary.replace(directory / "job.json")

    def file(self, job_id: str, resource_type: str) -> Path:
        if resource_type not in EXPORT_TYPES:
            raise NotFoundError(f"no {resource_type} file in export {job_id}", "file")
        return self.directory(job_id) / f"{resource_type}.ndjson"

    def delete(self, job_id: str) -> None:
        # Marked first (the job's task stops writing), then removed.
        directory = self.directory(job_id)
        with contextlib.suppress(FileNotFoundError):
            (directory / "job.json").unlink()
        shutil.rmtree(directory, ignore_errors=True)

    def deleted(self, job_id: str) -> bool:
        return not (self.directory(job_id) / "job.json").exists()


@dataclass(frozen=True)
class Chunk:
    children: list[StoredResource]  # the Patients of this chunk (all, before `_since`)
    resources: dict[str, list[StoredResource]]  # per type, after `_since`
    next_after: str | None


def count_children(store: Store, state: str | None) -> int:
    """How many children an export covers (for progress). Runs on the store thread."""
    return store.fhir.count("Patient", filter_of(_scope(state)))


def read_chunk(store: Store, request: ExportRequest, after: str | None) -> Chunk:
    """The next `CHUNK` children of the export and their resources. Runs on the store thread."""
    children = store.fhir.search(
        "Patient", filter_of(_scope(request.state)), after=after, limit=CHUNK
    )
    ids = tuple(child.id for child in children)
    resources: dict[str, list[StoredResource]] = {}
    for resource_type in request.types:
        if resource_type == "Patient":
            found = children
        elif ids:
            found = _about(store, resource_type, ids)
        else:
            found = []
        resources[resource_type] = [r for r in found if _since(r, request.since)]
    next_after = f"Patient/{children[-1].id}" if len(children) == CHUNK else None
    return Chunk(children, resources, next_after)


async def run_export(
    store: Store,
    jobs: ExportJobs,
    job_id: str,
    request: ExportRequest,
    access: Access,
) -> None:
    """Fill a job's files chunk by chunk, then mark it completed (or failed, logged)."""
    try:
        job = jobs.load(job_id)
    except NotFoundError:
        return  # deleted before it started
    counts = dict.fromkeys(request.types, 0)
    done = 0
    try:
        total = await store.run(count_children, store, request.state)
        after: str | None = None
        while True:
            chunk = await store.run(read_chunk, store, request, after)
            if jobs.deleted(job_id):
                return  # cancelled by the client
            exported: dict[str, None] = {}
            for resource_type, found in chunk.resources.items():
                if found:
                    with jobs.file(job_id, resource_type).open("ab") as out:
                        out.writelines(orjson.dumps(r.resource) + b"\n" for r in found)
                    counts[resource_type] += len(found)
                    exported.update(dict.fromkeys(_children_of(found)))
            if exported:
                now = replace(access, now=datetime.now(UTC))
                await store.run(now.record, store, AuditAction.EXPORT, list(exported))
            done += len(chunk.children)
            job["progress"] = f"{done} of {total} children exported"
            jobs.save(job)
            if chunk.next_after is None:
                break
            after = chunk.next_after
            await asyncio.sleep(0)  # let other requests' store calls in between chunks
        job["output"] = [{"type": t, "count": n} for t, n in counts.items() if n]
        job["status"] = COMPLETED
        job["progress"] = f"{done} of {done} children exported"
        jobs.finish(job, datetime.now(UTC))
    except asyncio.CancelledError:
        _fail(jobs, job, "the export was interrupted (server shutdown); start it again")
        raise
    except Exception as exc:
        log.exception("export %s failed", job_id)
        _fail(jobs, job, f"the export failed: {type(exc).__name__}")
        failed = replace(access, now=datetime.now(UTC))
        await store.run(
            failed.record, store, AuditAction.EXPORT, [], AuditOutcome.SERIOUS_FAILURE, "failed"
        )


def _fail(jobs: ExportJobs, job: dict[str, Any], message: str) -> None:
    if jobs.deleted(job["id"]):
        return
    job["status"] = FAILED
    job["error"] = [message]
    jobs.finish(job, datetime.now(UTC))


def _expired(job: dict[str, Any], now: datetime) -> bool:
    expires = job.get("expires")
    return expires is not None and datetime.fromisoformat(expires) <= now


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _scope(state: str | None) -> list[Criterion]:
    if state is None:
        return []
    return [Criterion("x_identifier", "in", (f"urn:msix:state:{state}:student|",))]


def _about(store: Store, resource_type: str, ids: tuple[str, ...]) -> list[StoredResource]:
    found: list[StoredResource] = []
    query = filter_of([Criterion("patient", "in", ids)])
    after: str | None = None
    while True:
        page = store.fhir.search(resource_type, query, after=after, limit=CHUNK)
        found += page
        if len(page) < CHUNK:
            return found
        after = f"{resource_type}/{page[-1].id}"


def _since(stored: StoredResource, since: datetime | None) -> bool:
    if since is None:
        return True
    moment = stored.last_updated
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment >= since


def _children_of(found: list[StoredResource]) -> list[str]:
    return [str(r.document["patient"]) for r in found if r.document.get("patient")]
