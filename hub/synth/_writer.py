"""Writes a synthetic dataset: records.jsonl for the hub, truth.jsonl for measuring matching.

The two files are written side by side, one child at a time, so a million children need no more
memory than one family.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import orjson

from hub.synth._children import SyntheticChild, SyntheticRecord, iter_children

RECORDS_FILE = "records.jsonl"
TRUTH_FILE = "truth.jsonl"


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What `write_dataset` wrote."""

    seed: int
    children: int
    families: int
    records: int
    records_path: Path
    truth_path: Path
    records_bytes: int
    truth_bytes: int


def truth_row(child: SyntheticChild, emitted: SyntheticRecord) -> dict[str, object]:
    """The ground-truth line of one state record: its key, the true child and what was varied."""
    record = emitted.record
    return {
        "state": record.student_id.state,
        "state_student_id": record.student_id.value,
        "child_id": child.child_id,
        "family_id": child.family_id,
        "twin": child.twin,
        "sibling": child.sibling,
        "name_origin": child.name_origin,
        "variations": emitted.variations,
    }


def write_dataset(
    out_dir: Path, seed: int, count: int, *, states: Collection[str] | None = None
) -> SynthSummary:
    """Write `count` children's state records and their ground truth under `out_dir`.

    records.jsonl holds one StudentRecord a line (JSON mode; fields that are None are left out,
    which the model's defaults restore on load). truth.jsonl holds, line for line, the record key
    (state, state_student_id) with the true child id, family id, twin and sibling flags, the
    family's name origin and the variations applied to that record's identity.
    Same seed, count and states give byte-identical files.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    records_path, truth_path = out_dir / RECORDS_FILE, out_dir / TRUTH_FILE
    children = families = records = 0
    last_family = ""
    with records_path.open("wb") as records_out, truth_path.open("wb") as truth_out:
        for child in iter_children(seed, count, states=states):
            children += 1
            if child.family_id != last_family:
                families, last_family = families + 1, child.family_id
            for emitted in child.records:
                record = emitted.record
                records_out.write(
                    orjson.dumps(
                        record.model_dump(mode="json", exclude_none=True),
                        option=orjson.OPT_APPEND_NEWLINE,
                    )
                )
                truth_out.write(
                    orjson.dumps(truth_row(child, emitted), option=orjson.OPT_APPEND_NEWLINE)
                )
                records += 1
        records_bytes, truth_bytes = records_out.tell(), truth_out.tell()
    return SynthSummary(
        seed, children, families, records, records_path, truth_path, records_bytes, truth_bytes
    )
