"""The garbage collector during an ingest: off while it runs, back as it was afterwards, and
cycles the ingest makes are still freed between chunks."""

from __future__ import annotations

import gc
import io
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from hub.errors import IssueCode, error
from hub.services.canonical_source import read_canonical_jsonl
from hub.services.ingest import FileRejected, MappedInput
from hub.services.ingest import _collector as collector
from tests.unit.services.conftest import Ingest
from tests.unit.services.ingest_helpers import jsonl


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_during_an_ingest_and_back_on_afterwards(
    collector_enabled: None, run_ingest: Ingest, tx_records: list[dict[str, Any]]
) -> None:
    seen: list[bool] = []
    data = jsonl(tx_records[:3])

    def records() -> Iterator[MappedInput]:
        for item in read_canonical_jsonl(io.BytesIO(data)):
            seen.append(gc.isenabled())
            yield item

    run_ingest(data, records=records())

    assert seen == [False, False, False]
    assert gc.isenabled()


def test_a_rejected_file_turns_the_collector_back_on(
    collector_enabled: None, run_ingest: Ingest
) -> None:
    def records() -> Iterator[MappedInput]:
        yield from ()  # a generator, refused when first read
        raise FileRejected([error(IssueCode.INVALID, "bad header", "line 1")])

    result = run_ingest(b"x\n", records=records())

    assert result.acknowledgement.outcome.value == "rejected"
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(
    run_ingest: Ingest, tx_records: list[dict[str, Any]]
) -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        run_ingest(jsonl(tx_records[:2]))
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_overlapping_pauses_end_with_the_last(collector_enabled: None) -> None:
    first, second = collector.paused(), collector.paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_collect_young_frees_a_cycle_made_while_paused(collector_enabled: None) -> None:
    class Node:
        other: Any = None

    with collector.paused():
        node = Node()
        node.other = node
        alive = weakref.ref(node)
        del node
        assert alive() is not None  # nothing collects it automatically
        collector.collect_young()
        assert alive() is None


def test_pauses_on_two_threads(collector_enabled: None) -> None:
    inside = threading.Barrier(2)
    leave = threading.Event()

    def hold() -> None:
        with collector.paused():
            inside.wait()
            leave.wait()

    thread = threading.Thread(target=hold)
    thread.start()
    with collector.paused():
        inside.wait()
    assert not gc.isenabled()  # the other thread's ingest still runs
    leave.set()
    thread.join()
    assert gc.isenabled()
