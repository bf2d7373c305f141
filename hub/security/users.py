"""People: accounts, sign-in with lockout, and the lifecycle of DOMAIN.md §7.

*Disable* is temporary and can be undone; *deactivate* is permanent, and the account's e-mail stays
on the deactivated document so the store's unique index never lets it be used again. Every
function takes the user records (a `UserRecords`) and must run on the store thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field

from hub.config import Settings
from hub.errors import (
    AuthenticationError,
    ConflictError,
    Issue,
    IssueCode,
    NotFoundError,
    ValidationError,
    error,
)
from hub.security._documents import StoredModel, as_utc
from hub.security.passwords import (
    burn_verification_time,
    check_password,
    hash_password,
    needs_rehash,
    require_valid_password,
    verify_password,
)
from hub.security.roles import (
    Jurisdiction,
    Permission,
    Role,
    check_role_jurisdiction,
    permissions_of,
)
from hub.security.stores import Document, UserRecords

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Deliberately loose: the address is proven by the account e-mails, not by a pattern.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
_WRONG_CREDENTIALS = "wrong username or password"


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    DEACTIVATED = "deactivated"


class User(StoredModel):
    """A person's account as stored in `users` (the document `_id` is the username)."""

    username: str
    full_name: str = Field(min_length=1, max_length=200)
    email: str
    roles: list[Role] = Field(min_length=1)
    jurisdiction: Jurisdiction
    status: UserStatus = UserStatus.ACTIVE
    password_hash: str = Field(repr=False)
    must_change_password: bool = False
    failed_attempts: int = 0
    locked_until: datetime | None = None
    rules_of_behaviour_accepted_at: datetime | None = None
    last_login_at: datetime | None = None
    # Raised by `end_sessions`: a UI session issued under an older generation is no longer valid.
    session_generation: int = 0
    created_at: datetime
    updated_at: datetime

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.roles)

    def to_document(self) -> Document:
        document = self.model_dump(mode="python")
        document["roles"] = [role.value for role in self.roles]
        document["status"] = self.status.value
        return document

    @classmethod
    def from_document(cls, document: Document) -> User:
        return cls.model_validate({k: v for k, v in document.items() if k != "_id"})


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A successful sign-in and what the UI must ask for before anything else."""

    user: User
    needs_rules_of_behaviour: bool
    must_change_password: bool


def create_user(
    users: UserRecords,
    *,
    username: str,
    full_name: str,
    email: str,
    roles: list[Role],
    jurisdiction: Jurisdiction,
    password: str,
    now: datetime,
    must_change_password: bool = True,
) -> User:
    """Create an active account; every problem with the input is reported at once.

    A User Administrator sets a first password that the person changes at first sign-in.
    """
    username = username.strip().lower()
    email = email.strip().lower()
    issues: list[Issue] = []
    if not _USERNAME.match(username):
        issues.append(
            error(
                IssueCode.VALUE,
                "username must be 3-64 of a-z 0-9 . _ - and start with a letter or digit",
                "username",
            )
        )
    if not _EMAIL.match(email):
        issues.append(error(IssueCode.VALUE, "not an e-mail address", "email"))
    if not full_name.strip():
        issues.append(error(IssueCode.REQUIRED, "full name is required", "full_name"))
    if not roles:
        issues.append(error(IssueCode.REQUIRED, "at least one role is required", "roles"))
    issues += check_role_jurisdiction(roles, jurisdiction)
    issues += check_password(password, username=username)
    if issues:
        raise ValidationError(issues)
    now = as_utc(now)
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email,
        roles=list(dict.fromkeys(roles)),
        jurisdiction=jurisdiction,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        created_at=now,
        updated_at=now,
    )
    users.insert(user.to_document())
    return user


def get_user(users: UserRecords, username: str) -> User:
    document = users.get(username.strip().lower())
    if document is None:
        raise NotFoundError(f"no user {username!r}", "username")
    return User.from_document(document)


def list_users(users: UserRecords, state: str | None = None) -> list[User]:
    """Accounts List (DOMAIN.md §8), optionally for one state."""
    return [User.from_document(document) for document in users.list(state)]


def authenticate(
    users: UserRecords, username: str, password: str, *, now: datetime, settings: Settings
) -> LoginResult:
    """Check a sign-in. Raises `AuthenticationError` with a message the person can act on.

    A wrong password and an unknown username get the same answer, so names cannot be probed.
    Disabled and deactivated accounts are told so only after the right password was given, for
    the same reason. After `login_max_failures` wrong passwords the account locks for
    `login_lockout_minutes` (NIST SP 800-63B §5.2.2 rate limiting), during which the password is
    not even checked, so guessing cannot go on behind the lock.

    This runs all three phases in one call. A door serving many people runs them apart, so that
    the deliberately slow hash (`verify_sign_in`) does not hold the store thread:
    `sign_in_account` and `finish_sign_in` on the store thread, `verify_sign_in` on a worker.
    """
    user = sign_in_account(users, username, now=now)
    verified = verify_sign_in(user, password)
    return finish_sign_in(users, user, password, verified, now=now, settings=settings)


def sign_in_account(users: UserRecords, username: str, *, now: datetime) -> User | None:
    """The account a sign-in names (None when there is none). A locked account is refused here,
    before its password is checked."""
    document = users.get(username.strip().lower())
    if document is None:
        return None
    user = User.from_document(document)
    if user.locked_until is not None and as_utc(now) < user.locked_until:
        raise AuthenticationError(
            f"account locked after repeated failed sign-ins; try again after "
            f"{user.locked_until:%Y-%m-%d %H:%M} UTC or ask your User Administrator"
        )
    return user


def verify_sign_in(user: User | None, password: str) -> bool:
    """The password check (argon2, slow on purpose). Touches no store, so it may run on any
    thread; an unknown account takes as long as a known one."""
    if user is None:
        burn_verification_time()
        return False
    return verify_password(user.password_hash, password)


def finish_sign_in(
    users: UserRecords,
    user: User | None,
    password: str,
    verified: bool,
    *,
    now: datetime,
    settings: Settings,
) -> LoginResult:
    """Count a failure (and lock after too many) or complete the sign-in."""
    now = as_utc(now)
    if user is None:
        raise AuthenticationError(_WRONG_CREDENTIALS)
    if not verified:
        _record_failure(users, user, now, settings)
        raise AuthenticationError(_WRONG_CREDENTIALS)
    if user.status is UserStatus.DISABLED:
        raise AuthenticationError(
            "account disabled; ask your User Administrator to enable it again"
        )
    if user.status is UserStatus.DEACTIVATED:
        raise AuthenticationError("account deactivated permanently; apply for a new account")
    changes: Document = {
        "failed_attempts": 0,
        "locked_until": None,
        "last_login_at": now,
        "updated_at": now,
    }
    if needs_rehash(user.password_hash):
        changes["password_hash"] = hash_password(password)
    user = User.from_document(users.update(user.username, changes))
    return LoginResult(
        user=user,
        needs_rules_of_behaviour=needs_rules_of_behaviour(user, now=now, settings=settings),
        must_change_password=user.must_change_password,
    )


def _record_failure(users: UserRecords, user: User, now: datetime, settings: Settings) -> None:
    # $inc keeps concurrent failures from overwriting each other's count.
    updated = users.update(user.username, {"updated_at": now}, increment={"failed_attempts": 1})
    if int(updated.get("failed_attempts", 0)) >= settings.login_max_failures:
        users.update(
            user.username,
            {
                "failed_attempts": 0,
                "locked_until": now + timedelta(minutes=settings.login_lockout_minutes),
            },
        )


def needs_rules_of_behaviour(user: User, *, now: datetime, settings: Settings) -> bool:
    """Rules of behaviour are accepted before first use and again every year (DOMAIN.md §7)."""
    accepted = user.rules_of_behaviour_accepted_at
    return accepted is None or as_utc(now) - accepted > timedelta(
        days=settings.rules_of_behaviour_days
    )


def accept_rules_of_behaviour(users: UserRecords, username: str, *, now: datetime) -> User:
    now = as_utc(now)
    return _change(users, username, {"rules_of_behaviour_accepted_at": now, "updated_at": now})


def end_sessions(users: UserRecords, username: str, *, now: datetime) -> User:
    """End every UI session of the account (sign-out, password change): sessions carry the
    generation they were issued under, and this moves it on. $inc, so two ends never collide."""
    return User.from_document(
        users.update(
            username.strip().lower(),
            {"updated_at": as_utc(now)},
            increment={"session_generation": 1},
        )
    )


def disable(users: UserRecords, username: str, *, now: datetime) -> User:
    """Suspend an account for now (leave, investigation); `enable` undoes it."""
    user = _require_not_deactivated(users, username, "disable")
    return _change(users, user.username, {"status": UserStatus.DISABLED.value, "updated_at": now})


def enable(users: UserRecords, username: str, *, now: datetime) -> User:
    """Lift a disable (and any lockout). A deactivated account is never enabled again."""
    user = _require_not_deactivated(users, username, "enable")
    return _change(
        users,
        user.username,
        {
            "status": UserStatus.ACTIVE.value,
            "failed_attempts": 0,
            "locked_until": None,
            "updated_at": now,
        },
    )


def deactivate(users: UserRecords, username: str, *, now: datetime) -> User:
    """End an account for good. The document stays, so its username and e-mail stay taken."""
    user = get_user(users, username)
    if user.status is UserStatus.DEACTIVATED:
        return user
    return _change(
        users, user.username, {"status": UserStatus.DEACTIVATED.value, "updated_at": now}
    )


def reset_password(users: UserRecords, username: str, new_password: str, *, now: datetime) -> User:
    """A User Administrator sets a temporary password; the person must change it at sign-in."""
    user = _require_not_deactivated(users, username, "reset the password of")
    require_valid_password(new_password, username=user.username)
    return _change(
        users,
        user.username,
        {
            "password_hash": hash_password(new_password),
            "must_change_password": True,
            "failed_attempts": 0,
            "locked_until": None,
            "updated_at": now,
        },
    )


def change_password(
    users: UserRecords, username: str, current_password: str, new_password: str, *, now: datetime
) -> User:
    """The person changes their own password, proving the current one."""
    user = _require_not_deactivated(users, username, "change the password of")
    if not verify_password(user.password_hash, current_password):
        raise AuthenticationError("current password is wrong", "current_password")
    issues = check_password(new_password, username=user.username)
    if new_password == current_password:
        issues.append(
            error(
                IssueCode.BUSINESS_RULE, "new password must differ from the current one", "password"
            )
        )
    if issues:
        raise ValidationError(issues)
    return _change(
        users,
        user.username,
        {
            "password_hash": hash_password(new_password),
            "must_change_password": False,
            "updated_at": now,
        },
    )


def may_administer(admin: User, target: User) -> bool:
    """User Administrators manage accounts inside their own jurisdiction only."""
    return (
        admin.status is UserStatus.ACTIVE
        and Permission.ADMIN_USERS in admin.permissions
        and admin.jurisdiction.covers(target.jurisdiction)
    )


def _require_not_deactivated(users: UserRecords, username: str, action: str) -> User:
    user = get_user(users, username)
    if user.status is UserStatus.DEACTIVATED:
        raise ConflictError(
            [
                error(
                    IssueCode.BUSINESS_RULE,
                    f"cannot {action} {user.username!r}: the account is deactivated for good",
                    "username",
                )
            ]
        )
    return user


def _change(users: UserRecords, username: str, changes: Document) -> User:
    changes = {k: as_utc(v) if isinstance(v, datetime) else v for k, v in changes.items()}
    return User.from_document(users.update(username, changes))
