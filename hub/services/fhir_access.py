"""Reading health data through the FHIR door: read, vread, history, search, `$everything`.

Every function here records one AuditEvent (IHE BALP: who, what children, when, outcome) for the
read or search it serves, failures included, and returns stored JSON as it was validated on
write — never a model (STANDARDS.md §1). All run on the store thread (`store.run`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.errors import HubError, NotFoundError
from hub.fhir import MAX_INCLUDED, Criterion, SearchRequest, Version
from hub.security import AuditAction, AuditAgent, AuditOutcome, AuditWriter, Caller
from hub.store import Store, StoredResource, filter_of

HEALTH_TYPES = ("Immunization", "Condition")
# A `$everything` answers at most this many resources of each health type.
MAX_EVERYTHING = 10_000
_PAGE = 500


@dataclass(frozen=True)
class Access:
    """Who is reading, from where, when, and the writer their AuditEvents go through."""

    caller: Caller
    audit: AuditWriter
    now: datetime
    address: str | None = None

    def record(
        self,
        store: Store,
        action: AuditAction,
        msix_ids: Iterable[str | None],
        outcome: AuditOutcome = AuditOutcome.SUCCESS,
        description: str | None = None,
    ) -> None:
        self.audit.record(
            store.audit,
            action=action,
            agent=AuditAgent.of(self.caller, self.address),
            now=self.now,
            outcome=outcome,
            outcome_description=description,
            msix_ids=[msix_id for msix_id in msix_ids if msix_id],
        )


@dataclass(frozen=True)
class SearchPage:
    matches: list[StoredResource]
    included: list[StoredResource] = field(default_factory=list)
    next_after: str | None = None  # the cursor of the next page, when there is one
    total: int | None = None  # only for `_summary=count`


def read(store: Store, access: Access, resource_type: str, resource_id: str) -> StoredResource:
    """The current version; NotFoundError (audited as a refused read) when absent or deleted."""
    return _audited_read(store, access, lambda: store.fhir.read(resource_type, resource_id))


def vread(
    store: Store, access: Access, resource_type: str, resource_id: str, version_id: int
) -> StoredResource:
    return _audited_read(
        store, access, lambda: store.fhir.vread(resource_type, resource_id, version_id)
    )


def instance_history(
    store: Store, access: Access, resource_type: str, resource_id: str
) -> list[Version]:
    """Every version of one resource, newest first."""
    versions = store.fhir.history(resource_type, resource_id)
    if not versions:
        access.record(store, AuditAction.VIEW, [], AuditOutcome.MINOR_FAILURE, "not-found")
        raise NotFoundError(f"{resource_type}/{resource_id} not found", "id")
    access.record(store, AuditAction.VIEW, _patients(versions))
    return [_version(stored) for stored in versions]


def type_history(
    store: Store, access: Access, resource_type: str, *, since: datetime | None, count: int
) -> list[Version]:
    """The newest `count` versions of any resource of a type."""
    versions = store.fhir.type_history(resource_type, since=since, limit=count)
    access.record(store, AuditAction.SEARCH, _patients(versions))
    return [_version(stored) for stored in versions]


def search(store: Store, access: Access, request: SearchRequest) -> SearchPage:
    """One page of a search: keyset paging on the resource key, so a page never repeats or
    skips a resource that existed when the search began, however the data changes meanwhile."""
    criteria = filter_of(request.criteria)
    if request.summary_count:
        total = store.fhir.count(request.resource_type, criteria)
        access.record(store, AuditAction.SEARCH, [])
        return SearchPage([], total=total)
    found = store.fhir.search(
        request.resource_type, criteria, after=request.after, limit=request.count + 1
    )
    matches = found[: request.count]
    next_after = matches[-1].id if len(found) > request.count and matches else None
    included = _included(store, request, matches)
    access.record(store, AuditAction.SEARCH, _patients([*matches, *included]))
    return SearchPage(matches, included, next_after)


def everything(store: Store, access: Access, msix_id: str) -> list[StoredResource]:
    """The child's Patient and every Immunization and Condition about them (`$everything`).

    A retired MSIX ID answers with its own Patient, the survivor's and the survivor's health
    data: the record follows the merge.
    """
    patient = _audited_read(store, access, lambda: store.fhir.read("Patient", msix_id), audit=False)
    patients = [patient]
    survivor = _replaced_by(patient)
    if survivor is not None:
        patients += store.fhir.read_many("Patient", [survivor]).values()
    subject = survivor or msix_id
    health = [
        stored
        for resource_type in HEALTH_TYPES
        for stored in _all(store, resource_type, [Criterion("patient", "in", (subject,))])
    ]
    resources = [stored for stored in patients if not stored.deleted] + health
    access.record(store, AuditAction.VIEW, [msix_id, subject])
    return resources


def _audited_read(
    store: Store, access: Access, fetch: Any, *, audit: bool = True
) -> StoredResource:
    try:
        stored: StoredResource = fetch()
        if stored.deleted:
            raise NotFoundError(f"{stored.resource_type}/{stored.id} was deleted", "id")
    except HubError:
        access.record(store, AuditAction.VIEW, [], AuditOutcome.MINOR_FAILURE, "not-found")
        raise
    if audit:
        access.record(store, AuditAction.VIEW, [stored.document.get("patient")])
    return stored


def _included(
    store: Store, request: SearchRequest, matches: Sequence[StoredResource]
) -> list[StoredResource]:
    if not matches:
        return []
    included: list[StoredResource] = []
    if request.include:
        ids = sorted({m.document["patient"] for m in matches if m.document.get("patient")})
        found = store.fhir.read_many("Patient", ids)
        included += [found[i] for i in ids if i in found and not found[i].deleted]
    patient_ids = tuple(sorted(m.id for m in matches))
    for source in dict.fromkeys(item.split(":")[0] for item in request.revinclude):
        criterion = Criterion("patient", "in", patient_ids)
        included += _all(store, source, [criterion], cap=MAX_INCLUDED)
    return included


def _all(
    store: Store, resource_type: str, criteria: list[Criterion], cap: int = MAX_EVERYTHING
) -> list[StoredResource]:
    found: list[StoredResource] = []
    after: str | None = None
    query = filter_of(criteria)
    while len(found) < cap:
        page = store.fhir.search(
            resource_type, query, after=after, limit=min(_PAGE, cap - len(found))
        )
        found += page
        if len(page) < _PAGE:
            break
        after = f"{resource_type}/{page[-1].id}"
    return found


def _replaced_by(patient: StoredResource) -> str | None:
    for link in patient.resource.get("link", []):
        if link.get("type") == "replaced-by":
            reference = str(link.get("other", {}).get("reference", ""))
            return reference.removeprefix("Patient/") or None
    return None


def _patients(resources: Iterable[StoredResource]) -> list[str]:
    return list(
        dict.fromkeys(r.document["patient"] for r in resources if r.document.get("patient"))
    )


def _version(stored: StoredResource) -> Version:
    return Version(
        stored.resource_type,
        stored.id,
        stored.version_id,
        stored.last_updated,
        stored.resource,
        stored.deleted,
        stored.version_id == 1,
    )
