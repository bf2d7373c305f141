"""Accounts through the real store (embedded engine; real MongoDB with MSIX_TEST_MONGODB_URI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.config import Settings
from hub.errors import AuthenticationError, ConflictError, IssueCode, ValidationError
from hub.security import (
    Jurisdiction,
    LoginResult,
    Role,
    User,
    UserRecords,
    UserStatus,
    accept_rules_of_behaviour,
    authenticate,
    change_password,
    create_user,
    deactivate,
    disable,
    enable,
    get_user,
    list_users,
    may_administer,
    reset_password,
)
from hub.store import Store

NOW = datetime(2025, 9, 2, 14, 30, tzinfo=UTC)
PASSWORD = "orchard ladder under the moon"
TX_D7 = Jurisdiction(state="TX", region="R1", district="D7")


@pytest.fixture
def login_settings(tmp_path: Path) -> Settings:
    return Settings(
        demo=True,
        data_dir=tmp_path / "var",
        login_max_failures=3,
        login_lockout_minutes=30,
        rules_of_behaviour_days=365,
    )


def _add(
    store: Store,
    username: str = "mlopez",
    email: str = "m.lopez@example.org",
    *,
    roles: list[Role] | None = None,
    jurisdiction: Jurisdiction = TX_D7,
) -> User:
    users: UserRecords = store.users  # the store satisfies the protocol structurally
    return store.call(
        lambda: create_user(
            users,
            username=username,
            full_name="Marisol Lopez (synthetic)",
            email=email,
            roles=roles or [Role.SECONDARY_USER],
            jurisdiction=jurisdiction,
            password=PASSWORD,
            now=NOW,
        )
    )


def _login(
    store: Store, settings: Settings, password: str = PASSWORD, minutes: int = 0
) -> LoginResult:
    return store.call(
        lambda: authenticate(
            store.users, "mlopez", password, now=NOW + timedelta(minutes=minutes), settings=settings
        )
    )


def test_created_user_is_stored_without_the_password(store: Store) -> None:
    user = _add(store)
    stored = store.call(store.users.get, "mlopez")
    assert stored is not None
    assert PASSWORD not in repr(stored)
    assert stored["password_hash"].startswith("$argon2id$")
    assert user.status is UserStatus.ACTIVE
    assert user.must_change_password
    assert store.call(get_user, store.users, "MLopez") == user
    assert [u.username for u in store.call(list_users, store.users, "TX")] == ["mlopez"]


def test_create_user_reports_every_problem_at_once(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        store.call(
            lambda: create_user(
                store.users,
                username="x",
                full_name=" ",
                email="not-an-address",
                roles=[Role.DATA_ADMIN_STATE],
                jurisdiction=TX_D7,
                password="short",
                now=NOW,
            )
        )
    locations = {issue.location for issue in caught.value.issues}
    assert {"username", "email", "full_name", "jurisdiction", "password"} <= locations


def test_sign_in_succeeds_and_asks_for_rules_of_behaviour(
    store: Store, login_settings: Settings
) -> None:
    _add(store)
    result = store.call(
        lambda: authenticate(store.users, "mlopez", PASSWORD, now=NOW, settings=login_settings)
    )
    assert result.user.username == "mlopez"
    assert result.needs_rules_of_behaviour
    assert result.must_change_password
    assert result.user.last_login_at == NOW


def test_rules_of_behaviour_are_asked_again_after_a_year(
    store: Store, login_settings: Settings
) -> None:
    _add(store)
    store.call(accept_rules_of_behaviour, store.users, "mlopez", now=NOW)

    def sign_in(days: int) -> bool:
        later = NOW + timedelta(days=days)
        result = authenticate(store.users, "mlopez", PASSWORD, now=later, settings=login_settings)
        return result.needs_rules_of_behaviour

    assert store.call(sign_in, 364) is False
    assert store.call(sign_in, 366) is True


def test_unknown_user_and_wrong_password_get_the_same_answer(
    store: Store, login_settings: Settings
) -> None:
    _add(store)
    with pytest.raises(AuthenticationError) as wrong_password:
        _login(store, login_settings, password="not the password at all")
    with pytest.raises(AuthenticationError) as unknown:
        store.call(
            lambda: authenticate(store.users, "nobody", PASSWORD, now=NOW, settings=login_settings)
        )
    assert str(wrong_password.value) == str(unknown.value) == "wrong username or password"


def test_repeated_failures_lock_the_account_until_the_lockout_ends(
    store: Store, login_settings: Settings
) -> None:
    _add(store)
    for attempt in range(3):
        with pytest.raises(AuthenticationError, match="wrong username or password"):
            _login(store, login_settings, password="wrong guess number x", minutes=attempt)
    # Locked: even the right password is refused, and not checked.
    with pytest.raises(AuthenticationError, match="locked"):
        _login(store, login_settings, minutes=5)
    with pytest.raises(AuthenticationError, match="locked"):
        _login(store, login_settings, minutes=31)
    assert _login(store, login_settings, minutes=33).user.username == "mlopez"


def test_success_resets_the_failure_count(store: Store, login_settings: Settings) -> None:
    _add(store)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            _login(store, login_settings, password="wrong guess number x")
    _login(store, login_settings)
    assert store.call(get_user, store.users, "mlopez").failed_attempts == 0
    for _ in range(2):
        with pytest.raises(AuthenticationError, match="wrong username"):
            _login(store, login_settings, password="wrong guess number x")
    _login(store, login_settings)


def test_disabled_account_is_refused_with_its_own_message_and_can_be_enabled(
    store: Store, login_settings: Settings
) -> None:
    _add(store)
    store.call(disable, store.users, "mlopez", now=NOW)
    with pytest.raises(AuthenticationError, match="disabled"):
        _login(store, login_settings)
    # A wrong password does not reveal that the account is disabled.
    with pytest.raises(AuthenticationError, match="wrong username or password"):
        _login(store, login_settings, password="wrong guess number x")
    store.call(enable, store.users, "mlopez", now=NOW)
    _login(store, login_settings)


def test_deactivated_account_is_refused_and_never_enabled_again(
    store: Store, login_settings: Settings
) -> None:
    _add(store)
    user = store.call(deactivate, store.users, "mlopez", now=NOW)
    assert user.status is UserStatus.DEACTIVATED
    with pytest.raises(AuthenticationError, match="deactivated permanently"):
        _login(store, login_settings)
    for action in (enable, disable):
        with pytest.raises(ConflictError, match="deactivated for good"):
            store.call(action, store.users, "mlopez", now=NOW)
    with pytest.raises(ConflictError):
        store.call(reset_password, store.users, "mlopez", "a fresh long password", now=NOW)


def test_deactivated_users_email_is_never_reusable(store: Store) -> None:
    _add(store)
    store.call(deactivate, store.users, "mlopez", now=NOW)
    with pytest.raises(ConflictError) as caught:
        _add(store, username="mlopez2", email="M.Lopez@example.org")
    assert caught.value.issues[0].code is IssueCode.DUPLICATE
    with pytest.raises(ConflictError):
        _add(store, username="mlopez", email="other@example.org")


def test_reset_password_forces_a_change_and_lifts_the_lock(
    store: Store, login_settings: Settings
) -> None:
    _add(store)
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            _login(store, login_settings, password="wrong guess number x")
    store.call(reset_password, store.users, "mlopez", "temporary harvest 42", now=NOW)
    result = _login(store, login_settings, password="temporary harvest 42")
    assert result.must_change_password


def test_change_password_needs_the_current_one_and_a_new_good_one(
    store: Store, login_settings: Settings
) -> None:
    _add(store)
    with pytest.raises(AuthenticationError):
        store.call(
            change_password,
            store.users,
            "mlopez",
            "wrong current pw",
            "new river song 2025",
            now=NOW,
        )
    with pytest.raises(ValidationError) as caught:
        store.call(change_password, store.users, "mlopez", PASSWORD, PASSWORD, now=NOW)
    assert any("differ" in issue.message for issue in caught.value.issues)
    with pytest.raises(ValidationError):
        store.call(change_password, store.users, "mlopez", PASSWORD, "password1234", now=NOW)
    user = store.call(
        change_password, store.users, "mlopez", PASSWORD, "new river song 2025", now=NOW
    )
    assert not user.must_change_password
    with pytest.raises(AuthenticationError):
        _login(store, login_settings)
    _login(store, login_settings, password="new river song 2025")


def test_user_administrator_manages_accounts_in_their_jurisdiction_only(store: Store) -> None:
    target = _add(store)
    region_1 = _add(
        store,
        "admin-r1",
        "admin-r1@example.org",
        roles=[Role.USER_ADMIN_REGIONAL],
        jurisdiction=Jurisdiction(state="TX", region="R1"),
    )
    region_2 = _add(
        store,
        "admin-r2",
        "admin-r2@example.org",
        roles=[Role.USER_ADMIN_REGIONAL],
        jurisdiction=Jurisdiction(state="TX", region="R2"),
    )
    assert may_administer(region_1, target)
    assert not may_administer(region_2, target)
    assert not may_administer(target, region_1)
