"""Benchmark: ingest throughput end to end, where the time goes, and peak memory, per format.

For each size (default 10,000 and 100,000 synthetic children) and each format in `FORMATS`, the
children's state records are written as that format's files (one file per state), then every
file is ingested into a fresh embedded store in a separate process, and one JSON line is
printed: children and state records per second (a state record is one child of one state's
file), peak RSS of the ingesting process, and the seconds spent per pipeline step.

Adding a format is one entry in `FORMATS`: a name `hub.services.ingest.formats` knows and a
writer of that format's files. `hub.synth` gives 68% of records no course and fewer than two
immunizations; the canonical writer tops those up (one course, two doses) so every record has
enrollments, courses and at least two immunizations, as the issue asks.

Run as `.venv/bin/python bench/ingest.py [--children 10000,100000] [--formats canonical-jsonl]`.
"""

from __future__ import annotations

import argparse
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
from hub.services.ingest.formats import CANONICAL, open_records
from hub.store import Store
from hub.synth import iter_children

TARGET_CHILDREN_PER_SECOND = 1_500
SEED = 20_261_128
Files = list[tuple[str, Path]]  # (state, file)


@dataclass(frozen=True)
class BenchFormat:
    name: str  # the ingest format (hub.services.ingest.formats)
    write: Callable[[Path, int, int], Files]  # (folder, seed, children) -> one file per state


def _write_canonical(folder: Path, seed: int, children: int) -> Files:
    handles: dict[str, IO[bytes]] = {}
    try:
        for child in iter_children(seed, children):
            for emitted in child.records:
                record = _bench_shape(emitted.record)
                state = record.student_id.state
                if state not in handles:
                    handles[state] = (folder / f"{state.lower()}.jsonl").open("wb")
                handles[state].write(
                    orjson.dumps(
                        record.model_dump(mode="json", exclude_none=True),
                        option=orjson.OPT_APPEND_NEWLINE,
                    )
                )
    finally:
        for handle in handles.values():
            handle.close()
    return sorted((state, folder / f"{state.lower()}.jsonl") for state in handles)


FORMATS: dict[str, BenchFormat] = {
    CANONICAL: BenchFormat(CANONICAL, _write_canonical),
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
    started = time.perf_counter()
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
        immunizations = store.call(
            lambda: store.engine.db["fhir_resources"].count_documents(
                {"resourceType": "Immunization"}
            )
        )
    finally:
        store.close()
    results.put(
        {
            "seconds": seconds,
            "records": records,
            "immunizations": immunizations,
            "timings": timings.as_dict(),
            "peak_rss_mb": _peak_rss_mb(),
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
            target=_ingest_files, args=(bench_format.name, files, str(folder / "var"), results)
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
            "target_children_per_s": TARGET_CHILDREN_PER_SECOND,
            "peak_rss_mb": round(figures["peak_rss_mb"], 1),
            "seconds_per_step": figures["timings"],
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--children", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated formats")
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
