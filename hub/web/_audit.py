"""Audit events of the UI: who (account, roles, jurisdiction, address), never what was typed."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request

from hub.security import AuditAction, AuditAgent, AuditOutcome, AuditWriter, User
from hub.web._door import now_utc, settings_of, store_of

UNKNOWN_ACCOUNT = "unknown-account"


def address_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def agent_of(address: str | None, user: User | None) -> AuditAgent:
    if user is None:
        # The typed name is not recorded: it may be a mistyped password or someone else's name.
        return AuditAgent("user", UNKNOWN_ACCOUNT, address=address)
    roles = tuple(sorted(role.value for role in user.roles))
    return AuditAgent("user", user.username, user.jurisdiction, roles, address)


def writer_for(request: Request) -> AuditWriter:
    return AuditWriter(settings_of(request).token_issuer)


async def record(
    request: Request,
    action: AuditAction,
    user: User | None,
    description: str,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    msix_ids: Iterable[str] = (),
) -> None:
    """Append one event; `description` names accounts and reasons, never personal details;
    `msix_ids` are the children the act touched (entity references, not their data)."""
    store = store_of(request)
    await store.run(
        writer_for(request).record,
        store.audit,
        action=action,
        agent=agent_of(address_of(request), user),
        now=now_utc(),
        outcome=outcome,
        outcome_description=description,
        msix_ids=list(msix_ids),
    )
