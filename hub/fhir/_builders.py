"""Canonical health entries as FHIR R4 JSON (Immunization, Condition) with stable ids.

A resource's id and identifier depend only on the reporting state, the state student id and the
entry's record id, never on the MSIX ID: a resend of the same entry names the same resource (an
update, not a duplicate), and re-linking a child to another MSIX ID changes only the reference.
Builders emit plain dicts; `validate_structure` checks them through the R4B models on write.
"""

from __future__ import annotations

import hashlib
from typing import Any

from hub.model import Condition, Immunization, codeset

CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"
# Patient identifiers (profiles/StructureDefinition-msix-patient.json): the MSIX ID, and each
# state's student ids under `state_system(state, "student")`, beside that state's entry systems.
MSIX_ID_SYSTEM = "urn:msix:msix-id"
STUDENT_KIND = "student"
IMMUNIZATION_ORIGIN = "http://terminology.hl7.org/CodeSystem/immunization-origin"
CONDITION_CODE_SYSTEMS = {
    "snomed": "http://snomed.info/sct",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
}
# FHIR id: [A-Za-z0-9-.]{1,64}; 40 hex digits (160 bits) leave room and never collide in practice.
_ID_DIGITS = 40

Resource = dict[str, Any]


def state_system(state: str, kind: str) -> str:
    """The hub-minted identifier system of one state's entries of one kind."""
    return f"urn:msix:state:{state}:{kind}"


def student_id_system(state: str) -> str:
    """The identifier system of one state's student ids (`urn:msix:state:TX:student`)."""
    return state_system(state, STUDENT_KIND)


def entry_id(state: str, state_student_id: str, kind: str, record_id: str) -> str:
    """The stable resource id of one health entry of one state record."""
    key = f"{state}|{state_student_id}|{kind}|{record_id}".encode()
    return hashlib.sha256(key).hexdigest()[:_ID_DIGITS]


def immunization_resource(
    msix_id: str, state: str, state_student_id: str, entry: Immunization
) -> Resource:
    """An R4 Immunization for one canonical immunization entry of a state record."""
    coding: dict[str, str] = {"system": CVX_SYSTEM, "code": entry.cvx}
    display = codeset("cvx").display(entry.cvx)
    if display:
        coding["display"] = display
    resource: Resource = {
        "resourceType": "Immunization",
        "id": entry_id(state, state_student_id, "immunization", entry.record_id),
        "identifier": [_identifier(state, state_student_id, "immunization", entry.record_id)],
        "status": entry.status,
        "vaccineCode": {"coding": [coding]},
        "patient": {"reference": f"Patient/{msix_id}"},
    }
    if entry.occurrence_date is not None:
        resource["occurrenceDateTime"] = entry.occurrence_date.isoformat()
    else:
        # occurrence[x] is 1..1; a transcribed history without a date still says so.
        resource["occurrenceString"] = "unknown"
    resource["primarySource"] = entry.primary_source
    if not entry.primary_source:
        # STANDARDS.md §3: transcribed histories carry primarySource=false with reportOrigin.
        origin = {"system": IMMUNIZATION_ORIGIN, "code": "record", "display": "Written Record"}
        resource["reportOrigin"] = {"coding": [origin]}
    if entry.dose_number is not None:
        resource["protocolApplied"] = [{"doseNumberPositiveInt": entry.dose_number}]
    return resource


def condition_resource(
    msix_id: str, state: str, state_student_id: str, entry: Condition
) -> Resource:
    """An R4 Condition for one canonical condition entry of a state record."""
    code: dict[str, str] = {
        "system": CONDITION_CODE_SYSTEMS.get(entry.code_system, entry.code_system),
        "code": entry.code,
    }
    if entry.display:
        code["display"] = entry.display
    resource: Resource = {
        "resourceType": "Condition",
        "id": entry_id(state, state_student_id, "condition", entry.record_id),
        "identifier": [_identifier(state, state_student_id, "condition", entry.record_id)],
    }
    # con-5: a condition entered in error carries no clinical status.
    if entry.clinical_status is not None and entry.verification_status != "entered-in-error":
        resource["clinicalStatus"] = _concept("condition-clinical", entry.clinical_status)
    resource["verificationStatus"] = _concept("condition-ver-status", entry.verification_status)
    resource["category"] = [_concept("condition-category", entry.category)]
    resource["code"] = {"coding": [code], **({"text": entry.display} if entry.display else {})}
    resource["subject"] = {"reference": f"Patient/{msix_id}"}
    if entry.onset_date is not None:
        resource["onsetDateTime"] = entry.onset_date.isoformat()
    if entry.abatement_date is not None:
        resource["abatementDateTime"] = entry.abatement_date.isoformat()
    return resource


def with_patient(resource: Resource, msix_id: str) -> Resource:
    """The same resource about child `msix_id` (its `patient` or `subject` reference replaced).

    Lets a pipeline build and validate resources before the child's MSIX ID is known: a
    `Patient/<12 digits>` reference replaces another of the same shape, so validity is unchanged.
    """
    element = "patient" if resource["resourceType"] == "Immunization" else "subject"
    return {**resource, element: {"reference": f"Patient/{msix_id}"}}


def _identifier(state: str, state_student_id: str, kind: str, record_id: str) -> dict[str, str]:
    return {"system": state_system(state, kind), "value": f"{state_student_id}:{record_id}"}


def _concept(set_name: str, value: str) -> dict[str, Any]:
    """A CodeableConcept from a hub code set; the code set holds each code's FHIR system."""
    found = codeset(set_name).get(value)
    coding: dict[str, str] = {"code": value}
    if found is not None:
        if found.system:
            coding = {"system": found.system, "code": value}
        coding["display"] = found.display
    return {"coding": [coding]}
