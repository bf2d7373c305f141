"""Periodic work each app process does in the background: worklist escalation, deleting expired
`$export` files, and sending the worklist notices (when SMTP is configured).

Both are safe to run from several processes at once: escalation moves an item by a conditional
update on its revision (a process that loses the race skips the item), and notices are claimed
with a lease before they are sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hub.config import Settings
from hub.services import worklists
from hub.services.fhir_export import ExportJobs
from hub.services.worklist_mail import send_due, smtp_sender
from hub.store import Store

log = logging.getLogger("msix.housekeeping")


async def run_housekeeping(
    store: Store,
    settings: Settings,
    stop: asyncio.Event,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Every `settings.housekeeping_minutes` (the first round one interval after start-up) until
    `stop` is set: escalate, then send the notices that are due."""
    interval = settings.housekeeping_minutes * 60
    sender = smtp_sender(settings) if settings.smtp_host else None
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        if stop.is_set():
            return
        try:
            now = clock()
            changed = await store.run(worklists.escalate, store, settings, now=now)
            if changed:
                log.info("worklist: %d items escalated or auto-approved", len(changed))
            retention = timedelta(hours=settings.export_retention_hours)
            purged = await asyncio.to_thread(
                ExportJobs(settings.data_dir, retention).purge_expired, now
            )
            if purged:
                log.info("$export: %d expired exports deleted", len(purged))
            if sender is not None:
                # Sending waits on the network: a worker thread, never the store thread.
                await asyncio.to_thread(send_due, store, settings, sender, now=now)
        except Exception:  # a failed round is logged and retried next round, never fatal
            log.exception("housekeeping round failed")
