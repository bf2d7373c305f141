"""XML messages: the received-message log (replay safety) and the mailboxes (store-and-forward).

`messages` holds one document per message received, keyed by (sender organisation, MessageId)
as its `_id`. `claim` inserts it, status `processing`, *before* anything is processed: the insert
is the atomic step (a unique `_id` on MongoDB; under the write lock on the embedded engine), so
two copies of one message arriving at the same instant, in two processes, cannot both be
processed. The loser sees the winner's document: `processed` (replay its answer), or still
`processing` (in flight: answer "retry later"). A claim whose holder died is taken over once it
is older than `stale_after`, by a conditional update that only one process can win. The document
keeps the payload digest (a retry versus a reused id) and, once processed, the hub's answer, which
a retry gets back byte for byte.

`mailbox` holds one document per message delivered to a jurisdiction (a state): receivers pull it
(`pending`), acknowledge receipt, and nothing is handed out after it expires. The same documents
are the outbox for receivers that registered a push endpoint (`push_endpoints`): a worker leases
a due entry (`next_attempt_at` moves past the lease and `attempts` counts up in one update, so
several worker processes never push one entry at once, and a worker that dies only delays it),
pushes it, and settles it: `acknowledged` (the receiver's Receipt), `delivered` (accepted without
an acknowledgement yet), back to `pending` with a later `next_attempt_at`, or `dead`.
Documents hold headers, digests and the message as sent; logs never do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from hub.store.engine import Document, Engine, locked

PROCESSING = "processing"
PROCESSED = "processed"

PENDING = "pending"
DELIVERED = "delivered"
ACKNOWLEDGED = "acknowledged"
DEAD = "dead"
EXPIRED = "expired"
# Entries a receiver that pulls still gets: everything not acknowledged (dead letters included,
# so a receiver whose endpoint failed still finds its messages in the mailbox).
UNACKNOWLEDGED = (PENDING, DELIVERED, DEAD)


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


@dataclass(frozen=True)
class Claim:
    """The received-message document of a key, and whether this call holds it (may process)."""

    doc: Document
    owned: bool

    @property
    def claim_id(self) -> str:
        return str(self.doc.get("claim_id", ""))

    @property
    def processed(self) -> bool:
        return self.doc.get("status") == PROCESSED


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
        self,
        sender: str,
        message_id: str,
        digest: str,
        fields: Document,
        *,
        now: datetime,
        stale_after: timedelta = timedelta(minutes=5),
    ) -> Claim:
        """Claim a key for processing: insert first, so only one caller ever owns it.

        A known key is returned unowned and unchanged (its digest tells a retry from a reused
        id), unless it is a claim still `processing` after `stale_after` with the same digest:
        its holder died, and this call takes it over.
        """
        doc: Document = {
            **fields,
            "_id": _received_id(sender, message_id),
            "sender": sender,
            "message_id": message_id,
            "digest": digest,
            "status": PROCESSING,
            "received_at": now,
            "claimed_at": now,
            "claim_id": uuid.uuid4().hex,
        }
        try:
            self._received.insert_one(doc)
        except DuplicateKeyError:
            known: Document | None = self._received.find_one({"_id": doc["_id"]})
            assert known is not None, "a duplicate _id implies a stored message"
            _as_utc(known, "claimed_at", "received_at")
            claimed = known.get("claimed_at") or known["received_at"]
            stale = known.get("status") != PROCESSED and claimed <= now - stale_after
            if not stale or known["digest"] != digest:
                return Claim(known, owned=False)
            taken: Document | None = self._received.find_one_and_update(
                {"_id": doc["_id"], "status": known["status"], "claim_id": known.get("claim_id")},
                {"$set": {"claimed_at": now, "claim_id": doc["claim_id"], "status": PROCESSING}},
                return_document=ReturnDocument.AFTER,
            )
            return Claim(taken, owned=True) if taken is not None else Claim(known, owned=False)
        return Claim(doc, owned=True)

    @locked
    def complete(
        self, sender: str, message_id: str, claim_id: str, response: bytes, fields: Document
    ) -> bool:
        """Keep the answer a retry will get back; the message is processed. False when the
        claim was lost (taken over after `stale_after`): the other holder's answer stands."""
        result = self._received.update_one(
            {"_id": _received_id(sender, message_id), "claim_id": claim_id, "status": PROCESSING},
            {"$set": {**fields, "status": PROCESSED, "response": response}},
        )
        return bool(result.modified_count)

    @locked
    def release(self, sender: str, message_id: str, claim_id: str) -> None:
        """Give up a claim whose processing failed unexpectedly, so that a retry processes."""
        self._received.delete_one(
            {"_id": _received_id(sender, message_id), "claim_id": claim_id, "status": PROCESSING}
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
        """Unexpired entries, oldest first: after `since` (any status) or else unacknowledged."""
        query: Document = {"mailbox": mailbox}
        if since is not None:
            query["received_at"] = {"$gt": since}
        else:
            query["status"] = {"$in": list(UNACKNOWLEDGED)}
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
    def register_endpoint(self, mailbox: str, url: str, secret: str, *, now: datetime) -> None:
        """Push this mailbox's messages to `url`, signed with `secret` (replaces any earlier)."""
        self._endpoints.replace_one(
            {"_id": mailbox},
            {"_id": mailbox, "url": url, "secret": secret, "updated_at": now},
            upsert=True,
        )

    @locked
    def remove_endpoint(self, mailbox: str) -> bool:
        return bool(self._endpoints.delete_one({"_id": mailbox}).deleted_count)

    def endpoint(self, mailbox: str) -> Document | None:
        doc: Document | None = self._endpoints.find_one({"_id": mailbox})
        if doc is not None:
            _as_utc(doc, "updated_at")
        return doc

    def endpoints(self) -> dict[str, Document]:
        """Every registered endpoint by mailbox (a handful: one per state at most)."""
        return {doc["_id"]: doc for doc in self._endpoints.find({})}

    @locked
    def lease_due(
        self, mailboxes: list[str], *, now: datetime, until: datetime, limit: int = 50
    ) -> list[Document]:
        """Lease up to `limit` pending entries of these mailboxes whose next attempt is due.

        Each lease is one atomic update of one entry (`next_attempt_at` moves to `until`,
        `attempts` counts this attempt, a new `lease_id`), so no two workers lease an entry at
        once; an entry whose worker died is due again at `until`. Expired entries found on the
        way are set aside as `expired`, never pushed.
        """
        leased: list[Document] = []
        if not mailboxes:
            return leased
        due = {"mailbox": {"$in": mailboxes}, "status": PENDING, "next_attempt_at": {"$lte": now}}
        while len(leased) < limit:
            if leased:  # never twice in one call, even with a lease that ends at once
                due["_id"] = {"$nin": [doc["_id"] for doc in leased]}
            doc: Document | None = self._mailbox.find_one_and_update(
                due,
                {
                    "$set": {"next_attempt_at": until, "lease_id": uuid.uuid4().hex},
                    "$inc": {"attempts": 1},
                },
                sort=[("next_attempt_at", 1), ("_id", 1)],
                return_document=ReturnDocument.AFTER,
            )
            if doc is None:
                break
            _as_utc(doc, "received_at", "expires", "next_attempt_at")
            expires = doc.get("expires")
            if expires is not None and expires <= now:
                self._mailbox.update_one(
                    {"_id": doc["_id"], "lease_id": doc["lease_id"]},
                    {"$set": {"status": EXPIRED}, "$inc": {"attempts": -1}},
                )
                continue
            leased.append(doc)
        return leased

    @locked
    def settle(
        self,
        mailbox: str,
        message_id: str,
        lease_id: str,
        *,
        status: str,
        now: datetime,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> bool:
        """Record the outcome of a leased attempt; False when the lease was lost meanwhile (it
        expired and another worker leased the entry) or the receiver acknowledged by pull."""
        changes: Document = {"status": status, "last_attempt_at": now, "last_error": error}
        if status == ACKNOWLEDGED:
            changes["acknowledged_at"] = now
        if retry_at is not None:
            changes["next_attempt_at"] = retry_at
        result = self._mailbox.update_one(
            {"_id": _mailbox_id(mailbox, message_id), "lease_id": lease_id, "status": PENDING},
            {"$set": changes},
        )
        return bool(result.modified_count)

    @locked
    def requeue(self, mailbox: str, message_id: str, *, now: datetime) -> bool:
        """Put a dead letter back in the push queue with a fresh attempt count."""
        result = self._mailbox.update_one(
            {"_id": _mailbox_id(mailbox, message_id), "status": DEAD},
            {"$set": {"status": PENDING, "attempts": 0, "next_attempt_at": now}},
        )
        return bool(result.modified_count)

    def dead_letters(self, mailbox: str, *, limit: int = 100) -> list[Document]:
        cursor = self._mailbox.find({"mailbox": mailbox, "status": DEAD})
        return list(cursor.sort([("received_at", 1), ("_id", 1)]).limit(limit))
