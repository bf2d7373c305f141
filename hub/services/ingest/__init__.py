"""Ingest a state file: mapped records -> validated, identified, versioned, acknowledged.

The public face of the pipeline (DESIGN.md §2, issue #3): `ingest` runs on the store thread and
returns an `IngestResult` whose acknowledgement renders as JSON, XML or text. Readers (the
mapping engine, `hub.services.canonical_source`) produce `MappedInput`s and raise
`FileRejected` for problems with the file as a whole; `hub.services.ingest.formats` names them.
"""

# The readers' types: the pipeline takes what the mapping engine produces.
from hub.mapping import FileRejected, MappedRecord
from hub.services.ingest._ack import (
    MAX_REPORTED_RECORDS,
    Acknowledgement,
    Counts,
    Outcome,
    RecordOutcome,
    RecordReport,
    ReportedIssue,
    UnmappedCode,
)
from hub.services.ingest._pipeline import IngestResult, ingest
from hub.services.ingest._prepare import event_dates
from hub.services.ingest._render import (
    NAMESPACE,
    SCHEMA_FILE,
    acknowledgement_text,
    acknowledgement_xml,
)
from hub.services.ingest._types import (
    IngestSource,
    MappedInput,
    Progress,
    Timings,
)

__all__ = [
    "MAX_REPORTED_RECORDS",
    "NAMESPACE",
    "SCHEMA_FILE",
    "Acknowledgement",
    "Counts",
    "FileRejected",
    "IngestResult",
    "IngestSource",
    "MappedInput",
    "MappedRecord",
    "Outcome",
    "Progress",
    "RecordOutcome",
    "RecordReport",
    "ReportedIssue",
    "Timings",
    "UnmappedCode",
    "acknowledgement_text",
    "acknowledgement_xml",
    "event_dates",
    "ingest",
]
