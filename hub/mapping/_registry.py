"""The machinery of the closed vocabulary: `@transform`, typed arguments, and the run context.

A transform takes the current value (text, or what the previous step returned) and returns a new
value, or raises `TransformError`; it may add warnings through its `Context`. It sees the other
fields of the same source row (for `concat`) but never another record. Its docstring is its
published documentation (docs/mappings.md is generated from the registry).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from hub.errors import Issue

Value = str | bool | int | Decimal | date
"""What a transform step returns: text, a flag, a whole number, a decimal or a date."""

Kind = Literal["text", "date", "bool", "int", "decimal"]
"""The kind of value a step accepts or returns; the loader checks each chain against its target."""

ArgType = Literal["text", "int", "bool", "field", "fields", "texts", "text-or-texts"]

ARG_TYPE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "text": "text",
        "int": "integer",
        "bool": "true / false",
        "field": "source field",
        "fields": "list of source fields",
        "texts": "list of text",
        "text-or-texts": "text, or list of text",
    }
)


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Arg:
    """One argument of a transform: its type, meaning, default (or REQUIRED) and allowed values."""

    type: ArgType
    doc: str
    default: Any = REQUIRED
    choices: tuple[str | int, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class TransformError(Exception):
    """A value the transform cannot turn into its result; becomes an error issue `map.<fn>`."""


class RowView:
    """Read access to the fields of one source row (a flat row, a JSON object or an array item).

    A name is first looked up as a whole key, then as a dotted path into nested objects, where
    `[n]` picks element n of an array (`name.family[1]`). Blank text (empty or only whitespace)
    and JSON null read as None.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def raw(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        current: Any = self._values
        for part in name.split("."):
            key, index = _indexed(part)
            if key:
                if not isinstance(current, Mapping) or key not in current:
                    return None
                current = current[key]
            if index is not None:
                if not isinstance(current, list) or index >= len(current):
                    return None
                current = current[index]
        return current

    def get(self, name: str) -> str | None:
        """The text of field `name`, or None when it is missing or blank.

        Raises `TransformError` when the field holds a JSON object or array.
        """
        return scalar_text(self.raw(name), name)


_INDEXED = re.compile(r"(?P<key>[^\[\]]*)\[(?P<index>\d+)\]")


def _indexed(part: str) -> tuple[str, int | None]:
    """`family[1]` -> ("family", 1); `family` -> ("family", None)."""
    if not part.endswith("]"):
        return part, None
    found = _INDEXED.fullmatch(part)
    if found is None:
        return part, None
    return found["key"], int(found["index"])


def scalar_text(value: Any, name: str) -> str | None:
    if type(value) is str:  # nearly every value of a native file: its text as it is
        return value if value.strip() else None
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float | str):
        text = str(value)
    else:
        raise TransformError(f"{name} holds a JSON {type(value).__name__}, not a single value")
    return text if text.strip() else None


@dataclass
class Context:
    """What a transform may know beyond its value: its row, the day, and a place for warnings."""

    row: RowView
    today: date
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@dataclass
class LoadSite:
    """Where a transform step sits in a mapping file, for load-time checks of its arguments."""

    mapping_dir: Path
    shown_dir: str
    target_path: str
    target_codeset: str | None
    target_identifies: bool
    problems: list[tuple[str | None, str]] = field(default_factory=list)
    extra_issues: list[Issue] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    def problem(self, message: str, arg: str | None = None) -> None:
        """Report a bad argument; `arg` names it so the issue points at its line."""
        self.problems.append((arg, message))


Prepare = Callable[[dict[str, Any], LoadSite], dict[str, Any]]


@dataclass(frozen=True)
class TransformSpec:
    """A registered transform: name, summary, docstring, arguments and value kinds."""

    name: str
    summary: str
    doc: str
    args: Mapping[str, Arg]
    accepts: tuple[Kind, ...]
    returns: Kind | None
    runs_on_blank: bool
    function: Callable[..., Value | None]
    prepare: Prepare | None

    def result_kind(self, given: Kind) -> Kind:
        return self.returns if self.returns is not None else given

    def run(self, value: Value | None, context: Context, args: Mapping[str, Any]) -> Value | None:
        return self.function(value, context, **self.keywords(args))

    @staticmethod
    def keywords(args: Mapping[str, Any]) -> dict[str, Any]:
        """Python keywords for `args`: one named like a parameter (`value`) gets a `_` suffix."""
        return {(f"{name}_" if name in _POSITIONAL else name): arg for name, arg in args.items()}


_POSITIONAL = frozenset({"value", "context"})


_Function = TypeVar("_Function", bound=Callable[..., Any])

_REGISTRY: dict[str, TransformSpec] = {}
TRANSFORMS: Mapping[str, TransformSpec] = MappingProxyType(_REGISTRY)
"""Every transform function by name: the closed vocabulary of mapping files."""


def transform(
    name: str,
    *,
    doc: str,
    args: Mapping[str, Arg] | None = None,
    accepts: tuple[Kind, ...] = ("text",),
    returns: Kind | None = "text",
    runs_on_blank: bool = False,
    prepare: Prepare | None = None,
) -> Callable[[_Function], _Function]:
    """Register a transform function under `name`.

    `doc` is the one-line summary; the function's docstring is the full published text. The
    function is called as `function(value, context, **args)`; `returns=None` means it returns
    the kind it was given. Unless `runs_on_blank`, a blank value skips the step.
    """

    def register(function: _Function) -> _Function:
        if name in _REGISTRY:
            raise ValueError(f"transform {name!r} is registered twice")
        body = inspect.getdoc(function)
        if not body:
            raise ValueError(f"transform {name!r} needs a docstring: it is the published doc")
        _REGISTRY[name] = TransformSpec(
            name=name,
            summary=doc,
            doc=body,
            args=MappingProxyType(dict(args or {})),
            accepts=accepts,
            returns=returns,
            runs_on_blank=runs_on_blank,
            function=function,
            prepare=prepare,
        )
        return function

    return register
