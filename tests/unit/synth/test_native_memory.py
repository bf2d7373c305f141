"""Writing the native files takes constant memory: children stream into all four files at once."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from hub.synth import iter_children
from hub.synth.native import SAMPLE_STATES, write_native

STREAMED_CHILDREN = 3_000
# Streaming needs one family's models, the generator's bounded caches and the writers' buffers:
# about 4 MB when measured. Holding the children would cost about 75 KB each (225 MB here).
PEAK_BOUND_BYTES = 8 * 1024 * 1024
CALIBRATION_CHILDREN = 100
# lxml builds each CA Student in C memory, which tracemalloc cannot see; the process's peak
# resident size can. Measured: about 40 MB for 200 children and 45 MB for 10,000.
RSS_GROWTH_BOUND_KB = 16 * 1024

_RSS_SCRIPT = """
import resource, sys, tempfile
from pathlib import Path
from hub.synth.native import write_native
with tempfile.TemporaryDirectory() as out:
    write_native(Path(out), seed=2, count=int(sys.argv[1]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _traced_peak(action: object) -> int:
    assert callable(action)
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _peak_rss_kb(children: int) -> int:
    result = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(children)],
        capture_output=True,
        check=True,
        text=True,
    )
    return int(result.stdout.strip())


@pytest.mark.slow
def test_writing_thousands_of_children_stays_under_a_bound_holding_them_would_exceed(
    tmp_path: Path,
) -> None:
    write_native(tmp_path / "warm", seed=1, count=200)  # fill the bounded caches first

    held: list[object] = []
    holding_peak = _traced_peak(
        lambda: held.extend(iter_children(2, CALIBRATION_CHILDREN, states=SAMPLE_STATES))
    )
    streaming_peak = _traced_peak(
        lambda: write_native(tmp_path / "run", seed=2, count=STREAMED_CHILDREN)
    )

    assert holding_peak / CALIBRATION_CHILDREN * STREAMED_CHILDREN > 10 * PEAK_BOUND_BYTES
    assert streaming_peak < PEAK_BOUND_BYTES


@pytest.mark.slow
def test_the_process_peak_does_not_grow_with_the_number_of_children() -> None:
    small, large = _peak_rss_kb(200), _peak_rss_kb(STREAMED_CHILDREN)

    assert large - small < RSS_GROWTH_BOUND_KB, (small, large)
