"""The one place a `HubError` (or any failure) becomes an HTTP answer: a FHIR OperationOutcome.

The status comes from one table keyed by error class (most specific class wins), so services
raise facts and never pick status codes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DuplicateError,
    HubError,
    Issue,
    IssueCode,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    Severity,
    TooLargeError,
    ValidationError,
    error,
)

FHIR_JSON = "application/fhir+json"

log = logging.getLogger("hub.api")

# Checked in order: the first class the error is an instance of decides the status.
STATUS_BY_ERROR: tuple[tuple[type[HubError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (PreconditionFailedError, 412),
    (DuplicateError, 409),
    (ConflictError, 409),
    (TooLargeError, 413),
    (ValidationError, 422),
    (ConfigurationError, 500),
    (HubError, 400),
)

_STATUS_CODE: dict[int, IssueCode] = {
    400: IssueCode.INVALID,
    401: IssueCode.LOGIN,
    403: IssueCode.FORBIDDEN,
    404: IssueCode.NOT_FOUND,
    405: IssueCode.NOT_SUPPORTED,
    406: IssueCode.NOT_SUPPORTED,
    409: IssueCode.CONFLICT,
    412: IssueCode.CONFLICT,
    413: IssueCode.TOO_LONG,
    415: IssueCode.NOT_SUPPORTED,
    422: IssueCode.INVALID,
}


def status_for(exc: HubError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 400


def operation_outcome(issues: Sequence[Issue]) -> dict[str, Any]:
    """FHIR R4 OperationOutcome JSON; locations go to `expression` (FHIRPath or XPath)."""
    rendered: list[dict[str, Any]] = []
    for issue in issues:
        entry: dict[str, Any] = {
            "severity": issue.severity.value,
            "code": issue.code.value,
            "diagnostics": issue.message,
        }
        if issue.location:
            entry["expression"] = [issue.location]
        if issue.rule:
            entry["details"] = {"coding": [{"system": "urn:msix:rule", "code": issue.rule}]}
        rendered.append(entry)
    return {"resourceType": "OperationOutcome", "issue": rendered}


def outcome_response(
    status: int, issues: Sequence[Issue], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        operation_outcome(issues), status_code=status, media_type=FHIR_JSON, headers=headers
    )


async def _hub_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HubError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": 'Bearer realm="msix"'} if status == 401 else None
    if status >= 500:
        log.error("configuration error on %s %s: %s", request.method, request.url.path, exc)
    return outcome_response(status, exc.issues, headers)


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    issues = [
        error(IssueCode.INVALID, str(problem["msg"]), ".".join(str(p) for p in problem["loc"]))
        for problem in exc.errors()
    ]
    return outcome_response(400, issues)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODE.get(exc.status_code, IssueCode.EXCEPTION)
    severity = Severity.ERROR if exc.status_code < 500 else Severity.FATAL
    issue = Issue(severity, code, str(exc.detail))
    return outcome_response(exc.status_code, [issue], dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Never echo internals (or a payload with PII) to the caller; the log has the traceback.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    issue = Issue(Severity.FATAL, IssueCode.EXCEPTION, "internal error; the incident was logged")
    return outcome_response(500, [issue])


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HubError, _hub_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
