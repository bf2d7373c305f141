"""Turn driver exceptions into hub errors at the edge of the store."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pymongo.errors import DuplicateKeyError

from hub.errors import ConflictError, IssueCode, error


@contextlib.contextmanager
def translate_errors(what: str, location: str | None = None) -> Iterator[None]:
    """A unique-key clash becomes a `ConflictError` that names what clashed."""
    try:
        yield
    except DuplicateKeyError as exc:
        raise ConflictError(
            [error(IssueCode.DUPLICATE, f"{what} already exists", location)]
        ) from exc
