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

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from hub.errors import NotFoundError
from hub.fhir import patient_resource
from hub.identity import SourceRecord, summarise_identity
from hub.services.fhir_writes import body_of, projection_of
from hub.store import Document, PlannedWrite, Store, StoredRecord

_BATCH = 500


def refresh_patient(store: Store, msix_id: str, *, now: datetime) -> list[str]:
    """(Re)write the Patient of the child `msix_id` names, of its survivor and of every retired
    ID merged into it. Returns the ids of the Patients that got a new version."""
    return refresh_patients(store, [msix_id], now=now)


def refresh_patients(store: Store, msix_ids: Iterable[str], *, now: datetime) -> list[str]:
    """`refresh_patient` for many children at once (an ingest chunk's): the children, their
    linked records and their current Patients are read in bulk, and the Patients that changed
    are written with one bulk write. Returns the ids of the Patients that got a new version."""
    wanted = sorted(set(msix_ids))
    if not wanted:
        return []
    children = store.students.get_many(wanted)
    survivors: dict[str, Document] = {}
    for msix_id in wanted:
        child = children.get(msix_id)
        if child is None:
            raise NotFoundError(f"no child with MSIX ID {msix_id}", "msix_id")
        survivor = child if child.get("status") == "active" else store.students.resolve(msix_id)
        survivors.setdefault(survivor["_id"], survivor)
    aliases = _alias_tree(store, list(survivors))
    records = store.state_records.identities_for_children(list(survivors))
    resources: dict[str, dict[str, Any]] = {}
    for survivor_id, survivor in survivors.items():
        identity = _identity(survivor, records.get(survivor_id, []))
        links = [(link["state"], link["state_student_id"]) for link in survivor.get("links", [])]
        resources[survivor_id] = patient_resource(
            survivor_id, links, identity, replaces=aliases.get(survivor_id, [])
        )
        for alias_id, alias_of in _retired(aliases, survivor_id):
            resources.setdefault(
                alias_id,
                patient_resource(
                    alias_id,
                    [],
                    identity,
                    replaced_by=alias_of,
                    replaces=aliases.get(alias_id, []),
                ),
            )
    return _write_changed(store, list(resources.values()), now)


def refresh_all_patients(store: Store, *, now: datetime) -> int:
    """Refresh the Patient of every child (demo load, migrations); returns how many changed."""
    changed = 0
    ids = list(store.students.iter_ids())
    for start in range(0, len(ids), _BATCH):
        with store.engine.batch():
            children = store.students.get_many(ids[start : start + _BATCH])
            # A retired ID is refreshed with its survivor.
            active = [msix_id for msix_id, child in children.items() if child["status"] == "active"]
            changed += len(refresh_patients(store, active, now=now))
    return changed


def _alias_tree(store: Store, survivor_ids: list[str]) -> dict[str, list[str]]:
    """The retired IDs merged directly into each ID, at any depth below the survivors (one query
    per level of merges)."""
    tree: dict[str, list[str]] = {}
    level, seen = survivor_ids, set(survivor_ids)
    while level:
        found = store.students.aliases_of_many(level)
        tree.update(found)
        level = [alias for aliases in found.values() for alias in aliases if alias not in seen]
        seen.update(level)
    return tree


def _retired(aliases: dict[str, list[str]], survivor_id: str) -> Iterator[tuple[str, str]]:
    """(retired ID, the ID it was merged into) for every ID merged into the survivor, at any
    depth (an ID merged into one that was itself merged later)."""
    pending, seen = [survivor_id], {survivor_id}
    while pending:
        current = pending.pop()
        for alias_id in aliases.get(current, []):
            if alias_id not in seen:
                seen.add(alias_id)
                pending.append(alias_id)
                yield alias_id, current


def _identity(child: Document, stored: list[StoredRecord]) -> dict[str, Any]:
    """The identity summary: survivorship over the linked records (or, for a child whose records
    are not stored, over the identity snapshots its links keep)."""
    sources = [
        SourceRecord(record.state, record.state_student_id, record.received_at, record.record)
        for record in stored
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


def _write_changed(store: Store, resources: list[dict[str, Any]], now: datetime) -> list[str]:
    """Write, in one bulk write, the Patients whose content differs from their current version;
    returns their ids."""
    current = store.fhir.read_many("Patient", [resource["id"] for resource in resources])
    writes: list[PlannedWrite] = []
    for resource in resources:
        stored = current.get(resource["id"])
        if stored is not None and not stored.deleted:
            same_profile = (
                stored.resource.get("meta", {}).get("profile") == resource["meta"]["profile"]
            )
            if same_profile and body_of(stored.resource) == body_of(resource):
                continue
        writes.append(store.fhir.plan(resource, projection_of(resource), previous=stored, now=now))
    store.fhir.write_many(writes)
    return [write.doc["id"] for write in writes]
