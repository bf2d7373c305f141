"""Worklist items (DOMAIN.md §6), do-not-link pairs and the locks on children under review.

An item is one document that changes by conditional updates on its `revision`, so two
administrators deciding the same item at once cannot both win. Locks live on the children
(`students.locked_by`): a child is claimed by at most one pending item, and a claim is a single
conditional update, so a second item cannot flag the same child.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from hub.errors import ConflictError, NotFoundError
from hub.store.engine import Document, Engine, locked


def pair_key(first: str, second: str) -> str:
    """The key of an unordered pair of children (or state-record keys)."""
    low, high = sorted((first, second))
    return f"{low}|{high}"


class WorklistRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _items(self) -> Any:
        return self.engine.db["worklist"]

    @property
    def _students(self) -> Any:
        return self.engine.db["students"]

    @property
    def _do_not_link(self) -> Any:
        return self.engine.db["do_not_link"]

    # -- items -------------------------------------------------------------------------------

    @locked
    def create(self, item: Document) -> Document:
        """Insert an item with a caller-chosen `_id`; the same id again returns the existing one
        (so a re-run of the step that opened it does not open a second)."""
        existing: Document | None = self._items.find_one({"_id": item["_id"]})
        if existing is not None:
            return existing
        self._items.insert_one({**item, "revision": 1})
        return {**item, "revision": 1}

    def get(self, item_id: str) -> Document:
        doc: Document | None = self._items.find_one({"_id": item_id})
        if doc is None:
            raise NotFoundError(f"no worklist item {item_id}", "item")
        return doc

    def find(self, query: Document, *, limit: int = 200) -> list[Document]:
        cursor = self._items.find(query).sort("created_at", 1).limit(limit)
        return list(cursor)

    def open_items(self) -> list[Document]:
        return list(self._items.find({"status": "open"}))

    @locked
    def update(self, item_id: str, revision: int, changes: Document) -> Document:
        """Apply `changes` (a `$set` body, plus `_push` for history) if nobody changed the item
        since `revision`; otherwise a ConflictError."""
        push = changes.pop("_push", None)
        update: Document = {"$set": changes, "$inc": {"revision": 1}}
        if push is not None:
            update["$push"] = {"history": push}
        doc: Document | None = self._items.find_one_and_update(
            {"_id": item_id, "revision": revision},
            update,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            self.get(item_id)  # NotFoundError when it is gone
            raise ConflictError(f"worklist item {item_id} changed meanwhile; reload it", "item")
        return doc

    # -- locks on children -------------------------------------------------------------------

    @locked
    def lock(self, msix_ids: list[str], item_id: str) -> list[str]:
        """Claim every child for one item, all or none. Returns the children another item holds
        (empty when the claim succeeded)."""
        held = [
            doc["_id"]
            for doc in self._students.find({"_id": {"$in": msix_ids}})
            if doc.get("locked_by") not in (None, item_id)
        ]
        if held:
            return held
        self._students.update_many({"_id": {"$in": msix_ids}}, {"$set": {"locked_by": item_id}})
        return []

    @locked
    def unlock(self, item_id: str) -> int:
        result = self._students.update_many({"locked_by": item_id}, {"$set": {"locked_by": None}})
        return int(result.modified_count)

    def locked_by(self, msix_id: str) -> str | None:
        doc = self._students.find_one({"_id": msix_id}, {"locked_by": 1})
        return None if doc is None else doc.get("locked_by")

    # -- do-not-link pairs -------------------------------------------------------------------

    @locked
    def keep_apart(
        self, first: str, second: str, *, reason: str, item_id: str, now: datetime
    ) -> None:
        """Record that two state records (`STATE:sid` keys) are different children."""
        key = pair_key(first, second)
        self._do_not_link.replace_one(
            {"_id": key},
            {
                "_id": key,
                "keys": sorted((first, second)),
                "reason": reason,
                "item": item_id,
                "at": now,
            },
            upsert=True,
        )

    def kept_apart(self, keys: list[str]) -> set[str]:
        """The pair keys among `keys` (state-record keys) that are recorded as different."""
        found = self._do_not_link.find({"keys": {"$in": keys}})
        return {doc["_id"] for doc in found}

    @locked
    def allow_link(self, first: str, second: str) -> None:
        self._do_not_link.delete_one({"_id": pair_key(first, second)})
