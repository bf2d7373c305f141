"""Canonical minimum-data model (pydantic v2), its code sets and its rules.

`render_data_standard` stays in `hub.model.standard` (not re-exported here) so that
`python -m hub.model.standard` does not import the module twice.
"""

from hub.model.codes import Code, CodeSet, all_codesets, codeset
from hub.model.elements import Element, elements_of
from hub.model.eligibility import add_months, eligibility_expiration
from hub.model.records import (
    Action,
    Assessment,
    Condition,
    Course,
    Enrollment,
    Identity,
    Immunization,
    Parent,
    QualifyingMove,
    SourceRef,
    StudentId,
    StudentRecord,
)
from hub.model.rules import RULES, check_record, parse_record

__all__ = [
    "RULES",
    "Action",
    "Assessment",
    "Code",
    "CodeSet",
    "Condition",
    "Course",
    "Element",
    "Enrollment",
    "Identity",
    "Immunization",
    "Parent",
    "QualifyingMove",
    "SourceRef",
    "StudentId",
    "StudentRecord",
    "add_months",
    "all_codesets",
    "check_record",
    "codeset",
    "elements_of",
    "eligibility_expiration",
    "parse_record",
]
