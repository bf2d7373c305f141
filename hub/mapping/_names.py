"""Name transforms: casing that keeps accents, surname splitting with particles, accent folding.

The hub keeps every name as the state spelled it (accents, ñ, particles, hyphens): matching folds
accents and case itself (DOMAIN.md §6), and a receiving school must see the child's real name.
So `title_case` never drops an accent, `split_surname` keeps each surname's characters, and
`strip_accents` is refused on any element matching uses (the loader reports it).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from hub.mapping._registry import Arg, Context, LoadSite, TransformError, transform

# Surname particles (DOMAIN.md §6). An article counts as a particle only after its particle.
PARTICLES = frozenset({"de", "del", "da", "das", "do", "dos", "di", "du", "van", "von"})
_ARTICLES = {
    "de": frozenset({"la", "las", "los", "lo"}),
    "van": frozenset({"der", "den", "de"}),
    "von": frozenset({"der", "dem", "den"}),
}
CONJUNCTIONS = frozenset({"y"})
_LETTERS = re.compile(r"[^\W\d_]+")
_HYPHEN = {
    "split": "a hyphen joins two surnames (García-López -> García / López)",
    "keep": "a hyphenated surname is one surname (García-López -> García-López)",
}


@transform(
    "title_case",
    doc="Capitalize each word, accents kept; particles stay lower case.",
    args={
        "particles": Arg(
            "text",
            "`lower` keeps de, del, de la, van, von, y... in lower case (`de la Cruz`); "
            "`capitalize` treats them like other words.",
            default="lower",
            choices=("lower", "capitalize"),
        )
    },
)
def title_case(value: str, context: Context, *, particles: str) -> str:
    """Capitalize the first letter of each word and lower-case the rest, keeping every accent:
    `MARÍA GUADALUPE DE LA CRUZ` -> `María Guadalupe de la Cruz`, `GARCÍA-LÓPEZ` ->
    `García-López`, `O'BRIEN` -> `O'Brien`. Text is first put in Unicode NFC form, so a letter
    and its combining accent count as one letter. Surname particles stay lower case unless
    `particles: capitalize`."""
    words = unicodedata.normalize("NFC", value).split(" ")
    cased: list[str] = []
    previous = ""
    for word in words:
        folded = word.casefold()
        if particles == "lower" and _is_particle(folded, previous):
            cased.append(folded)
        else:
            cased.append(_LETTERS.sub(lambda run: run.group().capitalize(), word))
        previous = folded
    return " ".join(cased)


def _is_particle(word: str, previous: str) -> bool:
    return word in PARTICLES or word in CONJUNCTIONS or word in _ARTICLES.get(previous, ())


def _refuse_on_matching_elements(args: dict[str, Any], site: LoadSite) -> dict[str, Any]:
    if site.target_identifies:
        site.problem(
            f"strip_accents cannot write {site.target_path}: matching uses it, and names keep "
            "the state's spelling (matching folds accents itself)"
        )
    return args


@transform(
    "strip_accents",
    doc="Fold accented letters to ASCII; refused on elements matching uses.",
    prepare=_refuse_on_matching_elements,
)
def strip_accents(value: str, context: Context) -> str:
    """Replace accented letters by their base letter (`Hernández` -> `Hernandez`, `ñ` -> `n`)
    for targets that must be ASCII. Never used by default, and refused by the loader on any
    element matching uses (names, birth place): the hub stores names as the state spelled them,
    so the original is never lost."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def surname_units(text: str, *, hyphen: str = "split") -> list[str]:
    """The surnames in `text`, each with its particles: `DE LA CRUZ HERNANDEZ` ->
    [`DE LA CRUZ`, `HERNANDEZ`]. Characters and case are kept; a conjunction `y` between two
    surnames is dropped."""
    return list(_units(text, hyphen))


# Each surname is split twice (Last Name 1, then 2), and surnames repeat across a file.
@lru_cache(maxsize=4096)
def _units(text: str, hyphen: str) -> tuple[str, ...]:
    tokens: list[tuple[str, bool]] = []
    for word in text.split():
        parts = word.split("-") if hyphen == "split" else [word]
        tokens.extend((part, index > 0) for index, part in enumerate(parts) if part)
    units: list[list[str]] = []
    current: list[str] = []
    for token, after_hyphen in tokens:
        folded = token.casefold()
        if after_hyphen and current:
            units.append(current)
            current = []
        if not current and units and folded in CONJUNCTIONS:
            continue
        previous = current[-1].casefold() if current else ""
        in_prefix = all(word.casefold() in PARTICLES or _is_article(word) for word in current)
        current.append(token)
        if in_prefix and (folded in PARTICLES or folded in _ARTICLES.get(previous, ())):
            continue
        units.append(current)
        current = []
    if current:
        units.append(current)
    return tuple(" ".join(unit) for unit in units)


def _is_article(word: str) -> bool:
    return any(word.casefold() in articles for articles in _ARTICLES.values())


@transform(
    "split_surname",
    doc="One part of a full surname: last name 1 or last name 2.",
    args={
        "part": Arg("int", "1 for Last Name 1 (paternal), 2 for Last Name 2.", choices=(1, 2)),
        "hyphen": Arg(
            "text",
            "; ".join(f"`{key}`: {meaning}" for key, meaning in _HYPHEN.items()) + ".",
            "split",
            tuple(_HYPHEN),
        ),
    },
)
def split_surname(value: str, context: Context, *, part: int, hyphen: str) -> str | None:
    """Split a full surname into Last Name 1 and Last Name 2, keeping the state's characters
    and case: `DE LA CRUZ HERNANDEZ` -> `DE LA CRUZ` / `HERNANDEZ`, `García-López` ->
    `García` / `López`, `Ortega y Gasset` -> `Ortega` / `Gasset`. Particles (de, del, de la,
    de los, de las, da, dos, van, von, van der...) stay with the surname they precede. Use the
    function twice, once per target, with `part: 1` and `part: 2`.

    A single surname gives a blank Last Name 2. Three or more surnames put the first in Last
    Name 1 and the rest in Last Name 2, with a warning issue so a person can check them."""
    units = _units(value, hyphen)
    if not units:
        return None
    if len(units) > 2 and part == 2:
        context.warn(f"{len(units)} surnames found: the first is Last Name 1, the rest Last Name 2")
    if part == 1:
        return units[0]
    return " ".join(units[1:]) or None


@transform(
    "split_full_name",
    doc="One part of a `SURNAMES, GIVEN NAMES` full name.",
    args={
        "part": Arg(
            "text",
            "`first`, `middle` (all given names after the first), `given` (all given names), "
            "`last_1`, `last_2` (as split_surname) or `surnames` (the whole surname part).",
            choices=("first", "middle", "given", "last_1", "last_2", "surnames"),
        ),
        "hyphen": Arg("text", "As for split_surname.", "split", tuple(_HYPHEN)),
    },
)
def split_full_name(value: str, context: Context, *, part: str, hyphen: str) -> str | None:
    """Take one part of a full name written `SURNAMES, GIVEN NAMES` (`DE LA CRUZ HERNANDEZ,
    MARIA GUADALUPE`): the first given name, the middle names, or a surname split as
    `split_surname` does. A value without exactly one comma is an error issue, because the
    order of given names and surnames cannot be guessed."""
    if value.count(",") != 1:
        raise TransformError("a full name must read 'SURNAMES, GIVEN NAMES' with one comma")
    surnames, given = (side.strip() for side in value.split(","))
    given_names = given.split()
    if part == "surnames":
        return " ".join(surnames.split()) or None
    if part in ("last_1", "last_2"):
        return split_surname(surnames, context, part=1 if part == "last_1" else 2, hyphen=hyphen)
    if part == "first":
        return given_names[0] if given_names else None
    if part == "middle":
        return " ".join(given_names[1:]) or None
    return " ".join(given_names) or None
