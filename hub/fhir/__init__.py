"""FHIR R4 for the hub: resources, published profiles, validation, search projections.

The only package that imports `fhir.resources` (its R4B models, STANDARDS.md §1). Resources are
built and stored as plain JSON dicts; the models are used to validate on write, never to serve.
"""

from hub.fhir._artifacts import CANONICAL_BASE, SERVED_TYPES, Artifacts, load_artifacts
from hub.fhir._build import PROFILES_DIR, build_artifacts
from hub.fhir._builders import (
    CONDITION_CODE_SYSTEMS,
    CVX_SYSTEM,
    MSIX_ID_SYSTEM,
    condition_resource,
    entry_id,
    immunization_resource,
    state_system,
    student_id_system,
    with_patient,
)
from hub.fhir._bundle import Version, history, searchset
from hub.fhir._patient import PATIENT_PROFILE, patient_resource
from hub.fhir._projection import Projection, fold, search_projection
from hub.fhir._search import Criterion, SearchRequest, parse_search
from hub.fhir._search_params import (
    DEFAULT_COUNT,
    INCLUDES,
    MAX_COUNT,
    MAX_INCLUDED,
    PARAMETERS,
    REVINCLUDES,
    SEARCHABLE_TYPES,
)
from hub.fhir._validation import (
    RULE_NULL,
    RULE_STRUCTURE,
    validate_entry_structure,
    validate_structure,
)
from hub.fhir.profile_validation import compiled_profile, profile_urls, validate_resource

__all__ = [
    "CANONICAL_BASE",
    "CONDITION_CODE_SYSTEMS",
    "CVX_SYSTEM",
    "DEFAULT_COUNT",
    "INCLUDES",
    "MAX_COUNT",
    "MAX_INCLUDED",
    "MSIX_ID_SYSTEM",
    "PARAMETERS",
    "PATIENT_PROFILE",
    "PROFILES_DIR",
    "REVINCLUDES",
    "RULE_NULL",
    "RULE_STRUCTURE",
    "SEARCHABLE_TYPES",
    "SERVED_TYPES",
    "Artifacts",
    "Criterion",
    "Projection",
    "SearchRequest",
    "Version",
    "build_artifacts",
    "compiled_profile",
    "condition_resource",
    "entry_id",
    "fold",
    "history",
    "immunization_resource",
    "load_artifacts",
    "parse_search",
    "patient_resource",
    "profile_urls",
    "search_projection",
    "searchset",
    "state_system",
    "student_id_system",
    "validate_entry_structure",
    "validate_resource",
    "validate_structure",
    "with_patient",
]
