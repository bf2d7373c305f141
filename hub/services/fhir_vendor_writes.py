"""Vendor writes through the FHIR door: create, update, conditional create/update, delete.

Rules (DESIGN.md §6, STANDARDS.md §2):
- only Immunization and Condition are written by vendors (a Patient is derived from the
  consolidated identity);
- the owning state is the `{ST}` of the resource's identifier systems (`urn:msix:state:{ST}:...`);
  a client writes only its own state's records, and never replaces another state's;
- every write is validated against the MSIX profile first; a failing write changes nothing and
  answers every issue at once;
- `If-Match` is honoured (a stale version is refused); `If-None-Exist` and conditional update key
  on the search the client sends (normally `identifier=system|value`).

A created resource's id is the one the ingest pipeline would give the same entry
(`hub.fhir.entry_id` of state, state student id and record id, read back from an identifier
`{state student id}:{record id}`), so a vendor write and a file upload of one entry name one
resource. All functions run on the store thread.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.errors import (
    DuplicateError,
    HubError,
    IssueCode,
    PermissionDeniedError,
    PreconditionFailedError,
    Severity,
    ValidationError,
    error,
)
from hub.fhir import SearchRequest, entry_id, validate_resource
from hub.security import Caller
from hub.services.fhir_writes import body_of, projection_of
from hub.store import Store, StoredResource, filter_of

WRITABLE_TYPES = ("Immunization", "Condition")
_STATE_SYSTEM = re.compile(r"^urn:msix:state:(?P<state>[A-Z]{2}):(?P<kind>[a-z]+)$")
_REFERENCE_ELEMENT = {"Immunization": "patient", "Condition": "subject"}


@dataclass(frozen=True)
class WriteResult:
    stored: StoredResource
    created: bool  # a new resource (201)
    changed: bool = True  # False: a conditional create found the resource already there


def create(
    store: Store,
    caller: Caller,
    resource: dict[str, Any],
    *,
    now: datetime,
    if_none_exist: SearchRequest | None = None,
) -> WriteResult:
    """Create a resource (or, with `if_none_exist`, answer the one that matches)."""
    resource_type = str(resource.get("resourceType"))
    if if_none_exist is not None:
        matches = _matches(store, if_none_exist)
        if len(matches) > 1:
            raise _ambiguous(if_none_exist)
        if matches:
            return WriteResult(matches[0], created=False, changed=False)
    checked = _checked(store, caller, resource_type, resource)
    checked["id"] = _new_id(checked)
    existing = store.fhir.read_many(resource_type, [checked["id"]]).get(checked["id"])
    if existing is not None and not existing.deleted:
        raise DuplicateError(
            [
                error(
                    IssueCode.DUPLICATE,
                    f"{resource_type}/{checked['id']} already holds this identifier; "
                    "update it, or create with If-None-Exist",
                    "identifier",
                )
            ]
        )
    _require_owner(caller, existing)
    stored = store.fhir.write(
        checked,
        projection_of(checked),
        if_match=existing.version_id if existing is not None else 0,
        now=now,
    )
    return WriteResult(stored, created=True)


def update(
    store: Store,
    caller: Caller,
    resource_type: str,
    resource_id: str,
    resource: dict[str, Any],
    *,
    now: datetime,
    if_match: int | None = None,
) -> WriteResult:
    """Replace `resource_type/resource_id` (or create it under that id, as FHIR allows)."""
    if resource.get("id") != resource_id:
        raise HubError([error(IssueCode.INVALID, f"the body's id must be {resource_id!r}", "id")])
    checked = _checked(store, caller, resource_type, resource)
    existing = store.fhir.read_many(resource_type, [resource_id]).get(resource_id)
    _require_owner(caller, existing)
    at = existing.version_id if existing is not None else 0
    stored = store.fhir.write(
        checked,
        projection_of(checked),
        if_match=if_match if if_match is not None else at,
        now=now,
    )
    return WriteResult(stored, created=existing is None or existing.deleted)


def conditional_update(
    store: Store,
    caller: Caller,
    request: SearchRequest,
    resource: dict[str, Any],
    *,
    now: datetime,
    if_match: int | None = None,
) -> WriteResult:
    """Update the one resource the search matches; create it when none does."""
    matches = _matches(store, request)
    if len(matches) > 1:
        raise _ambiguous(request)
    if not matches:
        if "id" in resource:
            return update(
                store, caller, request.resource_type, str(resource["id"]), resource, now=now
            )
        return create(store, caller, resource, now=now)
    target = matches[0].id
    if resource.get("id", target) != target:
        raise HubError(
            [error(IssueCode.INVALID, f"the search matched {target}; the body names another", "id")]
        )
    return update(
        store,
        caller,
        request.resource_type,
        target,
        {**resource, "id": target},
        now=now,
        if_match=if_match,
    )


def delete(
    store: Store,
    caller: Caller,
    resource_type: str,
    resource_id: str,
    *,
    now: datetime,
    if_match: int | None = None,
) -> bool:
    """Delete a resource of the caller's state; False when it was already deleted."""
    existing = store.fhir.read(resource_type, resource_id)
    _require_owner(caller, existing)
    if existing.deleted:
        return False
    store.fhir.write(
        body_of(existing.resource),
        projection_of(existing.resource),
        if_match=if_match if if_match is not None else existing.version_id,
        deleted=True,
        now=now,
    )
    return True


def owning_state(resource: dict[str, Any]) -> str | None:
    """The state whose identifier systems the resource carries (None: none, or several)."""
    states = {
        match["state"]
        for identifier in resource.get("identifier", [])
        if isinstance(identifier, dict)
        and (match := _STATE_SYSTEM.match(str(identifier.get("system", ""))))
    }
    return states.pop() if len(states) == 1 else None


def _checked(
    store: Store, caller: Caller, resource_type: str, resource: dict[str, Any]
) -> dict[str, Any]:
    """The resource to store, after every check a vendor write must pass."""
    if resource_type not in WRITABLE_TYPES:
        raise HubError(
            [error(IssueCode.NOT_SUPPORTED, f"{resource_type} is not written by clients", "type")]
        )
    if resource.get("resourceType") != resource_type:
        found = resource.get("resourceType")
        raise HubError(
            [
                error(
                    IssueCode.INVALID,
                    f"the body is a {found!r}, not {resource_type}",
                    "resourceType",
                )
            ]
        )
    state = owning_state(resource)
    if state is not None and state != caller.jurisdiction.state:
        raise _not_yours(state)
    issues = [i for i in validate_resource(resource) if i.severity != Severity.INFORMATION]
    if state is None:
        issues.append(
            error(
                IssueCode.REQUIRED,
                "a written resource carries identifiers of one state's system "
                "(urn:msix:state:{ST}:...)",
                f"{resource_type}.identifier",
                "msix-write-owner",
            )
        )
    issues += _subject_issues(store, resource_type, resource)
    if any(issue.is_error for issue in issues):
        raise ValidationError(issues)
    body = body_of(resource)
    profile = (
        resource.get("meta", {}).get("profile") if isinstance(resource.get("meta"), dict) else None
    )
    if profile:
        body["meta"] = {"profile": profile}
    return body


def _subject_issues(store: Store, resource_type: str, resource: dict[str, Any]) -> list[Any]:
    element = _REFERENCE_ELEMENT[resource_type]
    reference = str((resource.get(element) or {}).get("reference", ""))
    if not reference.startswith("Patient/"):
        return []  # the profile's reference-target rule has reported it
    msix_id = reference.removeprefix("Patient/")
    child = store.students.get(msix_id)
    where = f"{resource_type}.{element}.reference"
    if child is None:
        return [error(IssueCode.VALUE, f"no child with MSIX ID {msix_id}", where, "msix-ref-1")]
    if child.get("status") != "active":
        message = f"MSIX ID {msix_id} was merged into {child.get('alias_of')}; reference that"
        return [error(IssueCode.VALUE, message, where, "msix-ref-1")]
    return []


def _require_owner(caller: Caller, existing: StoredResource | None) -> None:
    if existing is None:
        return
    state = owning_state(existing.resource)
    if state != caller.jurisdiction.state:
        raise _not_yours(state)


def _not_yours(state: str | None) -> PermissionDeniedError:
    return PermissionDeniedError(
        [
            error(
                IssueCode.FORBIDDEN,
                f"the resource belongs to {state or 'no state'}; a client writes only its own "
                "state's records",
                "identifier",
            )
        ]
    )


def _new_id(resource: dict[str, Any]) -> str:
    for identifier in resource.get("identifier", []):
        match = _STATE_SYSTEM.match(str(identifier.get("system", "")))
        value = str(identifier.get("value", ""))
        if match and ":" in value:
            student_id, record_id = value.split(":", 1)
            return entry_id(match["state"], student_id, match["kind"], record_id)
    return uuid.uuid4().hex


def _matches(store: Store, request: SearchRequest) -> list[StoredResource]:
    if not request.criteria:
        raise HubError(
            [error(IssueCode.INVALID, "a conditional write needs search criteria", "If-None-Exist")]
        )
    return store.fhir.search(request.resource_type, filter_of(request.criteria), limit=2)


def _ambiguous(request: SearchRequest) -> PreconditionFailedError:
    return PreconditionFailedError(
        [
            error(
                IssueCode.DUPLICATE,
                f"the condition matches several {request.resource_type} resources",
                "If-None-Exist",
            )
        ]
    )
