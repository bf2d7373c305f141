"""Turn driver exceptions into hub errors at the edge of the store."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pymongo.errors import BulkWriteError, DuplicateKeyError

from hub.errors import ConflictError, IssueCode, error


@contextlib.contextmanager
def translate_errors(what: str, location: str | None = None) -> Iterator[None]:
    """A unique-key clash (alone or in a bulk write) becomes a `ConflictError` naming it."""
    try:
        yield
    except DuplicateKeyError as exc:
        raise ConflictError(
            [error(IssueCode.DUPLICATE, f"{what} already exists", location)]
        ) from exc
    except BulkWriteError as exc:
        if not is_duplicate(exc):
            raise
        raise ConflictError(
            [error(IssueCode.DUPLICATE, f"{what} already exists", location)]
        ) from exc


def is_duplicate(exc: BulkWriteError) -> bool:
    """Whether a bulk write failed on a unique key (E11000)."""
    errors = exc.details.get("writeErrors", [])
    return bool(errors) and all(item.get("code") == DUPLICATE_KEY for item in errors)


DUPLICATE_KEY = 11000
