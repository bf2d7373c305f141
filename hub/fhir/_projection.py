"""The fields FHIR searches query, computed from a resource on write (STANDARDS.md §9).

`hub.store.SearchProjection` takes these fields; `hub.fhir` stays independent of the store (both
sit on the same row of DESIGN.md §3), so the projection is returned as its own small value.

Everything a search compares is precomputed here so that every search is an equality (or `$in`)
on an indexed field, with at most a range or an anchored prefix checked on the few candidates:

- tokens (`identifier`, `gender`, `status`, codes) are stored as `code`, `system|code` and
  `system|`, so each token form FHIR allows is one indexed value;
- names are folded (case and accents) and split into words; `name_keys` holds each word's first
  one to `NAME_KEY_LENGTH` characters tagged by part (`f:` family, `g:` given), the index a name
  search plans with; `name_words` holds the whole words the prefix is then checked against;
- dates keep their ISO day in `date` and their year in `year`, so a date range becomes an indexed
  `$in` of years plus a range check.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.fhir._search_params import ADMINISTRATIVE_GENDER, EVENT_STATUS

_PATIENT_PREFIX = "Patient/"
NAME_KEY_LENGTH = 3
FAMILY_TAG = "f"
GIVEN_TAG = "g"
_WORD_SPLIT = re.compile(r"[^0-9a-z]+")
_PATIENT_ELEMENTS = ("patient", "subject")


@dataclass(frozen=True)
class Projection:
    identifiers: list[str] = field(default_factory=list)  # "system|value"
    patient: str | None = None  # the MSIX ID the resource is about
    date: str | None = None  # ISO date (YYYY-MM-DD)
    extra: dict[str, Any] = field(default_factory=dict)


def fold(text: str) -> str:
    """Lower case without accents (`Ñúñez` -> `nunez`): how names are stored and searched."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def name_words(text: str) -> list[str]:
    """The folded words of a name (`María-José O'Neil` -> `maria`, `jose`, `o`, `neil`)."""
    return [word for word in _WORD_SPLIT.split(fold(text)) if word]


def search_projection(resource: Mapping[str, Any]) -> Projection:
    """Identifiers, patient, date and per-type token fields of a (valid) resource."""
    kind = resource.get("resourceType", "")
    identifiers = [
        f"{item.get('system', '')}|{item.get('value', '')}"
        for item in resource.get("identifier", [])
    ]
    patient = resource.get("id") if kind == "Patient" else None
    for name in _PATIENT_ELEMENTS:
        element = resource.get(name)
        reference = element.get("reference", "") if isinstance(element, Mapping) else ""
        if reference.startswith(_PATIENT_PREFIX):
            patient = reference.removeprefix(_PATIENT_PREFIX)
    day = None if _replaced(kind, resource) else _date_of(kind, resource)
    extra: dict[str, Any] = {
        "identifier": sorted(
            {
                token
                for item in resource.get("identifier", [])
                for token in (
                    item.get("value", ""),
                    f"{item.get('system', '')}|",
                    f"{item.get('system', '')}|{item.get('value', '')}",
                )
            }
        ),
        "year": day[:4] if day else None,
        **_tokens(kind, resource),
    }
    return Projection(identifiers, patient, day, extra)


def _date_of(kind: str, resource: Mapping[str, Any]) -> str | None:
    value: Any = None
    if kind == "Patient":
        value = resource.get("birthDate")
    elif kind == "Immunization":
        value = resource.get("occurrenceDateTime")
    elif kind == "Condition":
        value = resource.get("onsetDateTime") or (resource.get("onsetPeriod") or {}).get("start")
    if not isinstance(value, str) or not value:
        return None
    # A partial date (2014, 2014-03) is stored as the first day it covers.
    day = value[:10]
    return day + "-01" * ((10 - len(day)) // 3)


def _tokens(kind: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    if kind == "Patient":
        return _patient_tokens(resource)
    if kind == "Immunization":
        return {
            "status": _plain_code(EVENT_STATUS, resource.get("status")),
            "vaccine_code": _codes([resource.get("vaccineCode", {})]),
        }
    if kind == "Condition":
        return {
            "category": _codes(resource.get("category", [])),
            "clinical_status": _codes([resource.get("clinicalStatus", {})]),
            "code": _codes([resource.get("code", {})]),
        }
    return {}


def _replaced(kind: str, resource: Mapping[str, Any]) -> bool:
    """A retired (merged) MSIX ID's Patient: found by id and identifier, not by demographics,
    so a name or birth date search finds each child once (its survivor)."""
    return kind == "Patient" and any(
        isinstance(link, Mapping) and link.get("type") == "replaced-by"
        for link in resource.get("link", [])
    )


def _patient_tokens(resource: Mapping[str, Any]) -> dict[str, Any]:
    words: set[str] = set()
    exact: set[str] = set()
    names = [] if _replaced("Patient", resource) else resource.get("name", [])
    for name in names:
        family = name.get("family")
        if isinstance(family, str):
            exact.add(f"{FAMILY_TAG}:{family}")
            words.update(f"{FAMILY_TAG}:{word}" for word in name_words(family))
        for given in name.get("given", []):
            if isinstance(given, str):
                exact.add(f"{GIVEN_TAG}:{given}")
                words.update(f"{GIVEN_TAG}:{word}" for word in name_words(given))
    keys = {
        f"{tagged[:2]}{tagged[2 : 2 + length]}"
        for tagged in words
        for length in range(1, min(NAME_KEY_LENGTH, len(tagged) - 2) + 1)
    }
    return {
        "name_keys": sorted(keys),
        "name_words": sorted(words),
        "name_exact": sorted(exact),
        "gender": _plain_code(ADMINISTRATIVE_GENDER, resource.get("gender")),
    }


def _codes(concepts: Iterable[Any]) -> list[str]:
    # Memoised by the concepts' (system, code) pairs: an ingest writes the same few vaccine and
    # condition codes hundreds of thousands of times.
    pairs: list[tuple[Any, Any]] = []
    for concept in concepts:
        if not isinstance(concept, Mapping):
            continue
        for coding in concept.get("coding", []):
            pairs.append((coding.get("system", ""), coding.get("code")))
    try:
        return list(_pair_tokens(tuple(pairs)))
    except TypeError:  # an unhashable code: not memoised
        return list(_pair_tokens.__wrapped__(tuple(pairs)))


@functools.lru_cache(maxsize=4096)
def _pair_tokens(pairs: tuple[tuple[Any, Any], ...]) -> tuple[str, ...]:
    tokens: set[str] = set()
    for system, code in pairs:
        if code:
            tokens.update((code, f"{system}|{code}"))
        if system:
            tokens.add(f"{system}|")
    return tuple(sorted(tokens))


def _plain_code(system: str, code: Any) -> list[str]:
    """Tokens of a `code` element, whose system is implied by its required binding."""
    return list(_plain_tokens(system, code)) if isinstance(code, str) else []


@functools.lru_cache(maxsize=1024)
def _plain_tokens(system: str, code: str) -> tuple[str, ...]:
    return tuple(sorted({code, f"{system}|{code}", f"{system}|"}))
