"""Validation stricter than the models: the R4B structure, then our published profiles.

`validate_resource` returns every issue of a resource at once, located in FHIRPath
(`Immunization.vaccineCode.coding[0].system`): the models' structural checks and `null` values
(`validate_structure`), then what the profile's snapshot says — cardinality, fixed and pattern
values, maxLength, required bindings against the bundled ValueSets, reference target types,
invariants (fhirpathpy, compiled once; ele-1 natively) and must-support, reported as information.
The same function serves `$validate`, `msix validate` and validate-on-write.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from hub.errors import Issue, IssueCode, Severity, error, warning
from hub.fhir._artifacts import load_artifacts
from hub.fhir._invariants import InvariantGroup, empty_elements
from hub.fhir._rules import Binding, CompiledProfile, ElementRule, compile_profile
from hub.fhir._validation import RULE_STRUCTURE, model_issues, null_issue, validate_structure

RULE_CARDINALITY = "cardinality"
RULE_BINDING = "binding"
RULE_REFERENCE = "reference-target"
RULE_VALUE = "profile-value"
RULE_MUST_SUPPORT = "must-support"
RULE_PROFILE = "profile"
RULE_ELE_1 = "ele-1"


def profile_urls() -> dict[str, str]:
    """Resource type -> canonical URL of the MSIX profile that validates it by default."""
    return {doc["type"]: doc["url"] for doc in load_artifacts().profiles()}


@functools.lru_cache(maxsize=16)
def compiled_profile(url: str) -> CompiledProfile | None:
    """The compiled rules of a published profile (compiled once per process), or None."""
    artifacts = load_artifacts()
    profile = artifacts.resolve(url)
    if profile is None or profile.get("resourceType") != "StructureDefinition":
        return None
    return compile_profile(profile, artifacts)


def validate_resource(resource: Mapping[str, Any], profile: str | None = None) -> list[Issue]:
    """Every issue of `resource` against the R4B models and its MSIX profile (or `profile`)."""
    kind = resource.get("resourceType")
    url = profile or (profile_urls().get(kind) if isinstance(kind, str) else None)
    compiled = compiled_profile(url) if url else None
    if compiled is None or compiled.resource_type != kind or not isinstance(kind, str):
        issues = validate_structure(resource)
        if any(
            issue.rule == RULE_STRUCTURE and issue.location == "resourceType" for issue in issues
        ):
            return issues
        why = f"profile {url} is not published for {kind}" if url else f"no profile for {kind}"
        return [*issues, error(IssueCode.NOT_SUPPORTED, why, "profile", RULE_PROFILE)]
    # One walk finds nulls (the structural layer's rule) and ele-1's empty elements together.
    issues = []
    for path, is_null in empty_elements(resource, kind):
        if is_null:
            issues.append(null_issue(path))
        elif compiled.checks_ele_1:
            message = "an element needs a value or children"
            issues.append(error(IssueCode.STRUCTURE, message, path, RULE_ELE_1))
    issues = model_issues(kind, resource, issues)
    found: list[Issue] = []
    _declared_profiles(resource, compiled, found)
    _check_node(resource, compiled.root, kind, found)
    for issue in found:
        if issue not in issues:
            issues.append(issue)
    return issues


def _declared_profiles(
    resource: Mapping[str, Any], compiled: CompiledProfile, found: list[Issue]
) -> None:
    declared = resource.get("meta", {}).get("profile", []) if isinstance(resource, dict) else []
    for index, url in enumerate(declared if isinstance(declared, list) else []):
        if url != compiled.url and compiled_profile(str(url)) is None:
            message = f"profile {url} is not published here; validated against {compiled.url}"
            location = f"{compiled.resource_type}.meta.profile[{index}]"
            found.append(_information(message, location, RULE_PROFILE))


def _check_node(
    node: Mapping[str, Any], rule: ElementRule, location: str, found: list[Issue]
) -> None:
    if rule.invariants is not None:
        _check_invariants(node, rule.invariants, location, found)
    counts: dict[str, int] = {}
    for name, value in node.items():
        child = rule.by_json_name.get(name)
        if child is None:
            continue
        if isinstance(value, list):
            counts[child.path] = counts.get(child.path, 0) + len(value)
            if child.has_value_rules or child.descends:
                for index, item in enumerate(value):
                    _check_value(item, child, f"{location}.{name}[{index}]", found)
        else:
            counts[child.path] = counts.get(child.path, 0) + 1
            if child.has_value_rules or child.descends:
                _check_value(value, child, f"{location}.{name}", found)
        if child.max is not None and counts[child.path] > child.max:
            message = f"{child.label} allows at most {child.max} (found {counts[child.path]})"
            issue = error(
                IssueCode.STRUCTURE, message, f"{location}.{child.label}", RULE_CARDINALITY
            )
            if issue not in found:
                found.append(issue)
    for child in rule.presence_checked:
        count = counts.get(child.path, 0)
        if count and count >= child.min:
            continue
        if not count and any(f"_{name}" in node for name in child.json_names):
            continue  # a primitive carried only by its extension is present
        where = f"{location}.{child.label}"
        if count < child.min:
            message = f"{child.label} is required (min {child.min}, found {count})"
            found.append(error(IssueCode.REQUIRED, message, where, RULE_CARDINALITY))
        else:
            message = f"must-support element {child.label} is absent; send it when known"
            found.append(_information(message, where, RULE_MUST_SUPPORT))


def _check_value(value: Any, rule: ElementRule, where: str, found: list[Issue]) -> None:
    if value is None:
        return  # reported once as a null by the structural layer
    if rule.has_value_rules:
        _check_value_rules(value, rule, where, found)
    if rule.descends and isinstance(value, dict):
        _check_node(value, rule, where, found)


def _check_value_rules(value: Any, rule: ElementRule, where: str, found: list[Issue]) -> None:
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


def _check_invariants(
    node: Mapping[str, Any], group: InvariantGroup, location: str, found: list[Issue]
) -> None:
    for invariant in group.failing(node):
        issue = Issue(
            invariant.severity, IssueCode.INVARIANT, invariant.human, location, invariant.key
        )
        found.append(issue)


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
    codings = [item for item in value.get("coding", []) if isinstance(item, Mapping)]
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


def _information(message: str, location: str, rule: str) -> Issue:
    return Issue(Severity.INFORMATION, IssueCode.INFORMATIONAL, message, location, rule)
