from __future__ import annotations

import pytest

from hub.errors import ValidationError
from hub.security import ROLES, Jurisdiction, Level, Permission, Role, permissions_of
from hub.security.roles import check_role_jurisdiction

NATION = Jurisdiction.national()
TX = Jurisdiction(state="TX")
TX_R1 = Jurisdiction(state="TX", region="R1")
TX_R1_D7 = Jurisdiction(state="TX", region="R1", district="D7")
TX_R2_D8 = Jurisdiction(state="TX", region="R2", district="D8")
CA = Jurisdiction(state="CA")


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        (NATION, CA),
        (NATION, TX_R1_D7),
        (NATION, NATION),
        (TX, TX_R1),
        (TX, TX_R1_D7),
        (TX_R1, TX_R1_D7),
        (TX_R1_D7, TX_R1_D7),
    ],
)
def test_wider_jurisdiction_covers_narrower(outer: Jurisdiction, inner: Jurisdiction) -> None:
    assert outer.covers(inner)


@pytest.mark.parametrize(
    ("outer", "inner"),
    [(TX, CA), (TX, NATION), (TX_R1, TX), (TX_R1, TX_R2_D8), (TX_R1_D7, TX_R1), (CA, TX_R1_D7)],
)
def test_jurisdiction_does_not_cover_outside_or_wider(
    outer: Jurisdiction, inner: Jurisdiction
) -> None:
    assert not outer.covers(inner)


def test_district_without_region_covers_that_district_in_any_region() -> None:
    assert Jurisdiction(state="TX", district="D7").covers(TX_R1_D7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("national", NATION),
        ("tx", TX),
        ("TX/R1", TX_R1),
        ("TX/R1/D7", TX_R1_D7),
        ("TX//D7", Jurisdiction(state="TX", district="D7")),
    ],
)
def test_jurisdiction_parses_from_cli_text(text: str, expected: Jurisdiction) -> None:
    parsed = Jurisdiction.parse(text)
    assert parsed == expected
    assert Jurisdiction.parse(str(parsed)) == parsed


@pytest.mark.parametrize(
    "fields",
    [{"state": "Texas"}, {"state": "tx"}, {"region": "R1"}, {"state": "TX", "district": "D 7 !"}],
)
def test_malformed_jurisdiction_is_refused(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Jurisdiction(**fields)


def test_jurisdiction_level() -> None:
    assert [j.level for j in (NATION, TX, TX_R1, TX_R1_D7)] == [
        Level.NATION,
        Level.STATE,
        Level.REGION,
        Level.DISTRICT,
    ]


def test_every_role_is_described() -> None:
    assert set(ROLES) == set(Role)


def test_primary_user_has_secondary_rights_and_more() -> None:
    secondary = ROLES[Role.SECONDARY_USER].permissions
    primary = ROLES[Role.PRIMARY_USER].permissions
    assert secondary == {Permission.SEARCH, Permission.VIEW, Permission.PRINT}
    assert secondary < primary
    assert {Permission.INITIATE_MERGE_SPLIT, Permission.SEND_MOVE_NOTICE} <= primary


def test_only_user_administrators_administer_users() -> None:
    admins = {role for role, spec in ROLES.items() if Permission.ADMIN_USERS in spec.permissions}
    assert admins == {Role.USER_ADMIN_REGIONAL, Role.USER_ADMIN_STATE}


def test_data_administrators_validate_merges_and_work_worklists() -> None:
    for role in (Role.DATA_ADMIN_DISTRICT, Role.DATA_ADMIN_REGIONAL, Role.DATA_ADMIN_STATE):
        assert {Permission.WORKLIST, Permission.VALIDATE_MERGE_SPLIT} <= ROLES[role].permissions


def test_holding_several_roles_unites_their_permissions() -> None:
    held = permissions_of([Role.SECONDARY_USER, Role.USER_ADMIN_STATE])
    assert {Permission.SEARCH, Permission.ADMIN_USERS} <= held


@pytest.mark.parametrize(
    ("role", "jurisdiction", "fits"),
    [
        (Role.DATA_ADMIN_DISTRICT, TX_R1_D7, True),
        (Role.DATA_ADMIN_DISTRICT, TX, False),
        (Role.DATA_ADMIN_REGIONAL, TX_R1, True),
        (Role.DATA_ADMIN_STATE, TX, True),
        (Role.USER_ADMIN_STATE, TX_R1, False),
        (Role.GOVERNMENT_ADMIN, NATION, True),
        (Role.GOVERNMENT_ADMIN, TX, False),
        (Role.SECONDARY_USER, TX_R1_D7, True),
        (Role.PRIMARY_USER, TX, True),
        (Role.SECONDARY_USER, NATION, False),
    ],
)
def test_role_is_granted_at_its_jurisdiction_level(
    role: Role, jurisdiction: Jurisdiction, fits: bool
) -> None:
    assert (check_role_jurisdiction([role], jurisdiction) == []) is fits
