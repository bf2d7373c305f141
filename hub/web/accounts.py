"""User administration (DOMAIN.md §7): the Accounts List, new accounts, disable, enable,
deactivate and password resets, for User Administrators inside their own jurisdiction only.

First and reset passwords are generated here and shown once to the administrator, who passes them
on separately from the username (the lifecycle sends them in separate e-mails); the person must
change it at first sign-in. Every act, and every refused attempt, is audited.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from hub.errors import ConflictError, HubError, Issue, IssueCode, PermissionDeniedError, error
from hub.security import (
    ROLES,
    AuditAction,
    AuditOutcome,
    Jurisdiction,
    Level,
    Permission,
    Role,
    User,
    UserRecords,
    create_user,
    deactivate,
    disable,
    enable,
    get_user,
    may_administer,
    reset_password,
)
from hub.web._audit import record
from hub.web._door import WebRoute, now_utc, redirect, render, store_of
from hub.web._viewer import require_permission

router = APIRouter(prefix="/accounts", route_class=WebRoute, include_in_schema=False)

AccountAdmin = Annotated[User, Depends(require_permission(Permission.ADMIN_USERS))]

# Roles a User Administrator may grant; the national role is granted outside the states.
GRANTABLE_ROLES: tuple[Role, ...] = tuple(
    role for role, spec in ROLES.items() if spec.level is not Level.NATION
)
NOTICES = {
    "disabled": "The account is disabled. The person cannot sign in until it is enabled again.",
    "enabled": "The account is enabled (and any lockout lifted).",
    "deactivated": "The account is deactivated for good. Its e-mail address stays reserved.",
}
PAGE_SIZE = 100
# Letters and digits that cannot be misread when passed on by phone or on paper.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

Act = Callable[..., User]
_ACTS: dict[str, tuple[Act, str]] = {
    "disable": (disable, "disabled"),
    "enable": (enable, "enabled"),
    "deactivate": (deactivate, "deactivated"),
}


@router.get("", response_class=HTMLResponse)
async def accounts_list(request: Request, admin: AccountAdmin, page: int = 1) -> Response:
    """The Accounts List: the accounts inside the administrator's jurisdiction, a page at a time."""
    store = store_of(request)
    total, accounts = await store.run(_accounts_in_scope, store.users, admin, max(page, 1))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    now = now_utc()
    return render(
        request,
        "accounts/list.html",
        {
            "title": "Accounts",
            "accounts": accounts,
            "total": total,
            "first": (page - 1) * PAGE_SIZE + 1 if total else 0,
            "page": page,
            "pages": pages,
            "scope": str(admin.jurisdiction),
            "locked": {a.username for a in accounts if a.locked_until and a.locked_until > now},
            "role_titles": {role: ROLES[role].title for role in Role},
        },
    )


@router.get("/new", response_class=HTMLResponse)
async def new_account_form(request: Request, admin: AccountAdmin) -> Response:
    """The form for a new account."""
    return _new_account_form(request, admin, values={}, issues=[])


@router.post("/new", response_class=HTMLResponse)
async def new_account(request: Request, admin: AccountAdmin) -> Response:
    """Create the account with a temporary password, shown once on the answer page."""
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in _ACCOUNT_FIELDS}
    roles, issues = _roles(form)
    jurisdiction: Jurisdiction | None = None
    try:
        jurisdiction = _jurisdiction(admin, values["region"], values["district"])
    except HubError as exc:
        issues += exc.issues
    if jurisdiction is not None and not admin.jurisdiction.covers(jurisdiction):
        issues.append(_outside(admin, "jurisdiction"))
    if issues or jurisdiction is None:
        return _new_account_form(request, admin, values, issues, roles, status_code=422)
    password = _temporary_password()
    store = store_of(request)
    try:
        created = await store.run(
            create_user,
            store.users,
            username=values["username"],
            full_name=values["full_name"],
            email=values["email"],
            roles=roles,
            jurisdiction=jurisdiction,
            password=password,
            now=now_utc(),
        )
    except HubError as exc:
        status = 409 if isinstance(exc, ConflictError) else 422
        return _new_account_form(request, admin, values, list(exc.issues), roles, status)
    await record(
        request,
        AuditAction.ADMIN,
        admin,
        f"account {created.username} created in {created.jurisdiction} with roles "
        + ", ".join(role.value for role in created.roles),
    )
    return _password_shown(request, created, password, first=True)


@router.get("/{username}", response_class=HTMLResponse)
async def account_page(request: Request, admin: AccountAdmin, username: str) -> Response:
    """One account, with the actions its status allows."""
    target = await _managed(request, admin, username, "view")
    now = now_utc()
    return render(
        request,
        "accounts/detail.html",
        {
            "title": f"Account {target.username}",
            "account": target,
            "locked": bool(target.locked_until and target.locked_until > now),
            "role_titles": [ROLES[role].title for role in target.roles],
            "is_self": target.username == admin.username,
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
    )


@router.post("/{username}/reset-password", response_class=HTMLResponse)
async def account_reset_password(request: Request, admin: AccountAdmin, username: str) -> Response:
    """Set a new temporary password (shown once); the person must change it at sign-in."""
    target = await _managed(request, admin, username, "reset the password of")
    _refuse_self(admin, target, "reset your own password here; use Change password")
    store = store_of(request)
    password = _temporary_password()
    target = await store.run(reset_password, store.users, target.username, password, now=now_utc())
    await record(request, AuditAction.ADMIN, admin, f"account {target.username} password reset")
    return _password_shown(request, target, password, first=False)


@router.post("/{username}/{act}", response_class=HTMLResponse)
async def account_act(request: Request, admin: AccountAdmin, username: str, act: str) -> Response:
    """Disable (temporary), enable, or deactivate (permanent, needs a confirmation tick)."""
    if act not in _ACTS:
        raise HubError([error(IssueCode.NOT_SUPPORTED, f"no account action {act!r}")])
    target = await _managed(request, admin, username, act)
    _refuse_self(admin, target, f"{act} your own account; another administrator must")
    form = await request.form()
    if act == "deactivate" and form.get("confirm") != "yes":
        raise ConflictError(
            [
                error(
                    IssueCode.REQUIRED,
                    "deactivation is permanent: tick the confirmation box to deactivate",
                    "confirm",
                )
            ]
        )
    function, done = _ACTS[act]
    store = store_of(request)
    target = await store.run(function, store.users, target.username, now=now_utc())
    await record(request, AuditAction.ADMIN, admin, f"account {target.username} {done}")
    return redirect(f"/accounts/{target.username}?notice={done}")


_ACCOUNT_FIELDS = ("username", "full_name", "email", "region", "district")


def _accounts_in_scope(users: UserRecords, admin: User, page: int) -> tuple[int, list[User]]:
    """How many accounts the administrator manages, and one page of them as models.

    Only the page is validated into models: on a state with thousands of staff, building every
    model is what would make the list slow.
    """
    mine = admin.jurisdiction
    in_scope = [
        document
        for document in users.list(mine.state)
        if mine.covers(Jurisdiction.model_construct(**(document.get("jurisdiction") or {})))
    ]
    pages = max(1, -(-len(in_scope) // PAGE_SIZE))
    start = (min(page, pages) - 1) * PAGE_SIZE
    shown = in_scope[start : start + PAGE_SIZE]
    return len(in_scope), [User.from_document(document) for document in shown]


async def _managed(request: Request, admin: AccountAdmin, username: str, action: str) -> User:
    """The target account when `admin` may manage it; a refusal is audited, then raised."""
    store = store_of(request)
    target = await store.run(get_user, store.users, username)
    if not may_administer(admin, target):
        await record(
            request,
            AuditAction.ADMIN,
            admin,
            f"refused: {action} account {target.username} outside {admin.jurisdiction}",
            AuditOutcome.MINOR_FAILURE,
        )
        raise PermissionDeniedError([_outside(admin, "username")])
    return target


def _outside(admin: User, location: str) -> Issue:
    return error(
        IssueCode.FORBIDDEN,
        f"you manage accounts in {admin.jurisdiction} only; "
        "accounts elsewhere are managed by that jurisdiction's User Administrators",
        location,
    )


def _refuse_self(admin: User, target: User, what: str) -> None:
    if admin.username == target.username:
        raise PermissionDeniedError([error(IssueCode.FORBIDDEN, f"you cannot {what}")])


def _roles(form: FormData) -> tuple[list[Role], list[Issue]]:
    roles: list[Role] = []
    issues: list[Issue] = []
    for value in form.getlist("roles"):
        try:
            role = Role(str(value))
        except ValueError:
            issues.append(error(IssueCode.CODE_INVALID, f"unknown role {value!r}", "roles"))
            continue
        if role not in GRANTABLE_ROLES:
            issues.append(error(IssueCode.FORBIDDEN, f"you cannot grant {role.value}", "roles"))
        roles.append(role)
    if not roles and not issues:
        issues.append(error(IssueCode.REQUIRED, "choose at least one role", "roles"))
    return roles, issues


def _jurisdiction(admin: User, region: str, district: str) -> Jurisdiction:
    """The new account's jurisdiction: the administrator's own, narrowed by the form."""
    mine = admin.jurisdiction
    if mine.state is None:
        raise PermissionDeniedError("a national account cannot create state accounts here")
    return Jurisdiction(
        state=mine.state,
        region=mine.region or region or None,
        district=mine.district or district or None,
    )


def _temporary_password() -> str:
    groups = ("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


def _new_account_form(
    request: Request,
    admin: User,
    values: dict[str, str],
    issues: list[Issue],
    roles: list[Role] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "accounts/new.html",
        {
            "title": "New account",
            "values": values,
            "issues": issues,
            "chosen": set(roles or []),
            "grantable": [(role, ROLES[role].title) for role in GRANTABLE_ROLES],
            "state": admin.jurisdiction.state,
            "fixed_region": admin.jurisdiction.region,
            "fixed_district": admin.jurisdiction.district,
        },
        status_code=status_code,
    )


def _password_shown(request: Request, account: User, password: str, *, first: bool) -> Response:
    return render(
        request,
        "accounts/password_shown.html",
        {
            "title": "Account created" if first else "Password reset",
            "account": account,
            "password": password,
            "first": first,
        },
    )
