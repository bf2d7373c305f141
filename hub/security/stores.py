"""What `hub.security` needs from storage, as protocols.

`hub.security` and `hub.store` sit on the same row of DESIGN.md §3 and must not import each other;
the store's repositories satisfy these protocols structurally, so the security rules stay testable
with any object of the same shape.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, Protocol

Document = dict[str, Any]


class UserRecords(Protocol):
    """`hub.store.UserRepository`: users keyed by username; e-mail unique forever."""

    def insert(self, user: Document) -> None: ...

    def get(self, username: str) -> Document | None: ...

    def list(self, state: str | None = None) -> builtins.list[Document]: ...

    def update(
        self, username: str, changes: Document, *, increment: Document | None = None
    ) -> Document: ...


class ClientRecords(Protocol):
    """`hub.store.ClientRepository`: system clients keyed by client_id."""

    def insert(self, client: Document) -> None: ...

    def get(self, client_id: str) -> Document | None: ...

    def list(self, state: str | None = None) -> builtins.list[Document]: ...

    def update(self, client_id: str, changes: Document) -> Document: ...


class AuditLog(Protocol):
    """`hub.store.AuditRepository`: append-only AuditEvent JSON, indexed by the children touched."""

    def append(self, event: Document, *, msix_ids: builtins.list[str]) -> None: ...


class ReplayCache(Protocol):
    """Remembers client-assertion ids until they expire (SMART Backend Services: no `jti` reuse).

    `remember` answers False when `key` was already seen and has not expired yet.
    """

    def remember(self, key: str, *, expires_at: datetime, now: datetime) -> bool: ...
