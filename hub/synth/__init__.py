"""Synthetic migratory families with ground truth, for demos, tests and matching experiments.

`iter_children` streams children, each with one `StudentRecord` per state it attended (with that
state's id and its own errors); `write_dataset` writes them as records.jsonl plus truth.jsonl.
Names are made-up combinations of common names: never real children.
"""

from hub.synth._children import (
    DEFAULT_STATES,
    SyntheticChild,
    SyntheticRecord,
    iter_children,
)
from hub.synth._places import regions
from hub.synth._writer import RECORDS_FILE, TRUTH_FILE, SynthSummary, truth_row, write_dataset

__all__ = [
    "DEFAULT_STATES",
    "RECORDS_FILE",
    "TRUTH_FILE",
    "SynthSummary",
    "SyntheticChild",
    "SyntheticRecord",
    "iter_children",
    "regions",
    "truth_row",
    "write_dataset",
]
