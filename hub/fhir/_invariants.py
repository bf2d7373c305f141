"""FHIRPath invariants, compiled once and memoised on the part of a node they can observe.

fhirpathpy takes 70-500 µs to evaluate one invariant, more than the R4B models take to validate
a whole resource, so results are cached. The cache key of a node is a projection that provably
gives the same result: only elements the expression names are kept (FHIRPath navigates by name),
and when the expression observes strings only through equality with a literal and `matches()`
with a literal pattern, a string that is not a literal is replaced by its match results. An
expression outside that subset is keyed on the whole node; one that reads the clock or other
resources is not cached at all.

ele-1 (`hasValue() or (children().count() > id.count())`) cannot run in fhirpathpy (no
`hasValue`); `empty_elements` is its native form over JSON, run once over the whole resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fhirpathpy import compile as compile_fhirpath
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models
from fhirpathpy.parser import parse

from hub.errors import ConfigurationError, IssueCode, Severity, error

ELE_1_EXPRESSION = "hasValue() or (children().count() > id.count())"
_MODEL = models["r4"]
_CACHE_LIMIT = 4096
# Functions whose result depends on values only through the operands the analysis tracks.
_SHAPE_FUNCTIONS = frozenset(
    {
        "exists", "empty", "count", "where", "all", "not", "first", "last", "tail", "single",
        "ofType", "iif", "allTrue", "anyTrue", "allFalse", "anyFalse", "matches", "hasValue",
    }
)  # fmt: skip
_UNCACHEABLE_FUNCTIONS = frozenset({"now", "today", "timeOfDay", "resolve", "trace"})
_SHAPE_OPERATORS = frozenset(
    {"AndExpression", "OrExpression", "ImpliesExpression", "TypeExpression", "UnionExpression"}
)
_ABSTRACT = "\x00"
_OBJECT = "\x00{"
_ARRAY = "\x00["


@dataclass
class Invariant:
    """One constraint of an ElementDefinition, compiled for nodes of type `context`."""

    key: str
    severity: Severity
    human: str
    expression: str
    context: str
    analysis: _Analysis = field(repr=False, init=False)
    _evaluate: Callable[..., list[Any]] = field(repr=False, init=False)

    def __post_init__(self) -> None:
        try:
            self._evaluate = compile_fhirpath(self.expression, _MODEL)
            self.analysis = _analyse(parse(self.expression))  # type: ignore[no-untyped-call]
        except Exception as exc:  # fhirpathpy raises bare Exceptions on syntax errors
            raise ConfigurationError(
                [error(IssueCode.INVALID, f"invariant does not compile: {exc}", self.key)]
            ) from exc

    def evaluate(self, node: Any) -> bool:
        """Whether the invariant is true on `node`, evaluated now (no cache)."""
        try:
            node = ResourceNode.create_node(node, self.context)  # type: ignore[no-untyped-call]
            return self._evaluate(node) == [True]
        except Exception:  # fhirpathpy raises bare Exceptions on data it cannot navigate
            return False

    def holds(self, node: Any) -> bool:
        """Whether the invariant is true on `node`, memoised."""
        return not InvariantGroup((self,)).failing(node)


class InvariantGroup:
    """The invariants of one element, memoised together on one projection of each node.

    The projection keeps every name any member navigates and abstracts strings only when every
    member is value-blind, using the union of their literals and patterns: a key at least as
    fine as each member's own, so one lookup answers them all.
    """

    def __init__(self, invariants: tuple[Invariant, ...]) -> None:
        self.invariants = invariants
        analyses = [invariant.analysis for invariant in invariants]
        navigable = all(item.navigates_by_name for item in analyses)
        self._names = frozenset().union(*(item.names for item in analyses)) if navigable else None
        self._abstract = navigable and all(item.value_blind for item in analyses)
        self._literals = frozenset().union(*(item.literals for item in analyses))
        patterns = dict.fromkeys(pattern for item in analyses for pattern in item.patterns)
        self._patterns = tuple(re.compile(pattern, re.DOTALL) for pattern in patterns)
        self._cacheable = not any(item.uncacheable for item in analyses)
        self._cache: dict[Any, tuple[Invariant, ...]] = {}
        self._keep: dict[str, bool] = {}

    @property
    def cacheable(self) -> bool:
        """Whether results depend on the node alone (no clock, no other resources)."""
        return self._cacheable

    @property
    def abstracts_strings(self) -> bool:
        """Whether strings other than `literals` are keyed only on their `patterns` results."""
        return self._abstract

    @property
    def literals(self) -> frozenset[str]:
        return self._literals

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return self._patterns

    def keeps(self, name: str) -> bool:
        """Whether the projection keeps the element `name` (a JSON name) of a node."""
        kept = self._keep.get(name)
        return self._kept(name) if kept is None else kept

    def failing(self, node: Any) -> tuple[Invariant, ...]:
        """The members that do not hold on `node`."""
        if not self._cacheable:
            return self._evaluate(node)
        try:
            key = self._project(node)
            known = self._cache.get(key)
        except (AttributeError, TypeError):  # not JSON: a name that is no string, or unhashable
            return self._evaluate(node)
        if known is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            known = self._cache[key] = self._evaluate(node)
        return known

    def _evaluate(self, node: Any) -> tuple[Invariant, ...]:
        return tuple(invariant for invariant in self.invariants if not invariant.evaluate(node))

    def _project(self, value: Any) -> Any:
        if isinstance(value, str):
            if self._abstract and value not in self._literals:
                return (
                    _ABSTRACT,
                    *(pattern.search(value) is not None for pattern in self._patterns),
                )
            return value
        # Objects and arrays are tagged: an empty object is an element, an empty array is none.
        if isinstance(value, dict):
            keep = self._keep
            return (
                _OBJECT,
                *[
                    (name, self._project(item))
                    for name, item in value.items()
                    if keep.get(name) or (name not in keep and self._kept(name))
                ],
            )
        if isinstance(value, list):
            return (_ARRAY, *[self._project(item) for item in value])
        return (type(value).__name__, value)

    def _kept(self, name: str) -> bool:
        names = self._names
        bare = name.removeprefix("_")
        kept = (
            names is None
            or bare == "resourceType"
            or bare in names
            or any(
                bare.startswith(item) and bare[len(item) : len(item) + 1].isupper()
                for item in names
            )
        )
        self._keep[name] = kept
        return kept


@dataclass
class _Analysis:
    names: set[str] = field(default_factory=set)
    literals: set[str] = field(default_factory=set)
    patterns: list[str] = field(default_factory=list)
    navigates_by_name: bool = True
    value_blind: bool = True
    uncacheable: bool = False


def _analyse(tree: Mapping[str, Any]) -> _Analysis:
    found = _Analysis()
    for node in _nodes(tree):
        kind = node.get("type", "")
        if kind == "MemberInvocation":
            found.names.update(child["text"] for child in node.get("children", []))
        elif kind == "StringLiteral":
            found.literals.add(_string_literal(node["text"]))
        elif kind == "Functn":
            _function(node, found)
        elif kind == "EqualityExpression":
            operator = (node.get("terminalNodeText") or [""])[0]
            literal_side = any(_is_literal(child) for child in node.get("children", []))
            if operator not in ("=", "!=") or not literal_side:
                found.value_blind = False
        elif kind in ("ExternalConstantTerm", "IndexerExpression"):
            found.navigates_by_name = False
            found.value_blind = False
        elif kind.endswith("Expression") and kind not in _SHAPE_OPERATORS | {
            "InvocationExpression",
            "TermExpression",
            "PolarityExpression",
        }:
            found.value_blind = False
    return found


def _function(node: Mapping[str, Any], found: _Analysis) -> None:
    children = node.get("children", [])
    name = children[0]["text"] if children else ""
    if name in _UNCACHEABLE_FUNCTIONS:
        found.uncacheable = True
    if name in ("children", "descendants", "repeat", "extension"):
        found.navigates_by_name = False
    if name not in _SHAPE_FUNCTIONS:
        found.value_blind = False
    if name == "matches":
        params = [child for child in children[1:] if child.get("type") == "ParamList"]
        arguments = params[0].get("children", []) if params else []
        if len(arguments) == 1 and _is_literal(arguments[0]):
            found.patterns.extend(
                _string_literal(item["text"])
                for item in _nodes(arguments[0])
                if item.get("type") == "StringLiteral"
            )
        else:
            found.value_blind = False


def _is_literal(node: Mapping[str, Any]) -> bool:
    return node.get("type") == "TermExpression" and any(
        child.get("type") == "LiteralTerm" for child in node.get("children", [])
    )


def _string_literal(text: str) -> str:
    return text[1:-1].replace("\\'", "'").replace("\\\\", "\\")


def _nodes(tree: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield tree
    for child in tree.get("children", []):
        yield from _nodes(child)


def empty_elements(value: Any, path: str) -> Iterator[tuple[str, bool]]:
    """(location, is null) of each `null`, and of each object or array breaking ele-1 (empty)."""
    if isinstance(value, dict):
        if not value:
            yield path, False
        for name, item in value.items():
            if item is None:
                yield f"{path}.{name}", True
            elif isinstance(item, (dict, list)):
                yield from empty_elements(item, f"{path}.{name}")
    elif isinstance(value, list):
        if not value:
            yield path, False
        for index, item in enumerate(value):
            if item is None:
                yield f"{path}[{index}]", True
            elif isinstance(item, (dict, list)):
                yield from empty_elements(item, f"{path}[{index}]")
