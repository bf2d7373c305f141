"""The stored FHIR Patient of each child, kept in step with the consolidated identity.

A Patient is derived, never sent (DESIGN.md §2): id and first identifier are the MSIX ID, one
identifier per linked state record, name/gender/birth date from the identity summary
(`hub.identity.summarise_identity` over the linked records). `refresh_patient` rewrites it
whenever the child changes — after an ingest's identity step, a merge or a split — and writes a
new version only when the content changed, so calling it again is free and harmless.

A merged child's retired MSIX ID keeps its own Patient, inactive, with `link` `replaced-by` the
survivor (which says `replaces` back); it carries only the MSIX ID as identifier (the state
records moved to the survivor) and the survivor's identity. Reading the old ID therefore answers
with that retired Patient, which names where the child is now (docs/fhir-api.md).

All functions run on the store thread (`store.call` / `store.run`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from hub.errors import NotFoundError
from hub.fhir import patient_resource
from hub.identity import SourceRecord, summarise_identity
from hub.services.fhir_writes import body_of, projection_of
from hub.store import Document, Store

_BATCH = 500


def refresh_patient(store: Store, msix_id: str, *, now: datetime) -> list[str]:
    """(Re)write the Patient of the child `msix_id` names, of its survivor and of every retired
    ID merged into it. Returns the ids of the Patients that got a new version."""
    child = store.students.get(msix_id)
    if child is None:
        raise NotFoundError(f"no child with MSIX ID {msix_id}", "msix_id")
    survivor = store.students.resolve(msix_id)
    survivor_id: str = survivor["_id"]
    identity = _identity(store, survivor)
    links = [(link["state"], link["state_student_id"]) for link in survivor.get("links", [])]
    written: list[str] = []
    resource = patient_resource(
        survivor_id, links, identity, replaces=store.students.aliases_of(survivor_id)
    )
    if _write_if_changed(store, resource, now):
        written.append(survivor_id)
    for alias_id, alias_of in _retired(store, survivor_id):
        resource = patient_resource(
            alias_id,
            [],
            identity,
            replaced_by=alias_of,
            replaces=store.students.aliases_of(alias_id),
        )
        if _write_if_changed(store, resource, now):
            written.append(alias_id)
    return written


def refresh_all_patients(store: Store, *, now: datetime) -> int:
    """Refresh the Patient of every child (demo load, migrations); returns how many changed."""
    changed = 0
    ids = list(store.students.iter_ids())
    for start in range(0, len(ids), _BATCH):
        with store.engine.batch():
            for msix_id in ids[start : start + _BATCH]:
                child = store.students.get(msix_id)
                if child is None or child.get("status") != "active":
                    continue  # a retired ID is refreshed with its survivor
                changed += len(refresh_patient(store, msix_id, now=now))
    return changed


def _retired(store: Store, survivor_id: str) -> Iterator[tuple[str, str]]:
    """(retired ID, the ID it was merged into) for every ID merged into the survivor, at any
    depth (an ID merged into one that was itself merged later)."""
    pending, seen = [survivor_id], {survivor_id}
    while pending:
        current = pending.pop()
        for alias_id in store.students.aliases_of(current):
            if alias_id not in seen:
                seen.add(alias_id)
                pending.append(alias_id)
                yield alias_id, current


def _identity(store: Store, child: Document) -> dict[str, Any]:
    """The identity summary: survivorship over the linked records (or, for a child whose records
    are not stored, over the identity snapshots its links keep)."""
    sources = [
        SourceRecord(stored.state, stored.state_student_id, stored.received_at, stored.record)
        for stored in store.state_records.for_child(child["_id"])
    ]
    if not sources:
        received = child.get("updated_at") or datetime.now(UTC)
        sources = [
            SourceRecord(
                link["state"], link["state_student_id"], received, {"identity": link["identity"]}
            )
            for link in child.get("links", [])
            if link.get("identity")
        ]
    if not sources:
        return dict(child.get("identity") or {})
    return dict(summarise_identity(sources).values)


def _write_if_changed(store: Store, resource: dict[str, Any], now: datetime) -> bool:
    current = store.fhir.read_many("Patient", [resource["id"]]).get(resource["id"])
    if current is not None and not current.deleted:
        stored = current.resource
        same_profile = stored.get("meta", {}).get("profile") == resource["meta"]["profile"]
        if same_profile and body_of(stored) == body_of(resource):
            return False
    store.fhir.write(
        resource,
        projection_of(resource),
        if_match=current.version_id if current is not None else 0,
        now=now,
    )
    return True
