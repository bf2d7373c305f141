"""The sample states' native files, rendered from the synthetic children.

Four synthetic sample states keep their records in four different native formats, each with the
quirks real state systems have (mappings/<st>/README.md documents each):

- TX: pipe-delimited UTF-8 CSV, one row per child, repeated groups as numbered column sets;
- FL: fixed-width cp1252, a header record and several records per child;
- CA: the state's own XML (mappings/ca/state-format.xsd), reshaped by
  transforms/ca-to-education-record.xsl;
- WA: nested JSON lines.

`write_native` writes all four plus truth.jsonl (`msix synth --native`); `open_state_file`
writes one state's file from any records, which is how the golden examples are made.
"""

from hub.synth.native._state_file import StateFile
from hub.synth.native._writer import (
    DEFAULT_SUBMITTED_AT,
    SAMPLE_STATES,
    NativeFile,
    NativeSummary,
    native_file_name,
    open_state_file,
    write_native,
)

__all__ = [
    "DEFAULT_SUBMITTED_AT",
    "SAMPLE_STATES",
    "NativeFile",
    "NativeSummary",
    "StateFile",
    "native_file_name",
    "open_state_file",
    "write_native",
]
