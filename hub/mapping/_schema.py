"""Reading a mapping file: YAML with a line for every key, then every JSON Schema error at once.

PyYAML's composed nodes keep their marks, so each value's line is known; the loader and this
module report every problem as `mappings/tx/mapping.yaml:42 fields[3].transform[0].fn`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from hub.errors import Issue, IssueCode, error

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"
"""The folder of per-state mapping files and of the schema they follow."""

SCHEMA_PATH = MAPPINGS_DIR / "mapping.schema.json"

Pointer = tuple[str | int, ...]

_TEXT_TAG = "tag:yaml.org,2002:str"


def as_dict(value: Any) -> dict[Any, Any]:
    """`value` when the schema let a mapping through, else an empty one (already reported)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """`value` when it is a list, else an empty one (already reported)."""
    return value if isinstance(value, list) else []


def pointer_text(pointer: Pointer) -> str:
    """`("fields", 3, "to")` -> `fields[3].to`."""
    text = ""
    for part in pointer:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass
class Locator:
    """Turns a pointer into a located issue: the file as shown, the line, the key path."""

    shown: str
    lines: dict[Pointer, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def line(self, pointer: Pointer) -> int:
        while pointer and pointer not in self.lines:
            pointer = pointer[:-1]
        return self.lines.get(pointer, 1)

    def where(self, pointer: Pointer) -> str:
        text = pointer_text(pointer)
        at = f"{self.shown}:{self.line(pointer)}"
        return f"{at} {text}" if text else at

    def add(
        self, pointer: Pointer, message: str, rule: str, code: IssueCode = IssueCode.INVALID
    ) -> None:
        self.issues.append(error(code, message, self.where(pointer), rule))


@cache
def mapping_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def read_yaml(text: str, locator: Locator) -> Any:
    """The document in `text`, recording each value's line in `locator`; None after a syntax
    error (reported). Duplicate keys, which YAML would silently collapse, are reported."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            locator.add((), "the mapping file is empty", "map.yaml")
            return None
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or str(exc)
        locator.issues.append(
            error(IssueCode.STRUCTURE, f"YAML: {problem}", f"{locator.shown}:{line}", "map.yaml")
        )
        return None
    finally:
        loader.dispose()
    _index(node, (), locator)
    return data


def _index(node: yaml.Node, pointer: Pointer, locator: Locator) -> None:
    locator.lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*pointer, key)
            if key_node.tag != _TEXT_TAG:
                locator.lines[child] = key_node.start_mark.line + 1
                locator.add(child, f"key {key} is not text: quote it ('{key}')", "map.yaml")
            if key in seen:
                locator.lines[child] = key_node.start_mark.line + 1
                locator.add(child, f"key {key!r} appears twice", "map.yaml")
                continue
            seen.add(key)
            _index(value_node, child, locator)
            locator.lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*pointer, index), locator)


def schema_issues(data: Any, locator: Locator) -> None:
    """Add every schema error of `data` to `locator`, each at the key it concerns."""
    validator = jsonschema.Draft202012Validator(mapping_schema())
    for problem in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        for pointer, message in _explain(problem):
            locator.add(pointer, message, "map.schema")


def _explain(problem: jsonschema.ValidationError) -> Iterator[tuple[Pointer, str]]:
    pointer: Pointer = tuple(problem.absolute_path)
    instance = problem.instance
    if problem.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = as_dict(as_dict(problem.schema).get("properties"))
        for key in instance:
            if key not in allowed:
                known = ", ".join(allowed) if allowed else "none"
                yield (*pointer, key), f"unknown key {key!r} (allowed here: {known})"
        return
    if problem.validator == "required":
        yield pointer, problem.message
        return
    message = problem.message
    if problem.validator in ("type", "const", "enum", "pattern") and isinstance(
        instance, bool | int | float | date
    ):
        # YAML reads 01 as 1, NO as false, 2026-01-01 as a date: codes must be quoted.
        message += " (quote it: YAML reads 01 as 1, NO as false and 2026-01-01 as a date)"
    yield pointer, message
