"""Fixtures shared by every test: settings on a temporary data dir and an open store.

The store runs on the embedded engine; with `MSIX_TEST_MONGODB_URI` set, store tests run a second
time against that real MongoDB (each test in its own database, dropped afterwards).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.config import Settings
from hub.store import Store

REAL_MONGODB_URI = os.environ.get("MSIX_TEST_MONGODB_URI")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(demo=True, data_dir=tmp_path / "var")


@pytest.fixture(params=["embedded", "mongodb"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each store engine; the real one is skipped, visibly, without a URI."""
    if request.param == "mongodb":
        if not REAL_MONGODB_URI:
            pytest.skip("MSIX_TEST_MONGODB_URI is not set: real MongoDB run skipped")
        return Settings(
            demo=True,
            data_dir=tmp_path / "var",
            mongodb_uri=REAL_MONGODB_URI,
            database=f"msix_test_{uuid.uuid4().hex[:12]}",
        )
    return Settings(demo=True, data_dir=tmp_path / "var")


@pytest.fixture
def store(store_settings: Settings) -> Iterator[Store]:
    opened = Store(store_settings)
    try:
        yield opened
    finally:
        if not store_settings.uses_embedded_store:
            opened.engine.drop_database()
        opened.close()
