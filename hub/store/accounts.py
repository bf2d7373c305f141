"""People (`users`) and systems (`clients`) as stored documents.

The documents are plain dicts shaped by `hub.security`; this module owns only storage: unique
usernames, e-mails that are never reused (deactivated users keep theirs), client ids, and
single-document updates so each change is atomic.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from hub.errors import NotFoundError
from hub.store.engine import Document, Engine, locked
from hub.store.errors import translate_errors


class UserRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _users(self) -> Any:
        return self.engine.db["users"]

    @locked
    def insert(self, user: Document) -> None:
        """Store a new user; a taken username or an e-mail ever used before is a conflict."""
        with translate_errors(f"user {user['username']!r} or e-mail {user['email']!r}", "username"):
            self._users.insert_one({**user, "_id": user["username"]})

    def get(self, username: str) -> Document | None:
        doc: Document | None = self._users.find_one({"_id": username})
        return doc

    def require(self, username: str) -> Document:
        doc = self.get(username)
        if doc is None:
            raise NotFoundError(f"no user {username!r}", "username")
        return doc

    def list(self, state: str | None = None) -> list[Document]:
        query: Document = {} if state is None else {"jurisdiction.state": state}
        return list(self._users.find(query).sort("_id", 1))

    @locked
    def update(
        self, username: str, changes: Document, *, increment: Document | None = None
    ) -> Document:
        """Apply `$set` (and optional `$inc`) to one user atomically; returns the new document."""
        update: Document = {"$set": changes}
        if increment:
            update["$inc"] = increment
        doc: Document | None = self._users.find_one_and_update(
            {"_id": username}, update, return_document=ReturnDocument.AFTER
        )
        if doc is None:
            raise NotFoundError(f"no user {username!r}", "username")
        return doc


class ClientRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _clients(self) -> Any:
        return self.engine.db["clients"]

    @locked
    def insert(self, client: Document) -> None:
        with translate_errors(f"client {client['client_id']!r}", "client_id"):
            self._clients.insert_one({**client, "_id": client["client_id"]})

    def get(self, client_id: str) -> Document | None:
        doc: Document | None = self._clients.find_one({"_id": client_id})
        return doc

    def list(self, state: str | None = None) -> list[Document]:
        query: Document = {} if state is None else {"jurisdiction.state": state}
        return list(self._clients.find(query).sort("_id", 1))

    @locked
    def update(self, client_id: str, changes: Document) -> Document:
        doc: Document | None = self._clients.find_one_and_update(
            {"_id": client_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
        )
        if doc is None:
            raise NotFoundError(f"no client {client_id!r}", "client_id")
        return doc
