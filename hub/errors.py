"""Errors are facts until the edge.

Inner code raises a `HubError` subclass carrying every `Issue` it found; each door renders the same
issues in its own shape (FHIR OperationOutcome, XML Acknowledgement, ingest report, HTML message).
The subclasses name the outcome; the doors map an outcome to a status in one table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """FHIR `issue-severity` values; also used by XML acknowledgements and ingest reports."""

    FATAL = "fatal"
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"


class IssueCode(StrEnum):
    """A subset of FHIR `issue-type` codes the hub produces."""

    INVALID = "invalid"
    STRUCTURE = "structure"
    REQUIRED = "required"
    VALUE = "value"
    INVARIANT = "invariant"
    CODE_INVALID = "code-invalid"
    BUSINESS_RULE = "business-rule"
    SECURITY = "security"
    LOGIN = "login"
    EXPIRED = "expired"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not-found"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    TOO_LONG = "too-long"
    NOT_SUPPORTED = "not-supported"
    EXCEPTION = "exception"
    INFORMATIONAL = "informational"


@dataclass(frozen=True, slots=True)
class Issue:
    """One located problem: what rule, how bad, and where (a dotted path or XPath)."""

    severity: Severity
    code: IssueCode
    message: str
    location: str | None = None
    rule: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity in (Severity.FATAL, Severity.ERROR)

    def at(self, prefix: str) -> Issue:
        """The same issue located under `prefix` (e.g. a record number)."""
        location = f"{prefix}.{self.location}" if self.location else prefix
        return Issue(self.severity, self.code, self.message, location, self.rule)


def error(
    code: IssueCode, message: str, location: str | None = None, rule: str | None = None
) -> Issue:
    return Issue(Severity.ERROR, code, message, location, rule)


def warning(
    code: IssueCode, message: str, location: str | None = None, rule: str | None = None
) -> Issue:
    return Issue(Severity.WARNING, code, message, location, rule)


def has_errors(issues: Iterable[Issue]) -> bool:
    return any(issue.is_error for issue in issues)


@dataclass
class HubError(Exception):
    """Base of every error the hub raises on purpose. Carries all issues found at once."""

    issues: Sequence[Issue] = field(default_factory=tuple)
    default_code = IssueCode.EXCEPTION

    def __init__(self, issues: Sequence[Issue] | str, location: str | None = None) -> None:
        if isinstance(issues, str):
            issues = (Issue(Severity.ERROR, self.default_code, issues, location),)
        self.issues = tuple(issues)
        super().__init__("; ".join(_describe(issue) for issue in self.issues))

    def __str__(self) -> str:
        return "; ".join(_describe(issue) for issue in self.issues)


def _describe(issue: Issue) -> str:
    where = f"{issue.location}: " if issue.location else ""
    rule = f" [{issue.rule}]" if issue.rule else ""
    return f"{where}{issue.message}{rule}"


class ValidationError(HubError):
    """Input that breaks a published rule (model rule, schema, profile, mapping)."""

    default_code = IssueCode.INVALID


class NotFoundError(HubError):
    default_code = IssueCode.NOT_FOUND


class ConflictError(HubError):
    """A write that collides with existing data: a unique key, a stale version."""

    default_code = IssueCode.CONFLICT


class DuplicateError(ConflictError):
    """The same key with different content (a reused message id, a second record)."""

    default_code = IssueCode.DUPLICATE


class PreconditionFailedError(ConflictError):
    """A conditional request whose precondition no longer holds (If-Match on a stale version)."""

    default_code = IssueCode.CONFLICT


class AuthenticationError(HubError):
    """The caller is not known: no, wrong, expired or tampered credentials."""

    default_code = IssueCode.LOGIN


class PermissionDeniedError(HubError):
    """The caller is known but lacks the scope, role or jurisdiction."""

    default_code = IssueCode.FORBIDDEN


class TooLargeError(HubError):
    default_code = IssueCode.TOO_LONG


class ConfigurationError(HubError):
    """Settings or declarative files that stop the hub from starting."""

    default_code = IssueCode.INVALID
