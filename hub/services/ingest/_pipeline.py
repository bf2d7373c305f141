"""`ingest`: one state file from mapped records to stored, acknowledged state.

Steps: find the batch (the same file again is answered from its batch and changes nothing);
mark it running; pass 1 validates every record into a spool file (a file-level rejection stops
here, with nothing stored); pass 2 stores the spool; audit; mark the batch complete with its
acknowledgement.

Replay safety. Killing an ingest at any point and running it again ends in the same state as one
clean run: the same state records and versions (same content, batch and record number), the same
children (same links and identity summaries), the same FHIR resources and versions, the same
quarantine, the same batch outcome and acknowledgement, and the same audit events (their ids are
derived from the batch). What may differ: MSIX IDs (random, so compare children by their links),
timestamps, the batch's `attempts` count, and MSIX IDs claimed in the `msix_ids` registry by the
interrupted run that no child uses (an ID is claimed just before its child is created; the
registry never reissues an ID, so these stay issued and unused).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hub.errors import HubError
from hub.security import AuditAgent
from hub.services.ingest import _collector as collector
from hub.services.ingest._ack import AckBuilder, Acknowledgement, Outcome, rejected_file
from hub.services.ingest._apply import Applier
from hub.services.ingest._audit import derived_id, record_ingest, record_retraction
from hub.services.ingest._prepare import spool_records
from hub.services.ingest._types import IngestSource, MappedInput, Progress, Timings
from hub.store import Store

COMPLETE = "complete"
REJECTED = "rejected"


@dataclass
class IngestResult:
    acknowledgement: Acknowledgement
    timings: Timings = field(default_factory=Timings)

    @property
    def batch_id(self) -> str:
        return self.acknowledgement.batch_id

    @property
    def outcome(self) -> Outcome:
        return self.acknowledgement.outcome

    @property
    def replayed(self) -> bool:
        return self.acknowledgement.replayed


def ingest(
    store: Store,
    mapped: Iterable[MappedInput],
    source: IngestSource,
    *,
    now: datetime,
    agent: AuditAgent,
    observer: str = "msix-hub",
    progress: Progress | None = None,
    timings: Timings | None = None,
    spool_dir: Path | None = None,
) -> IngestResult:
    """Ingest one state file. Runs on the store thread (`store.call` / `await store.run`).

    `mapped` is consumed once, in pass 1; anything it raises as a `HubError` (`FileRejected`)
    rejects the file as a whole and stores nothing. `agent` is who submitted the file (audited).
    Returns the acknowledgement; a file already ingested is answered from its batch with
    `replayed` set and nothing changed.
    """
    with collector.paused():
        return _ingest(
            store,
            mapped,
            source,
            now=now,
            agent=agent,
            observer=observer,
            progress=progress,
            timings=timings if timings is not None else Timings(),
            spool_dir=spool_dir,
        )


def _ingest(
    store: Store,
    mapped: Iterable[MappedInput],
    source: IngestSource,
    *,
    now: datetime,
    agent: AuditAgent,
    observer: str,
    progress: Progress | None,
    timings: Timings,
    spool_dir: Path | None,
) -> IngestResult:
    started = time.perf_counter()
    known = store.ingest.batch(source.batch_id)
    if known is not None and known["status"] == COMPLETE:
        ack = Acknowledgement.from_json(known["acknowledgement"])
        ack.replayed = True
        record_ingest(
            store.audit,
            agent=agent,
            observer=observer,
            now=now,
            description=f"batch {source.batch_id}: the same file again; nothing changed",
            failed=False,
            event_id=None,
        )
        timings.total += time.perf_counter() - started
        return IngestResult(ack, timings)

    batch = store.ingest.start_batch(
        source.batch_id,
        {
            "state": source.state,
            "file_name": source.file_name,
            "sha256": source.sha256,
            "size": source.size,
            "format": source.format,
            "submitted_at": source.submitted_at,
        },
        now=now,
    )
    received_at = _utc(batch["received_at"])
    ack = Acknowledgement(
        batch_id=source.batch_id,
        state=source.state,
        file_name=source.file_name,
        sha256=source.sha256,
        size=source.size,
        format=source.format,
        received_at=received_at,
    )
    with tempfile.TemporaryDirectory(prefix="msix-ingest-", dir=spool_dir) as work:
        spool = Path(work) / "records.jsonl"
        try:
            spool_records(
                mapped,
                source,
                spool,
                received_at=received_at,
                timings=timings,
                progress=progress,
            )
        except HubError as exc:
            rejected_file(ack, list(exc.issues), now)
            _finish(
                store,
                ack,
                status=REJECTED,
                agent=agent,
                observer=observer,
                now=now,
                batch=batch,
                submitted_at=_submitted_at(source, mapped),
            )
            timings.total += time.perf_counter() - started
            return IngestResult(ack, timings)
        builder = AckBuilder(ack)
        applier = Applier(store, source, builder, now=now, timings=timings)
        applier.apply(spool, progress)
    for retraction in applier.retractions:
        record_retraction(
            store.audit,
            agent=agent,
            observer=observer,
            now=now,
            batch_id=source.batch_id,
            record_number=retraction.record_number,
            msix_id=retraction.msix_id,
        )
    builder.finish(now)
    _finish(
        store,
        ack,
        status=COMPLETE,
        agent=agent,
        observer=observer,
        now=now,
        batch=batch,
        submitted_at=_submitted_at(source, mapped),
    )
    timings.total += time.perf_counter() - started
    return IngestResult(ack, timings)


def _finish(
    store: Store,
    ack: Acknowledgement,
    *,
    status: str,
    agent: AuditAgent,
    observer: str,
    now: datetime,
    batch: dict[str, object],
    submitted_at: datetime | None,
) -> None:
    counts = ack.counts
    description = (
        f"batch {ack.batch_id}: {ack.outcome.value}; {counts.total} records, "
        f"{counts.accepted} accepted, {counts.rejected} rejected"
    )
    # A completed batch is never processed again, so its event id can be derived from it; a
    # rejected file may be sent again (after a mapping fix) and each attempt is its own act.
    event_id = derived_id(
        ack.batch_id, status, "" if status == COMPLETE else str(batch["attempts"])
    )
    record_ingest(
        store.audit,
        agent=agent,
        observer=observer,
        now=now,
        description=description,
        failed=ack.outcome is not Outcome.ACCEPTED,
        event_id=event_id,
    )
    store.ingest.finish_batch(
        ack.batch_id,
        {
            "status": status,
            "completed_at": now,
            "outcome": ack.outcome.value,
            "counts": counts.as_dict(),
            "acknowledgement": ack.to_json(),
            "submitted_at": submitted_at,
        },
    )


def _submitted_at(source: IngestSource, mapped: Iterable[MappedInput]) -> datetime | None:
    """The state's submission time: given with the file, or read from its header by the reader
    (`hub.mapping.MappedFile.submitted_at`, from the mapping's `submitted` check)."""
    if source.submitted_at is not None:
        return source.submitted_at
    found = getattr(mapped, "submitted_at", None)
    return found if isinstance(found, datetime) else None


def _utc(moment: datetime) -> datetime:
    # The embedded engine returns naive datetimes (UTC); MongoDB aware ones.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
