"""Fixtures for mapping tests: a project folder (mappings/ + transforms/) in tmp_path, running one
transform as a mapping step would, and mapping bytes. Synthetic people only."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hub.mapping import TRANSFORMS, MappedRecord, Mapping, map_file
from hub.mapping._registry import Context, LoadSite, RowView, Value

TODAY = date(2026, 11, 28)
HEADER = "# what: test mapping\n# owner: mapping engine tests\n# reviewed: 2026-11-28\n"

WriteMapping = Callable[..., Path]
RunTransform = Callable[..., tuple[Value | None, list[str]]]
MapBytes = Callable[[Mapping, bytes], list[MappedRecord]]


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def fixtures() -> Path:
    return Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def write_mapping(tmp_path: Path) -> WriteMapping:
    """Write `mappings/<folder>/mapping.yaml` (header comment first) and code tables beside it
    (`name=text` keyword arguments, `grades_csv=` -> grades.csv). The project root is tmp_path,
    so stylesheets go in tmp_path/transforms."""

    def write(body: str, folder: str = "zz", header: bool = True, **tables: str) -> Path:
        directory = tmp_path / "mappings" / folder
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "mapping.yaml"
        path.write_text((HEADER if header else "") + textwrap.dedent(body), encoding="utf-8")
        for name, content in tables.items():
            table = directory / name.replace("_csv", ".csv")
            table.write_text(textwrap.dedent(content), encoding="utf-8")
        return path

    return write


@pytest.fixture
def transforms_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "transforms"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def run() -> RunTransform:
    """Run a transform on a value as a mapping step would: (result, warnings)."""

    def run_transform(
        name: str, value: str | None, row: dict[str, Any] | None = None, /, **args: Any
    ) -> tuple[Value | None, list[str]]:
        spec = TRANSFORMS[name]
        full = {key: args.get(key, arg.default) for key, arg in spec.args.items()}
        if spec.prepare is not None:
            site = LoadSite(Path(), ".", "identity.first_name", None, False)
            full = spec.prepare(full, site)
            assert not site.problems, site.problems
        context = Context(RowView(row or {}), TODAY)
        return spec.run(value, context, full), context.warnings

    return run_transform


@pytest.fixture
def map_bytes() -> MapBytes:
    def mapped(mapping: Mapping, data: bytes) -> list[MappedRecord]:
        return list(map_file(mapping, io.BytesIO(data), today=TODAY))

    return mapped
