"""`msix users …` and `msix clients …`: operator administration of people and system clients.

Every act is audited as the operating-system account that ran it (an operator at the console).
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from hub.config import load_settings
from hub.security import (
    AuditAction,
    AuditAgent,
    AuditWriter,
    Jurisdiction,
    Role,
    clients,
    users,
)
from hub.store import Store

T = TypeVar("T")

users_app = typer.Typer(
    help="Administer people (roles, jurisdiction, status).", no_args_is_help=True
)
clients_app = typer.Typer(
    help="Administer system clients (scopes, secrets, keys).", no_args_is_help=True
)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory")]


@contextmanager
def _store(data_dir: Path | None) -> Iterator[Store]:
    overrides: dict[str, object] = {} if data_dir is None else {"data_dir": data_dir}
    settings = load_settings(**overrides)
    store = Store(settings)
    try:
        yield store
    finally:
        store.close()


def _admin_act(store: Store, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one administrative act on the store thread and audit it as the console operator."""
    now = datetime.now(UTC)
    operator = AuditAgent("user", f"console:{getpass.getuser()}")

    def act() -> T:
        result = fn(*args, now=now, **kwargs)
        AuditWriter("msix-cli").record(
            store.audit,
            action=AuditAction.ADMIN,
            agent=operator,
            now=now,
            outcome_description=f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}",
        )
        return result

    return store.call(act)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Initial password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name")],
    full_name: Annotated[str, typer.Option("--name", help="Full name")],
    email: Annotated[str, typer.Option(help="Work e-mail (never reusable after deactivation)")],
    role: Annotated[list[Role], typer.Option(help="Role; repeat for several")],
    jurisdiction: Annotated[str, typer.Option(help="STATE[/REGION[/DISTRICT]] or 'national'")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the initial password from stdin")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a user; they change the initial password at first sign-in."""
    password = _read_password(password_stdin)
    with _store(data_dir) as store:
        user = _admin_act(
            store,
            users.create_user,
            store.users,
            username=username,
            full_name=full_name,
            email=email,
            roles=role,
            jurisdiction=Jurisdiction.parse(jurisdiction),
            password=password,
        )
    typer.echo(f"created user {user.username} ({', '.join(user.roles)}) in {user.jurisdiction}")


@users_app.command("list")
def users_list(
    state: Annotated[str | None, typer.Option(help="Only this state")] = None,
    data_dir: DataDir = None,
) -> None:
    """List users: username, status, roles, jurisdiction."""
    with _store(data_dir) as store:
        found = store.call(users.list_users, store.users, state)
    for user in found:
        typer.echo(
            f"{user.username:<24} {user.status.value:<12} {','.join(user.roles):<40} "
            f"{user.jurisdiction}"
        )


@users_app.command("disable")
def users_disable(username: str, data_dir: DataDir = None) -> None:
    """Disable a user temporarily (can be re-enabled)."""
    with _store(data_dir) as store:
        user = _admin_act(store, users.disable, store.users, username)
    typer.echo(f"{user.username} is {user.status.value}")


@users_app.command("enable")
def users_enable(username: str, data_dir: DataDir = None) -> None:
    """Re-enable a disabled user (a deactivated user can never be re-enabled)."""
    with _store(data_dir) as store:
        user = _admin_act(store, users.enable, store.users, username)
    typer.echo(f"{user.username} is {user.status.value}")


@users_app.command("deactivate")
def users_deactivate(username: str, data_dir: DataDir = None) -> None:
    """Deactivate a user permanently; their e-mail can never be used again."""
    with _store(data_dir) as store:
        user = _admin_act(store, users.deactivate, store.users, username)
    typer.echo(f"{user.username} is {user.status.value}")


@users_app.command("reset-password")
def users_reset_password(
    username: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    data_dir: DataDir = None,
) -> None:
    """Set a new initial password; the user must change it at next sign-in."""
    password = _read_password(password_stdin)
    with _store(data_dir) as store:
        user = _admin_act(store, users.reset_password, store.users, username, password)
    typer.echo(f"password reset for {user.username}")


@clients_app.command("add")
def clients_add(
    name: Annotated[str, typer.Argument(help="What the client is, e.g. 'TX MSRTS vendor'")],
    scope: Annotated[list[str], typer.Option(help="Allowed scope; repeat for several")],
    jurisdiction: Annotated[str, typer.Option(help="STATE[/REGION[/DISTRICT]] or 'national'")],
    client_id: Annotated[str | None, typer.Option(help="Client id (default: generated)")] = None,
    jwks: Annotated[
        Path | None, typer.Option(help="JWKS file with public keys for private_key_jwt")
    ] = None,
    no_secret: Annotated[
        bool, typer.Option("--no-secret", help="Key-only client (needs --jwks)")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Register a system client. A new secret is printed once; only its hash is kept."""
    keys = json.loads(jwks.read_text(encoding="utf-8")) if jwks else None
    with _store(data_dir) as store:
        client, secret = _admin_act(
            store,
            clients.create_client,
            store.clients,
            name=name,
            scopes=scope,
            jurisdiction=Jurisdiction.parse(jurisdiction),
            client_id=client_id,
            jwks=keys,
            with_secret=not no_secret,
        )
    typer.echo(f"client_id:     {client.client_id}")
    if secret:
        typer.echo(f"client_secret: {secret}")
        typer.echo("(shown once: store it now; only a hash is kept)")


@clients_app.command("list")
def clients_list(
    state: Annotated[str | None, typer.Option(help="Only this state")] = None,
    data_dir: DataDir = None,
) -> None:
    """List clients: id, status, jurisdiction, scopes."""
    with _store(data_dir) as store:
        found = store.call(clients.list_clients, store.clients, state)
    for client in found:
        typer.echo(
            f"{client.client_id:<28} {client.status.value:<8} {client.jurisdiction!s:<10} "
            f"{' '.join(client.scopes)}"
        )


@clients_app.command("revoke")
def clients_revoke(client_id: str, data_dir: DataDir = None) -> None:
    """Revoke a client: no new tokens (issued ones expire within minutes)."""
    with _store(data_dir) as store:
        client = _admin_act(store, clients.revoke, store.clients, client_id)
    typer.echo(f"{client.client_id} is {client.status.value}")
