"""What every sample state's writer does: take records one at a time, then finish the file."""

from __future__ import annotations

import abc
from datetime import datetime
from pathlib import Path
from types import TracebackType

from hub.model import StudentRecord


class StateFile(abc.ABC):
    """One state's native file, written record by record in constant memory.

    Used as a context manager: leaving normally finishes the file (headers, trailers, counts);
    leaving on an exception closes what is open and removes the partial file, so a failed run
    never leaves a file that looks complete.
    """

    state: str
    extension: str

    def __init__(self, path: Path, submitted_at: datetime) -> None:
        self.path = path
        self.submitted_at = submitted_at
        self.records = 0

    def write(self, record: StudentRecord) -> None:
        if record.student_id.state != self.state:
            raise ValueError(f"a {record.student_id.state} record cannot go to a {self.state} file")
        self._write(record)
        self.records += 1

    @abc.abstractmethod
    def _write(self, record: StudentRecord) -> None: ...

    @abc.abstractmethod
    def finish(self) -> None:
        """Write what comes after the last record and close the file."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Close whatever is open and remove the partial file."""

    def __enter__(self) -> StateFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()
