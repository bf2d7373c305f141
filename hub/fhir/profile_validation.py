"""Validation stricter than the models: the R4B structure, then our published profiles.

`validate_resource` returns every issue of a resource at once, located in FHIRPath
(`Immunization.vaccineCode.coding[0].system`): the models' structural checks and `null` values
(`validate_structure`), then what the profile's snapshot says — cardinality, fixed and pattern
values, maxLength, required bindings against the bundled ValueSets, reference target types,
invariants (fhirpathpy, compiled once; ele-1 natively) and must-support, reported as information.
The same function serves `$validate`, `msix validate` and validate-on-write.

The models run on every resource. The profile walk runs once per resource shape (`_shapes`): its
issues depend on a resource only through what the shape keeps, so they are memoised on it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import orjson

from hub.errors import Issue, IssueCode, Severity, error
from hub.fhir._artifacts import load_artifacts
from hub.fhir._invariants import InvariantGroup, empty_elements
from hub.fhir._rules import CompiledProfile, ElementRule, compile_profile
from hub.fhir._shapes import Recalled, ShapeMemo
from hub.fhir._validation import RULE_STRUCTURE, model_issues, null_issue, validate_structure
from hub.fhir._value_rules import check_value_rules

RULE_CARDINALITY = "cardinality"
RULE_MUST_SUPPORT = "must-support"
RULE_PROFILE = "profile"
RULE_ELE_1 = "ele-1"


def profile_urls() -> dict[str, str]:
    """Resource type -> canonical URL of the MSIX profile that validates it by default."""
    return {doc["type"]: doc["url"] for doc in load_artifacts().profiles()}


@functools.lru_cache(maxsize=16)
def _default_profile(kind: str) -> tuple[str | None, CompiledProfile | None]:
    url = profile_urls().get(kind)
    return url, compiled_profile(url) if url else None


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
    if not profile and isinstance(kind, str):
        url, compiled = _default_profile(kind)
    else:
        url = profile or None
        compiled = compiled_profile(url) if url else None
    if compiled is None or compiled.resource_type != kind or not isinstance(kind, str):
        issues = validate_structure(resource)
        if any(
            issue.rule == RULE_STRUCTURE and issue.location == "resourceType" for issue in issues
        ):
            return issues
        why = f"profile {url} is not published for {kind}" if url else f"no profile for {kind}"
        return [*issues, error(IssueCode.NOT_SUPPORTED, why, "profile", RULE_PROFILE)]
    memo = compiled.shapes
    key, recalled = _recall(memo, resource)
    # One walk finds nulls (the structural layer's rule) and ele-1's empty elements together;
    # the shape tells whether there are any, else orjson's output does.
    if recalled is None:
        empties = list(empty_elements(resource, kind)) if _may_hold_empty(resource) else []
    else:
        empties = list(empty_elements(resource, kind)) if recalled.holds_empty else []
    issues = []
    for path, is_null in empties:
        if is_null:
            issues.append(null_issue(path))
        elif compiled.checks_ele_1:
            message = "an element needs a value or children"
            issues.append(error(IssueCode.STRUCTURE, message, path, RULE_ELE_1))
    issues = model_issues(kind, resource, issues)
    found: list[Issue] = []
    _declared_profiles(resource, compiled, found)
    if recalled is None:
        walked: list[Issue] = []
        _check_node(resource, compiled.root, kind, walked)
        # Each issue once, as the merge below would keep it.
        recalled = Recalled(tuple(dict.fromkeys(walked)), bool(empties))
        if key is not None:
            memo.put(key, recalled)
    if not issues and not found:
        return list(recalled.issues)
    for issue in (*found, *recalled.issues):
        if issue not in issues:
            issues.append(issue)
    return issues


def _recall(memo: ShapeMemo, resource: Mapping[str, Any]) -> tuple[Any, Recalled | None]:
    """The shape of `resource` (None if it has none) and what it gave before (None if new)."""
    try:
        key = memo.key(resource)
        return key, memo.get(key) if key is not None else None
    except Exception:  # malformed input (an unhashable value...): the walk meets it as before
        return None, None


def _may_hold_empty(resource: Mapping[str, Any]) -> bool:
    """False only when `resource` has no `null`, `{}` or `[]` anywhere (`empty_elements` is empty).

    orjson writes every dict and list (subclasses included) in compact form, so such a value
    always leaves one of the tokens in its output; a token inside a string only costs the walk.
    """
    try:
        text = orjson.dumps(resource)
    except TypeError:  # not JSON-serialisable by orjson (JSONEncodeError is a TypeError)
        return True
    return b"null" in text or b"{}" in text or b"[]" in text


def _declared_profiles(
    resource: Mapping[str, Any], compiled: CompiledProfile, found: list[Issue]
) -> None:
    meta = resource.get("meta") if isinstance(resource, dict) else None
    if not isinstance(meta, Mapping):
        return  # absent, or not an object: the structural layer reports the latter
    declared = meta.get("profile", [])
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
        check_value_rules(value, rule, where, found)
    if rule.descends and isinstance(value, dict):
        _check_node(value, rule, where, found)


def _check_invariants(
    node: Mapping[str, Any], group: InvariantGroup, location: str, found: list[Issue]
) -> None:
    for invariant in group.failing(node):
        issue = Issue(
            invariant.severity, IssueCode.INVARIANT, invariant.human, location, invariant.key
        )
        found.append(issue)


def _information(message: str, location: str, rule: str) -> Issue:
    return Issue(Severity.INFORMATION, IssueCode.INFORMATIONAL, message, location, rule)
