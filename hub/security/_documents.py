"""Shared shape of the account models (users, clients) stored as plain documents."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, field_validator


def as_utc(value: datetime) -> datetime:
    """Stored instants come back naive from the embedded engine; they are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StoredModel(BaseModel):
    # Unknown keys are ignored so a document written by a newer release still loads.
    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value: object) -> object:
        return as_utc(value) if isinstance(value, datetime) else value
