"""Varied Patient, Immunization and Condition resources, most of them broken, for equivalence tests.

Each variant is a synthetic resource (random ids, names, dates and codes) or a profile example,
with zero to three random mutations: elements dropped, nulled, emptied, duplicated, wrapped in or
taken out of lists, given other strings (profile literals, codes, references, long values) or
other types, unknown elements, extensions, primitive extensions, contained resources and
declared profiles. Many variants share a shape with another and differ only in values, which is
what a memo keyed on shapes must get right.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import orjson

from hub.fhir import (
    MSIX_ID_SYSTEM,
    PROFILES_DIR,
    condition_resource,
    immunization_resource,
    student_id_system,
)
from hub.model import Condition, Immunization

Resource = dict[str, Any]
KINDS = ("Patient", "Immunization", "Condition")
STATES = ("TX", "FL", "CA", "WA")
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
# Strings the profiles' rules and invariants single out, and values near their edges.
STRINGS = (
    MSIX_ID_SYSTEM, "urn:msix:state:TX:student", "urn:msix:state:Texas:student", DATA_ABSENT,
    CLINICAL, VERIFICATION, "resolved", "active", "inactive", "entered-in-error", "confirmed",
    "problem-list-item", "health-concern", "encounter-diagnosis", "completed", "bogus", "female",
    "official", "phone", "home", "03", "208", "300", "http://hl7.org/fhir/sid/cvx",
    "Observation/1", "Patient/123456789012", "Group/7", "#c1", "urn:uuid:1",
    "https://other.example/fhir/Patient/1", "Patient/1/_history/2", "Patient", "Organization",
    "123456789012", "12345678901", "X" * 16, "X" * 15, "", "null", "{}", "[]",
)  # fmt: skip
SCALARS: tuple[Any, ...] = (True, False, 0, 1, 12, 1.5, -3)


def variants(kind: str, rng: random.Random, count: int) -> list[Resource]:
    """`count` variants of `kind`: a third unmutated, the rest with one to three mutations."""
    found = []
    for index in range(count):
        resource = _base(kind, rng)
        for _ in range(0 if index % 3 == 0 else rng.randint(1, 3)):
            rng.choice(_MUTATIONS)(resource, rng)
        found.append(resource)
    return found


def _base(kind: str, rng: random.Random) -> Resource:
    examples = sorted(PROFILES_DIR.joinpath("examples").glob(f"{kind}-*.json"))
    examples = [path for path in examples if not path.name.endswith(".expected.json")]
    if rng.random() < 0.2:
        loaded: Resource = orjson.loads(rng.choice(examples).read_bytes())
        return loaded
    return _MAKERS[kind](rng)


def _digits(rng: random.Random, count: int = 12) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _day(rng: random.Random) -> date:
    return date(2008, 1, 1) + timedelta(days=rng.randrange(5000))


def _patient(rng: random.Random) -> Resource:
    msix_id = _digits(rng)
    states = rng.sample(STATES, rng.randint(1, 2))
    return {
        "resourceType": "Patient",
        "id": msix_id,
        "identifier": [
            {"system": MSIX_ID_SYSTEM, "value": msix_id},
            *({"system": student_id_system(s), "value": f"{s}{_digits(rng, 6)}"} for s in states),
        ],
        "name": [{"use": "official", "family": rng.choice(("Ortega", "Nguyen")),
                  "given": rng.sample(("Rosa", "Luis", "Ana"), rng.randint(1, 2))}],
        "telecom": [{"system": "phone", "value": f"555-{_digits(rng, 4)}", "use": "home"}],
        "gender": rng.choice(("female", "male", "unknown")),
        "birthDate": _day(rng).isoformat(),
        "address": [{"use": "home", "line": [f"{rng.randrange(999)} Orchard Row"],
                     "city": "Pharr", "state": states[0], "postalCode": _digits(rng, 5)}],
    }  # fmt: skip


def _immunization(rng: random.Random) -> Resource:
    entry = Immunization.model_validate(
        {
            "record_id": str(rng.randrange(10**6)),
            "cvx": rng.choice(("03", "08", "20", "110", "208")),
            "occurrence_date": _day(rng),
            "dose_number": rng.randint(1, 4),
            "primary_source": rng.random() < 0.5,
        }
    )
    state = rng.choice(STATES)
    return immunization_resource(_digits(rng), state, f"{state}{_digits(rng, 6)}", entry)


def _condition(rng: random.Random) -> Resource:
    abated = rng.random() < 0.4
    entry = Condition(
        record_id=str(rng.randrange(10**6)),
        code_system=rng.choice(("snomed", "icd10cm")),
        code=rng.choice(("195967001", "J45.909")),
        display="synthetic",
        category=rng.choice(("problem-list-item", "health-concern")),
        clinical_status=rng.choice(("resolved", "active", "inactive")),
        onset_date=_day(rng),
        abatement_date=_day(rng) if abated else None,
    )
    state = rng.choice(STATES)
    return condition_resource(_digits(rng), state, f"{state}{_digits(rng, 6)}", entry)


_MAKERS: dict[str, Callable[[random.Random], Resource]] = {
    "Patient": _patient,
    "Immunization": _immunization,
    "Condition": _condition,
}


def _slots(value: Any) -> Iterator[tuple[dict[str, Any] | list[Any], Any]]:
    """Every (container, key or index) below `value`, the resource's own elements included."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name != "resourceType":
                yield value, name
                yield from _slots(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield value, index
            yield from _slots(item)


def _dicts(value: Any) -> list[dict[str, Any]]:
    found = [value] if isinstance(value, dict) else []
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    )
    for item in children:
        found.extend(_dicts(item))
    return found


def _pick(resource: Resource, rng: random.Random) -> tuple[Any, Any] | None:
    slots = list(_slots(resource))
    return rng.choice(slots) if slots else None


def _drop(resource: Resource, rng: random.Random) -> None:
    slot = _pick(resource, rng)
    if slot is not None:
        del slot[0][slot[1]]


def _replace(resource: Resource, rng: random.Random) -> None:
    slot = _pick(resource, rng)
    if slot is None:
        return
    container, key = slot
    old = container[key]
    choices: list[Any] = [
        None, {}, [], rng.choice(STRINGS), rng.choice(STRINGS), rng.choice(SCALARS),
        [old], old[0] if isinstance(old, list) and old else old, _digits(rng),
    ]  # fmt: skip
    container[key] = copy.deepcopy(rng.choice(choices))


def _duplicate(resource: Resource, rng: random.Random) -> None:
    lists = [(c, k) for c, k in _slots(resource) if isinstance(c[k], list) and c[k]]
    if lists:
        container, key = rng.choice(lists)
        container[key].append(copy.deepcopy(rng.choice(container[key])))


def _add(resource: Resource, rng: random.Random) -> None:
    target = rng.choice(_dicts(resource))
    name, value = rng.choice(_ADDITIONS)
    if name == "_primitive":
        strings = [key for key, item in target.items() if isinstance(item, str)]
        if not strings:
            return
        name = "_" + rng.choice(strings)
        if rng.random() < 0.5:
            del target[name[1:]]
    target[name] = copy.deepcopy(value)


def _semantic(resource: Resource, rng: random.Random) -> None:
    kind = str(resource.get("resourceType"))
    name, value = rng.choice(_SEMANTIC.get(kind, _ADDITIONS))
    resource[name] = copy.deepcopy(value)


_ADDITIONS: tuple[tuple[str, Any], ...] = (
    ("extension", [{"url": "http://example.org/x", "valueString": "v"}]),
    ("extension", [{"url": "http://example.org/x"}]),
    ("extension", [{"url": DATA_ABSENT, "valueCode": "unknown"}]),
    ("extension", [{"url": "http://example.org/x", "valueCode": "v", "extension": [{}]}]),
    ("modifierExtension", [{"url": "http://example.org/y", "valueBoolean": True}]),
    ("_primitive", {"extension": [{"url": DATA_ABSENT, "valueCode": "unknown"}]}),
    ("unknownElement", "surprise"),
    ("contained", [{"resourceType": "Patient", "meta": {"versionId": "1"}}]),
    ("contained", [{"resourceType": "Patient", "contained": [{"resourceType": "Patient"}]}]),
    ("meta", {"profile": ["https://example.org/StructureDefinition/other"]}),
    ("meta", {"security": [{"code": "R"}], "lastUpdated": "2024-01-01T00:00:00Z"}),
    ("text", {"status": "generated", "div": "<div>x</div>"}),
)
_SEMANTIC: dict[str, tuple[tuple[str, Any], ...]] = {
    "Patient": (
        ("name", [{}]),
        ("name", [{"family": "A", "extension": [{"url": DATA_ABSENT, "valueCode": "unknown"}]}]),
        ("name", [{"extension": [{"url": DATA_ABSENT, "valueCode": "masked"}]}]),
        ("telecom", [{"value": "555-0100"}]),
        ("contact", [{}]),
        ("contact", [{"name": {"family": "B"}, "organization": {"reference": "Patient/1"}}]),
        ("communication", [{"language": {"coding": [{"code": "es"}]}}]),
        ("id", "12345"),
        ("deceasedBoolean", False),
        ("managingOrganization", {"reference": "Organization/1"}),
        ("link", [{"other": {"reference": "Observation/2"}, "type": "seealso"}]),
        ("identifier", [{"system": MSIX_ID_SYSTEM, "value": "1234"}]),
    ),
    "Immunization": (
        ("primarySource", False),
        ("reportOrigin", {"coding": [{"system": "http://example.org", "code": "record"}]}),
        ("education", [{}]),
        ("education", [{"documentType": "VIS"}]),
        ("performer", [{"actor": {"reference": "Patient/1"}}]),
        ("status", "not-done"),
        ("statusReason", {"text": "refused"}),
        ("patient", {"reference": "Group/1", "type": "Group"}),
        ("vaccineCode", {"coding": [{"code": "9999"}]}),
        ("protocolApplied", [{"doseNumberPositiveInt": 1, "doseNumberString": "1"}]),
    ),
    "Condition": (
        ("abatementDateTime", "2019-09-01"),
        ("abatementString", "childhood"),
        ("clinicalStatus", {"coding": [{"system": CLINICAL, "code": "resolved"}]}),
        ("clinicalStatus", {"coding": [{"system": CLINICAL, "code": "bogus"}]}),
        ("verificationStatus", {"coding": [{"system": VERIFICATION, "code": "entered-in-error"}]}),
        ("category", [{"coding": [{"code": "problem-list-item"}]}]),
        ("stage", [{}]),
        ("stage", [{"summary": {"text": "mild"}}]),
        ("evidence", [{"detail": [{"reference": "Patient/1"}]}]),
        ("subject", {"reference": "Group/7"}),
        ("recordedDate", "2020-01-01"),
    ),
}
_MUTATIONS: tuple[Callable[[Resource, random.Random], None], ...] = (
    _drop, _replace, _replace, _duplicate, _add, _semantic, _semantic,
)  # fmt: skip
