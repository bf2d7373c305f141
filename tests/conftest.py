"""Fixtures shared by every test: settings on a temporary data dir, an open store, the app.

The store runs on the embedded engine; with `MSIX_TEST_MONGODB_URI` set, store tests run a second
time against that real MongoDB (each test in its own database, dropped afterwards).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.config import Settings
from hub.store import Store

REAL_MONGODB_URI = os.environ.get("MSIX_TEST_MONGODB_URI")
T = TypeVar("T")


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


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a loopback port, for tests that need real sockets."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def run_async() -> Callable[[Coroutine[Any, Any, T]], T]:
    """Run a coroutine to completion on a fresh thread's event loop.

    Playwright's sync API leaves an event loop running on the main thread for the rest of the
    session, so `asyncio.run` cannot be called there once a browser test has run.
    """

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        with ThreadPoolExecutor(max_workers=1) as executor:
            return executor.submit(asyncio.run, coroutine).result()

    return run
