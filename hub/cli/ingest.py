"""`msix ingest FILE --state XX`: one state file through the pipeline, with progress and an
acknowledgement written beside the file (or to `--ack DIR`).

Exit codes: 0 every record accepted, 1 some records rejected (quarantined), 2 the file was
rejected as a whole (nothing stored).
"""

from __future__ import annotations

import getpass
import hashlib
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import typer

from hub.config import Settings
from hub.security import AuditAgent
from hub.services.ingest import (
    IngestResult,
    IngestSource,
    Outcome,
    Progress,
    Timings,
    acknowledgement_text,
    acknowledgement_xml,
    ingest,
)
from hub.services.ingest.formats import CANONICAL, open_records
from hub.store import Store

EXIT_ACCEPTED, EXIT_PARTIAL, EXIT_REJECTED = 0, 1, 2
_PLAIN_EVERY = 0.5  # seconds between plain progress lines
_HASH_CHUNK = 1024 * 1024


def run_ingest(
    settings: Settings, path: Path, state: str, file_format: str | None, ack_dir: Path | None
) -> int:
    """Ingest `path` for `state`, write its acknowledgement, print a report; the exit code."""
    sha256, size = file_digest(path)
    timings = Timings()
    used_format, records = open_records(file_format, state, path, timings=timings)
    source = IngestSource(state, path.name, sha256, size, used_format)
    expected = _count_lines(path) if used_format == CANONICAL else None
    store = Store(settings)
    try:
        with _progress(expected) as progress:
            result = store.call(
                ingest,
                store,
                records,
                source,
                now=datetime.now(UTC),
                agent=AuditAgent("user", f"console:{getpass.getuser()}"),
                observer="msix-cli",
                progress=progress,
                timings=timings,
            )
    finally:
        store.close()
    written = _write_acknowledgement(result, path, ack_dir or path.parent)
    typer.echo(acknowledgement_text(result.acknowledgement), nl=False)
    typer.echo(f"acknowledgement: {', '.join(str(item) for item in written)}")
    typer.echo(f"timings (s): {_timings_line(result)}", err=True)
    if result.outcome is Outcome.REJECTED:
        return EXIT_REJECTED
    return EXIT_PARTIAL if result.acknowledgement.counts.rejected else EXIT_ACCEPTED


def _write_acknowledgement(result: IngestResult, path: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    xml_path = folder / f"{path.name}.ack.xml"
    json_path = folder / f"{path.name}.ack.json"
    xml_path.write_bytes(acknowledgement_xml(result.acknowledgement))
    json_path.write_bytes(
        orjson.dumps(result.acknowledgement.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
    )
    return [xml_path, json_path]


def _timings_line(result: IngestResult) -> str:
    return ", ".join(f"{name} {value:.2f}" for name, value in result.timings.as_dict().items())


def file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(_HASH_CHUNK), b""))


@contextmanager
def _progress(expected: int | None) -> Iterator[Progress]:
    """A progress callback: a rich bar on a terminal, plain lines on stderr otherwise."""
    if sys.stderr.isatty():
        try:
            import rich.progress
        except ImportError:  # rich comes with typer; the plain lines do without it
            pass
        else:
            with _rich_progress(rich.progress, expected) as progress:
                yield progress
            return
    yield _PlainProgress(expected)


@contextmanager
def _rich_progress(module: Any, expected: int | None) -> Iterator[Progress]:
    bar = module.Progress(
        module.TextColumn("{task.description:<8}"),
        module.BarColumn(),
        module.MofNCompleteColumn(),
        module.TextColumn("{task.fields[rate]}"),
        module.TimeRemainingColumn(),
        module.TimeElapsedColumn(),
        transient=False,
        console=module.Console(stderr=True),
    )
    tasks: dict[str, Any] = {}
    totals = {"mapping": expected}
    lock = threading.Lock()

    def update(phase: str, done: int) -> None:
        with lock:
            if phase not in tasks:
                if phase == "storing" and "mapping" in tasks:
                    mapped = bar.tasks[tasks["mapping"]].completed
                    bar.update(tasks["mapping"], total=mapped, completed=mapped)
                    totals["storing"] = int(mapped)
                tasks[phase] = bar.add_task(phase, total=totals.get(phase), rate="")
            task = bar.tasks[tasks[phase]]
            speed = task.speed
            bar.update(tasks[phase], completed=done, rate=f"{speed:,.0f}/s" if speed else "")

    with bar:
        yield update


class _PlainProgress:
    """`storing 1200/3000 records (850/s, ETA 2s)` on stderr, at most twice a second."""

    def __init__(self, expected: int | None) -> None:
        self._totals: dict[str, int | None] = {"mapping": expected}
        self._phase = "mapping"
        self._started = time.monotonic()
        self._done = 0
        self._shown = 0.0

    def __call__(self, phase: str, done: int) -> None:
        now = time.monotonic()
        if phase != self._phase:
            # Storing starts where mapping ended, and stores what mapping found.
            self._totals[phase] = self._done
            self._phase, self._started = phase, now
        self._done = done
        total = self._totals.get(phase)
        finished = total is not None and done >= total
        if now - self._shown < _PLAIN_EVERY and not finished:
            return
        self._shown = now
        line = f"{phase} {done}" + (f"/{total}" if total else "") + " records"
        elapsed = now - self._started
        if elapsed >= _PLAIN_EVERY and done:
            rate = done / elapsed
            line += f" ({rate:,.0f}/s" + (
                f", ETA {max(total - done, 0) / rate:,.0f}s)" if total else ")"
            )
        print(line, file=sys.stderr, flush=True)
