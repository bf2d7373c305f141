"""Validation rate: the hub's profile validation beside fhir.resources `model_validate` alone.

Both run over the same synthetic resources (distinct ids, MSIX IDs, names, dates and codes), after
a warm-up on other resources, so the invariant caches are measured in their steady state.
Each resource is validated by both, one right after the other (which goes first alternates), and
each call is timed in CPU nanoseconds of this process, so both see the same load from neighbours:
rounds of a few hundred milliseconds each, timed apart, swung the ratio by a fifth on the shared
2-core machine while paired timing stays within 0.02. A pass sums each side's time over all the
resources, with the collector off (collected before); the median of seven passes is reported.
Prints one JSON line: resources/s per type for each, and the ratio (target >= 0.8).

    python bench/fhir_validate.py [--count 2000]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from hub import native
from hub.fhir import (
    MSIX_ID_SYSTEM,
    condition_resource,
    immunization_resource,
    student_id_system,
    validate_resource,
)
from hub.model import Condition, Immunization, codeset

ROUNDS = 7
STATES = ("TX", "FL", "CA", "WA", "OR", "NC", "GA", "MI")
FAMILIES = ("Ortega", "Nguyen", "Hernández", "Baptiste", "Quispe", "Santos", "Kaur", "Mendoza")
GIVEN = ("Rosa", "Luis", "Ana", "Tomás", "Mai", "José", "Elena", "Samir", "Lucía", "Omar")


def _msix_id(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(12))


def _day(rng: random.Random) -> date:
    return date(2008, 1, 1) + timedelta(days=rng.randrange(5000))


def _patient(rng: random.Random) -> dict[str, Any]:
    msix_id = _msix_id(rng)
    states = rng.sample(STATES, rng.randint(1, 3))
    return {
        "resourceType": "Patient",
        "id": msix_id,
        "identifier": [
            {"system": MSIX_ID_SYSTEM, "value": msix_id},
            *(
                {"system": student_id_system(state), "value": f"{state}{rng.randrange(10**8)}"}
                for state in states
            ),
        ],
        "name": [
            {
                "use": "official",
                "family": f"{rng.choice(FAMILIES)} {rng.choice(FAMILIES)}",
                "given": rng.sample(GIVEN, rng.randint(1, 2)),
            }
        ],
        "telecom": [{"system": "phone", "value": f"555-{rng.randrange(10000):04d}", "use": "home"}],
        "gender": rng.choice(("female", "male")),
        "birthDate": _day(rng).isoformat(),
        "address": [
            {"use": "home", "line": [f"{rng.randrange(1, 999)} Orchard Row"], "city": "Pharr",
             "state": states[0], "postalCode": f"{rng.randrange(10000, 99999)}"}
        ],
    }  # fmt: skip


def _immunization(rng: random.Random, cvx: list[str]) -> dict[str, Any]:
    entry = Immunization.model_validate(
        {
            "record_id": str(rng.randrange(10**6)),
            "cvx": rng.choice(cvx),
            "occurrence_date": _day(rng),
            "dose_number": rng.randint(1, 4),
            "primary_source": rng.random() < 0.7,
        }
    )
    state = rng.choice(STATES)
    return immunization_resource(_msix_id(rng), state, f"{state}{rng.randrange(10**8)}", entry)


def _condition(rng: random.Random) -> dict[str, Any]:
    abated = rng.random() < 0.3
    entry = Condition(
        record_id=str(rng.randrange(10**6)),
        code_system="snomed",
        code=rng.choice(("195967001", "46635009", "35489007", "84757009")),
        display="synthetic",
        category=rng.choice(("problem-list-item", "health-concern")),
        clinical_status="resolved" if abated else "active",
        onset_date=_day(rng),
        abatement_date=_day(rng) if abated else None,
    )
    state = rng.choice(STATES)
    return condition_resource(_msix_id(rng), state, f"{state}{rng.randrange(10**8)}", entry)


def _paired_pass(
    models: Callable[[dict[str, Any]], Any],
    hub: Callable[[dict[str, Any]], Any],
    resources: list[dict[str, Any]],
) -> tuple[int, int]:
    """CPU nanoseconds spent by `models` and by `hub` on `resources`, each timed per resource."""
    clock = time.process_time_ns
    models_ns = hub_ns = 0
    gc.collect()
    gc.disable()
    try:
        for index, resource in enumerate(resources):
            models_first = index % 2 == 1
            first, second = (models, hub) if models_first else (hub, models)
            started = clock()
            first(resource)
            middle = clock()
            second(resource)
            ended = clock()
            if models_first:
                models_ns, hub_ns = models_ns + middle - started, hub_ns + ended - middle
            else:
                hub_ns, models_ns = hub_ns + middle - started, models_ns + ended - middle
    finally:
        gc.enable()
    return models_ns, hub_ns


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(2026)
    cvx = [code.code for code in codeset("cvx")]
    makers: dict[str, Callable[[], dict[str, Any]]] = {
        "Patient": lambda: _patient(rng),
        "Immunization": lambda: _immunization(rng, cvx),
        "Condition": lambda: _condition(rng),
    }
    figures: dict[str, Any] = {
        "bench": "fhir_validate",
        "count_per_type": args.count,
        "code": native.status(),  # compiled twins (hub/native.py) or the plain sources
    }
    for kind, make in makers.items():
        model = get_fhir_model_class(kind)
        for resource in (make() for _ in range(300)):  # warm-up: compile, caches, imports
            assert not any(issue.is_error for issue in validate_resource(resource)), kind
            model.model_validate(resource)
        resources = [make() for _ in range(args.count)]
        passes = sorted(
            (
                _paired_pass(model.model_validate, validate_resource, resources)
                for _ in range(ROUNDS)
            ),
            key=lambda spent: spent[0] / spent[1],
        )
        models_ns, hub_ns = passes[len(passes) // 2]  # the median pass by ratio
        figures[f"{kind}_model_validate_per_s"] = round(len(resources) / models_ns * 1e9)
        figures[f"{kind}_hub_validate_per_s"] = round(len(resources) / hub_ns * 1e9)
        figures[f"{kind}_ratio"] = round(models_ns / hub_ns, 3)
        figures[f"{kind}_ratio_range"] = [
            round(passes[0][0] / passes[0][1], 3),
            round(passes[-1][0] / passes[-1][1], 3),
        ]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
