"""The cyclic garbage collector, held back while an ingest runs.

An ingest allocates millions of short-lived containers (decoded records, FHIR resources, BSON
documents) beside a large long-lived heap (code-set and profile caches, the engine's query
indexes, the identity step's candidate profiles). CPython starts a collection every 700 net
allocations and, every so often, a full one that walks that whole long-lived heap; measured on
2,000 canonical children that cost about 28 % of the ingest's CPU time while finding almost
nothing (the ingest's data holds no reference cycles: reference counting frees it).

`paused()` therefore turns automatic collection off for the ingest and `collect_young()`, called
by the pipeline between chunks, collects only the young generations (what the last chunk left
alive), so any cycle made meanwhile is still freed and memory stays flat. The collector is
process-wide: pauses nest and overlap (ingests on several threads), and it is turned back on
when the last one ends, as it was before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """Automatic garbage collection off inside (restored when the last pause ends)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def collect_young() -> None:
    """Collect the young generations (objects allocated since the last call): cheap, and what
    the automatic collector would have freed meanwhile."""
    gc.collect(1)
