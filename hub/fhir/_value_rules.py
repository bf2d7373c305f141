"""The value rules of one element: fixed, pattern, maxLength, required bindings, reference targets.

Each is a pure function of the value and the element's rule, so `_shapes` can use their results
as part of a resource's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.errors import Issue, IssueCode, error, warning

if TYPE_CHECKING:  # `_rules` builds each profile's shape memo, which runs these checks
    from hub.fhir._rules import Binding, ElementRule

RULE_BINDING = "binding"
RULE_REFERENCE = "reference-target"
RULE_VALUE = "profile-value"


def check_value_rules(value: Any, rule: ElementRule, where: str, found: list[Issue]) -> None:
    """Append to `found` what the value rules of `rule` find in `value` (not None), at `where`."""
    if rule.fixed is not None and value != rule.fixed:
        message = f"must be exactly {rule.fixed!r}"
        found.append(error(IssueCode.VALUE, message, where, RULE_VALUE))
    if rule.pattern is not None and not _matches_pattern(value, rule.pattern):
        message = f"must contain {rule.pattern!r}"
        found.append(error(IssueCode.VALUE, message, where, RULE_VALUE))
    if rule.max_length is not None and isinstance(value, str) and len(value) > rule.max_length:
        message = f"at most {rule.max_length} characters (found {len(value)})"
        found.append(error(IssueCode.TOO_LONG, message, where, RULE_VALUE))
    if rule.binding is not None and rule.binding.codes is not None:
        _check_binding(value, rule.binding, where, found)
    if rule.target_types is not None and isinstance(value, Mapping):
        _check_reference(value, rule.target_types, where, found)


def has_checks(rule: ElementRule) -> bool:
    """Whether `check_value_rules` can report anything for some value of `rule`."""
    binding = rule.binding
    return (
        rule.fixed is not None
        or rule.pattern is not None
        or rule.max_length is not None
        or rule.target_types is not None
        or (
            binding is not None
            and binding.codes is not None
            and binding.strength in ("required", "extensible")
        )
    )


def binding_passes(value: Any, binding: Binding) -> bool:
    """True only when `value` is a CodeableConcept (a dict) with a coding in `binding`'s codes.

    Then `_check_binding` reports nothing, without building its messages; False means "check".
    """
    if not isinstance(value, dict) or "coding" not in value:
        return False
    codings = value["coding"]
    if not isinstance(codings, list) or binding.codes is None:
        return False
    codes = binding.codes
    for item in codings:
        if (
            isinstance(item, dict)
            and (str(item.get("system", "")), str(item.get("code", ""))) in codes
        ):
            return True
    return False


def reference_passes(value: Any, allowed: frozenset[str]) -> bool:
    """True only when `value` is a Reference (a dict) without `type` that `_check_reference` passes.

    False means "check".
    """
    if not isinstance(value, dict) or value.get("type") is not None:
        return False
    reference = value.get("reference")
    if not isinstance(reference, str) or reference.startswith(("#", "urn:")):
        return True
    parts = reference.split("/_history/")[0].split("/")
    return (parts[-2] if len(parts) >= 2 else "") in allowed


def _check_binding(value: Any, binding: Binding, where: str, found: list[Issue]) -> None:
    if binding.strength not in ("required", "extensible"):
        return
    assert binding.codes is not None
    report = error if binding.strength == "required" else warning
    suffix = f"is not in ValueSet {binding.value_set} ({binding.strength} binding)"
    if isinstance(value, str):
        if value not in binding.code_only:
            found.append(report(IssueCode.CODE_INVALID, f"{value!r} {suffix}", where, RULE_BINDING))
        return
    if not isinstance(value, Mapping):
        return
    if "coding" not in value and "code" in value:  # a Coding
        pair = (str(value.get("system", "")), str(value["code"]))
        if pair not in binding.codes:
            found.append(
                report(IssueCode.CODE_INVALID, f"{_show(pair)} {suffix}", where, RULE_BINDING)
            )
        return
    coding = value.get("coding", [])
    # A `coding` that is not a list is the structural layer's error; no code can be read here.
    codings = (
        [item for item in coding if isinstance(item, Mapping)] if isinstance(coding, list) else []
    )
    pairs = [(str(item.get("system", "")), str(item.get("code", ""))) for item in codings]
    if any(pair in binding.codes for pair in pairs):
        return
    if not pairs:
        found.append(
            report(IssueCode.CODE_INVALID, f"no coding; one {suffix}", where, RULE_BINDING)
        )
    for index, pair in enumerate(pairs):
        message = f"{_show(pair)} {suffix}"
        found.append(
            report(IssueCode.CODE_INVALID, message, f"{where}.coding[{index}]", RULE_BINDING)
        )


def _check_reference(
    value: Mapping[str, Any], allowed: frozenset[str], where: str, found: list[Issue]
) -> None:
    expected = " or ".join(sorted(allowed))
    declared = value.get("type")
    if isinstance(declared, str) and declared not in allowed:
        message = f"a reference to {declared}; expected {expected}"
        found.append(error(IssueCode.VALUE, message, f"{where}.type", RULE_REFERENCE))
    reference = value.get("reference")
    if not isinstance(reference, str) or reference.startswith(("#", "urn:")):
        return  # contained and bundle-local references are resolved by their container
    parts = reference.split("/_history/")[0].split("/")
    target = parts[-2] if len(parts) >= 2 else ""
    if target not in allowed:
        message = f"{reference!r} does not reference a {expected}"
        found.append(error(IssueCode.VALUE, message, f"{where}.reference", RULE_REFERENCE))


def _matches_pattern(value: Any, pattern: Any) -> bool:
    if isinstance(pattern, Mapping):
        return isinstance(value, Mapping) and all(
            name in value and _matches_pattern(value[name], item) for name, item in pattern.items()
        )
    if isinstance(pattern, list):
        return isinstance(value, list) and all(
            any(_matches_pattern(candidate, item) for candidate in value) for item in pattern
        )
    return bool(value == pattern)


def _show(pair: tuple[str, str]) -> str:
    system, code = pair
    return f"{system}|{code}" if system else repr(code)
