"""Health entries as FHIR R4 JSON: stable ids, coding systems, structure checked by R4B models."""

from __future__ import annotations

from datetime import date

from hub.fhir import (
    CVX_SYSTEM,
    condition_resource,
    entry_id,
    immunization_resource,
    search_projection,
    validate_entry_structure,
    validate_structure,
    with_patient,
)
from hub.model import Condition, Immunization

MSIX_ID = "123456789012"


def _dose(**changes: object) -> Immunization:
    fields: dict[str, object] = {
        "record_id": "002",
        "cvx": "03",
        "occurrence_date": date(2015, 4, 2),
        "dose_number": 1,
        "primary_source": True,
    }
    return Immunization.model_validate({**fields, **changes})


def test_an_immunization_is_valid_r4_with_cvx_coding_patient_and_state_identifier() -> None:
    resource = immunization_resource(MSIX_ID, "TX", "TX100", _dose())
    assert validate_structure(resource) == []
    assert resource["vaccineCode"]["coding"] == [
        {"system": CVX_SYSTEM, "code": "03", "display": "MMR"}
    ]
    assert resource["patient"] == {"reference": f"Patient/{MSIX_ID}"}
    assert resource["identifier"] == [
        {"system": "urn:msix:state:TX:immunization", "value": "TX100:002"}
    ]
    assert resource["occurrenceDateTime"] == "2015-04-02"
    assert resource["protocolApplied"] == [{"doseNumberPositiveInt": 1}]
    assert "reportOrigin" not in resource


def test_a_transcribed_dose_says_so_with_report_origin() -> None:
    resource = immunization_resource(MSIX_ID, "TX", "TX100", _dose(primary_source=False))
    assert resource["primarySource"] is False
    assert resource["reportOrigin"]["coding"][0]["code"] == "record"
    assert validate_structure(resource) == []


def test_a_dose_without_a_date_still_has_an_occurrence() -> None:
    resource = immunization_resource(MSIX_ID, "TX", "TX100", _dose(occurrence_date=None))
    assert resource["occurrenceString"] == "unknown"
    assert validate_structure(resource) == []


def test_the_id_depends_on_state_student_and_record_id_never_on_the_msix_id() -> None:
    first = immunization_resource(MSIX_ID, "TX", "TX100", _dose())
    relinked = immunization_resource("987654321098", "TX", "TX100", _dose())
    assert first["id"] == relinked["id"] == entry_id("TX", "TX100", "immunization", "002")
    other_row = immunization_resource(MSIX_ID, "TX", "TX100", _dose(record_id="003"))
    other_state = immunization_resource(MSIX_ID, "WA", "TX100", _dose())
    assert len({first["id"], other_row["id"], other_state["id"]}) == 3
    assert len(first["id"]) <= 64


def test_a_condition_carries_fhir_code_systems_for_status_and_category() -> None:
    entry = Condition(
        record_id="001",
        code_system="snomed",
        code="195967001",
        display="Asthma",
        category="health-concern",
        onset_date=date(2016, 5, 1),
    )
    resource = condition_resource(MSIX_ID, "WA", "WA7", entry)
    assert validate_structure(resource) == []
    assert resource["code"]["coding"][0]["system"] == "http://snomed.info/sct"
    assert resource["clinicalStatus"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
        "code": "active",
        "display": "Active",
    }
    assert resource["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert resource["category"][0]["coding"][0]["system"] == (
        "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
    )
    assert resource["subject"] == {"reference": f"Patient/{MSIX_ID}"}


def test_a_condition_entered_in_error_has_no_clinical_status() -> None:
    entry = Condition(
        record_id="001", code_system="icd10cm", code="J45", verification_status="entered-in-error"
    )
    resource = condition_resource(MSIX_ID, "WA", "WA7", entry)
    assert "clinicalStatus" not in resource  # con-5
    assert resource["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm"
    assert validate_structure(resource) == []


def test_validation_locates_every_problem_fhirpath_style() -> None:
    resource = immunization_resource(MSIX_ID, "TX", "TX100", _dose(dose_number=0))
    resource["lotNumber"] = None
    resource["vaccineCode"]["coding"][0]["code"] = "a  b"
    del resource["patient"]
    issues = validate_structure(resource)
    by_location = {issue.location: issue for issue in issues}
    assert set(by_location) == {
        "Immunization.lotNumber",
        "Immunization.protocolApplied[0].doseNumberPositiveInt",
        "Immunization.vaccineCode.coding[0].code",
        "Immunization.patient",
    }
    assert by_location["Immunization.lotNumber"].rule == "fhir.null"
    assert by_location["Immunization.patient"].message == "required element is missing"
    assert all(issue.is_error for issue in issues)


def test_an_unsupported_resource_type_is_an_issue_not_a_crash() -> None:
    issues = validate_structure({"resourceType": "Observation", "id": "x"})
    assert [issue.location for issue in issues] == ["resourceType"]


def test_the_search_projection_holds_identifiers_patient_date_and_tokens() -> None:
    projection = search_projection(immunization_resource(MSIX_ID, "TX", "TX100", _dose()))
    assert projection.identifiers == ["urn:msix:state:TX:immunization|TX100:002"]
    assert projection.patient == MSIX_ID
    assert projection.date == "2015-04-02"
    # Tokens are stored in every form a token search names: code, system|code and system|.
    assert projection.extra["status"] == [
        "completed",
        "http://hl7.org/fhir/event-status|",
        "http://hl7.org/fhir/event-status|completed",
    ]
    assert "http://hl7.org/fhir/sid/cvx|03" in projection.extra["vaccine_code"]
    assert "TX100:002" in projection.extra["identifier"]
    assert projection.extra["year"] == "2015"
    entry = Condition(record_id="001", code_system="snomed", code="195967001")
    condition = search_projection(condition_resource(MSIX_ID, "WA", "WA7", entry))
    assert "problem-list-item" in condition.extra["category"]
    assert "active" in condition.extra["clinical_status"]


def test_with_patient_points_a_resource_at_another_child() -> None:
    resource = immunization_resource("000000000000", "TX", "TX100", _dose())
    moved = with_patient(resource, MSIX_ID)
    assert moved["patient"] == {"reference": f"Patient/{MSIX_ID}"}
    assert resource["patient"] == {"reference": "Patient/000000000000"}
    entry = Condition(record_id="001", code_system="snomed", code="195967001")
    condition = with_patient(condition_resource("000000000000", "WA", "W", entry), MSIX_ID)
    assert condition["subject"] == {"reference": f"Patient/{MSIX_ID}"}


def test_the_memoised_entry_validation_agrees_with_the_full_one() -> None:
    from hub.synth import iter_children

    resources = [
        immunization_resource(MSIX_ID, "TX", "TX100", _dose(dose_number=0)),
        immunization_resource(MSIX_ID, "TX", "TX100", _dose(cvx="a  b")),
        {**immunization_resource(MSIX_ID, "TX", "TX100", _dose()), "lotNumber": None},
    ]
    for child in iter_children(9, 60):
        for emitted in child.records:
            record = emitted.record
            sid = record.student_id.value
            resources += [
                immunization_resource(MSIX_ID, record.student_id.state, sid, dose)
                for dose in record.immunizations
            ]
            resources += [
                condition_resource(MSIX_ID, record.student_id.state, sid, condition)
                for condition in record.conditions
            ]
    assert len(resources) > 100
    for resource in resources:
        assert validate_entry_structure(resource) == validate_structure(resource)
    assert validate_entry_structure(resources[0])[0].location == (
        "Immunization.protocolApplied[0].doseNumberPositiveInt"
    )
