"""Writes the four sample states' native files and truth.jsonl from one stream of children."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import orjson

from hub.synth import TRUTH_FILE, iter_children
from hub.synth._writer import truth_row
from hub.synth.native._ca import CaliforniaFile
from hub.synth.native._fl import FloridaFile
from hub.synth.native._state_file import StateFile
from hub.synth.native._tx import TexasFile
from hub.synth.native._wa import WashingtonFile

_FILES: Final[dict[str, type[StateFile]]] = {
    "CA": CaliforniaFile,
    "FL": FloridaFile,
    "TX": TexasFile,
    "WA": WashingtonFile,
}
SAMPLE_STATES: Final = tuple(sorted(_FILES))
"""The sample states, each with its own native format (mappings/<st>/README.md)."""

DEFAULT_SUBMITTED_AT: Final = datetime(2026, 11, 28, 2, 15, 0)
"""The extract time written into headers and file names unless another is given: a fixed time
keeps the files byte-identical from run to run."""


@dataclass(frozen=True, slots=True)
class NativeFile:
    """One state's native file as written."""

    state: str
    path: Path
    records: int
    bytes: int


@dataclass(frozen=True, slots=True)
class NativeSummary:
    """What `write_native` wrote."""

    seed: int
    children: int
    families: int
    records: int
    files: tuple[NativeFile, ...]
    truth_path: Path
    truth_bytes: int


def native_file_name(state: str, submitted_at: datetime = DEFAULT_SUBMITTED_AT) -> str:
    """The file name a state gives its extract: `tx-2026-11-28.txt`."""
    return f"{state.lower()}-{submitted_at.date().isoformat()}.{_FILES[state].extension}"


def open_state_file(
    state: str, path: Path, submitted_at: datetime = DEFAULT_SUBMITTED_AT
) -> StateFile:
    """A writer of `state`'s native format to `path`; use it as a context manager.

    Records go in one at a time with `write`; leaving the context finishes the file (headers,
    trailers and counts). Any `StudentRecord` of that state will do, synthetic or hand-made.
    """
    if state not in _FILES:
        raise ValueError(f"no native format for {state}: choose among {', '.join(SAMPLE_STATES)}")
    return _FILES[state](path, submitted_at)


def write_native(
    out_dir: Path, seed: int, count: int, *, submitted_at: datetime = DEFAULT_SUBMITTED_AT
) -> NativeSummary:
    """Write `count` children's records in each sample state's native format, plus truth.jsonl.

    The children are `iter_children(seed, count, states=SAMPLE_STATES)`: families migrate among
    the four sample states only, so every record they produce lands in one of the files. Each
    file is appended to as children stream, so memory stays flat however many are asked for.
    truth.jsonl is line for line what `write_dataset` writes for the same seed, count and states,
    and `write_dataset` also gives the canonical records.jsonl these files were rendered from.
    Same seed, count and time give byte-identical files.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_path = out_dir / TRUTH_FILE
    children = families = records = 0
    last_family = ""
    with ExitStack() as stack:
        files = {
            state: stack.enter_context(
                open_state_file(
                    state, out_dir / native_file_name(state, submitted_at), submitted_at
                )
            )
            for state in SAMPLE_STATES
        }
        truth = stack.enter_context(truth_path.open("wb"))
        for child in iter_children(seed, count, states=SAMPLE_STATES):
            children += 1
            if child.family_id != last_family:
                families, last_family = families + 1, child.family_id
            for emitted in child.records:
                files[emitted.record.student_id.state].write(emitted.record)
                truth.write(
                    orjson.dumps(truth_row(child, emitted), option=orjson.OPT_APPEND_NEWLINE)
                )
                records += 1
        truth_bytes = truth.tell()
    written = tuple(
        NativeFile(state, file.path, file.records, file.path.stat().st_size)
        for state, file in files.items()
    )
    return NativeSummary(seed, children, families, records, written, truth_path, truth_bytes)
