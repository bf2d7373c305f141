"""The search parameters the hub offers, as data: one table read by the parser and by the
CapabilityStatement build, so what `/fhir/metadata` lists is exactly what a search accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

STRING = "string"
TOKEN = "token"  # noqa: S105 (a search parameter type)
DATE = "date"
REFERENCE = "reference"

ADMINISTRATIVE_GENDER = "http://hl7.org/fhir/administrative-gender"
EVENT_STATUS = "http://hl7.org/fhir/event-status"

# The resource types searchable through `/fhir/{type}` (AuditEvent has its own, smaller door).
SEARCHABLE_TYPES: Final = ("Patient", "Immunization", "Condition")
DEFAULT_COUNT: Final = 50
MAX_COUNT: Final = 1000
# Included resources of one page (each `_revinclude` type) are capped; see docs/fhir-api.md.
MAX_INCLUDED: Final = 1000


@dataclass(frozen=True, slots=True)
class SearchParam:
    """One search parameter: its FHIR type, the projection field it queries and its modifiers."""

    name: str
    type: str
    field: str  # the stored projection field (`x_...` for per-type tokens)
    definition: str
    modifiers: tuple[str, ...] = ()
    name_tags: tuple[str, ...] = ()  # string parameters on names: which parts (f, g)

    @property
    def documentation(self) -> str:
        return f"{self.type}; modifiers: {', '.join(self.modifiers) or 'none'}"


def _spec(name: str, resource: str) -> str:
    return f"http://hl7.org/fhir/SearchParameter/{resource}-{name}"


def _us_core(name: str, resource: str) -> str:
    return f"http://hl7.org/fhir/us/core/SearchParameter/us-core-{resource.lower()}-{name}"


_ID = SearchParam("_id", TOKEN, "_id", "http://hl7.org/fhir/SearchParameter/Resource-id")
_TOKEN_MODIFIERS = ("not", "missing")
_REFERENCE_MODIFIERS = ("missing",)
_DATE_MODIFIERS = ("missing",)
_STRING_MODIFIERS = ("exact", "missing")

PARAMETERS: Final[dict[str, dict[str, SearchParam]]] = {
    "Patient": {
        p.name: p
        for p in (
            _ID,
            SearchParam(
                "identifier",
                TOKEN,
                "x_identifier",
                _us_core("identifier", "Patient"),
                _TOKEN_MODIFIERS,
            ),
            SearchParam(
                "name",
                STRING,
                "x_name_words",
                _us_core("name", "Patient"),
                _STRING_MODIFIERS,
                ("f", "g"),
            ),
            SearchParam(
                "family",
                STRING,
                "x_name_words",
                _us_core("family", "Patient"),
                _STRING_MODIFIERS,
                ("f",),
            ),
            SearchParam(
                "given",
                STRING,
                "x_name_words",
                _us_core("given", "Patient"),
                _STRING_MODIFIERS,
                ("g",),
            ),
            SearchParam(
                "birthdate", DATE, "date", _us_core("birthdate", "Patient"), _DATE_MODIFIERS
            ),
            SearchParam(
                "gender", TOKEN, "x_gender", _us_core("gender", "Patient"), _TOKEN_MODIFIERS
            ),
        )
    },
    "Immunization": {
        p.name: p
        for p in (
            _ID,
            SearchParam(
                "identifier",
                TOKEN,
                "x_identifier",
                _spec("identifier", "Immunization"),
                _TOKEN_MODIFIERS,
            ),
            SearchParam(
                "patient",
                REFERENCE,
                "patient",
                _us_core("patient", "Immunization"),
                _REFERENCE_MODIFIERS,
            ),
            SearchParam("date", DATE, "date", _us_core("date", "Immunization"), _DATE_MODIFIERS),
            SearchParam(
                "status", TOKEN, "x_status", _us_core("status", "Immunization"), _TOKEN_MODIFIERS
            ),
            SearchParam(
                "vaccine-code",
                TOKEN,
                "x_vaccine_code",
                _spec("vaccine-code", "Immunization"),
                _TOKEN_MODIFIERS,
            ),
        )
    },
    "Condition": {
        p.name: p
        for p in (
            _ID,
            SearchParam(
                "identifier",
                TOKEN,
                "x_identifier",
                _spec("identifier", "Condition"),
                _TOKEN_MODIFIERS,
            ),
            SearchParam(
                "patient",
                REFERENCE,
                "patient",
                _us_core("patient", "Condition"),
                _REFERENCE_MODIFIERS,
            ),
            SearchParam(
                "subject", REFERENCE, "patient", _spec("subject", "Condition"), _REFERENCE_MODIFIERS
            ),
            SearchParam(
                "category",
                TOKEN,
                "x_category",
                _us_core("category", "Condition"),
                _TOKEN_MODIFIERS,
            ),
            SearchParam(
                "clinical-status",
                TOKEN,
                "x_clinical_status",
                _us_core("clinical-status", "Condition"),
                _TOKEN_MODIFIERS,
            ),
            SearchParam("code", TOKEN, "x_code", _us_core("code", "Condition"), _TOKEN_MODIFIERS),
            SearchParam(
                "onset-date",
                DATE,
                "date",
                _us_core("onset-date", "Condition"),
                _DATE_MODIFIERS,
            ),
        )
    },
}

# `_include` offered per searched type, `_revinclude` offered on Patient searches:
# "Source:param" -> (source type, reference parameter).
INCLUDES: Final[dict[str, tuple[str, ...]]] = {
    "Immunization": ("Immunization:patient",),
    "Condition": ("Condition:patient", "Condition:subject"),
}
REVINCLUDES: Final[dict[str, tuple[str, ...]]] = {
    "Patient": ("Immunization:patient", "Condition:patient", "Condition:subject"),
}
# Result parameters and others the parser understands itself.
CONTROL_PARAMETERS: Final = frozenset(
    {"_count", "_summary", "_include", "_revinclude", "_format", "_cursor", "_total"}
)
CURSOR_PARAMETER: Final = "_cursor"
