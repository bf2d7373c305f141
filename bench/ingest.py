"""Benchmark: ingest throughput end to end, where the time goes, and peak memory, per format.

For each size (default 10,000 and 100,000 synthetic children) and each format in `FORMATS`, the
children's state records are written as that format's files, then every file is ingested into a
fresh embedded store in a separate process, and one JSON line is printed: children and state
records per second (a state record is one child of one state's file), the same per CPU second
of the ingesting process (steadier than wall time on a shared machine), peak RSS, and the
seconds spent per pipeline step.

Formats: `canonical-jsonl` (children of every state the generator knows, one file per state)
and each sample state's native format (`TX`, `FL`, `CA`, `WA`: the children live in that state
only, written by `hub.synth.native`, read through `mappings/<st>/mapping.yaml`). No file holds
more than 40,000 children (DOMAIN.md §4): larger sets are split into several files, each with
its own header and trailer. `hub.synth` gives 68% of records no course and fewer than two
immunizations; every writer tops those up (one course, two doses) so every record has
enrollments, courses and at least two immunizations, as the issue asks.

Run as `.venv/bin/python bench/ingest.py [--children 10000,100000] [--formats canonical-jsonl,TX]`.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson

from hub.config import Settings
from hub.model import Course, Immunization, StudentRecord
from hub.security import AuditAgent
from hub.services.ingest import IngestSource, Timings, ingest
from hub.services.ingest.formats import CANONICAL, NATIVE, open_records
from hub.store import Store
from hub.synth import iter_children
from hub.synth.native import SAMPLE_STATES, StateFile, native_file_name, open_state_file

TARGET_CHILDREN_PER_SECOND = 1_500
SEED = 20_261_128
MAX_CHILDREN_PER_FILE = 40_000  # DOMAIN.md §4; every mapping's file.limits.children
Files = list[tuple[str, Path]]  # (state, file)


@dataclass(frozen=True)
class BenchFormat:
    name: str  # the row's name
    ingest_format: str  # the format `hub.services.ingest.formats` reads it as
    write: Callable[[Path, int, int], Files]  # (folder, seed, children) -> files


def _write_canonical(folder: Path, seed: int, children: int) -> Files:
    handles: dict[str, IO[bytes]] = {}
    counts: dict[str, int] = {}
    files: Files = []
    try:
        for child in iter_children(seed, children):
            for emitted in child.records:
                record = _bench_shape(emitted.record)
                state = record.student_id.state
                if counts.get(state, 0) % MAX_CHILDREN_PER_FILE == 0:
                    if state in handles:
                        handles[state].close()
                    part = counts.get(state, 0) // MAX_CHILDREN_PER_FILE + 1
                    path = folder / f"{state.lower()}-{part}.jsonl"
                    handles[state] = path.open("wb")
                    files.append((state, path))
                counts[state] = counts.get(state, 0) + 1
                handles[state].write(
                    orjson.dumps(
                        record.model_dump(mode="json", exclude_none=True),
                        option=orjson.OPT_APPEND_NEWLINE,
                    )
                )
    finally:
        for handle in handles.values():
            handle.close()
    return files


def _native_writer(state: str) -> Callable[[Path, int, int], Files]:
    def write(folder: Path, seed: int, children: int) -> Files:
        files: Files = []
        with contextlib.ExitStack() as stack:
            current: StateFile | None = None
            for child in iter_children(seed, children, states=[state]):
                for emitted in child.records:
                    if current is None or current.records == MAX_CHILDREN_PER_FILE:
                        stack.close()  # finishes the previous part (its trailer and counts)
                        name = native_file_name(state).replace(".", f"-{len(files) + 1}.", 1)
                        current = stack.enter_context(open_state_file(state, folder / name))
                        files.append((state, folder / name))
                    current.write(_bench_shape(emitted.record))
        return files

    return write


FORMATS: dict[str, BenchFormat] = {
    CANONICAL: BenchFormat(CANONICAL, CANONICAL, _write_canonical),
    **{state: BenchFormat(state, NATIVE, _native_writer(state)) for state in SAMPLE_STATES},
}


def _bench_shape(record: StudentRecord) -> StudentRecord:
    """At least one course and two immunizations (hepatitis B doses after birth)."""
    changes: dict[str, Any] = {}
    if not record.courses:
        changes["courses"] = [Course(record_id="001", title="English I", subject_area="English")]
    doses = list(record.immunizations)
    born = record.identity.birth_date
    if len(doses) < 2 and born is not None:
        used = {dose.record_id for dose in doses}
        free = (f"{number:03d}" for number in range(1, 1000) if f"{number:03d}" not in used)
        for days, number in ((1, 1), (60, 2))[: 2 - len(doses)]:
            given = min(born + timedelta(days=days), date.today())
            doses.append(
                Immunization(
                    record_id=next(free), cvx="08", occurrence_date=given, dose_number=number
                )
            )
        changes["immunizations"] = doses
    return record.model_copy(update=changes) if changes else record


def _ingest_files(format_name: str, files: Files, data_dir: str, results: Any) -> None:
    """In its own process: ingest every file into a fresh store; report figures."""
    store = Store(Settings(demo=True, data_dir=Path(data_dir)))
    timings = Timings()
    records = immunizations = 0
    agent = AuditAgent("user", "console:bench")
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        for state, path in files:
            size = path.stat().st_size
            digest = _sha256(path)
            used, mapped = open_records(format_name, state, path, timings=timings)
            source = IngestSource(state, path.name, digest, size, used)
            result = store.call(
                ingest, store, mapped, source, now=datetime.now(UTC), agent=agent, timings=timings
            )
            records += result.acknowledgement.counts.total
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        peak_rss_mb = _peak_rss_mb()
        # By key range: a query would build the engine's in-memory index of every FHIR resource
        # (at 100k children, 2.7 million of them and over 12 GB), which the ingest never needs.
        immunizations = store.call(
            store.engine.count_ids_starting, "fhir_resources", "Immunization/"
        )
    finally:
        store.close()
    results.put(
        {
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "records": records,
            "immunizations": immunizations,
            "timings": timings.as_dict(),
            "peak_rss_mb": peak_rss_mb,
        }
    )


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _peak_rss_mb() -> float:
    # ru_maxrss is kilobytes on Linux and bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _measure(bench_format: BenchFormat, children: int, seed: int) -> Iterator[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="msix-ingest-bench-") as work:
        folder = Path(work)
        files = bench_format.write(folder, seed, children)
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        worker = context.Process(
            target=_ingest_files,
            args=(bench_format.ingest_format, files, str(folder / "var"), results),
        )
        worker.start()
        figures = results.get()
        worker.join()
        seconds = figures["seconds"]
        yield {
            "bench": "ingest",
            "format": bench_format.name,
            "store": "embedded",
            "children": children,
            "records": figures["records"],
            "files": len(files),
            "immunizations": figures["immunizations"],
            "seconds": round(seconds, 1),
            "children_per_s": round(children / seconds, 1),
            "records_per_s": round(figures["records"] / seconds, 1),
            "cpu_seconds": round(figures["cpu_seconds"], 1),
            "children_per_cpu_s": round(children / figures["cpu_seconds"], 1),
            "target_children_per_s": TARGET_CHILDREN_PER_SECOND,
            "peak_rss_mb": round(figures["peak_rss_mb"], 1),
            "seconds_per_step": figures["timings"],
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--children", default="10000,100000", help="comma-separated sizes")
    parser.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help=f"comma-separated, among {', '.join(FORMATS)}",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.children.split(",")]
    for size in sizes:
        for name in args.formats.split(","):
            for figures in _measure(FORMATS[name], size, args.seed):
                sys.stdout.write(orjson.dumps(figures).decode() + "\n")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
