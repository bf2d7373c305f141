"""XML messages: the received-message log (replay safety) and the mailboxes (store-and-forward).

`messages` holds one document per message received, keyed by (sender organisation, MessageId)
as its `_id`: `claim` inserts it before anything is processed, so the same key can never
be processed as two messages. It keeps the payload digest (to tell a retry from a reused id) and,
once processed, the hub's answer, which a retry gets back byte for byte.

`mailbox` holds one document per message delivered to a jurisdiction (a state): receivers pull it
(`pending`), acknowledge receipt, and nothing is handed out after it expires. The same documents
are the outbox for receivers that registered a push endpoint: `attempts`, `next_attempt_at` and
`last_error` drive retries with back-off, and after the last attempt the entry is `dead`.
Documents hold headers, digests and the message as sent; logs never do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from hub.store.engine import Document, Engine, locked

PENDING = "pending"
ACKNOWLEDGED = "acknowledged"
DEAD = "dead"


def _received_id(sender: str, message_id: str) -> str:
    return f"{sender}#{message_id}"


def _mailbox_id(mailbox: str, message_id: str) -> str:
    return f"{mailbox}#{message_id}"


def _as_utc(doc: Document, *fields: str) -> None:
    # The embedded engine returns naive datetimes (stored as UTC); MongoDB with tz_aware does not.
    for name in fields:
        value = doc.get(name)
        if isinstance(value, datetime) and value.tzinfo is None:
            doc[name] = value.replace(tzinfo=UTC)


class MessageRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _received(self) -> Any:
        return self.engine.db["messages"]

    @property
    def _mailbox(self) -> Any:
        return self.engine.db["mailbox"]

    @property
    def _endpoints(self) -> Any:
        return self.engine.db["push_endpoints"]

    # -- received messages (replay safety) -----------------------------------------------------

    @locked
    def claim(
        self, sender: str, message_id: str, digest: str, fields: Document, *, now: datetime
    ) -> tuple[Document, bool]:
        """The received-message document for this key and whether this call created it.

        A known key is returned unchanged (its digest tells a retry from a reused id).
        """
        doc: Document = {
            **fields,
            "_id": _received_id(sender, message_id),
            "sender": sender,
            "message_id": message_id,
            "digest": digest,
            "status": "received",
            "received_at": now,
        }
        try:
            self._received.insert_one(doc)
        except DuplicateKeyError:
            known: Document | None = self._received.find_one({"_id": doc["_id"]})
            assert known is not None, "a duplicate _id implies a stored message"
            return known, False
        return doc, True

    @locked
    def complete(self, sender: str, message_id: str, response: bytes, fields: Document) -> None:
        """Keep the answer a retry will get back; the message is processed."""
        self._received.update_one(
            {"_id": _received_id(sender, message_id)},
            {"$set": {**fields, "status": "processed", "response": response}},
        )

    def received(self, sender: str, message_id: str) -> Document | None:
        doc: Document | None = self._received.find_one({"_id": _received_id(sender, message_id)})
        return doc

    def received_count(self) -> int:
        return int(self._received.count_documents({}))

    # -- mailboxes (store-and-forward) ---------------------------------------------------------

    @locked
    def deliver(self, mailbox: str, message_id: str, fields: Document, *, now: datetime) -> bool:
        """Put a message in a jurisdiction's mailbox; False when it is already there."""
        doc: Document = {
            **fields,
            "_id": _mailbox_id(mailbox, message_id),
            "mailbox": mailbox,
            "message_id": message_id,
            "status": PENDING,
            "received_at": now,
            "attempts": 0,
            "next_attempt_at": now,
        }
        try:
            self._mailbox.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def mailbox(
        self,
        mailbox: str,
        *,
        now: datetime,
        since: datetime | None = None,
        message_type: str | None = None,
        limit: int = 100,
    ) -> list[Document]:
        """Unexpired entries, oldest first: after `since` (any status) or else still pending."""
        query: Document = {"mailbox": mailbox}
        if since is not None:
            query["received_at"] = {"$gt": since}
        else:
            query["status"] = PENDING
        if message_type is not None:
            query["message_type"] = message_type
        cursor = self._mailbox.find(query).sort([("received_at", 1), ("_id", 1)])
        entries: list[Document] = []
        for doc in cursor:
            _as_utc(doc, "received_at", "expires", "acknowledged_at")
            expires = doc.get("expires")
            if expires is not None and expires <= now:
                continue
            entries.append(doc)
            if len(entries) >= limit:
                break
        return entries

    def entry(self, mailbox: str, message_id: str) -> Document | None:
        doc: Document | None = self._mailbox.find_one({"_id": _mailbox_id(mailbox, message_id)})
        return doc

    @locked
    def acknowledge(self, mailbox: str, message_id: str, *, now: datetime) -> Document | None:
        """Mark an entry received by its mailbox's owner (idempotent); None when unknown."""
        doc: Document | None = self._mailbox.find_one_and_update(
            {"_id": _mailbox_id(mailbox, message_id)},
            {"$set": {"status": ACKNOWLEDGED, "acknowledged_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        return doc

    # -- push delivery (outbox) ----------------------------------------------------------------

    @locked
    def register_endpoint(self, mailbox: str, url: str, *, now: datetime) -> None:
        self._endpoints.replace_one(
            {"_id": mailbox}, {"_id": mailbox, "url": url, "updated_at": now}, upsert=True
        )

    def endpoints(self) -> dict[str, str]:
        return {doc["_id"]: doc["url"] for doc in self._endpoints.find({})}

    def due(self, mailboxes: list[str], *, now: datetime, limit: int = 50) -> list[Document]:
        """Pending entries of push mailboxes whose next attempt is due."""
        cursor = self._mailbox.find(
            {"mailbox": {"$in": mailboxes}, "status": PENDING, "next_attempt_at": {"$lte": now}}
        )
        return list(cursor.sort("next_attempt_at", 1).limit(limit))

    @locked
    def record_attempt(
        self,
        mailbox: str,
        message_id: str,
        *,
        delivered: bool,
        now: datetime,
        retry_at: datetime | None,
        error: str | None = None,
    ) -> None:
        """Count one push attempt; without `retry_at` a failed entry goes to the dead letters."""
        changes: Document = {"last_attempt_at": now, "last_error": error}
        if delivered:
            changes.update(status=ACKNOWLEDGED, acknowledged_at=now)
        elif retry_at is None:
            changes["status"] = DEAD
        else:
            changes["next_attempt_at"] = retry_at
        self._mailbox.update_one(
            {"_id": _mailbox_id(mailbox, message_id)}, {"$set": changes, "$inc": {"attempts": 1}}
        )
