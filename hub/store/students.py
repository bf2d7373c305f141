"""Consolidated children and their 12-digit MSIX IDs.

An MSIX ID is 11 random digits plus a Luhn check digit (so a mistyped ID is caught before a
search), first digit never 0. It is claimed by inserting it as the `_id` of `msix_ids`, a registry
that is never deleted from: a clash, even with another process, is a unique-key error and the
allocator draws again, and a retired ID can never be issued again. Random rather than sequential
IDs reveal nothing about how many children a state has or when a child was added.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from hub.errors import ConflictError, IssueCode, NotFoundError, error
from hub.store.engine import Document, Engine, locked

MSIX_ID_LENGTH = 12
_MAX_ALLOCATION_ATTEMPTS = 20


def _luhn_check_digit(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # doubled positions, counting from the check digit's neighbour
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def is_valid_msix_id(value: str) -> bool:
    """Twelve digits, not starting with 0, with a correct Luhn check digit."""
    if len(value) != MSIX_ID_LENGTH or not value.isdigit() or value[0] == "0":
        return False
    return _luhn_check_digit(value[:-1]) == int(value[-1])


def link_key(state: str, state_student_id: str) -> str:
    """The flat key of a link to a state record (`TX:12345`), indexed as `link_keys`."""
    return f"{state}:{state_student_id}"


def _link_keys(links: list[Document]) -> list[str]:
    return [link_key(link["state"], link["state_student_id"]) for link in links]


def _draw_msix_id() -> str:
    body = str(secrets.randbelow(9 * 10**10) + 10**10)
    return body + str(_luhn_check_digit(body))


class StudentRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _students(self) -> Any:
        return self.engine.db["students"]

    @property
    def _registry(self) -> Any:
        return self.engine.db["msix_ids"]

    @locked
    def allocate_msix_id(self, now: datetime | None = None) -> str:
        """Claim a fresh MSIX ID that was never issued before."""
        for _ in range(_MAX_ALLOCATION_ATTEMPTS):
            candidate = _draw_msix_id()
            try:
                self.engine.insert_many(
                    "msix_ids", [{"_id": candidate, "issued_at": now or datetime.now(UTC)}]
                )
            except DuplicateKeyError:
                continue
            return candidate
        raise ConflictError([error(IssueCode.EXCEPTION, "could not allocate a unique MSIX ID")])

    def issued_count(self) -> int:
        return int(self._registry.count_documents({}))

    @locked
    def create(self, student: Document, now: datetime | None = None) -> Document:
        """Create a consolidated child under a freshly allocated MSIX ID."""
        msix_id = self.allocate_msix_id(now)
        stamp = now or datetime.now(UTC)
        doc: Document = {
            "links": [],
            "identity": {},
            "blocking_keys": [],
            **student,
            "_id": msix_id,
            "link_keys": _link_keys(student.get("links", [])),
            "status": "active",
            "alias_of": None,
            "created_at": stamp,
            "updated_at": stamp,
            "revision": 1,
        }
        self.engine.insert_many("students", [doc])
        return doc

    def get(self, msix_id: str) -> Document | None:
        """The child this ID names (active or retired), a fresh document, or None.

        Read by key straight from the table (`Engine.find_by_ids`): the engine's query copied
        every field of the child (its links' identity snapshots, its blocking keys), a third of
        a record page's time.
        """
        found = self.engine.find_by_ids("students", [msix_id])
        return found[0] if found else None

    def get_many(self, msix_ids: list[str]) -> dict[str, Document]:
        """The children these IDs name (active or retired; unknown ones are left out), by ID."""
        if not msix_ids:
            return {}
        return {doc["_id"]: doc for doc in self.engine.find_by_ids("students", list(msix_ids))}

    def resolve(self, msix_id: str) -> Document:
        """The active child an ID names, following retired-ID aliases after merges."""
        seen: set[str] = set()
        current = msix_id
        while current not in seen:
            seen.add(current)
            doc = self.get(current)
            if doc is None:
                break
            if doc["status"] == "active":
                return doc
            if doc.get("alias_of") is None:
                break
            current = doc["alias_of"]
        raise NotFoundError(f"no child with MSIX ID {msix_id}", "msix_id")

    def find_by_link(self, state: str, state_student_id: str) -> Document | None:
        doc: Document | None = self._students.find_one(
            {"status": "active", "link_keys": link_key(state, state_student_id)}
        )
        return doc

    def find_by_links(self, state: str, state_student_ids: list[str]) -> dict[str, Document]:
        """The active child linked to each of one state's records (absent ones are left out)."""
        wanted = {link_key(state, sid): sid for sid in state_student_ids}
        found: dict[str, Document] = {}
        for doc in self._students.find({"status": "active", "link_keys": {"$in": list(wanted)}}):
            for key in doc.get("link_keys", []):
                if key in wanted:
                    found[wanted[key]] = doc
        return found

    def find_by_blocking_keys(self, keys: list[str], limit: int = 200) -> list[Document]:
        """Candidates sharing any blocking key: an indexed lookup, never a scan."""
        found: list[Document] = []
        for doc in self.engine.find_in("students", "blocking_keys", keys):
            if doc.get("status") == "active":
                found.append(doc)
                if len(found) == limit:
                    break
        return found

    @locked
    def update(
        self, msix_id: str, changes: Document, *, expected_revision: int | None = None
    ) -> Document:
        """Set fields on one child atomically; with `expected_revision`, only if unchanged since."""
        if "links" in changes:
            changes = {**changes, "link_keys": _link_keys(changes["links"])}
        if self.engine.in_batch:
            return self._replace(msix_id, changes, expected_revision)
        query: Document = {"_id": msix_id}
        if expected_revision is not None:
            query["revision"] = expected_revision
        doc: Document | None = self._students.find_one_and_update(
            query,
            {"$set": {**changes, "updated_at": datetime.now(UTC)}, "$inc": {"revision": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            if self.get(msix_id) is None:
                raise NotFoundError(f"no child with MSIX ID {msix_id}", "msix_id")
            raise ConflictError(f"child {msix_id} changed meanwhile; reload and retry", "revision")
        return doc

    def _replace(self, msix_id: str, changes: Document, expected_revision: int | None) -> Document:
        """`update` inside an embedded batch (under its write lock, so read-then-write is
        atomic): the child is read by `_id` and replaced straight in its table, not through the
        engine's update path, which deep-copies and re-checks the document several times."""
        found = self.engine.find_by_ids("students", [msix_id])
        if not found:
            raise NotFoundError(f"no child with MSIX ID {msix_id}", "msix_id")
        current = found[0]
        revision = current["revision"]
        if expected_revision is not None and revision != expected_revision:
            raise ConflictError(f"child {msix_id} changed meanwhile; reload and retry", "revision")
        doc = {**current, **changes, "updated_at": datetime.now(UTC), "revision": revision + 1}
        if not self.engine.replace_many(
            "students", [({"_id": msix_id, "revision": revision}, doc)]
        ):
            raise ConflictError(f"child {msix_id} changed meanwhile; reload and retry", "revision")
        # The caller holds what is stored (datetimes as the engine returns them).
        return self.engine.as_stored("students", doc)

    @locked
    def retire(self, msix_id: str, alias_of: str) -> Document:
        """Retire an ID after a merge; it keeps resolving to the surviving child."""
        if msix_id == alias_of:
            raise ConflictError("a child cannot be an alias of itself", "alias_of")
        return self.update(msix_id, {"status": "retired", "alias_of": alias_of})

    def aliases_of(self, msix_id: str) -> list[str]:
        """The retired IDs merged directly into `msix_id` (indexed on `alias_of`)."""
        return sorted(doc["_id"] for doc in self._students.find({"alias_of": msix_id}, {"_id": 1}))

    def aliases_of_many(self, msix_ids: list[str]) -> dict[str, list[str]]:
        """`aliases_of` for several IDs in one query (IDs without aliases are left out)."""
        if not msix_ids:
            return {}
        found: dict[str, list[str]] = {}
        for doc in self.engine.find_in("students", "alias_of", list(msix_ids)):
            found.setdefault(doc["alias_of"], []).append(doc["_id"])
        return {msix_id: sorted(aliases) for msix_id, aliases in found.items()}

    def iter_ids(self) -> Iterator[str]:
        """Every MSIX ID of a child, active or retired, streamed."""
        for doc in self._students.find({}, {"_id": 1}):
            yield doc["_id"]

    def iter_links(self) -> Iterator[tuple[str, list[str]]]:
        """(MSIX ID, link keys) of every active child, streamed (for evaluation and reports)."""
        for doc in self._students.find({"status": "active"}, {"link_keys": 1}):
            yield doc["_id"], list(doc.get("link_keys", []))

    def iter_blocking(self) -> Iterator[tuple[str, list[Document], list[str]]]:
        """(MSIX ID, links, blocking keys) of every active child, streamed (`msix identity
        rekey` recomputes the keys from the links)."""
        for doc in self._students.find({"status": "active"}, {"links": 1, "blocking_keys": 1}):
            yield doc["_id"], list(doc.get("links", [])), list(doc.get("blocking_keys", []))

    def iter_linked_identities(self) -> Iterator[tuple[str, str, Document]]:
        """(state, state student id, identity snapshot) of every active child's links, streamed
        (the unlabelled data `msix identity train` estimates weights from)."""
        for doc in self._students.find({"status": "active"}, {"links": 1}):
            for link in doc.get("links", []):
                if link.get("identity"):
                    yield link["state"], link["state_student_id"], link["identity"]

    def count(self) -> int:
        return int(self._students.count_documents({"status": "active"}))
