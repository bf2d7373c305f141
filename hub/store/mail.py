"""E-mail waiting to be sent (`mail_outbox`): worklist arrival notices to data administrators.

One document per message, its `_id` derived from what it announces (item, level, recipient), so
the step that queues it can run again without queueing it twice. Sending happens outside the
store: a sender claims due messages with a lease (a conditional update, so two processes never
claim the same one), sends them, then settles each as sent, to retry later, or failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from hub.store.engine import Document, Engine, locked

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"


class MailRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _mail(self) -> Any:
        return self.engine.db["mail_outbox"]

    @locked
    def enqueue(self, messages: Sequence[Document], *, now: datetime) -> int:
        """Queue messages (each with its `_id`) not queued before; returns how many were new."""
        known = {
            doc["_id"]
            for doc in self.engine.find_by_ids("mail_outbox", [m["_id"] for m in messages])
        }
        new = [
            {**message, "status": QUEUED, "attempts": 0, "queued_at": now, "next_attempt_at": now}
            for message in messages
            if message["_id"] not in known
        ]
        self.engine.insert_many("mail_outbox", new)
        return len(new)

    @locked
    def claim(self, *, now: datetime, lease: timedelta, limit: int) -> list[Document]:
        """Due messages (queued and due, or a lease that ran out), leased to the caller."""
        due = (
            self._mail.find(
                {
                    "$or": [
                        {"status": QUEUED, "next_attempt_at": {"$lte": now}},
                        {"status": SENDING, "lease_until": {"$lte": now}},
                    ]
                }
            )
            .sort("next_attempt_at", 1)
            .limit(limit)
        )
        claimed: list[Document] = []
        for doc in list(due):
            won = self._mail.update_one(
                {"_id": doc["_id"], "status": doc["status"], "attempts": doc["attempts"]},
                {"$set": {"status": SENDING, "lease_until": now + lease}},
            )
            if won.modified_count:
                claimed.append(doc)
        return claimed

    @locked
    def settle(
        self,
        message_id: str,
        *,
        now: datetime,
        sent: bool,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """After a send: sent; or failed again, to retry at `retry_at` (None: given up)."""
        status = SENT if sent else (QUEUED if retry_at is not None else FAILED)
        changes: Document = {"status": status, "last_attempt_at": now, "last_error": error}
        if retry_at is not None:
            changes["next_attempt_at"] = retry_at
        if sent:
            changes["sent_at"] = now
        self._mail.update_one({"_id": message_id}, {"$set": changes, "$inc": {"attempts": 1}})

    def list(self, *, status: str | None = None, limit: int = 100) -> list[Document]:
        query: Document = {} if status is None else {"status": status}
        return list(self._mail.find(query).sort("queued_at", -1).limit(limit))
