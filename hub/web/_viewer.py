"""Who is looking at a page: dependencies that resolve the signed-in account, as `Annotated`
aliases, and send everyone else to the sign-in page or the step they still owe.

The account is reloaded on every request, so a disable, deactivation, password reset or
sign-out elsewhere takes effect on the next click, not when the cookie expires.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from hub.errors import IssueCode, PermissionDeniedError, error
from hub.security import (
    ROLES,
    Caller,
    Permission,
    User,
    UserRecords,
    UserStatus,
    needs_rules_of_behaviour,
)
from hub.web._door import (
    SignInRequiredError,
    StepRequiredError,
    now_utc,
    settings_of,
    start_session,
    store_of,
    web_context,
)
from hub.web._session import epoch

RULES_PATH = "/rules-of-behaviour"
PASSWORD_PATH = "/account/password"  # noqa: S105 (a page path)


def _find_user(users: UserRecords, username: str) -> User | None:
    document = users.get(username)
    return None if document is None else User.from_document(document)


async def signed_in_user(request: Request) -> User:
    """The account behind a valid session, before any step it still owes."""
    context = web_context(request)
    session = context.session
    if session is None or session.username is None:
        raise SignInRequiredError("timeout" if context.timed_out else None)
    store = store_of(request)
    user = await store.run(_find_user, store.users, session.username)
    if user is None or not context.keys.still_valid_for(session, user):
        raise SignInRequiredError("ended")
    if user.status is not UserStatus.ACTIVE:
        raise SignInRequiredError(user.status.value)
    now = epoch(now_utc())
    if session.needs_touch(now):
        start_session(request, session.touched(now))
    context.user = user
    return user


SignedInUser = Annotated[User, Depends(signed_in_user)]


async def rules_accepted_user(request: Request, user: SignedInUser) -> User:
    """Signed in and within a year of accepting the rules of behaviour (DOMAIN.md §7)."""
    if needs_rules_of_behaviour(user, now=now_utc(), settings=settings_of(request)):
        raise StepRequiredError(RULES_PATH)
    return user


RulesAcceptedUser = Annotated[User, Depends(rules_accepted_user)]


async def current_user(user: RulesAcceptedUser) -> User:
    """Ready to work: rules accepted and no first or reset password left to change."""
    if user.must_change_password:
        raise StepRequiredError(PASSWORD_PATH)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_permission(permission: Permission) -> Callable[[User], Awaitable[User]]:
    """A dependency giving the current user when one of their roles grants `permission`."""

    async def user_with_permission(user: CurrentUser) -> User:
        if permission not in user.permissions:
            titles = ", ".join(ROLES[role].title for role in user.roles)
            raise PermissionDeniedError(
                [error(IssueCode.FORBIDDEN, f"your roles ({titles}) do not allow this page")]
            )
        return user

    return user_with_permission


def caller_of(user: User) -> Caller:
    """The signed-in person as the services see callers: roles and jurisdiction, no scopes."""
    return Caller("user", user.username, frozenset(), user.jurisdiction, frozenset(user.roles))
