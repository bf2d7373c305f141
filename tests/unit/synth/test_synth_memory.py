"""Writing a dataset takes constant memory: one family at a time, never the whole population."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from hub.synth import iter_children, write_dataset

STREAMED_CHILDREN = 3_000
# What streaming needs: one family's models plus the bounded caches (town→school ids, folded
# names), about 2 MB when measured. Holding the children costs about 75 KB each, holding only
# their JSON lines about 12 KB each: at 3,000 children both are far over this bound (about
# 225 MB and 36 MB). What it cannot see is a set of used ids (~150 bytes a child, ~50,000
# children to cross it); ids are a permutation of a counter, so no such set exists.
PEAK_BOUND_BYTES = 8 * 1024 * 1024
CALIBRATION_CHILDREN = 100


def _traced_peak(action: object) -> int:
    assert callable(action)
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_writing_thousands_of_children_stays_under_a_bound_holding_them_would_exceed(
    tmp_path: Path,
) -> None:
    write_dataset(tmp_path / "warm", seed=1, count=200)  # fill the bounded caches first

    held: list[object] = []
    holding_peak = _traced_peak(lambda: held.extend(iter_children(2, CALIBRATION_CHILDREN)))
    streaming_peak = _traced_peak(
        lambda: write_dataset(tmp_path / "run", seed=2, count=STREAMED_CHILDREN)
    )

    # The bound means something only if holding the run would break it many times over.
    assert holding_peak / CALIBRATION_CHILDREN * STREAMED_CHILDREN > 10 * PEAK_BOUND_BYTES
    assert streaming_peak < PEAK_BOUND_BYTES
