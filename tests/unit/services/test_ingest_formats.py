"""Formats by name: a wrong name is refused before anything is read; what a format's header says
(its submission time) reaches the batch."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hub.errors import ValidationError
from hub.mapping import MAPPINGS_DIR
from hub.services.ingest import IngestSource, Outcome, ingest
from hub.services.ingest.formats import CANONICAL, FORMATS, open_records
from hub.store import Store
from tests.unit.services.ingest_helpers import AGENT


def test_canonical_jsonl_is_always_available(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    name, records = open_records(CANONICAL, "TX", path)
    assert name == CANONICAL
    assert list(records) == []
    assert CANONICAL in FORMATS


def test_an_unknown_format_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="known: canonical-jsonl"):
        open_records("xlsx", "TX", tmp_path / "x")


@pytest.mark.parametrize(
    ("state", "example", "submitted"),
    [
        ("FL", "basic.dat", datetime(2026, 11, 28, 2, 15)),  # H record: SUBMITTED
        ("CA", "basic.xml", datetime(2026, 11, 28, 2, 15)),  # root: extracted=
        ("FL", "bad-header.dat", None),  # rejected file: its SUBMITTED is not a time
    ],
)
def test_the_header_submission_time_becomes_the_batch_submitted_at(
    store: Store, state: str, example: str, submitted: datetime | None
) -> None:
    path = MAPPINGS_DIR / state.lower() / "examples" / example
    data = path.read_bytes()
    name, records = open_records(None, state, path, today=date(2026, 11, 28))
    source = IngestSource(state, example, hashlib.sha256(data).hexdigest(), len(data), name)

    result = store.call(ingest, store, records, source, now=datetime.now(UTC), agent=AGENT)

    batch = store.call(store.ingest.batch, result.batch_id)
    assert batch is not None
    assert _naive(batch["submitted_at"]) == submitted
    if submitted is None:
        assert result.outcome is Outcome.REJECTED
    else:
        assert result.acknowledgement.counts.accepted > 0


def test_a_submission_time_given_with_the_file_is_kept_when_the_format_has_none(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    given = datetime(2026, 11, 27, 23, 59)
    digest = hashlib.sha256(b"").hexdigest()
    source = IngestSource("TX", path.name, digest, 0, CANONICAL, submitted_at=given)
    _, records = open_records(CANONICAL, "TX", path)

    result = store.call(ingest, store, records, source, now=datetime.now(UTC), agent=AGENT)

    batch = store.call(store.ingest.batch, result.batch_id)
    assert batch is not None
    assert _naive(batch["submitted_at"]) == given


def _naive(moment: datetime | None) -> datetime | None:
    # The header gives no zone; MongoDB hands the stored time back as UTC-aware.
    return moment.replace(tzinfo=None) if moment is not None else None
