"""`POST /ingest` (a state file in, its acknowledgement out) and `GET /ingest/{batch_id}`.

The body is the file's raw bytes, streamed to a temporary file under the data dir while its
SHA-256 is computed; the pipeline (`hub.services.ingest`) then runs on the store thread. A client
submits for its own state only. The acknowledgement is JSON, or XML
(`xsd/ingest-acknowledgement.xsd`) when the client accepts `application/xml`.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.api.deps import SettingsDep, StoreDep, require_scopes
from hub.api.limits import BodySizeLimit
from hub.errors import IssueCode, NotFoundError, PermissionDeniedError, TooLargeError, error
from hub.security import AuditAgent, Caller
from hub.services.ingest import (
    Acknowledgement,
    IngestSource,
    Outcome,
    Timings,
    acknowledgement_xml,
    ingest,
)
from hub.services.ingest.formats import FORMATS, open_records

INGEST_SCOPE = "msix/ingest.write"
XML = "application/xml"
_CHUNK = 1024 * 1024

router = APIRouter(prefix="/ingest", tags=["ingest"])

IngestCaller = Annotated[Caller, Depends(require_scopes(INGEST_SCOPE))]

_ACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same file was ingested before: its acknowledgement, unchanged"},
    201: {"description": "Ingested: the acknowledgement (JSON, or XML on Accept: application/xml)"},
    422: {"description": "The file was rejected as a whole; nothing was stored"},
}


@router.post("", summary="Ingest one state file", responses=_ACK_RESPONSES, response_model=None)
async def submit_file(
    request: Request,
    caller: IngestCaller,
    store: StoreDep,
    settings: SettingsDep,
    state: Annotated[str, Query(pattern=r"^[A-Z]{2}$", description="Reporting state (USPS)")],
    filename: Annotated[
        str, Query(min_length=1, max_length=255, description="The file's name, for reports")
    ],
    file_format: Annotated[
        str | None,
        Query(
            alias="format",
            description=f"One of {', '.join(FORMATS)}; default: native when the state has a "
            "mapping, else canonical-jsonl",
        ),
    ] = None,
) -> Response:
    """Map, validate, match and store one state file sent as the raw request body.

    Answers with the file's acknowledgement: 201 with a `Location` to read it again, 200 when the
    same file was ingested before (nothing changed), 422 when the file is rejected as a whole.
    Records with errors are quarantined and listed; the others are stored. A client may submit
    only its own state's file.
    """
    _require_own_state(caller, state)
    uploads = settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    path, sha256, size = await _receive(request, uploads, settings.max_upload_bytes)
    try:
        timings = Timings()
        used_format, records = open_records(file_format, state, path, timings=timings)
        name = Path(filename).name or "upload"
        source = IngestSource(state, name, sha256, size, used_format)
        address = request.client.host if request.client else None
        result = await store.run(
            ingest,
            store,
            records,
            source,
            now=datetime.now(UTC),
            agent=AuditAgent.of(caller, address),
            observer=settings.token_issuer,
            timings=timings,
            spool_dir=uploads,
        )
    finally:
        path.unlink(missing_ok=True)
    ack = result.acknowledgement
    status = 200 if ack.replayed else 422 if ack.outcome is Outcome.REJECTED else 201
    return _acknowledgement(request, ack, status, {"Location": f"/ingest/{ack.batch_id}"})


@router.get("/{batch_id}", summary="Read a file's acknowledgement", response_model=None)
async def read_acknowledgement(
    request: Request, batch_id: str, caller: IngestCaller, store: StoreDep
) -> Response:
    """The acknowledgement of an ingested file (JSON, or XML on `Accept: application/xml`).

    A batch still being ingested answers 202 with its status only.
    """
    batch = await store.run(store.ingest.batch, batch_id)
    if batch is None:
        raise NotFoundError(f"no ingest batch {batch_id}", "batch_id")
    _require_own_state(caller, batch["state"])
    if batch.get("acknowledgement") is None:
        return JSONResponse({"batch_id": batch_id, "status": batch["status"]}, status_code=202)
    return _acknowledgement(request, Acknowledgement.from_json(batch["acknowledgement"]), 200, {})


class UploadSizeLimit:
    """Body size limits: `max_upload_bytes` for `POST /ingest`, `max_bytes` for the rest."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self._default = BodySizeLimit(app, max_bytes)
        self._upload = BodySizeLimit(app, max_upload_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        upload = scope["type"] == "http" and scope["path"].rstrip("/") == router.prefix
        await (self._upload if upload else self._default)(scope, receive, send)


def _require_own_state(caller: Caller, state: str) -> None:
    if caller.jurisdiction.state != state:
        acting = caller.jurisdiction.state or "no state"
        raise PermissionDeniedError(
            [
                error(
                    IssueCode.FORBIDDEN,
                    f"a client submits only its own state's records: this one acts for {acting}",
                    "state",
                )
            ]
        )


async def _receive(request: Request, folder: Path, limit: int) -> tuple[Path, str, int]:
    """Stream the body to a file in `folder`; its path, SHA-256 and size."""
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", delete=False) as out:
        path = Path(out.name)
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise TooLargeError(f"the file exceeds {limit} bytes", "body")
                digest.update(chunk)
                out.write(chunk)
        except BaseException:
            out.close()
            with contextlib.suppress(OSError):
                path.unlink()
            raise
    return path, digest.hexdigest(), size


def _acknowledgement(
    request: Request, ack: Acknowledgement, status: int, headers: dict[str, str]
) -> Response:
    accept = request.headers.get("accept", "")
    if "xml" in accept and "json" not in accept:
        return Response(
            acknowledgement_xml(ack), status_code=status, media_type=XML, headers=headers
        )
    return JSONResponse(ack.to_json(), status_code=status, headers=headers)
