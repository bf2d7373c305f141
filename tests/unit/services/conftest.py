"""Synthetic state files and a one-call ingest for the pipeline tests.

Records come from `hub.synth` (synthetic people only), written as canonical JSON lines and read
back through `hub.services.canonical_source`, as a state vendor's file would be.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from hub.services.ingest import IngestResult
from hub.store import Store
from hub.synth import iter_children
from tests.unit.services.ingest_helpers import STATE, ingest_bytes

# Enough TX records for 1,000 good and 37 bad ones, plus spares.
POPULATION = 1_400
MAX_DOSES = 2  # keeps FHIR volume (and test time) modest; bench/ingest.py measures the real mix

Ingest = Callable[..., IngestResult]


@pytest.fixture(scope="session")
def tx_records() -> list[dict[str, Any]]:
    """TX records as canonical JSON dicts, at most two immunizations each."""
    records: list[dict[str, Any]] = []
    for child in iter_children(3, POPULATION, states=[STATE, "WA"]):
        for emitted in child.records:
            if emitted.record.student_id.state != STATE:
                continue
            data = emitted.record.model_dump(mode="json", exclude_none=True)
            data["immunizations"] = data.get("immunizations", [])[:MAX_DOSES]
            records.append(data)
    assert len(records) >= 1_100
    return records


@pytest.fixture
def run_ingest(store: Store) -> Ingest:
    """Ingest canonical JSONL bytes (or given mapped records) into the test's store."""
    return functools.partial(ingest_bytes, store)
