"""`msix validate FILE`: a FHIR JSON resource against the published MSIX profiles, offline.

Prints the OperationOutcome `POST /fhir/{type}/$validate` would answer (the same code path).
Exit codes: 0 no errors (warnings and information allowed), 1 the resource has errors, 2 the file
is not a JSON resource.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import typer

from hub.api.errors import operation_outcome
from hub.errors import Issue, IssueCode, Severity, error, has_errors
from hub.fhir import validate_resource

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def run_validate(file: Path, profile: str | None) -> int:
    """Validate `file`, print its OperationOutcome, return the exit code."""
    try:
        resource = orjson.loads(file.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        _print([error(IssueCode.STRUCTURE, f"not a JSON file: {exc}", file.name)])
        return EXIT_UNREADABLE
    if not isinstance(resource, dict):
        _print([error(IssueCode.STRUCTURE, "not a FHIR resource (a JSON object)", file.name)])
        return EXIT_UNREADABLE
    issues = validate_resource(resource, profile)
    if not any(issue.severity != Severity.INFORMATION for issue in issues):
        issues.insert(0, Issue(Severity.INFORMATION, IssueCode.INFORMATIONAL, "no errors"))
    _print(issues)
    return EXIT_INVALID if has_errors(issues) else EXIT_VALID


def _print(issues: list[Issue]) -> None:
    typer.echo(orjson.dumps(operation_outcome(issues), option=orjson.OPT_INDENT_2).decode())
