"""The web UI in Debian's Chromium: sign-in, lockout, rules of behaviour, a forged form and a user
administrator who cannot reach another state's accounts. No page runs or needs script."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from hub.config import Settings
from hub.security import Jurisdiction, Role, users
from hub.store import Store

PASSWORD = "quiet-harbor-lantern-42"


@pytest.fixture
def hub(app: FastAPI, live_server: str) -> Store:
    """The live server's open store, for setting up accounts."""
    store: Store = app.state.store
    return store


def _account(store: Store, username: str, role: Role, state: str, *, accepted: bool = True) -> None:
    now = datetime.now(UTC)
    store.call(
        users.create_user,
        store.users,
        username=username,
        full_name=f"Test {username}",
        email=f"{username}@example.org",
        roles=[role],
        jurisdiction=Jurisdiction.parse(state),
        password=PASSWORD,
        now=now,
        must_change_password=False,
    )
    if accepted:
        store.call(users.accept_rules_of_behaviour, store.users, username, now=now)


def _sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_first_sign_in_asks_for_the_rules_of_behaviour_then_opens_home(
    page: Page, live_server: str, hub: Store
) -> None:
    _account(hub, "reg-tx", Role.SECONDARY_USER, "TX", accepted=False)
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/signin")
    _sign_in(page, live_server, "reg-tx")
    expect(page).to_have_url(f"{live_server}/rules-of-behaviour")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rules of behaviour")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    page.get_by_label(re.compile("I have read the rules of behaviour")).check()
    page.get_by_role("button", name="Accept and continue").click()
    expect(page).to_have_url(re.compile(r"/\?notice=rules-accepted$"))
    expect(page.get_by_role("status")).to_contain_text("acceptance of the rules")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Accounts")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/signin")


def test_the_skip_link_is_the_first_stop_for_keyboard_users(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/signin")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()


def test_repeated_wrong_passwords_lock_the_account(
    page: Page, live_server: str, hub: Store, app: FastAPI
) -> None:
    settings: Settings = app.state.settings
    _account(hub, "reg-tx", Role.SECONDARY_USER, "TX")
    for _ in range(settings.login_max_failures):
        _sign_in(page, live_server, "reg-tx", "not-the-password-at-all")
        expect(page.get_by_role("alert")).to_contain_text("wrong username or password")
    _sign_in(page, live_server, "reg-tx")
    expect(page.get_by_role("alert")).to_contain_text("account locked")
    expect(page).to_have_url(f"{live_server}/signin")
    # The username is kept in the form; the password is not.
    expect(page.get_by_label("Username")).to_have_value("reg-tx")
    expect(page.get_by_label("Password")).to_have_value("")


def test_a_forged_form_from_another_site_or_without_the_token_is_refused(
    page: Page, live_server: str, hub: Store
) -> None:
    _account(hub, "admin-tx", Role.USER_ADMIN_STATE, "TX")
    _sign_in(page, live_server, "admin-tx")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    # A page elsewhere that posts to the hub on the signed-in person's behalf.
    page.set_content(
        f'<form method="post" action="{live_server}/accounts/new">'
        '<input name="username" value="forged-admin"><input name="full_name" value="F">'
        '<input name="email" value="forged@example.org">'
        '<input name="roles" value="user_admin_state"><button>Win a prize</button></form>'
    )
    page.get_by_role("button", name="Win a prize").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Form refused")
    # The hub's own form with its token removed.
    page.goto(f"{live_server}/accounts/new")
    page.get_by_label("Username").fill("forged-admin")
    page.get_by_label("Full name").fill("F")
    page.get_by_label("Work e-mail").fill("forged@example.org")
    page.get_by_label("User Administrator (State)").check()
    page.locator('main input[name="csrf_token"]').evaluate("node => node.remove()")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Form refused")
    expect(page.get_by_role("alert")).to_contain_text("security token of your session")
    assert hub.call(hub.users.get, "forged-admin") is None


def test_a_user_administrator_manages_their_state_but_not_another(
    page: Page, live_server: str, hub: Store
) -> None:
    _account(hub, "admin-tx", Role.USER_ADMIN_STATE, "TX")
    _account(hub, "reg-tx", Role.SECONDARY_USER, "TX")
    _account(hub, "reg-wa", Role.SECONDARY_USER, "WA")
    _sign_in(page, live_server, "admin-tx")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name="reg-tx")).to_be_visible()
    expect(table).not_to_contain_text("reg-wa")
    table.get_by_role("link", name="reg-tx").click()
    page.get_by_role("button", name="Disable (temporary)").click()
    expect(page.get_by_role("status")).to_contain_text("The account is disabled")
    page.goto(f"{live_server}/accounts/reg-wa")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_role("alert")).to_contain_text("you manage accounts in TX only")
    assert hub.call(users.get_user, hub.users, "reg-wa").status.value == "active"
    assert hub.call(users.get_user, hub.users, "reg-tx").status.value == "disabled"


def test_a_new_account_gets_a_temporary_password_shown_once(
    page: Page, live_server: str, hub: Store
) -> None:
    _account(hub, "admin-wa", Role.USER_ADMIN_STATE, "WA")
    _sign_in(page, live_server, "admin-wa")
    page.goto(f"{live_server}/accounts/new")
    page.get_by_role("button", name="Create account").click()
    # The browser's own required-field check stops an empty form before it is sent.
    expect(page).to_have_url(f"{live_server}/accounts/new")
    page.get_by_label("Username").fill("nurse-wa")
    page.get_by_label("Full name").fill("Nadia Nurse")
    page.get_by_label("Work e-mail").fill("nadia@example.org")
    page.get_by_label("Primary User").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account created")
    temporary = page.locator("code.secret").inner_text()
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", temporary)
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, live_server, "nurse-wa", temporary)
    expect(page).to_have_url(f"{live_server}/rules-of-behaviour")
