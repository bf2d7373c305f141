"""YAML with a line for every key, so that each mistake in a suite is reported where it is."""

from __future__ import annotations

from typing import Any

import yaml

Pointer = tuple[str | int, ...]


def pointer_text(pointer: Pointer) -> str:
    """`("groups", 0, "tests", 2, "id")` -> `groups[0].tests[2].id`."""
    text = ""
    for part in pointer:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_with_lines(text: str) -> tuple[Any, dict[Pointer, int]]:
    """The document and the 1-based line of every value in it, by pointer."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[Pointer, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return yaml.safe_load(text), lines


def _walk(node: yaml.Node, pointer: Pointer, lines: dict[Pointer, int]) -> None:
    lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            lines[(*pointer, name)] = key.start_mark.line + 1
            _walk(value, (*pointer, name), lines)
            lines[(*pointer, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*pointer, index), lines)


def line_of(lines: dict[Pointer, int], pointer: Pointer) -> int:
    while pointer and pointer not in lines:
        pointer = pointer[:-1]
    return lines.get(pointer, 1)
