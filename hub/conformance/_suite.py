"""Suites as data: the typed shape a YAML suite file is loaded into (see `conformance/`).

A suite holds groups of tests; a test has a stable id, a title, a description, the requirement
ids it verifies and steps; a step is one HTTP request, the named checks run on its response and
the variables captured from it for later steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Requirement:
    """One SHALL / SHOULD / MAY from a published contract (`conformance/requirements.csv`)."""

    id: str
    source: str
    level: str
    text: str
    untested_reason: str = ""


@dataclass(frozen=True)
class CheckCall:
    """A named check from the registry and its parameters, as written in the suite."""

    name: str
    params: dict[str, Any]
    where: str = ""


@dataclass(frozen=True)
class Capture:
    """Where a variable comes from in a response: `json` path, `header` name or `xml` path."""

    name: str
    source: str
    path: str
    strip_prefix: str = ""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    auth: Any = "default"
    json: Any = None
    form: dict[str, str] | None = None
    text: str | None = None
    content_type: str | None = None
    message: dict[str, Any] | None = None
    pad_to: int | None = None
    nested_elements: int | None = None
    follow_redirects: bool = False


@dataclass(frozen=True)
class Step:
    id: str
    request: Request
    checks: tuple[CheckCall, ...] = ()
    captures: tuple[Capture, ...] = ()
    generate: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Precondition:
    """`requires:` of a test: the server's CapabilityStatement must claim this, or it is omitted."""

    resource: str
    interaction: str | None = None
    search_param: str | None = None
    operation: str | None = None


@dataclass(frozen=True)
class TestDef:
    id: str
    title: str
    description: str
    requirements: tuple[str, ...]
    steps: tuple[Step, ...]
    group: str = ""
    requires: tuple[Precondition, ...] = ()
    __test__ = False  # not a pytest class


@dataclass(frozen=True)
class Group:
    id: str
    title: str
    tests: tuple[TestDef, ...]


@dataclass(frozen=True)
class Suite:
    id: str
    title: str
    description: str
    version: str
    groups: tuple[Group, ...]
    variables: dict[str, str] = field(default_factory=dict)
    capability_path: str = "/fhir/metadata"
    token_path: str = "/auth/token"  # noqa: S105 (a path)
    path: Path | None = None
    sha256: str = ""

    @property
    def tests(self) -> tuple[TestDef, ...]:
        return tuple(test for group in self.groups for test in group.tests)
