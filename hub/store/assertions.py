"""Client-assertion ids seen recently (SMART Backend Services: a `jti` is never accepted twice).

Kept in the store, not in one process's memory, so a replay sent to a second API process is
refused too. The key is unique (`_id`); an expired entry may be taken over by a new assertion.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from hub.store.engine import Engine, locked


def _aware(value: datetime) -> datetime:
    # The embedded engine hands datetimes back naive (BSON stores UTC).
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class AssertionReplayRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _seen(self) -> Any:
        return self.engine.db["assertion_ids"]

    @locked
    def remember(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        """Record `key`; False when it was already seen and has not expired."""
        try:
            self._seen.insert_one({"_id": key, "expires_at": expires_at})
        except DuplicateKeyError:
            taken_over = self._seen.find_one_and_update(
                {"_id": key, "expires_at": {"$lte": now}}, {"$set": {"expires_at": expires_at}}
            )
            return taken_over is not None
        return True

    @locked
    def purge_expired(self, now: datetime) -> int:
        return int(self._seen.delete_many({"expires_at": {"$lte": now}}).deleted_count)
