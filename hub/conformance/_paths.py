"""Two small, closed path notations used by suites (never expressions, never XPath):

- JSON: `entry[0].resource.id`, `entry[*].resource.identifier[*].value` — names, indexes, `[*]`.
- XML: `Header/MessageType`, `Body/*/Status`, `Body/Error/Issues/Issue/@code` — local names from
  the root element down, `*` for any one element, a final `@name` for an attribute.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

_JSON_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]|(\.)")
_XML_STEP = re.compile(r"^(\*|@?[A-Za-z_][\w.-]*)$")


class PathError(ValueError):
    """A path that is not written in the notation."""


def json_steps(path: str) -> list[str | int]:
    """`a.b[0][*]` -> `["a", "b", 0, "*"]`; raises `PathError` for anything else."""
    steps: list[str | int] = []
    position = 0
    for found in _JSON_TOKEN.finditer(path):
        if found.start() != position:
            raise PathError(f"cannot read {path!r} at character {position + 1}")
        position = found.end()
        name, index, _dot = found.groups()
        if name is not None:
            steps.append(name)
        elif index is not None:
            steps.append("*" if index == "*" else int(index))
    broken = path.startswith(".") or path.endswith(".") or ".." in path or ".[" in path
    if position != len(path) or not steps or broken:
        raise PathError(f"cannot read {path!r}")
    return steps


def json_values(document: Any, path: str) -> list[Any]:
    """Every value found at `path` (an empty list when there is none)."""
    current = [document]
    for step in json_steps(path):
        following: list[Any] = []
        for value in current:
            if step == "*":
                if isinstance(value, list):
                    following.extend(value)
            elif isinstance(step, int):
                if isinstance(value, list) and -len(value) <= step < len(value):
                    following.append(value[step])
            elif isinstance(value, dict) and step in value:
                following.append(value[step])
        current = following
    return current


def xml_steps(path: str) -> list[str]:
    steps = path.strip("/").split("/")
    if not path.strip("/") or any(not _XML_STEP.match(part) for part in steps):
        raise PathError(f"cannot read XML path {path!r}")
    if any(part.startswith("@") for part in steps[:-1]):
        raise PathError(f"an attribute can only end an XML path: {path!r}")
    return steps


def xml_values(root: etree._Element, path: str) -> list[str]:
    """Texts (or attribute values) at `path`, below the root element."""
    current = [root]
    steps = xml_steps(path)
    for step in steps:
        if step.startswith("@"):
            return [value for e in current if (value := e.get(step[1:])) is not None]
        current = [
            child
            for element in current
            for child in element.iterchildren(tag=etree.Element)
            if step == "*" or etree.QName(child).localname == step
        ]
    return [(element.text or "").strip() for element in current]


_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def references_in(value: Any) -> list[str]:
    """Every `${name}` inside strings of `value` (lists and mappings searched too)."""
    if isinstance(value, str):
        return _REFERENCE.findall(value)
    if isinstance(value, list):
        return [name for item in value for name in references_in(item)]
    if isinstance(value, dict):
        return [name for item in value.values() for name in references_in(item)]
    return []
