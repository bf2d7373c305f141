"""The CapabilityStatement, generated: the authored header of `profiles/base/capability.json`
plus, per resource type, exactly the interactions, search parameters, includes and operations
the hub serves (read from `_search_params.py`, the table the search parser uses)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.fhir._search_params import INCLUDES, PARAMETERS, REVINCLUDES

_READS = ("read", "vread", "history-instance", "history-type", "search-type")
_WRITES = ("create", "update", "delete")
_VALIDATE = {
    "name": "validate",
    "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate",
}
_EVERYTHING = {
    "name": "everything",
    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
}
# Groups are not stored: `Group/state-XX` names the children with a linked record of state XX.
_GROUP = {
    "type": "Group",
    "documentation": "Group/state-XX: the children with a linked record of state XX; "
    "only $export (no read or search)",
    "operation": [
        {
            "name": "export",
            "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export",
        }
    ],
}
_CANONICAL = "https://msix.example.org/fhir"
_WRITTEN_BY_CLIENTS = ("Immunization", "Condition")
_PROFILE_IDS = {
    "Patient": "msix-patient",
    "Immunization": "msix-immunization",
    "Condition": "msix-condition",
}


def capability_statement(base: Mapping[str, Any]) -> dict[str, Any]:
    statement = {name: value for name, value in base.items() if not name.startswith("_")}
    rest = dict(statement["rest"][0])
    rest["resource"] = [_resource(kind) for kind in PARAMETERS] + [
        {
            "type": "AuditEvent",
            "documentation": "The audit log (IHE BALP); needs system/AuditEvent.read",
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": "patient", "type": "reference"},
                {"name": "date", "type": "date", "documentation": "recorded; ge gt le lt"},
            ],
        },
        _GROUP,
        *({"type": kind, "interaction": [{"code": "read"}]} for kind in _ARTIFACT_TYPES),
    ]
    statement["rest"] = [rest]
    return statement


_ARTIFACT_TYPES = ("StructureDefinition", "ValueSet", "CodeSystem")


def _resource(kind: str) -> dict[str, Any]:
    codes = [*_READS, *(_WRITES if kind in _WRITTEN_BY_CLIENTS else ())]
    entry: dict[str, Any] = {
        "type": kind,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{kind}",
        "supportedProfile": [f"{_CANONICAL}/StructureDefinition/{_PROFILE_IDS[kind]}"],
        "interaction": [{"code": code} for code in codes],
        "versioning": "versioned",
        "readHistory": True,
        "updateCreate": kind in _WRITTEN_BY_CLIENTS,
        "conditionalCreate": kind in _WRITTEN_BY_CLIENTS,
        "conditionalRead": "not-supported",
        "conditionalUpdate": kind in _WRITTEN_BY_CLIENTS,
        "conditionalDelete": "not-supported",
        "searchInclude": list(INCLUDES.get(kind, ())),
        "searchRevInclude": list(REVINCLUDES.get(kind, ())),
        "searchParam": [
            {
                "name": param.name,
                "definition": param.definition,
                "type": param.type,
                "documentation": param.documentation,
            }
            for param in PARAMETERS[kind].values()
        ],
        "operation": [_VALIDATE, *([_EVERYTHING] if kind == "Patient" else [])],
    }
    return {name: value for name, value in entry.items() if value != []}
