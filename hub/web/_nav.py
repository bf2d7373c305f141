"""The navigation, as data: an entry appears when the page exists and a role allows it.

A page adds its one line here with the permission it requires; there are no entries for pages
that do not exist yet. A child's record is reached from search, so it has no entry of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.security import Permission, User


@dataclass(frozen=True, slots=True)
class NavEntry:
    label: str
    href: str
    permission: Permission | None  # None: every signed-in person


NAV: tuple[NavEntry, ...] = (
    NavEntry("Home", "/", None),
    NavEntry("Search", "/search", Permission.SEARCH),
    NavEntry("Move notices", "/notices", Permission.VIEW),
    NavEntry("Worklist", "/worklist", Permission.WORKLIST),
    NavEntry("Reports", "/reports", Permission.REPORTS),
    NavEntry("Accounts", "/accounts", Permission.ADMIN_USERS),
    NavEntry("Change password", "/account/password", None),
)


def nav_for(user: User) -> list[NavEntry]:
    held = user.permissions
    return [entry for entry in NAV if entry.permission is None or entry.permission in held]
