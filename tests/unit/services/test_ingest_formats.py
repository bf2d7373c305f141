"""Formats by name: a wrong name is refused before anything is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import ValidationError
from hub.services.ingest.formats import CANONICAL, FORMATS, open_records


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
