"""The shape of a resource under a compiled profile, so the profile walk runs once per shape.

The walk of `profile_validation` sees a resource only through the names of its elements and
their order, which values are `null`, lists and objects and how long the lists are, what the
value rules (`_value_rules`) report on each value they check, and, for invariants, the
projection each `InvariantGroup` keys its cache on: the names it navigates, with strings it
observes kept verbatim, or reduced to literals and `matches()` outcomes when all its members are
value-blind. `ShapeMemo.key` serialises exactly that in one pass, each string reduced under the
union of the literals and patterns of every group that observes it, which is at least as fine as
each group's own projection. Two resources with equal keys therefore get the same issues, in the
same order and at the same locations, and the walk's issues are memoised on the key.

Subtrees that no rule and no invariant looks at are replaced by a marker saying whether they hold
a `null`, `{}` or `[]`; with the rest of the key, that tells whether `empty_elements` finds
anything, so a shape also answers whether the null/ele-1 walk must run. A profile with an
invariant that reads the clock or other resources is never memoised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from hub.errors import Issue
from hub.fhir._invariants import InvariantGroup
from hub.fhir._value_rules import binding_passes, check_value_rules, has_checks, reference_passes

if TYPE_CHECKING:  # `_rules` gives each compiled profile its memo
    from hub.fhir._rules import ElementRule


class _Mark:
    """A token of the serialisation; equal only to itself, so never to a value or a name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_OBJECT: Final = _Mark("object")
_ARRAY: Final = _Mark("array")
_END: Final = _Mark("end")
_NULL: Final = _Mark("null")
_PRESENT: Final = _Mark("present")
_UNSEEN: Final = _Mark("unseen")
_EMPTY: Final = _Mark("holds null, {} or []")  # after a value the walk does not look into
_ABSTRACT: Final = _Mark("abstract")
_NO_ISSUES: tuple[Issue, ...] = ()
_MEMO_LIMIT = 512  # names (and codes) memoised per context; beyond it they are recomputed
_CONTEXTS_LIMIT = 20_000  # names memoised per profile, whatever names resources bring
_RESULTS_LIMIT = 4096
_KEY_LIMIT = 20_000  # tokens; a larger resource is walked every time rather than memoised


class _Budget:
    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


def _outcomes(patterns: tuple[re.Pattern[str], ...]) -> Callable[[str], tuple[object, ...]]:
    """A string's token: `_ABSTRACT` and whether each pattern is found in it.

    The tokens of one or two patterns are built once and picked, not built per string: most
    strings seen here are ids and identifier values, each seen once, so a memo of them only
    costs its upkeep (it was 2.2 us a string against 0.3 us for picking).
    """
    if len(patterns) == 1:
        search = patterns[0].search
        found, missing = (_ABSTRACT, True), (_ABSTRACT, False)
        return lambda value: missing if search(value) is None else found
    if len(patterns) == 2:
        first, second = patterns[0].search, patterns[1].search
        tokens = tuple((_ABSTRACT, one, two) for one in (False, True) for two in (False, True))
        return lambda value: tokens[(first(value) is not None) * 2 + (second(value) is not None)]
    searches = tuple(pattern.search for pattern in patterns)
    return lambda value: (_ABSTRACT, *[search(value) is not None for search in searches])


class _Context:
    """What observes the values found at one path of JSON names: a rule and invariant groups."""

    __slots__ = (
        "_budget",
        "children",
        "groups",
        "literals",
        "opaque",
        "outcomes",
        "patternless",
        "presence_only",
        "rule",
        "value_issues",
        "verbatim",
    )

    def __init__(
        self, rule: ElementRule | None, groups: tuple[InvariantGroup, ...], budget: _Budget
    ) -> None:
        self.rule = rule
        self.groups = groups
        # What the value rules report on a value, located at "" (so a function of the value).
        self.value_issues = _value_checker(rule) if rule is not None and has_checks(rule) else None
        # The walk does not look inside such a value, and no invariant does.
        self.opaque = rule is not None and not groups and not rule.by_json_name
        # The walk only counts such a value (a list by its length).
        self.presence_only = self.opaque and self.value_issues is None
        self.children: dict[str, _Context] = {}
        self._budget = budget
        self.verbatim = not all(group.abstracts_strings for group in groups)
        self.literals = frozenset().union(*(group.literals for group in groups))
        patterns = {item.pattern: item for group in groups for item in group.patterns}
        self.patternless = not patterns
        # string -> token of what the patterns say of it, for abstracted strings
        self.outcomes = _outcomes(tuple(patterns.values()))

    def child(self, name: str) -> _Context:
        found = self.children.get(name)
        if found is None:
            rule = self.rule.by_json_name.get(name) if self.rule is not None else None
            groups = tuple(group for group in self.groups if group.keeps(name))
            if rule is not None and rule.invariants is not None:
                groups = (*groups, rule.invariants)
            if rule is None and not groups:
                found = _IGNORED
            else:
                found = _Context(rule, groups, self._budget)
            if len(self.children) < _MEMO_LIMIT and self._budget.left > 0:
                self._budget.left -= 1
                self.children[name] = found
        return found

    def string_key(self, value: str) -> object:
        """The token of a string the groups observe: itself, or what their patterns say of it."""
        if self.verbatim or value in self.literals:
            return value
        if self.patternless:
            return _ABSTRACT
        return self.outcomes(value)


_IGNORED: Final = _Context(None, (), _Budget(0))


@dataclass(frozen=True, slots=True)
class Recalled:
    """What a resource shape gives: the walk's issues, and whether `empty_elements` finds any."""

    issues: tuple[Issue, ...]
    holds_empty: bool


class ShapeMemo:
    """The walk's issues of each resource shape seen under one profile (bounded)."""

    def __init__(self, root: ElementRule, groups: list[InvariantGroup]) -> None:
        self.enabled = all(group.cacheable for group in groups)
        groups_of_root = () if root.invariants is None else (root.invariants,)
        self._root = _Context(root, groups_of_root, _Budget(_CONTEXTS_LIMIT))
        self._results: dict[tuple[object, ...], Recalled] = {}

    def key(self, resource: Any) -> tuple[object, ...] | None:
        """The shape of `resource`, or None when it cannot be memoised."""
        if not self.enabled or not isinstance(resource, dict):
            return None
        out: list[object] = []
        _emit_object(resource, self._root, out)
        return tuple(out) if len(out) <= _KEY_LIMIT else None

    def get(self, key: tuple[object, ...]) -> Recalled | None:
        return self._results.get(key)

    def put(self, key: tuple[object, ...], recalled: Recalled) -> None:
        if len(self._results) >= _RESULTS_LIMIT:
            self._results.clear()
        self._results[key] = recalled


def _emit_object(node: dict[Any, Any], context: _Context, out: list[object]) -> None:
    append = out.append
    children = context.children
    append(_OBJECT)
    append(tuple(node))  # the names, in order; one group of tokens per value follows
    for name, item in node.items():
        try:
            child = children[name]
        except KeyError:
            child = context.child(name)
        if isinstance(item, str):  # most values; one token, whatever observes it
            if child.value_issues is not None:
                append(child.value_issues(item))
            if not child.groups:
                append(str)
            elif child.verbatim or item in child.literals:  # `string_key`, inlined
                append(item)
            elif child.patternless:
                append(_ABSTRACT)
            else:
                append(child.outcomes(item))
        elif child is _IGNORED:
            if item is None or (isinstance(item, (dict, list)) and _holds_empty(item)):
                append(_EMPTY)
            else:
                append(_UNSEEN)
        elif child.presence_only:
            if item is None:
                append(_NULL)
            elif not isinstance(item, (dict, list)):
                append(_PRESENT)
            elif _holds_empty(item):
                append((_EMPTY, len(item)) if isinstance(item, list) else _EMPTY)
            else:
                append(len(item) if isinstance(item, list) else _PRESENT)
        elif isinstance(item, list):  # inlined `_emit_array`; the walk checks items, not lists
            append(_ARRAY)
            plain = child.value_issues is None and not child.opaque
            for element in item:
                if plain and isinstance(element, dict):
                    _emit_object(element, child, out)
                else:
                    _emit_item(element, child, out)
            append(_END)
        elif isinstance(item, dict) and not child.opaque:  # inlined too: nested elements
            if child.value_issues is not None:
                append(child.value_issues(item))
            _emit_object(item, child, out)
        else:
            _emit_item(item, child, out)


def _emit_array(items: list[Any], context: _Context, out: list[object]) -> None:
    out.append(_ARRAY)
    for item in items:
        _emit_item(item, context, out)
    out.append(_END)


def _emit_item(item: Any, context: _Context, out: list[object]) -> None:
    if item is None:
        out.append(_NULL)
        return
    if context.value_issues is not None:
        out.append(context.value_issues(item))
    if isinstance(item, str):
        out.append(context.string_key(item) if context.groups else str)
    elif context.opaque:
        out.append(_EMPTY if isinstance(item, (dict, list)) and _holds_empty(item) else _PRESENT)
    elif isinstance(item, dict):
        _emit_object(item, context, out)
    elif isinstance(item, list):
        _emit_array(item, context, out)
    elif context.groups:
        out.append((type(item), item))  # as a group projects it: type and value
    else:
        out.append(type(item))


def _holds_empty(value: Any) -> bool:
    """Whether `empty_elements` finds anything in `value`: a `null`, `{}` or `[]` in or below it."""
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return False
    if not items:
        return True
    for item in items:  # a loop: any() over a generator costs more on this path
        if item is None or (isinstance(item, (dict, list)) and _holds_empty(item)):
            return True
    return False


def _value_checker(rule: ElementRule) -> Callable[[Any], tuple[Issue, ...]]:
    """`_value_issues` for `rule`, with exact shortcuts for the values that pass."""
    checks_only = {
        name for name in ("fixed", "pattern", "max_length", "binding", "target_types")
        if getattr(rule, name) is not None
    }  # fmt: skip
    binding, allowed, limit = rule.binding, rule.target_types, rule.max_length
    if checks_only == {"binding"} and binding is not None:
        codes: dict[str, tuple[Issue, ...]] = {}

        def check_binding(value: Any) -> tuple[Issue, ...]:
            if type(value) is str:  # not a subclass: its repr, in the message, could differ
                known = codes.get(value)
                if known is None:
                    if len(codes) >= _MEMO_LIMIT:
                        codes.clear()
                    known = codes[value] = _value_issues(value, rule)
                return known
            return _NO_ISSUES if binding_passes(value, binding) else _value_issues(value, rule)

        return check_binding
    if checks_only == {"target_types"} and allowed is not None:
        return lambda value: (
            _NO_ISSUES if reference_passes(value, allowed) else _value_issues(value, rule)
        )
    if checks_only == {"max_length"} and limit is not None:
        return lambda value: (
            _value_issues(value, rule)
            if isinstance(value, str) and len(value) > limit
            else _NO_ISSUES
        )
    return lambda value: _value_issues(value, rule)


def _value_issues(value: Any, rule: ElementRule) -> tuple[Issue, ...]:
    found: list[Issue] = []
    check_value_rules(value, rule, "", found)
    return tuple(found) if found else _NO_ISSUES
