"""The web UI over HTTP (TestClient against the real app and embedded store): sign-in, sessions,
CSRF, lockout, account states, rules of behaviour and user administration across jurisdictions."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.config import Settings
from hub.security import Jurisdiction, Role, User, passwords, users
from hub.store import Store
from hub.web._session import COOKIE_NAME, IDLE_SECONDS, SessionKeys

PASSWORD = "quiet-harbor-lantern-42"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _second_browser(app: FastAPI) -> TestClient:
    # Not entered: entering would run the lifespan again and replace the open store.
    return TestClient(app, follow_redirects=False)


def _replace_cookie(client: TestClient, value: str) -> None:
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, value)


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    return store


def _make_user(
    client: TestClient,
    username: str,
    role: Role = Role.SECONDARY_USER,
    jurisdiction: str = "TX",
    *,
    accepted: bool = True,
    must_change: bool = False,
) -> User:
    store = _store(client)
    now = datetime.now(UTC)
    user = store.call(
        users.create_user,
        store.users,
        username=username,
        full_name=f"Test {username}",
        email=f"{username}@example.org",
        roles=[role],
        jurisdiction=Jurisdiction.parse(jurisdiction),
        password=PASSWORD,
        now=now,
        must_change_password=must_change,
    )
    if accepted:
        user = store.call(users.accept_rules_of_behaviour, store.users, username, now=now)
    return user


def _user(client: TestClient, username: str) -> User:
    store = _store(client)
    return store.call(users.get_user, store.users, username)


def _csrf(client: TestClient, path: str = "/signin") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = _CSRF.search(page.text)
    assert found is not None
    return found.group(1)


def _sign_in(client: TestClient, username: str, password: str = PASSWORD, **extra: str) -> Any:
    token = _csrf(client)
    return client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token, **extra}
    )


def _post(client: TestClient, path: str, data: dict[str, Any], page: str) -> Any:
    return client.post(path, data={**data, "csrf_token": _csrf(client, page)})


def test_home_sends_a_signed_out_visitor_to_the_sign_in_page(web: TestClient) -> None:
    answer = web.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin"


def test_signin_page_has_landmarks_skip_link_labels_and_a_strict_policy(web: TestClient) -> None:
    page = web.get("/signin")
    html = page.text
    assert page.status_code == 200
    for landmark in ("<header", "<main", "<footer", 'href="#main"', 'lang="en"'):
        assert landmark in html
    for name in ("username", "password"):
        assert f'<label for="{name}">' in html
        assert f'id="{name}"' in html
    assert 'autocomplete="current-password"' in html
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    # No page loads anything from another server.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert web.get("/static/hub.css").status_code == 200


def test_session_cookie_is_httponly_and_samesite_lax_and_secure_only_over_https(
    app: FastAPI,
) -> None:
    with TestClient(app, follow_redirects=False) as plain:
        cookie = plain.get("/signin").headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as tls:
        assert "Secure" in tls.get("/signin").headers["set-cookie"]


def test_signin_rotates_the_session_and_its_csrf_token(web: TestClient) -> None:
    _make_user(web, "reg-tx")
    old_token = _csrf(web)
    old_cookie = web.cookies[COOKIE_NAME]
    answer = web.post(
        "/signin", data={"username": "reg-tx", "password": PASSWORD, "csrf_token": old_token}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    new_cookie = web.cookies[COOKIE_NAME]
    assert new_cookie.split(".")[0] != old_cookie.split(".")[0]
    assert _csrf(web, "/") != old_token
    # The token of the anonymous session no longer opens a form.
    refused = web.post(
        "/account/password",
        data={"csrf_token": old_token, "current_password": PASSWORD, "new_password": "x"},
    )
    assert refused.status_code == 403


@pytest.mark.parametrize("token", [None, "forged-token", "other-session"])
def test_a_form_without_this_sessions_csrf_token_is_refused_with_a_403_page(
    web: TestClient, app: FastAPI, token: str | None
) -> None:
    _make_user(web, "admin-tx", Role.USER_ADMIN_STATE)
    assert _sign_in(web, "admin-tx").status_code == 303
    data = {"username": "forged", "full_name": "F", "email": "f@example.org", "roles": "x"}
    if token == "other-session":
        data["csrf_token"] = _csrf(_second_browser(app))
    elif token is not None:
        data["csrf_token"] = token
    answer = web.post("/accounts/new", data=data)
    assert answer.status_code == 403
    assert "Form refused" in answer.text
    assert "security token" in answer.text
    store = _store(web)
    assert store.call(store.users.get, "forged") is None


def test_sign_in_without_a_csrf_token_is_refused(web: TestClient) -> None:
    _make_user(web, "reg-tx")
    answer = web.post("/signin", data={"username": "reg-tx", "password": PASSWORD})
    assert answer.status_code == 403
    assert _user(web, "reg-tx").last_login_at is None


def test_repeated_wrong_passwords_lock_the_account_even_against_the_right_one(
    web: TestClient, settings: Settings
) -> None:
    _make_user(web, "reg-tx")
    for _ in range(settings.login_max_failures):
        wrong = _sign_in(web, "reg-tx", "not-the-password-at-all")
        assert wrong.status_code == 401
        assert "wrong username or password" in wrong.text
    locked = _sign_in(web, "reg-tx")
    assert locked.status_code == 401
    assert "account locked" in locked.text
    assert web.get("/").status_code == 303


@pytest.mark.parametrize(
    ("act", "message"),
    [
        (users.disable, "account disabled; ask your User Administrator"),
        (users.deactivate, "account deactivated permanently"),
    ],
)
def test_disabled_and_deactivated_accounts_are_refused_with_a_clear_message(
    web: TestClient, act: Any, message: str
) -> None:
    _make_user(web, "reg-tx")
    store = _store(web)
    store.call(act, store.users, "reg-tx", now=datetime.now(UTC))
    answer = _sign_in(web, "reg-tx")
    assert answer.status_code == 401
    assert message in answer.text
    assert web.get("/").status_code == 303


def test_a_session_ends_at_the_next_click_once_the_account_is_disabled(web: TestClient) -> None:
    _make_user(web, "reg-tx")
    assert _sign_in(web, "reg-tx").status_code == 303
    assert web.get("/").status_code == 200
    store = _store(web)
    store.call(users.disable, store.users, "reg-tx", now=datetime.now(UTC))
    answer = web.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?reason=disabled"
    assert "Your account has been disabled" in web.get(answer.headers["location"]).text


def test_first_sign_in_shows_the_rules_of_behaviour_before_anything_else(web: TestClient) -> None:
    _make_user(web, "reg-tx", accepted=False)
    answer = _sign_in(web, "reg-tx")
    assert answer.headers["location"] == "/rules-of-behaviour"
    assert web.get("/").headers["location"] == "/rules-of-behaviour"
    rules = web.get("/rules-of-behaviour")
    assert "consent to monitoring" in rules.text
    unticked = _post(web, "/rules-of-behaviour", {}, "/rules-of-behaviour")
    assert unticked.status_code == 422
    assert _user(web, "reg-tx").rules_of_behaviour_accepted_at is None
    accepted = _post(web, "/rules-of-behaviour", {"accept": "yes"}, "/rules-of-behaviour")
    assert accepted.status_code == 303
    assert _user(web, "reg-tx").rules_of_behaviour_accepted_at is not None
    assert web.get("/").status_code == 200


def test_rules_of_behaviour_are_accepted_again_after_a_year(web: TestClient) -> None:
    _make_user(web, "reg-tx")
    store = _store(web)
    last_year = datetime.now(UTC) - timedelta(days=400)
    store.call(store.users.update, "reg-tx", {"rules_of_behaviour_accepted_at": last_year})
    assert _sign_in(web, "reg-tx").headers["location"] == "/rules-of-behaviour"


def test_a_reset_password_must_be_changed_and_ends_other_sessions(
    web: TestClient, app: FastAPI
) -> None:
    _make_user(web, "reg-tx")
    assert _sign_in(web, "reg-tx").status_code == 303
    store = _store(web)
    temporary = "fresh-temporary-pass-9"
    store.call(users.reset_password, store.users, "reg-tx", temporary, now=datetime.now(UTC))
    assert web.get("/").headers["location"] == "/signin?reason=ended"
    assert _sign_in(web, "reg-tx", temporary).headers["location"] == "/account/password"
    assert web.get("/").headers["location"] == "/account/password"
    mismatch = _post(
        web,
        "/account/password",
        {"current_password": temporary, "new_password": PASSWORD, "confirm_password": "x"},
        "/account/password",
    )
    assert mismatch.status_code == 422
    assert "the two new passwords differ" in mismatch.text
    wrong = _post(
        web,
        "/account/password",
        {"current_password": "nope", "new_password": PASSWORD, "confirm_password": PASSWORD},
        "/account/password",
    )
    assert wrong.status_code == 422
    assert "current password is wrong" in wrong.text
    changed = _post(
        web,
        "/account/password",
        {"current_password": temporary, "new_password": PASSWORD, "confirm_password": PASSWORD},
        "/account/password",
    )
    assert changed.headers["location"] == "/?notice=password-changed"
    assert "Your password has been changed" in web.get(changed.headers["location"]).text
    assert not _user(web, "reg-tx").must_change_password


def test_sign_out_ends_the_session_even_when_the_old_cookie_is_replayed(web: TestClient) -> None:
    _make_user(web, "reg-tx")
    assert _sign_in(web, "reg-tx").status_code == 303
    stolen = web.cookies[COOKIE_NAME]
    answer = _post(web, "/signout", {}, "/")
    assert answer.headers["location"] == "/signin?reason=signed-out"
    _replace_cookie(web, stolen)
    replay = web.get("/")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/signin")


def test_a_tampered_or_idle_session_cookie_is_not_accepted(web: TestClient) -> None:
    user = _make_user(web, "reg-tx")
    assert _sign_in(web, "reg-tx").status_code == 303
    good = web.cookies[COOKIE_NAME]
    payload, _, signature = good.partition(".")
    _replace_cookie(web, f"{payload}.{signature[::-1]}")
    assert web.get("/").status_code == 303
    keys = SessionKeys(web.app.state.settings)  # type: ignore[attr-defined]
    now = int(datetime.now(UTC).timestamp())
    stale = keys.signed_in(user, now - IDLE_SECONDS - 120)
    _replace_cookie(web, keys.encode(stale))
    assert web.get("/").headers["location"] == "/signin?reason=timeout"


def test_sign_ins_and_refusals_are_audited_without_what_was_typed(web: TestClient) -> None:
    _make_user(web, "reg-tx")
    _sign_in(web, "reg-tx", "wrong-password-typed")
    _sign_in(web, "someone-typed-this", "wrong-password-typed")
    _sign_in(web, "reg-tx")
    store = _store(web)
    events = [
        event
        for event in store.call(store.audit.recent, 20)
        if event["subtype"][-1]["code"] == "login"
    ]
    outcomes = sorted((e["agent"][0]["who"]["identifier"]["value"], e["outcome"]) for e in events)
    assert outcomes == [("reg-tx", "0"), ("reg-tx", "4"), ("unknown-account", "4")]
    assert all("wrong-password-typed" not in str(e) for e in events)
    assert all("someone-typed-this" not in str(e) for e in events)


def test_a_next_target_off_this_server_is_ignored(web: TestClient) -> None:
    _make_user(web, "reg-tx")
    answer = _sign_in(web, "reg-tx", next="//evil.example/steal")
    assert answer.headers["location"] == "/"
    _post(web, "/signout", {}, "/")
    assert _sign_in(web, "reg-tx", next="/account/password").headers["location"] == (
        "/account/password"
    )


def test_a_registrar_has_no_accounts_page_and_no_link_to_it(web: TestClient) -> None:
    _make_user(web, "reg-tx")
    _sign_in(web, "reg-tx")
    assert 'href="/accounts"' not in web.get("/").text
    refused = web.get("/accounts")
    assert refused.status_code == 403
    assert "do not allow this page" in refused.text


def test_a_user_administrator_lists_only_accounts_of_their_own_state(web: TestClient) -> None:
    _make_user(web, "admin-tx", Role.USER_ADMIN_STATE)
    _make_user(web, "reg-tx")
    _make_user(web, "reg-wa", jurisdiction="WA")
    _sign_in(web, "admin-tx")
    listing = web.get("/accounts")
    assert listing.status_code == 200
    assert 'href="/accounts/reg-tx"' in listing.text
    assert "reg-wa" not in listing.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/reg-wa"),
        ("post", "/accounts/reg-wa/disable"),
        ("post", "/accounts/reg-wa/deactivate"),
        ("post", "/accounts/reg-wa/reset-password"),
    ],
)
def test_a_user_administrator_cannot_manage_another_states_account(
    web: TestClient, method: str, path: str
) -> None:
    _make_user(web, "admin-tx", Role.USER_ADMIN_STATE)
    before = _make_user(web, "reg-wa", jurisdiction="WA")
    _sign_in(web, "admin-tx")
    answer = web.get(path) if method == "get" else _post(web, path, {"confirm": "yes"}, "/accounts")
    assert answer.status_code == 403
    assert "you manage accounts in TX only" in answer.text
    after = _user(web, "reg-wa")
    assert (after.status, after.password_hash) == (before.status, before.password_hash)
    store = _store(web)
    refusals = [
        e for e in store.call(store.audit.recent, 10) if "refused" in e.get("outcomeDesc", "")
    ]
    assert refusals
    assert refusals[0]["outcome"] == "4"


def test_a_user_administrator_cannot_create_an_account_in_another_state(web: TestClient) -> None:
    _make_user(web, "admin-tx", Role.USER_ADMIN_STATE)
    _sign_in(web, "admin-tx")
    answer = _post(
        web,
        "/accounts/new",
        {
            "username": "gov",
            "full_name": "G",
            "email": "g@example.org",
            "roles": "government_admin",
        },
        "/accounts/new",
    )
    assert answer.status_code == 422
    assert "you cannot grant government_admin" in answer.text
    store = _store(web)
    assert store.call(store.users.get, "gov") is None


def test_an_account_created_by_an_administrator_starts_with_rules_and_a_new_password(
    web: TestClient, app: FastAPI
) -> None:
    _make_user(web, "admin-tx", Role.USER_ADMIN_STATE)
    _sign_in(web, "admin-tx")
    created = _post(
        web,
        "/accounts/new",
        {
            "username": "new-nurse",
            "full_name": "Nia Nurse",
            "email": "nia@example.org",
            "roles": "primary_user",
            "region": "",
            "district": "D042",
        },
        "/accounts/new",
    )
    assert created.status_code == 200, created.text
    temporary = re.search(r'<code class="secret">([^<]+)</code>', created.text)
    assert temporary is not None
    account = _user(web, "new-nurse")
    assert str(account.jurisdiction) == "TX//D042"
    assert account.roles == [Role.PRIMARY_USER]
    newcomer = _second_browser(app)
    assert _sign_in(newcomer, "new-nurse", temporary.group(1)).headers["location"] == (
        "/rules-of-behaviour"
    )
    accepted = _post(newcomer, "/rules-of-behaviour", {"accept": "yes"}, "/rules-of-behaviour")
    assert accepted.headers["location"] == "/account/password"
    again = _post(
        web,
        "/accounts/new",
        {"username": "new-nurse", "full_name": "N", "email": "other@example.org", "roles": "x"},
        "/accounts/new",
    )
    assert again.status_code == 422
    assert "unknown role" in again.text


def test_a_user_administrator_disables_enables_and_deactivates_for_good(web: TestClient) -> None:
    _make_user(web, "admin-tx", Role.USER_ADMIN_STATE)
    _make_user(web, "reg-tx")
    _sign_in(web, "admin-tx")
    page = "/accounts/reg-tx"
    disabled = _post(web, "/accounts/reg-tx/disable", {}, page)
    assert disabled.headers["location"] == "/accounts/reg-tx?notice=disabled"
    assert _user(web, "reg-tx").status.value == "disabled"
    _post(web, "/accounts/reg-tx/enable", {}, page)
    assert _user(web, "reg-tx").status.value == "active"
    unconfirmed = _post(web, "/accounts/reg-tx/deactivate", {}, page)
    assert unconfirmed.status_code == 409
    assert _user(web, "reg-tx").status.value == "active"
    _post(web, "/accounts/reg-tx/deactivate", {"confirm": "yes"}, page)
    assert _user(web, "reg-tx").status.value == "deactivated"
    assert "deactivated for good" in web.get(page).text
    enable_again = _post(web, "/accounts/reg-tx/enable", {}, "/accounts")
    assert enable_again.status_code == 409
    assert _user(web, "reg-tx").status.value == "deactivated"


def test_a_user_administrator_cannot_lock_themselves_out(web: TestClient) -> None:
    _make_user(web, "admin-tx", Role.USER_ADMIN_STATE)
    _sign_in(web, "admin-tx")
    answer = _post(web, "/accounts/admin-tx/disable", {}, "/accounts")
    assert answer.status_code == 403
    assert _user(web, "admin-tx").status.value == "active"


def test_the_api_health_and_docs_still_answer_beside_the_ui(web: TestClient) -> None:
    assert web.get("/healthz").json()["status"] == "ok"
    assert web.get("/docs").status_code == 200
    paths = web.get("/openapi.json").json()["paths"]
    assert "/auth/token" in paths
    assert "/signin" not in paths
    whoami = web.get("/auth/whoami")
    assert whoami.status_code == 401
    assert whoami.headers["content-type"].startswith("application/fhir+json")


def test_the_password_hash_of_a_sign_in_never_runs_on_the_store_thread(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make_user(web, "hasher")
    store = _store(web)
    store_thread = store.call(threading.get_ident)
    hashed_on: list[int] = []
    real_verify = passwords.verify_password

    def verify(password_hash: str, password: str) -> bool:  # the real check, its thread noted
        hashed_on.append(threading.get_ident())
        return real_verify(password_hash, password)

    monkeypatch.setattr(users, "verify_password", verify)
    assert _sign_in(web, "hasher").status_code == 303
    assert _sign_in(_second_browser(web.app), "hasher", "wrong-password-1").status_code != 303  # type: ignore[arg-type]

    assert len(hashed_on) == 2
    assert store_thread not in hashed_on
