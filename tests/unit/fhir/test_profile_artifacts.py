"""The published artifacts: rebuilt identically from their inputs, valid FHIR, snapshots sound."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from hub.errors import ConfigurationError
from hub.fhir import PROFILES_DIR, build_artifacts, load_artifacts
from hub.fhir._snapshot import build_snapshot

ARTIFACTS = sorted(PROFILES_DIR.glob("*.json"))


def test_the_files_in_profiles_are_what_the_build_produces() -> None:
    for name, artifact in build_artifacts().items():
        on_disk = json.loads((PROFILES_DIR / name).read_text(encoding="utf-8"))
        assert on_disk == artifact, f"{name} is stale: run python profiles/build.py"


@pytest.mark.parametrize("path", ARTIFACTS, ids=lambda path: path.name)
def test_each_artifact_is_a_valid_r4_resource(path: Any) -> None:
    artifact = json.loads(path.read_text(encoding="utf-8"))
    get_fhir_model_class(artifact["resourceType"]).model_validate(artifact)


def test_each_profile_derives_from_us_core_6_1_0_with_a_snapshot() -> None:
    profiles = {doc["id"]: doc for doc in load_artifacts().profiles()}
    assert set(profiles) == {"msix-patient", "msix-immunization", "msix-condition"}
    bases = {doc["baseDefinition"].rsplit("/", 1)[1] for doc in profiles.values()}
    assert bases == {
        "us-core-patient", "us-core-immunization", "us-core-condition-problems-health-concerns",
    }  # fmt: skip
    for doc in profiles.values():
        assert doc["fhirVersion"] == "4.0.1"
        paths = [element["path"] for element in doc["snapshot"]["element"]]
        assert paths[0] == doc["type"]
        assert len(paths) == len(set(paths))
        for element in doc["differential"]["element"]:
            assert element["path"] in paths


def test_the_snapshot_carries_base_us_core_and_msix_rules_on_one_element() -> None:
    profile = load_artifacts().get("StructureDefinition", "msix-patient")
    by_path = {element["path"]: element for element in profile["snapshot"]["element"]}
    identifier = by_path["Patient.identifier"]
    assert identifier["min"] == 1
    assert identifier["mustSupport"] is True
    keys = [constraint["key"] for constraint in identifier["constraint"]]
    assert keys == ["ele-1", "msix-id-1", "msix-id-2"]
    assert by_path["Patient.identifier.value"]["maxLength"] == 15
    assert by_path["Patient.identifier.value"]["base"]["path"] == "Identifier.value"
    assert by_path["Patient.gender"]["binding"]["strength"] == "required"  # R4
    assert by_path["Patient.birthDate"]["min"] == 1  # MSIX


def test_the_cvx_code_system_and_value_set_are_dated_and_share_the_hub_code_table() -> None:
    artifacts = load_artifacts()
    cvx = artifacts.get("CodeSystem", "cvx")
    vaccines = artifacts.get("ValueSet", "msix-vaccines-cvx")
    assert cvx["version"] == vaccines["version"] == "2026-11-28"
    assert cvx["content"] == "fragment"
    codes = artifacts.value_set_codes(vaccines["url"])
    assert codes is not None
    assert ("http://hl7.org/fhir/sid/cvx", "03") in codes
    assert len(codes) == cvx["count"]


def test_a_layer_that_loosens_its_base_stops_the_build() -> None:
    loosen = [{"path": "Immunization.vaccineCode", "min": 0}]
    with pytest.raises(ConfigurationError, match="may not loosen"):
        build_snapshot("Immunization", [loosen])
    with pytest.raises(ConfigurationError, match="no such element"):
        build_snapshot("Immunization", [[{"path": "Immunization.vaccine", "min": 1}]])


def test_the_capability_statement_lists_every_profile() -> None:
    artifacts = load_artifacts()
    statement = artifacts.capability_statement()
    supported = {
        url
        for resource in statement["rest"][0]["resource"]
        for url in resource.get("supportedProfile", [])
    }
    assert supported == {doc["url"] for doc in artifacts.profiles()}
