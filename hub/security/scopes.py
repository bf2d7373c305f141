"""OAuth scopes: SMART on FHIR v1 and v2 resource scopes, plus the hub's own scopes.

SMART v1 writes `system/Patient.read` / `.write` / `.*`; SMART v2 writes the permissions as an
ordered subset of `cruds` (`system/Patient.rs`) and may narrow it with a search query
(`system/Condition.rs?category=problem-list-item`). Both are reduced to one set of permission
letters so either form grants the other: read ⇔ rs, write ⇔ cud, `*` ⇔ cruds.
Hub scopes (`msix/messages.write`, ...) are a closed list.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from hub.errors import Issue, IssueCode, ValidationError, error

_ALL = frozenset("cruds")
_V1_PERMISSIONS = {"read": frozenset("rs"), "write": frozenset("cud"), "*": _ALL}

_RESOURCE_SCOPE = re.compile(
    r"^(?P<context>patient|user|system)/(?P<resource>\*|[A-Z][A-Za-z]{1,63})"
    r"\.(?P<permissions>read|write|\*|c?r?u?d?s?)(?:\?(?P<query>.+))?$"
)

HUB_CONTEXT = "msix"
HUB_SCOPES: frozenset[str] = frozenset(
    {"msix/messages.read", "msix/messages.write", "msix/ingest.write", "msix/health.read"}
)
# Contexts a system (backend) client may hold; patient/ and user/ need a launch the hub lacks.
SYSTEM_CONTEXTS = frozenset({"system", HUB_CONTEXT})

_SERVED_RESOURCES = ("Patient", "Immunization", "Condition")
SUPPORTED_SCOPES: tuple[str, ...] = (
    "system/*.read",
    "system/*.rs",
    *(
        f"system/{resource}.{permission}"
        for resource in _SERVED_RESOURCES
        for permission in ("read", "rs", "write", "cud")
    ),
    # The audit log at /fhir/AuditEvent: for administrators' clients.
    "system/AuditEvent.read",
    "system/AuditEvent.rs",
    *sorted(HUB_SCOPES),
)


@dataclass(frozen=True, slots=True)
class Scope:
    """One parsed scope. `permissions` holds letters of `cruds`; `query` the v2 narrowing."""

    context: str
    resource: str
    permissions: frozenset[str]
    query: frozenset[tuple[str, str]] = frozenset()
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Parse one scope; a malformed or unknown scope is a `ValidationError` at `scope`."""
        return _parse(text)

    def grants(self, required: str | Scope) -> bool:
        """True when holding this scope allows what `required` asks for."""
        need = required if isinstance(required, Scope) else _parse(required)
        if need.context != self.context:
            return False
        if self.resource != "*" and self.resource != need.resource:
            return False
        if not need.permissions <= self.permissions:
            return False
        # A narrowed grant only covers requests narrowed at least as much.
        return self.query <= need.query

    def __str__(self) -> str:
        return self.text


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> Scope:
    if text in HUB_SCOPES:
        resource, _, permission = text.removeprefix(f"{HUB_CONTEXT}/").partition(".")
        return Scope(HUB_CONTEXT, resource, _V1_PERMISSIONS[permission], frozenset(), text)
    if text.startswith(f"{HUB_CONTEXT}/"):
        raise _invalid(text, f"unknown hub scope; known: {', '.join(sorted(HUB_SCOPES))}")
    match = _RESOURCE_SCOPE.match(text)
    if match is None or not match["permissions"]:
        raise _invalid(text, "not a SMART scope such as system/Patient.read or system/Patient.rs")
    raw_permissions = match["permissions"]
    v1 = raw_permissions in _V1_PERMISSIONS
    permissions = _V1_PERMISSIONS[raw_permissions] if v1 else frozenset(raw_permissions)
    query: frozenset[tuple[str, str]] = frozenset()
    if match["query"] is not None:
        if v1:
            raise _invalid(text, "a query narrows SMART v2 scopes only (e.g. .rs?category=...)")
        try:
            pairs = parse_qsl(match["query"], strict_parsing=True)
        except ValueError:
            raise _invalid(text, "malformed scope query") from None
        query = frozenset(pairs)
    return Scope(match["context"], match["resource"], permissions, query, text)


def _invalid(text: str, why: str) -> ValidationError:
    return ValidationError([error(IssueCode.INVALID, f"scope {text!r}: {why}", "scope")])


def parse_scopes(texts: Iterable[str]) -> list[Scope]:
    """Parse several scopes, reporting every malformed one at once."""
    parsed: list[Scope] = []
    problems: list[Issue] = []
    for text in texts:
        try:
            parsed.append(_parse(text))
        except ValidationError as exc:
            problems.extend(exc.issues)
    if problems:
        raise ValidationError(problems)
    return parsed


def split_scope_parameter(value: str | None) -> list[str]:
    """RFC 6749 §3.3: space-delimited, order irrelevant; duplicates dropped, order kept."""
    return list(dict.fromkeys((value or "").split()))


def any_grants(held: Iterable[Scope], required: str | Scope) -> bool:
    need = required if isinstance(required, Scope) else _parse(required)
    return any(scope.grants(need) for scope in held)
