"""Who is making a request, once their credentials have been checked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from hub.errors import IssueCode, PermissionDeniedError, error
from hub.security.roles import Jurisdiction, Permission, Role, permissions_of
from hub.security.scopes import Scope, any_grants

CallerKind = Literal["client", "user"]


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated system client (scopes) or person (roles); both act in a jurisdiction."""

    kind: CallerKind
    id: str
    scopes: frozenset[str]
    jurisdiction: Jurisdiction
    roles: frozenset[Role] = field(default_factory=frozenset)
    token_id: str | None = None

    def grants(self, required: str | Scope) -> bool:
        """True when one of the caller's scopes covers `required` (v1/v2 forms are equivalent)."""
        return any_grants((Scope.parse(text) for text in self.scopes), required)

    def missing_scopes(self, required: Iterable[str]) -> list[str]:
        return [scope for scope in required if not self.grants(scope)]

    def require_scopes(self, *required: str) -> None:
        """Raise `PermissionDeniedError` naming every required scope the caller lacks."""
        missing = self.missing_scopes(required)
        if missing:
            raise PermissionDeniedError(
                [
                    error(IssueCode.FORBIDDEN, f"the access token lacks scope {scope!r}", "scope")
                    for scope in missing
                ]
            )

    def may(self, permission: Permission) -> bool:
        return permission in permissions_of(self.roles)
