"""Canonical minimum-data model (pydantic v2) and its code sets."""

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

__all__ = [
    "Action",
    "Assessment",
    "Condition",
    "Course",
    "Enrollment",
    "Identity",
    "Immunization",
    "Parent",
    "QualifyingMove",
    "SourceRef",
    "StudentId",
    "StudentRecord",
]
