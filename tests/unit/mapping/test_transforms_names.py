"""Name transforms: accents and the state's spelling are never lost (synthetic names only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hub.mapping._names import surname_units
from hub.mapping._registry import TransformError

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import RunTransform


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("MARÍA GUADALUPE DE LA CRUZ HERNÁNDEZ", "María Guadalupe de la Cruz Hernández"),
        ("GARCÍA-LÓPEZ", "García-López"),
        ("O'BRIEN", "O'Brien"),
        ("ORTEGA Y GASSET", "Ortega y Gasset"),
        ("VAN DER BERG", "van der Berg"),
        ("LA JOYA", "La Joya"),
        ("JOSÉ", "José"),
        ("MARI\u0301A", "María"),
    ],
)
def test_title_case_keeps_accents_and_lowers_particles(
    run: RunTransform, value: str, expected: str
) -> None:
    assert run("title_case", value)[0] == expected


def test_title_case_can_capitalize_particles(run: RunTransform) -> None:
    assert run("title_case", "DE LA CRUZ", particles="capitalize")[0] == "De La Cruz"


def test_strip_accents_folds_to_ascii(run: RunTransform) -> None:
    assert run("strip_accents", "Hernández Muñoz Ñañez")[0] == "Hernandez Munoz Nanez"


@pytest.mark.parametrize(
    ("value", "last_1", "last_2"),
    [
        ("DE LA CRUZ HERNANDEZ", "DE LA CRUZ", "HERNANDEZ"),
        ("de la Cruz Hernández", "de la Cruz", "Hernández"),
        ("García-López", "García", "López"),
        ("García López", "García", "López"),
        ("DEL RIO ZAMORA", "DEL RIO", "ZAMORA"),
        ("PÉREZ DE LOS SANTOS", "PÉREZ", "DE LOS SANTOS"),
        ("RUIZ DE LAS CASAS", "RUIZ", "DE LAS CASAS"),
        ("Ortega y Gasset", "Ortega", "Gasset"),
        ("VAN DER BERG SOUZA", "VAN DER BERG", "SOUZA"),
        ("von Humboldt", "von Humboldt", None),
        ("DA SILVA DOS SANTOS", "DA SILVA", "DOS SANTOS"),
        ("de la Cruz-Hernández", "de la Cruz", "Hernández"),
        ("  MUÑOZ  ", "MUÑOZ", None),
    ],
)
def test_split_surname_keeps_particles_with_their_surname(
    run: RunTransform, value: str, last_1: str, last_2: str | None
) -> None:
    assert run("split_surname", value, part=1)[0] == last_1
    assert run("split_surname", value, part=2)[0] == last_2


def test_split_surname_can_keep_a_hyphenated_surname_whole(run: RunTransform) -> None:
    assert run("split_surname", "García-López", part=1, hyphen="keep")[0] == "García-López"
    assert run("split_surname", "García-López", part=2, hyphen="keep")[0] is None


def test_three_surnames_are_kept_with_a_warning(run: RunTransform) -> None:
    value, warnings = run("split_surname", "GARCIA LOPEZ MARTINEZ", part=2)
    assert value == "LOPEZ MARTINEZ"
    assert warnings == ["3 surnames found: the first is Last Name 1, the rest Last Name 2"]


def test_surname_units_never_change_characters() -> None:
    assert surname_units("DE LA CRUZ HERNÁNDEZ") == ["DE LA CRUZ", "HERNÁNDEZ"]


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("first", "MARÍA"),
        ("middle", "GUADALUPE"),
        ("given", "MARÍA GUADALUPE"),
        ("last_1", "DE LA CRUZ"),
        ("last_2", "HERNÁNDEZ"),
        ("surnames", "DE LA CRUZ HERNÁNDEZ"),
    ],
)
def test_split_full_name_takes_one_part(run: RunTransform, part: str, expected: str) -> None:
    full = "DE LA CRUZ HERNÁNDEZ, MARÍA GUADALUPE"
    assert run("split_full_name", full, part=part)[0] == expected


def test_split_full_name_needs_exactly_one_comma(run: RunTransform) -> None:
    with pytest.raises(TransformError, match="one comma"):
        run("split_full_name", "MARÍA DE LA CRUZ", part="first")
