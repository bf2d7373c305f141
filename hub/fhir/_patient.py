"""The FHIR Patient of a consolidated child (profiles/StructureDefinition-msix-patient.json).

Derived, never sent: id and first identifier are the MSIX ID, then one identifier per linked state
record; name, gender and birth date come from the child's identity summary (survivorship over
its linked records, computed by the caller). A merged (retired) MSIX ID keeps a Patient of its
own, inactive, whose `link` says `replaced-by` the survivor; the survivor says `replaces` back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from hub.fhir._artifacts import CANONICAL_BASE
from hub.fhir._builders import MSIX_ID_SYSTEM, student_id_system

PATIENT_PROFILE = f"{CANONICAL_BASE}/StructureDefinition/msix-patient"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
# hub/model/codesets/sex.csv -> administrative-gender; anything else is "unknown".
_GENDER = {"Female": "female", "Male": "male", "Other": "other"}

Resource = dict[str, Any]


def patient_resource(
    msix_id: str,
    links: Iterable[tuple[str, str]],
    identity: Mapping[str, Any],
    *,
    replaced_by: str | None = None,
    replaces: Iterable[str] = (),
) -> Resource:
    """An R4 Patient for child `msix_id`.

    `links` are (state, state student id) of the linked records; `identity` is the identity
    summary (hub.model.Identity field names: first_name, middle_name, last_name_1, last_name_2,
    suffix, sex, birth_date). `replaced_by` marks a retired MSIX ID; `replaces` lists the retired
    IDs merged into this one.
    """
    identifiers: list[dict[str, str]] = [
        {"use": "official", "system": MSIX_ID_SYSTEM, "value": msix_id}
    ]
    identifiers += [
        {"system": student_id_system(state), "value": sid} for state, sid in sorted(set(links))
    ]
    resource: Resource = {
        "resourceType": "Patient",
        "id": msix_id,
        "meta": {"profile": [PATIENT_PROFILE]},
        "identifier": identifiers,
        "active": replaced_by is None,
        "name": [_name(identity)],
        "gender": _GENDER.get(str(identity.get("sex") or ""), "unknown"),
    }
    born = identity.get("birth_date")
    if born:
        resource["birthDate"] = born.isoformat() if isinstance(born, date) else str(born)[:10]
    if identity.get("multiple_birth") is not None:
        resource["multipleBirthBoolean"] = bool(identity["multiple_birth"])
    link = [_link(other, "replaces") for other in sorted(set(replaces))]
    if replaced_by is not None:
        link.insert(0, _link(replaced_by, "replaced-by"))
    if link:
        resource["link"] = link
    return resource


def _name(identity: Mapping[str, Any]) -> dict[str, Any]:
    surnames = [identity.get("last_name_1"), identity.get("last_name_2")]
    family = " ".join(str(part).strip() for part in surnames if part and str(part).strip())
    given = [
        str(part).strip()
        for part in (identity.get("first_name"), identity.get("middle_name"))
        if part and str(part).strip()
    ]
    name: dict[str, Any] = {"use": "official"}
    if family:
        name["family"] = family
    if given:
        name["given"] = given
    if identity.get("suffix"):
        name["suffix"] = [str(identity["suffix"]).strip()]
    if not family and not given:
        # us-core-6: a name with neither family nor given says why.
        name["extension"] = [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]
    return name


def _link(msix_id: str, kind: str) -> dict[str, Any]:
    return {"other": {"reference": f"Patient/{msix_id}"}, "type": kind}
