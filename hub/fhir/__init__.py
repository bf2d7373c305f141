"""FHIR R4 for the hub: health entries as resources, structural validation, search projections.

The only package that imports `fhir.resources` (its R4B models, STANDARDS.md §1). Resources are
built and stored as plain JSON dicts; the models are used to validate on write, never to serve.
"""

from hub.fhir._builders import (
    CONDITION_CODE_SYSTEMS,
    CVX_SYSTEM,
    condition_resource,
    entry_id,
    immunization_resource,
    state_system,
    with_patient,
)
from hub.fhir._projection import Projection, search_projection
from hub.fhir._validation import (
    RULE_NULL,
    RULE_STRUCTURE,
    validate_entry_structure,
    validate_structure,
)

__all__ = [
    "CONDITION_CODE_SYSTEMS",
    "CVX_SYSTEM",
    "RULE_NULL",
    "RULE_STRUCTURE",
    "Projection",
    "condition_resource",
    "entry_id",
    "immunization_resource",
    "search_projection",
    "state_system",
    "validate_entry_structure",
    "validate_structure",
    "with_patient",
]
