"""The closed vocabulary of checks a suite may name (`docs/conformance.md` lists them)."""

from hub.conformance import _capability, _checks_fhir, _checks_http, _checks_xml
from hub.conformance._registry import REGISTRY, CheckSpec, StepView

MODULES = (_checks_http, _checks_fhir, _capability, _checks_xml)
CHECKS = REGISTRY

__all__ = ["CHECKS", "MODULES", "CheckSpec", "StepView"]
