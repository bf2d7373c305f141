"""Fixtures of the integration tests that talk to a second server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.loopback_receiver import Receiver, serve_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A loopback receiver of pushed messages, on its own uvicorn port."""
    with serve_receiver() as started:
        yield started
