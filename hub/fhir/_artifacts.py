"""The published artifacts of `profiles/`, loaded once: lookup by id or canonical URL.

Only the top-level `*.json` files are artifacts; `profiles/base/` holds authoring inputs and
`profiles/examples/` instances. The bytes of each file are kept so the API serves them unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from hub.errors import ConfigurationError, IssueCode, NotFoundError, error
from hub.fhir._build import PROFILES_DIR

CANONICAL_BASE = "https://msix.example.org/fhir"
SERVED_TYPES = ("StructureDefinition", "ValueSet", "CodeSystem", "CapabilityStatement")

Artifact = dict[str, Any]


@dataclass(frozen=True)
class Artifacts:
    """Every artifact by (resourceType, id) and by canonical URL, with its file bytes."""

    by_key: Mapping[tuple[str, str], Artifact]
    raw: Mapping[tuple[str, str], bytes]
    by_url: Mapping[str, Artifact]
    _codes: dict[str, frozenset[tuple[str, str]] | None] = field(default_factory=dict)

    def get(self, resource_type: str, artifact_id: str) -> Artifact:
        found = self.by_key.get((resource_type, artifact_id))
        if found is None:
            raise NotFoundError(f"{resource_type}/{artifact_id} is not published", "id")
        return found

    def json_bytes(self, resource_type: str, artifact_id: str) -> bytes:
        self.get(resource_type, artifact_id)
        return self.raw[(resource_type, artifact_id)]

    def resolve(self, canonical: str) -> Artifact | None:
        """The artifact a canonical reference names (`url` or `url|version`), if bundled."""
        return self.by_url.get(canonical.partition("|")[0])

    def profiles(self) -> list[Artifact]:
        return [doc for (kind, _), doc in self.by_key.items() if kind == "StructureDefinition"]

    def capability_statement(self) -> Artifact:
        for (kind, _), doc in self.by_key.items():
            if kind == "CapabilityStatement":
                return doc
        raise NotFoundError("no CapabilityStatement is published", "metadata")

    def value_set_codes(self, canonical: str) -> frozenset[tuple[str, str]] | None:
        """(system, code) pairs of a bundled ValueSet, or None when it is not bundled."""
        url = canonical.partition("|")[0]
        if url not in self._codes:
            self._codes[url] = self._expand(url)
        return self._codes[url]

    def _expand(self, url: str) -> frozenset[tuple[str, str]] | None:
        value_set = self.by_url.get(url)
        if value_set is None or value_set.get("resourceType") != "ValueSet":
            return None
        codes: set[tuple[str, str]] = set()
        for include in value_set.get("compose", {}).get("include", []):
            system = include.get("system", "")
            if "concept" in include:
                codes.update((system, concept["code"]) for concept in include["concept"])
                continue
            code_system = self.by_url.get(system)
            if code_system is None:
                return None
            codes.update((system, concept["code"]) for concept in _concepts(code_system))
        return frozenset(codes)


def _concepts(code_system: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    pending = list(code_system.get("concept", []))
    while pending:
        concept = pending.pop()
        found.append(concept)
        pending.extend(concept.get("concept", []))
    return found


@functools.lru_cache(maxsize=4)
def load_artifacts(profiles_dir: Path = PROFILES_DIR) -> Artifacts:
    """Read every artifact of `profiles_dir`; a malformed or duplicate one stops the hub."""
    by_key: dict[tuple[str, str], Artifact] = {}
    raw: dict[tuple[str, str], bytes] = {}
    by_url: dict[str, Artifact] = {}
    problems = []
    for path in sorted(profiles_dir.glob("*.json")):
        data = path.read_bytes()
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            problems.append(error(IssueCode.STRUCTURE, f"not JSON: {exc}", path.name))
            continue
        kind, artifact_id = doc.get("resourceType"), doc.get("id")
        if kind not in SERVED_TYPES or not isinstance(artifact_id, str):
            problems.append(error(IssueCode.INVALID, "not a publishable artifact", path.name))
            continue
        if (kind, artifact_id) in by_key:
            problems.append(error(IssueCode.DUPLICATE, f"{kind}/{artifact_id} twice", path.name))
            continue
        by_key[(kind, artifact_id)] = doc
        raw[(kind, artifact_id)] = data
        if "url" in doc:
            by_url[doc["url"]] = doc
    if problems:
        raise ConfigurationError(problems)
    return Artifacts(by_key, raw, by_url)
