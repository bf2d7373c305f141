"""Home, sign-in and sign-out, rules of behaviour, and changing one's own password."""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from hub.config import Settings
from hub.errors import AuthenticationError, HubError, Issue, IssueCode, error
from hub.security import (
    ROLES,
    AuditAction,
    AuditOutcome,
    AuditWriter,
    LoginResult,
    User,
    UserRecords,
    accept_rules_of_behaviour,
    change_password,
    end_sessions,
    finish_sign_in,
    sign_in_account,
    verify_sign_in,
)
from hub.store import Store
from hub.web._audit import address_of, agent_of, record, writer_for
from hub.web._door import (
    WebRoute,
    now_utc,
    redirect,
    render,
    settings_of,
    start_session,
    store_of,
    web_context,
)
from hub.web._session import epoch
from hub.web._viewer import (
    PASSWORD_PATH,
    RULES_PATH,
    CurrentUser,
    RulesAcceptedUser,
    SignedInUser,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)

_MAX_USERNAME = 64
_MAX_PASSWORD = 1024

# Why the sign-in page is shown (the `reason` parameter); unknown values show nothing.
SIGNIN_REASONS = {
    "timeout": "You were signed out after 30 minutes without activity. Please sign in again.",
    "ended": "Your session has ended. Please sign in again.",
    "signed-out": "You have signed out.",
    "disabled": "Your account has been disabled. Ask your User Administrator to enable it again.",
    "deactivated": "Your account has been deactivated permanently. Apply for a new account.",
}
NOTICES = {
    "password-changed": "Your password has been changed.",
    "rules-accepted": "Thank you: your acceptance of the rules of behaviour is recorded.",
}


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, user: CurrentUser) -> Response:
    """The signed-in person's start page: who they are and what their roles allow."""
    return render(
        request,
        "home.html",
        {
            "title": "Home",
            "roles": [ROLES[role].title for role in user.roles],
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
    )


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request) -> Response:
    """The sign-in form."""
    return _signin_form(request, next_path=_local_path(request.query_params.get("next")))


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    """Check the username and password; on success start a new session (a new id)."""
    form = await request.form()
    username = str(form.get("username", ""))[:_MAX_USERNAME]
    password = str(form.get("password", ""))
    next_path = _local_path(str(form.get("next", "")))
    settings = settings_of(request)
    store = store_of(request)
    try:
        if not username.strip() or not password:
            raise AuthenticationError("enter your username and password")
        if len(password) > _MAX_PASSWORD:
            raise AuthenticationError("wrong username or password")
        result = await _sign_in(
            store,
            username,
            password,
            now=now_utc(),
            settings=settings,
            writer=writer_for(request),
            address=address_of(request),
        )
    except AuthenticationError as exc:
        return _signin_form(
            request,
            next_path=next_path,
            username=username,
            issues=list(exc.issues),
            status_code=401,
        )
    context = web_context(request)
    start_session(request, context.keys.signed_in(result.user, epoch(now_utc())))
    if result.needs_rules_of_behaviour:
        return redirect(RULES_PATH)
    if result.must_change_password:
        return redirect(PASSWORD_PATH)
    return redirect(next_path or "/")


@router.post("/signout")
async def signout(request: Request) -> Response:
    """End every session of the account, here and in any other browser."""
    context = web_context(request)
    session = context.session
    if session is not None and session.username is not None:
        store = store_of(request)
        user = await store.run(_end_sessions, store.users, session.username, now=now_utc())
        if user is not None:
            await record(request, AuditAction.LOGOUT, user, "signed out")
    start_session(request, context.keys.anonymous(epoch(now_utc())))
    return redirect("/signin?reason=signed-out")


@router.get(RULES_PATH, response_class=HTMLResponse)
async def rules_page(request: Request, user: SignedInUser) -> Response:
    """The rules of behaviour, with the form that accepts them."""
    return _rules_form(request, user)


@router.post(RULES_PATH, response_class=HTMLResponse)
async def accept_rules(request: Request, user: SignedInUser) -> Response:
    """Record the acceptance (first sign-in, then yearly)."""
    form = await request.form()
    if form.get("accept") != "yes":
        issue = error(
            IssueCode.REQUIRED,
            "tick the box to accept the rules of behaviour, or sign out",
            "accept",
        )
        return _rules_form(request, user, issues=[issue], status_code=422)
    store = store_of(request)
    user = await store.run(accept_rules_of_behaviour, store.users, user.username, now=now_utc())
    await record(request, AuditAction.ADMIN, user, "rules of behaviour accepted")
    if user.must_change_password:
        return redirect(PASSWORD_PATH)
    return redirect("/?notice=rules-accepted")


@router.get(PASSWORD_PATH, response_class=HTMLResponse)
async def password_page(request: Request, user: RulesAcceptedUser) -> Response:
    """The form to change one's own password."""
    return _password_form(request, user)


@router.post(PASSWORD_PATH, response_class=HTMLResponse)
async def password_change(request: Request, user: RulesAcceptedUser) -> Response:
    """Change one's own password; every other session of the account ends."""
    form = await request.form()
    current = str(form.get("current_password", ""))
    new = str(form.get("new_password", ""))
    if new != str(form.get("confirm_password", "")):
        issue = error(IssueCode.VALUE, "the two new passwords differ", "confirm_password")
        return _password_form(request, user, issues=[issue], status_code=422)
    if len(current) > _MAX_PASSWORD:
        issue = error(IssueCode.LOGIN, "current password is wrong", "current_password")
        return _password_form(request, user, issues=[issue], status_code=422)
    store = store_of(request)
    try:
        changed = await store.run(
            _change_password, store.users, user.username, current, new, now=now_utc()
        )
    except HubError as exc:
        issues = [_password_issue(issue) for issue in exc.issues]
        return _password_form(request, user, issues=issues, status_code=422)
    await record(request, AuditAction.ADMIN, changed, "own password changed")
    context = web_context(request)
    start_session(request, context.keys.signed_in(changed, epoch(now_utc())))
    return redirect("/?notice=password-changed")


async def _sign_in(
    store: Store,
    username: str,
    password: str,
    *,
    now: datetime,
    settings: Settings,
    writer: AuditWriter,
    address: str | None,
) -> LoginResult:
    """Authenticate and audit. The argon2 check runs on a worker thread, never on the store
    thread, which every other request needs meanwhile."""
    try:
        user = await store.run(sign_in_account, store.users, username, now=now)
        verified = await asyncio.to_thread(verify_sign_in, user, password)
        result = await store.run(
            finish_sign_in, store.users, user, password, verified, now=now, settings=settings
        )
    except AuthenticationError as exc:
        await store.run(_audit_refusal, store, username, exc, now, writer, address)
        raise
    await store.run(
        writer.record,
        store.audit,
        action=AuditAction.LOGIN,
        agent=agent_of(address, result.user),
        now=now,
        outcome_description="signed in to the web UI",
    )
    return result


def _audit_refusal(
    store: Store,
    username: str,
    refusal: AuthenticationError,
    now: datetime,
    writer: AuditWriter,
    address: str | None,
) -> None:
    known = store.users.get(username.strip().lower())
    writer.record(
        store.audit,
        action=AuditAction.LOGIN,
        agent=agent_of(address, None if known is None else User.from_document(known)),
        now=now,
        outcome=AuditOutcome.MINOR_FAILURE,
        outcome_description=f"sign-in refused: {refusal}",
    )


def _end_sessions(users: UserRecords, username: str, *, now: datetime) -> User | None:
    if users.get(username) is None:
        return None
    return end_sessions(users, username, now=now)


def _change_password(
    users: UserRecords, username: str, current: str, new: str, *, now: datetime
) -> User:
    change_password(users, username, current, new, now=now)
    return end_sessions(users, username, now=now)


def _password_issue(issue: Issue) -> Issue:
    # The security core locates policy problems at `password`; the form calls it `new_password`.
    if issue.location == "password":
        return Issue(issue.severity, issue.code, issue.message, "new_password", issue.rule)
    return issue


def _local_path(value: str | None) -> str | None:
    """Only a path on this server may be a `next` target (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(ch in value for ch in "\r\n\\") or value.startswith("/signin"):
        return None
    return value


def _signin_form(
    request: Request,
    *,
    next_path: str | None,
    username: str = "",
    issues: list[Issue] | tuple[Issue, ...] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "signin.html",
        {
            "title": "Sign in",
            "next": next_path or "",
            "username": username,
            "issues": list(issues or []),
            "reason": SIGNIN_REASONS.get(request.query_params.get("reason", "")),
        },
        status_code=status_code,
    )


def _rules_form(
    request: Request, user: User, *, issues: list[Issue] | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "rules.html",
        {
            "title": "Rules of behaviour",
            "accepted_at": user.rules_of_behaviour_accepted_at,
            "issues": issues or [],
            # Nothing else opens until the rules are accepted: no navigation to offer.
            "nav": [],
        },
        status_code=status_code,
    )


def _password_form(
    request: Request, user: User, *, issues: list[Issue] | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "password.html",
        {
            "title": "Change password",
            "must_change": user.must_change_password,
            "issues": issues or [],
            **({"nav": []} if user.must_change_password else {}),
        },
        status_code=status_code,
    )
