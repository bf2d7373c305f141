from __future__ import annotations

from datetime import date

import pytest

from hub.identity import build_profile, fold, is_placeholder_date, is_placeholder_name
from hub.identity.normalize import canonical_names, metaphone, surname_keys
from tests.unit.identity.conftest import MakeProfile


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("María José", "maria jose"),
        ("RUIZ-ESPARZA", "ruiz esparza"),
        ("Núñez", "nunez"),
        ("O'Brien", "obrien"),
        ("  de   la Cruz ", "de la cruz"),
        ("Jean-Baptiste", "jean baptiste"),
        (None, ""),
    ],
)
def test_fold_strips_case_accents_punctuation_and_hyphens(raw: str | None, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("surnames", "tokens", "must_include"),
    [
        (("de la Cruz", "Hernández"), ("cruz", "hernandez"), {"delacruz", "cruz", "hernandez"}),
        (("Delacruz", None), ("delacruz",), {"delacruz", "cruz"}),
        (("del Río", None), ("rio",), {"delrio", "rio"}),
        (("de los Santos", None), ("santos",), {"delossantos", "santos"}),
        (("Ruiz-Esparza", None), ("ruiz", "esparza"), {"ruiz", "esparza"}),
        (("García y López", None), ("garcia", "lopez"), {"garcia", "lopez"}),
        (("van der Berg", None), ("berg",), {"vanderberg", "berg"}),
    ],
)
def test_surname_tokens_drop_particles_and_keep_glued_forms(
    surnames: tuple[str, str | None], tokens: tuple[str, ...], must_include: set[str]
) -> None:
    found_tokens, keys = surname_keys(*surnames)
    assert found_tokens == tokens
    assert must_include <= keys


def test_de_la_cruz_and_delacruz_and_cruz_share_a_surname_key() -> None:
    spaced = surname_keys("de la Cruz")[1]
    glued = surname_keys("Delacruz")[1]
    dropped = surname_keys("Cruz")[1]
    assert spaced & glued
    assert spaced & dropped
    assert glued & dropped


@pytest.mark.parametrize(
    ("nickname", "formal"),
    [
        ("lupe", "guadalupe"),
        ("pepe", "jose"),
        ("chuy", "jesus"),
        ("paco", "francisco"),
        ("pancho", "francisco"),
        ("nacho", "ignacio"),
        ("memo", "guillermo"),
        ("lalo", "eduardo"),
        ("beto", "roberto"),
        ("beto", "alberto"),
        ("concha", "concepcion"),
        ("tono", "antonio"),
        ("lola", "dolores"),
        ("bobby", "robert"),
    ],
)
def test_nickname_table_maps_short_forms_to_formal_names(nickname: str, formal: str) -> None:
    assert formal in canonical_names(nickname)


def test_nickname_with_accent_matches_after_folding(profile: MakeProfile) -> None:
    toño = profile(first_name="Toño", middle_name=None)
    antonio = profile(first_name="Antonio", middle_name=None)
    assert toño.first_canon & antonio.first_canon


def test_effective_first_name_skips_a_devotional_first_name(profile: MakeProfile) -> None:
    assert profile(first_name="María", middle_name="Guadalupe").first == "guadalupe"
    assert profile(first_name="María Guadalupe", middle_name=None).first == "guadalupe"
    assert profile(first_name="María", middle_name=None).first == "maria"
    assert profile(first_name="Lupe", middle_name=None).first == "lupe"


@pytest.mark.parametrize(
    "name", ["BABY BOY", "Baby Girl", "UNKNOWN", "TWIN A", "twin b", "NEWBORN", "FC1", "fc 12"]
)
def test_placeholder_names_are_detected(name: str) -> None:
    assert is_placeholder_name(name)


@pytest.mark.parametrize("name", ["Babette", "Twyla", "Unique", "Fabiola", "Lupe"])
def test_real_names_are_not_placeholders(name: str) -> None:
    assert not is_placeholder_name(name)


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        (date(1900, 1, 1), True),
        (date(2014, 1, 1), True),
        (date(1899, 6, 3), True),
        (date(2014, 3, 7), False),
        (date(2014, 1, 2), False),
    ],
)
def test_placeholder_birth_dates(value: date, placeholder: bool) -> None:
    assert is_placeholder_date(value) is placeholder


def test_placeholder_values_are_dropped_from_the_profile(profile: MakeProfile) -> None:
    baby = profile(first_name="BABY GIRL", middle_name=None, birth_date="1900-01-01")
    assert baby.placeholder_name
    assert baby.placeholder_date
    assert baby.first is None
    assert not baby.first_canon
    assert baby.birth_date is None
    assert baby.birth_year is None


def test_profile_accepts_an_identity_model_or_its_json() -> None:
    from hub.model import Identity

    data = {"first_name": "José", "last_name_1": "Pérez", "birth_date": "2012-05-06"}
    assert build_profile(Identity.model_validate(data)) == build_profile(data)


def test_metaphone_handles_spelling_variants() -> None:
    assert set(metaphone("gonzalez")) & set(metaphone("gonsalez"))
    assert set(metaphone("jimenez")) & set(metaphone("gimenez"))
    assert metaphone("delacruz")[0] == metaphone("de la cruz".replace(" ", ""))[0]


def test_parents_and_ids_are_normalised(profile: MakeProfile) -> None:
    built = profile(
        alternate_ids=[{"state": "TX", "value": "MEP1"}],
        parents=[{"first_name": "Jorge", "last_name": "de la Cruz Pérez", "email": "J@X.example"}],
    )
    assert built.parent_firsts == ("jorge",)
    assert "j@x.example" in built.parent_contacts
    assert set(built.ids) == {"TX:TX0000000001", "TX:MEP1"}
