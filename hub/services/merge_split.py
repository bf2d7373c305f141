"""Merging and splitting children: what a validated worklist item does to the store.

Every step is idempotent given what was written before it, so an interrupted merge or split is
finished by running it again:

- *merge*: the master's links gain the others' (each with its identity snapshot), their state
  records and health resources point at the master, the others become retired aliases that still
  resolve, and the master's Patient is refreshed (`replaces` / `replaced-by`);
- *split*: each group of state records leaves with a new MSIX ID, blocking keys are recomputed
  from the links on both sides, each pair across the cut is recorded as do-not-link, and every
  Patient involved is refreshed.

All functions run on the store thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hub.errors import ValidationError
from hub.fhir import state_system, with_patient
from hub.identity import build_profile, child_keys
from hub.services.fhir_writes import body_of, projection_of
from hub.services.patients import refresh_patient
from hub.store import Store, link_key


def merge(store: Store, master: str, others: Sequence[str], *, now: datetime) -> None:
    """Merge children into `master`. Every step is idempotent, so an interrupted merge is
    finished by running it again."""
    master_doc = store.students.get(master)
    if master_doc is None:
        raise ValidationError(f"no child {master}", "master")
    links = list(master_doc.get("links", []))
    keys = {link_key(link["state"], link["state_student_id"]) for link in links}
    blocking = list(master_doc.get("blocking_keys", []))
    others_docs = [doc for doc in (store.students.get(other) for other in others) if doc]
    for doc in others_docs:
        for link in doc.get("links", []):
            if link_key(link["state"], link["state_student_id"]) not in keys:
                links.append(link)
                keys.add(link_key(link["state"], link["state_student_id"]))
        blocking.extend(key for key in doc.get("blocking_keys", []) if key not in blocking)
    store.students.update(master, {"links": links, "blocking_keys": blocking})
    for doc in others_docs:
        for link in doc.get("links", []):
            store.state_records.link(link["state"], link["state_student_id"], master)
        _move_health(store, doc["_id"], master, now=now)
        if doc["status"] == "active":
            store.students.retire(doc["_id"], alias_of=master)
    refresh_patient(store, master, now=now)


def split(
    store: Store, msix_id: str, groups: Sequence[Sequence[str]], *, now: datetime
) -> list[str]:
    """Move each group of state-record keys off a child to a new child; returns the new IDs."""
    child = store.students.get(msix_id)
    if child is None:
        raise ValidationError(f"no child {msix_id}", "msix_id")
    by_key = {link_key(link["state"], link["state_student_id"]): link for link in child["links"]}
    moved = {key for group in groups for key in group}
    kept = [link for key, link in by_key.items() if key not in moved]
    new_ids: list[str] = []
    for group in groups:
        links = [by_key[key] for key in group if key in by_key]
        if not links:
            continue
        new_child = store.students.create(
            {
                "links": links,
                "identity": dict(links[-1].get("identity") or {}),
                "blocking_keys": _keys_of(links),
                "split_from": msix_id,
            },
            now=now,
        )
        new_ids.append(new_child["_id"])
    store.students.update(msix_id, {"links": kept, "blocking_keys": _keys_of(kept)})
    for new_id, group in zip(new_ids, groups, strict=False):
        for key in group:
            state, sid = key.split(":", 1)
            store.state_records.link(state, sid, new_id)
            _move_health(store, msix_id, new_id, now=now, state=state, state_student_id=sid)
            for other in kept:
                store.worklist.keep_apart(
                    key,
                    link_key(other["state"], other["state_student_id"]),
                    reason="split",
                    item_id=f"split:{msix_id}",
                    now=now,
                )
    for changed in (msix_id, *new_ids):
        refresh_patient(store, changed, now=now)
    return new_ids


def _keys_of(links: Sequence[Mapping[str, Any]]) -> list[str]:
    """The blocking keys of a child holding these links (from each link's identity snapshot)."""
    return child_keys(
        build_profile(
            link.get("identity") or {},
            state=link["state"],
            state_student_id=link["state_student_id"],
        )
        for link in links
    )


def _move_health(
    store: Store,
    old: str,
    new: str,
    *,
    now: datetime,
    state: str | None = None,
    state_student_id: str | None = None,
) -> None:
    """Point the child's Immunization and Condition resources (or those of one state record) at
    another child. Re-running finds nothing left to move."""
    for kind, resource_type in (("immunization", "Immunization"), ("condition", "Condition")):
        prefix = None
        if state is not None and state_student_id is not None:
            prefix = f"{state_system(state, kind)}|{state_student_id}:"
        after: str | None = None
        while True:
            page = store.fhir.search(resource_type, {"patient": old}, after=after, limit=200)
            if not page:
                break
            for stored in page:
                if prefix is None or any(
                    f"{identifier['system']}|{identifier['value']}".startswith(prefix)
                    for identifier in stored.resource.get("identifier", [])
                ):
                    moved = with_patient(body_of(stored.resource), new)
                    store.fhir.write(
                        moved, projection_of(moved), if_match=stored.version_id, now=now
                    )
            after = f"{resource_type}/{page[-1].id}"
