"""Normalisation: one state record's identity as a compact, comparable `Profile`.

Folding (case, accents, punctuation, hyphen → space) is for comparison only: the stored identity
keeps what the state sent. Surnames become a token list without particles (de, del, de la, y...),
plus the particle-glued form ("de la Cruz" → "delacruz") and, for a single glued token, the
remainder after a leading particle ("Delacruz" → "cruz"), so every way states write a compound
surname shares at least one token (DOMAIN.md §6). Given names keep their tokens, their nickname
canonical forms (nicknames.csv) and an "effective" first name: the first token that is not a
devotional first name (María Guadalupe → guadalupe, the name a child answers to).
Placeholders (BABY BOY, TWIN A, 1900-01-01...) are flagged and their values dropped, so they can
never count as agreement.
"""

from __future__ import annotations

import csv
import functools
import re
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any, Final

from metaphone import doublemetaphone

from hub.model import Identity

PARTICLES: Final = frozenset(
    {"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "van", "von", "der"}
)
# Glued particle prefixes, longest first: "delosreyes" → "reyes", "delacruz" → "cruz".
_GLUED_PREFIXES: Final = ("delos", "delas", "dela", "del", "de", "van", "von", "da", "dos")
# A first token that is rarely the name the child answers to when a second given name follows.
DEVOTIONAL: Final = frozenset({"maria", "ma", "jose", "juan", "ana", "luis", "jean", "marie"})
PLACEHOLDER_NAME: Final = re.compile(
    r"^(baby( (boy|girl|[a-z]))?|twin( [a-c1-3])?|(boy|girl|baby) (twin )?[a-c1-3]|newborn|"
    r"infant|unknown|unk|none|nfn|fnu|lnu|nln|no name|noname|test|fc ?\d+|male|female|boy|girl)$"
)
PLACEHOLDER_DATES: Final = frozenset({date(1900, 1, 1), date(1901, 1, 1), date(1899, 12, 31)})
# JSON objects are dicts: checking for dict first skips the slower abstract Mapping check.
_MAPPINGS: Final = (dict, Mapping)
_NON_ALNUM: Final = re.compile(r"[^a-z0-9 ]+")
_SPACES: Final = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower case, accents stripped, hyphens and punctuation to spaces, spaces collapsed."""
    if not text:
        return ""
    return _fold(text)


@functools.lru_cache(maxsize=262_144)  # names repeat: a cache hit is 20x cheaper than folding
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("-", " ").replace("'", "").replace("’", "")
    return _SPACES.sub(" ", _NON_ALNUM.sub(" ", plain)).strip()


@functools.lru_cache(maxsize=65_536)
def metaphone(token: str) -> tuple[str, ...]:
    """Double Metaphone codes of one folded token (primary first; empty codes left out)."""
    primary, secondary = doublemetaphone(token)
    codes = tuple(dict.fromkeys(code for code in (primary, secondary) if code))
    return codes or (token,)


@functools.lru_cache(maxsize=1)
def nickname_table() -> Mapping[str, frozenset[str]]:
    """Folded nickname → the folded formal names it may stand for (hub/identity/data)."""
    text = resources.files("hub.identity").joinpath("data/nicknames.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    table: dict[str, set[str]] = {}
    for row in rows:
        table.setdefault(fold(row["nickname"]), set()).add(fold(row["name"]))
    return {nick: frozenset(names) for nick, names in table.items()}


@functools.lru_cache(maxsize=65_536)
def canonical_names(token: str) -> frozenset[str]:
    """A given name and the formal names it may be short for ("beto" → beto, roberto, alberto)."""
    return frozenset({token, *nickname_table().get(token, ())})


def is_placeholder_name(text: str | None) -> bool:
    """BABY BOY, TWIN A, UNKNOWN, FC1...: an intake placeholder, not a name."""
    return bool(text) and _placeholder(text)


@functools.lru_cache(maxsize=65_536)
def _placeholder(text: str) -> bool:
    folded = fold(text)
    return bool(folded) and PLACEHOLDER_NAME.match(folded) is not None


def is_placeholder_date(value: date | None) -> bool:
    """1900-01-01 and its kin, or 1 January: a form's default, not a known birth date."""
    return value is not None and (
        value in PLACEHOLDER_DATES or value.year < 1900 or (value.month, value.day) == (1, 1)
    )


@functools.lru_cache(maxsize=262_144)
def _shared(names: frozenset[str]) -> frozenset[str]:
    # Name sets repeat across records: one instance each keeps a million profiles small.
    return names


@functools.lru_cache(maxsize=65_536)
def _shared_tuple(names: tuple[str, ...]) -> tuple[str, ...]:
    return names


def _intern(text: str) -> str:
    return sys.intern(text)


def _tokens(text: str | None) -> tuple[str, ...]:
    return _split(fold(text)) if text else ()


@functools.lru_cache(maxsize=262_144)
def _split(folded: str) -> tuple[str, ...]:
    return tuple(_intern(token) for token in folded.split())


@functools.lru_cache(maxsize=262_144)
def surname_keys(*surnames: str | None) -> tuple[tuple[str, ...], frozenset[str]]:
    """(tokens without particles, every comparable key: tokens, glued forms, de-prefixed forms)."""
    tokens: list[str] = []
    keys: set[str] = set()
    for surname in surnames:
        words = _tokens(surname)
        if not words:
            continue
        plain = [word for word in words if word not in PARTICLES]
        tokens.extend(plain)
        keys.update(plain)
        if len(plain) != len(words):
            keys.add(_intern("".join(words)))  # "de la cruz" → "delacruz"
        for word in plain:
            for prefix in _GLUED_PREFIXES:
                rest = word[len(prefix) :]
                if word.startswith(prefix) and len(rest) >= 4:
                    keys.add(_intern(rest))  # "delacruz" → "cruz"
                    break
    return tuple(tokens), frozenset(keys)


@dataclass(frozen=True, slots=True)
class Profile:
    """The normalised, comparison-ready view of one state record's identity. Built once."""

    state: str | None
    state_student_id: str | None
    ids: tuple[str, ...]  # "ST:value" for the record's own and alternate state ids
    first: str | None  # effective given name (first non-devotional token)
    first_full: str | None  # the whole folded first name
    first_canon: frozenset[str]  # effective name and what it may be short for
    given_canon: frozenset[str]  # every given token (first and middle) and their formal names
    first_mph: frozenset[str]
    middle: str | None
    last_1: str | None  # folded, particles removed, tokens joined by spaces
    surname_full: str | None  # every surname token glued: "cruzhernandez"
    surname_tokens: tuple[str, ...]
    surname_keys: frozenset[str]
    surname_mph: frozenset[str]
    sex: str | None
    birth_date: date | None  # None when missing or a placeholder
    birth_year: int | None  # kept for a 1 January placeholder, whose year is usually right
    multiple_birth: bool | None
    birth_city: str | None
    birth_country: str | None
    birth_state: str | None
    # Per family rather than per name, so tuples: a frozenset costs 200 bytes even when tiny.
    parent_firsts: tuple[str, ...]  # each parent's first given name
    parent_contacts: tuple[str, ...]  # phones and e-mails
    placeholder_name: bool
    placeholder_date: bool


def _identity_dict(identity: Identity | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(identity, Identity):
        return identity.model_dump(mode="json", exclude_none=True)
    return identity


def _as_date(value: object) -> tuple[date | None, int | None]:
    """The date and its year (one shared object each: a million profiles hold few dates)."""
    if isinstance(value, date):
        return value, value.year
    if isinstance(value, str) and value:
        return _parse_date(value[:10])
    return None, None


@functools.lru_cache(maxsize=65_536)
def _parse_date(text: str) -> tuple[date | None, int | None]:
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        return None, None
    return parsed, parsed.year


def _effective_first(given: tuple[str, ...]) -> str | None:
    for token in given:
        if token not in DEVOTIONAL:
            return token
    return given[0] if given else None


_NO_GIVEN: Final[dict[str, Any]] = {
    "first": None,
    "first_full": None,
    "first_canon": frozenset(),
    "given_canon": frozenset(),
    "first_mph": frozenset(),
}


@functools.lru_cache(maxsize=262_144)  # given names repeat: one normalisation per distinct pair
def _given(first_name: str | None, middle_name: str | None) -> dict[str, Any]:
    first_tokens, middle_tokens = _tokens(first_name), _tokens(middle_name)
    full = " ".join(first_tokens)
    effective = _effective_first(first_tokens + middle_tokens)
    canon = set(canonical_names(effective)) if effective else set()
    canon |= canonical_names(full) - {full} if full else set()  # "jb" → "jean baptiste"
    given: set[str] = set()
    for token in first_tokens + middle_tokens:
        given |= canonical_names(token)
    mph = {code for name in canon if " " not in name for code in metaphone(name)}
    return {
        "first": effective,
        "first_full": _intern(full) if full else None,
        "first_canon": _shared(frozenset(canon)),
        "given_canon": _shared(frozenset(given)),
        "first_mph": _shared(frozenset(mph)),
    }


def _parents(parents: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    firsts: set[str] = set()
    contacts: set[str] = set()
    for parent in parents if isinstance(parents, list) else ():
        if not isinstance(parent, _MAPPINGS):
            continue
        first_name = parent.get("first_name")
        first = _tokens(first_name)
        if first and not is_placeholder_name(first_name):
            firsts.add(first[0])
        for contact in (parent.get("phone"), parent.get("email")):
            if contact:
                contacts.add(_intern(str(contact).strip().lower()))
    return _shared_tuple(tuple(sorted(firsts))), tuple(sorted(contacts))


def _ids(state: str | None, state_student_id: str | None, alternates: object) -> tuple[str, ...]:
    ids = {f"{state}:{state_student_id}"} if state and state_student_id else set()
    for alternate in alternates if isinstance(alternates, list) else ():
        if isinstance(alternate, _MAPPINGS) and alternate.get("state") and alternate.get("value"):
            ids.add(f"{alternate['state']}:{alternate['value']}")
    return tuple(sorted(ids))


def _text(value: object) -> str | None:
    return _folded_text(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=65_536)
def _folded_text(value: str) -> str | None:
    folded = fold(value)
    return _intern(folded) if folded else None


def build_profile(
    identity: Identity | Mapping[str, Any],
    *,
    state: str | None = None,
    state_student_id: str | None = None,
) -> Profile:
    """Normalise one state record's identity (an `Identity` or its JSON dict)."""
    data = _identity_dict(identity)
    placeholder_name = is_placeholder_name(data.get("first_name"))
    given = (
        _NO_GIVEN if placeholder_name else _given(data.get("first_name"), data.get("middle_name"))
    )
    tokens, keys = surname_keys(data.get("last_name_1"), data.get("last_name_2"))
    last_1, _ = surname_keys(data.get("last_name_1"))
    if is_placeholder_name(data.get("last_name_1")):
        tokens, keys, last_1 = (), frozenset(), ()
    born, year = _as_date(data.get("birth_date"))
    placeholder_date = is_placeholder_date(born)
    middle = _tokens(data.get("middle_name"))
    firsts, contacts = _parents(data.get("parents"))
    multiple = data.get("multiple_birth")
    return Profile(
        state=_intern(state) if state else state,
        state_student_id=state_student_id,
        ids=_ids(state, state_student_id, data.get("alternate_ids")),
        middle=None if placeholder_name or not middle else _intern(" ".join(middle)),
        last_1=_intern(" ".join(last_1)) if last_1 else None,
        surname_full=_intern("".join(tokens)) if tokens else None,
        surname_tokens=tokens,
        surname_keys=keys,
        surname_mph=_shared(frozenset(code for key in keys for code in metaphone(key))),
        sex=_text(data.get("sex")),
        birth_date=None if placeholder_date else born,
        birth_year=year if year is not None and year > 1901 else None,
        multiple_birth=multiple if isinstance(multiple, bool) else None,
        birth_city=_text(data.get("birth_city")),
        birth_country=_text(data.get("birth_country")),
        birth_state=_text(data.get("birth_state")),
        parent_firsts=firsts,
        parent_contacts=contacts,
        placeholder_name=placeholder_name,
        placeholder_date=placeholder_date,
        **given,
    )
