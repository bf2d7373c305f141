"""Benchmark: synthetic dataset generation throughput and memory.

Writes `--children` children (default 100,000) into a temporary directory, then prints one JSON
line: children, families, records, seconds, children_per_second, peak_rss_mb and bytes written.
Run as `.venv/bin/python bench/synth.py [--children N] [--seed S]`.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import orjson

from hub.synth import write_dataset


def _peak_rss_mb() -> float:
    # ru_maxrss is kilobytes on Linux and bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20_240_901)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="msix-synth-bench-") as out:
        started = time.perf_counter()
        summary = write_dataset(Path(out), args.seed, args.children)
        seconds = time.perf_counter() - started
    figures = {
        "bench": "synth",
        "seed": args.seed,
        "children": summary.children,
        "families": summary.families,
        "records": summary.records,
        "seconds": round(seconds, 2),
        "children_per_second": round(summary.children / seconds, 1) if seconds else None,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "records_bytes": summary.records_bytes,
        "truth_bytes": summary.truth_bytes,
        "bytes_written": summary.records_bytes + summary.truth_bytes,
    }
    sys.stdout.write(orjson.dumps(figures).decode() + "\n")


if __name__ == "__main__":
    main()
