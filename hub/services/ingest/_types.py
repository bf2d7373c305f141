"""What the ingest pipeline takes in: mapped records, the file's metadata, its timers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Protocol

from hub.errors import Issue
from hub.model import Action, StudentRecord


class MappedInput(Protocol):
    """One child of a state file as a reader and mapping made it (the mapping engine's output).

    `issues` are located from the file's point of view (`record[12].BIRTH_DT`) and include the
    model rules; `values` holds the source values those issues name. `hub.mapping.MappedRecord`
    is its implementation for every reader, canonical JSON lines included.
    """

    @property
    def record_number(self) -> int: ...  # 1-based ordinal of the child in the file

    @property
    def line(self) -> int | None: ...  # first source line

    @property
    def state_student_id(self) -> str | None: ...

    @property
    def action(self) -> Action | None: ...

    @property
    def record(self) -> StudentRecord | None: ...  # None when it could not be built

    @property
    def issues(self) -> list[Issue]: ...

    @property
    def values(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class IngestSource:
    """The file being ingested: whose, what, and how it is written."""

    state: str
    file_name: str
    sha256: str
    size: int
    format: str
    submitted_at: datetime | None = None  # the state's own submission time (a header), if any

    @property
    def batch_id(self) -> str:
        """The same bytes from the same state are the same batch, whatever the file is called."""
        return f"{self.state}-{self.sha256}"


Progress = Callable[[str, int], None]
"""Called as `progress(phase, records_done)`; phases are "mapping" then "storing"."""


@dataclass
class Timings:
    """Seconds spent per step of an ingest (added up over several); cheap enough to keep on.

    `mapping`: reading and mapping the file (the reader's time); `validation`: model rules (a
    reader may add its own time here; the pipeline then counts it here rather than under
    `mapping`), the hub's checks and the FHIR structure of health entries; `spool`: writing and
    reading the spool; `identity`: the identity step; `store`: state records, quarantine and
    batch; `fhir`: FHIR resource reads and writes; `total`: wall time.
    """

    mapping: float = 0.0
    validation: float = 0.0
    spool: float = 0.0
    identity: float = 0.0
    store: float = 0.0
    fhir: float = 0.0
    total: float = 0.0

    @contextmanager
    def timing(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            setattr(self, step, getattr(self, step) + time.perf_counter() - started)

    def as_dict(self) -> dict[str, float]:
        return {item.name: round(getattr(self, item.name), 3) for item in fields(self)}
