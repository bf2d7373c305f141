from __future__ import annotations

import pytest

from hub.api.errors import operation_outcome, status_for
from hub.errors import (
    AuthenticationError,
    ConflictError,
    DuplicateError,
    HubError,
    IssueCode,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    ValidationError,
    error,
    warning,
)


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (AuthenticationError("bad token"), 401),
        (PermissionDeniedError("missing scope"), 403),
        (NotFoundError("gone"), 404),
        (ConflictError("clash"), 409),
        (DuplicateError("same id, other content"), 409),
        (PreconditionFailedError("stale"), 412),
        (ValidationError("bad"), 422),
        (HubError("generic"), 400),
    ],
)
def test_status_comes_from_the_error_class(exc: HubError, status: int) -> None:
    assert status_for(exc) == status


def test_every_issue_is_rendered_with_its_location_and_rule() -> None:
    exc = ValidationError(
        [
            error(IssueCode.CODE_INVALID, "unknown sex code 'X'", "identity.sex", "mde.code"),
            warning(IssueCode.VALUE, "placeholder birth date", "identity.birth_date"),
        ]
    )
    outcome = operation_outcome(exc.issues)
    assert outcome["resourceType"] == "OperationOutcome"
    first, second = outcome["issue"]
    assert first == {
        "severity": "error",
        "code": "code-invalid",
        "diagnostics": "unknown sex code 'X'",
        "expression": ["identity.sex"],
        "details": {"coding": [{"system": "urn:msix:rule", "code": "mde.code"}]},
    }
    assert second["severity"] == "warning"
    assert str(exc).startswith("identity.sex: unknown sex code 'X' [mde.code]; identity.birth_date")


def test_a_message_string_becomes_one_issue_with_the_class_code() -> None:
    exc = NotFoundError("no child with MSIX ID 123456789012", "msix_id")
    assert len(exc.issues) == 1
    assert exc.issues[0].code is IssueCode.NOT_FOUND
    assert exc.issues[0].location == "msix_id"
