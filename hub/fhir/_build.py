"""Generate the published artifacts of `profiles/` from their authored inputs.

Authored: the differential of each `StructureDefinition-*.json`, and `profiles/base/` (R4 rules
the models lack, the US Core 6.1.0 layer, terminology inputs, the CapabilityStatement header).
Generated: each profile's snapshot, the CapabilityStatement's resources (from the search
parameter table), and the CodeSystems and ValueSets, whose codes come from the hub's code tables
so the CVX codes the ingest path accepts and those the profiles bind are one list.
`profiles/build.py` writes the result; a test checks that the files on disk are what this module
builds.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from hub.errors import ConfigurationError, IssueCode, error
from hub.fhir._capability import capability_statement
from hub.fhir._snapshot import build_snapshot
from hub.model import codeset

PROFILES_DIR = Path(__file__).resolve().parents[2] / "profiles"
PUBLISHER = "MSIX Hub"

Artifact = dict[str, Any]


def build_artifacts(profiles_dir: Path = PROFILES_DIR) -> dict[str, Artifact]:
    """File name -> JSON of every generated artifact (snapshots, CodeSystems, ValueSets)."""
    base = profiles_dir / "base"
    r4 = _load(base / "r4-4.0.1.json")
    us_core = _load(base / "us-core-6.1.0.json")
    terminology = _load(base / "terminology.json")
    built: dict[str, Artifact] = {}
    for spec in terminology["codeSystems"]:
        built[f"CodeSystem-{spec['id']}.json"] = _code_system(spec)
    for spec in terminology["valueSets"]:
        built[f"ValueSet-{spec['id']}.json"] = _value_set(spec)
    versions = {doc["url"]: doc["version"] for doc in built.values()}
    for path in sorted(profiles_dir.glob("StructureDefinition-*.json")):
        profile = with_snapshot(_load(path), r4, us_core)
        _check_bound_versions(profile, versions)
        built[path.name] = profile
    capability = base / "capability.json"
    if capability.exists():
        statement = capability_statement(_load(capability))
        built[f"CapabilityStatement-{statement['id']}.json"] = statement
    return built


def with_snapshot(
    profile: Mapping[str, Any], r4: Mapping[str, Any], us_core: Mapping[str, Any]
) -> Artifact:
    """`profile` with its snapshot: R4 rules, then each ancestor's differential, then its own."""
    resource_type = profile["type"]
    chain: list[list[dict[str, Any]]] = [profile["differential"]["element"]]
    parent = profile["baseDefinition"]
    while parent in us_core["profiles"]:
        ancestor = us_core["profiles"][parent]
        chain.insert(0, ancestor["differential"])
        parent = ancestor.get("baseDefinition", "")
    layers = [r4["elements"].get(resource_type, []), *chain]
    snapshot = build_snapshot(resource_type, layers, r4["domainResource"])
    built = {name: copy.deepcopy(value) for name, value in profile.items() if name != "snapshot"}
    built["snapshot"] = {"element": snapshot}
    return built


def _code_system(spec: Mapping[str, Any]) -> Artifact:
    table = codeset(spec["csv"])
    version = table.reviewed.isoformat() if spec.get("dated") else spec["version"]
    concepts = []
    has_dates = False
    for code in table:
        if code.system != spec["url"]:
            continue
        concept: dict[str, Any] = {"code": code.code, "display": code.display}
        properties = []
        if code.valid_from is not None:
            properties.append({"code": "validFrom", "valueDateTime": code.valid_from.isoformat()})
        if code.valid_to is not None:
            properties.append({"code": "validTo", "valueDateTime": code.valid_to.isoformat()})
        if properties:
            concept["property"] = properties
            has_dates = True
        concepts.append(concept)
    system: Artifact = {
        "resourceType": "CodeSystem",
        "id": spec["id"],
        "url": spec["url"],
        "version": version,
        "name": spec["name"],
        "title": spec["title"],
        "status": "active",
        "date": table.reviewed.isoformat(),
        "publisher": PUBLISHER,
        "description": _description(spec, table.source, table.status),
        "caseSensitive": True,
        "content": spec["content"],
        "count": len(concepts),
    }
    if has_dates:
        system["property"] = [
            {"code": "validFrom", "type": "dateTime", "description": "First date of US use"},
            {"code": "validTo", "type": "dateTime", "description": "Last date of US use"},
        ]
    system["concept"] = concepts
    return system


def _value_set(spec: Mapping[str, Any]) -> Artifact:
    include: list[dict[str, Any]] = []
    if "csv" in spec:
        table = codeset(spec["csv"])
        version = table.reviewed.isoformat() if spec.get("dated") else spec["version"]
        date, description = table.reviewed.isoformat(), _description(spec, table.source, "")
        if "wholeCodeSystem" in spec:
            include.append({"system": spec["wholeCodeSystem"], "version": version})
        else:
            by_system: dict[str, list[dict[str, str]]] = {}
            for code in table:
                by_system.setdefault(code.system or "", []).append(
                    {"code": code.code, "display": code.display}
                )
            include = [{"system": name, "concept": codes} for name, codes in by_system.items()]
    else:
        version, date = spec["version"], "2019-11-01"
        description = spec.get("description", f"{spec['title']} (FHIR R4 4.0.1), bundled copy")
        concepts = [{"code": code, "display": display} for code, display in spec["concepts"]]
        include = [{"system": spec["system"], "concept": concepts}]
    return {
        "resourceType": "ValueSet",
        "id": spec["id"],
        "url": spec["url"],
        "version": version,
        "name": spec["name"],
        "title": spec["title"],
        "status": "active",
        "date": date,
        "publisher": PUBLISHER,
        "description": description,
        "compose": {"include": include},
    }


def _description(spec: Mapping[str, Any], source: str, status: str) -> str:
    text = spec.get("description") or f"{spec['title']}: bundled for offline validation."
    text += f" Codes from the hub code table {spec['csv']}.csv (source: {source})."
    return f"{text} Table status: {status}." if status else text


def _check_bound_versions(profile: Mapping[str, Any], versions: Mapping[str, str]) -> None:
    problems = []
    for element in profile["differential"]["element"]:
        canonical = element.get("binding", {}).get("valueSet", "")
        url, _, version = canonical.partition("|")
        if version and url in versions and versions[url] != version:
            problems.append(
                error(
                    IssueCode.BUSINESS_RULE,
                    f"binding names {canonical} but the bundled ValueSet is {versions[url]}",
                    element["path"],
                )
            )
    if problems:
        raise ConfigurationError(problems)


def _load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())
