"""Audit events of an ingest (DESIGN.md §6): the batch itself and every retraction.

Events a re-run could write again get ids derived from what they record and are appended with
`append_once`, so an interrupted ingest that is run again records each act exactly once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from hub.security import AuditAction, AuditAgent, AuditOutcome, audit_event
from hub.store import AuditRepository

_IDS = uuid.UUID("5d0c5d8e-7f3b-4a53-9f58-3a1e8c2b7a10")  # namespace of derived event ids


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(_IDS, "|".join(parts)))


def record_ingest(
    audit: AuditRepository,
    *,
    agent: AuditAgent,
    observer: str,
    now: datetime,
    description: str,
    failed: bool,
    event_id: str | None,
) -> None:
    """One event for one submitted file; `event_id` None for an act that is never re-run."""
    event = audit_event(
        action=AuditAction.INGEST,
        agent=agent,
        recorded=now,
        observer=observer,
        outcome=AuditOutcome.MINOR_FAILURE if failed else AuditOutcome.SUCCESS,
        outcome_description=description,
    )
    if event_id is None:
        audit.append(event, msix_ids=[])
        return
    event["id"] = event_id
    audit.append_once(event, msix_ids=[])


def record_retraction(
    audit: AuditRepository,
    *,
    agent: AuditAgent,
    observer: str,
    now: datetime,
    batch_id: str,
    record_number: int,
    msix_id: str | None,
) -> None:
    """One event per retracted state record, naming the child (never the record's content)."""
    event = audit_event(
        action=AuditAction.RETRACT,
        agent=agent,
        recorded=now,
        observer=observer,
        outcome_description=f"state record retracted by batch {batch_id}, record {record_number}",
        msix_ids=[msix_id] if msix_id else [],
    )
    event["id"] = derived_id(batch_id, "retract", str(record_number))
    audit.append_once(event, msix_ids=[msix_id] if msix_id else [])
