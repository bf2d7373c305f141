"""Roles of DOMAIN.md §7 as data, and the jurisdictions they act in.

A jurisdiction bounds *administration* (whose worklists a data administrator works, whose accounts
a user administrator manages). It does not bound who may look a child up: the point of the
exchange is that a receiving school in one state sees the record another state sent.

DOMAIN.md §7 marks Secondary User and Government Administrator rights as inferred; the table below
is the hub's reading and is the one place to change it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from hub.errors import Issue, IssueCode, ValidationError, error


class Permission(StrEnum):
    SEARCH = "search"
    VIEW = "view"
    PRINT = "print"
    VIEW_HEALTH = "view_health"
    INITIATE_MERGE_SPLIT = "initiate_merge_split"
    SEND_MOVE_NOTICE = "send_move_notice"
    WORKLIST = "worklist"
    VALIDATE_MERGE_SPLIT = "validate_merge_split"
    REPORTS = "reports"
    ADMIN_USERS = "admin_users"


class Level(StrEnum):
    """How wide a jurisdiction is, widest first."""

    NATION = "nation"
    STATE = "state"
    REGION = "region"
    DISTRICT = "district"


class Role(StrEnum):
    SECONDARY_USER = "secondary_user"
    PRIMARY_USER = "primary_user"
    DATA_ADMIN_DISTRICT = "data_admin_district"
    DATA_ADMIN_REGIONAL = "data_admin_regional"
    DATA_ADMIN_STATE = "data_admin_state"
    USER_ADMIN_REGIONAL = "user_admin_regional"
    USER_ADMIN_STATE = "user_admin_state"
    GOVERNMENT_ADMIN = "government_admin"


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """What a role may do, and at which jurisdiction level it is granted (None: any state-level
    or narrower jurisdiction, as for school staff)."""

    title: str
    permissions: frozenset[Permission]
    level: Level | None


P = Permission
_READER = frozenset({P.SEARCH, P.VIEW, P.PRINT})
# Health flags are shown to staff who act on placement and moves; data administrators decide
# identity and need no health detail to do it (least privilege; FERPA minimum necessary).
_PRIMARY = _READER | {P.VIEW_HEALTH, P.INITIATE_MERGE_SPLIT, P.SEND_MOVE_NOTICE}
_DATA_ADMIN = _READER | {P.WORKLIST, P.VALIDATE_MERGE_SPLIT, P.INITIATE_MERGE_SPLIT, P.REPORTS}
# User administrators run the Accounts List report but do not read children's records.
_USER_ADMIN = frozenset({P.ADMIN_USERS, P.REPORTS})

ROLES: Mapping[Role, RoleSpec] = {
    Role.SECONDARY_USER: RoleSpec("Secondary User", _READER, None),
    Role.PRIMARY_USER: RoleSpec("Primary User", _PRIMARY, None),
    Role.DATA_ADMIN_DISTRICT: RoleSpec(
        "Data Administrator (District)", _DATA_ADMIN, Level.DISTRICT
    ),
    Role.DATA_ADMIN_REGIONAL: RoleSpec("Data Administrator (Regional)", _DATA_ADMIN, Level.REGION),
    Role.DATA_ADMIN_STATE: RoleSpec("Data Administrator (State)", _DATA_ADMIN, Level.STATE),
    Role.USER_ADMIN_REGIONAL: RoleSpec("User Administrator (Regional)", _USER_ADMIN, Level.REGION),
    Role.USER_ADMIN_STATE: RoleSpec("User Administrator (State)", _USER_ADMIN, Level.STATE),
    Role.GOVERNMENT_ADMIN: RoleSpec(
        "Government Administrator", frozenset({P.SEARCH, P.VIEW, P.REPORTS}), Level.NATION
    ),
}


def permissions_of(roles: Iterable[Role]) -> frozenset[Permission]:
    """Union of the permissions of every role held (DOMAIN.md allows holding several)."""
    held: frozenset[Permission] = frozenset()
    for role in roles:
        held |= ROLES[role].permissions
    return held


_STATE = re.compile(r"^[A-Z]{2}$")
_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$")


def is_unit_id(value: str) -> bool:
    """Whether `value` can name a region or district in a jurisdiction (`TX/<region>/<district>`):
    up to 40 letters, digits, spaces, dots, underscores or hyphens, starting with a letter or
    digit."""
    return _UNIT.match(value) is not None


class Jurisdiction(BaseModel):
    """Where a user or client acts: the nation, a state, optionally a region and a district.

    Districts are identified within their state, and states without regions exist, so a district
    may be given without a region.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    state: str | None = None
    region: str | None = None
    district: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        issues: list[Issue] = []
        if self.state is None and (self.region or self.district):
            issues.append(error(IssueCode.REQUIRED, "a region or district needs a state", "state"))
        if self.state is not None and not _STATE.match(self.state):
            issues.append(
                error(IssueCode.VALUE, "state must be a 2-letter USPS code, upper case", "state")
            )
        for name in ("region", "district"):
            value = getattr(self, name)
            if value is not None and not _UNIT.match(value):
                issues.append(error(IssueCode.VALUE, f"{name} {value!r} is not a valid id", name))
        if issues:
            raise ValidationError(issues)
        return self

    @classmethod
    def national(cls) -> Jurisdiction:
        return cls()

    @classmethod
    def parse(cls, text: str) -> Jurisdiction:
        """`national`, `TX`, `TX/R1`, `TX/R1/D001` or `TX//D001` (district without region)."""
        text = text.strip()
        if text.lower() in ("national", "nation", "us"):
            return cls.national()
        parts = [part.strip() or None for part in text.split("/")]
        if len(parts) > 3:
            raise ValidationError(f"jurisdiction {text!r} has more than 3 parts", "jurisdiction")
        state, region, district = [*parts, None, None][:3]
        return cls(state=state.upper() if state else None, region=region, district=district)

    @property
    def level(self) -> Level:
        if self.district is not None:
            return Level.DISTRICT
        if self.region is not None:
            return Level.REGION
        if self.state is not None:
            return Level.STATE
        return Level.NATION

    def covers(self, other: Jurisdiction) -> bool:
        """True when `other` lies inside this jurisdiction (a jurisdiction covers itself)."""
        return all(
            mine is None or mine == theirs
            for mine, theirs in (
                (self.state, other.state),
                (self.region, other.region),
                (self.district, other.district),
            )
        )

    def __str__(self) -> str:
        if self.state is None:
            return "national"
        return "/".join([self.state, self.region or "", self.district or ""]).rstrip("/")


def check_role_jurisdiction(roles: Iterable[Role], jurisdiction: Jurisdiction) -> list[Issue]:
    """Each role is granted at one level: a regional data administrator needs a region, etc."""
    issues: list[Issue] = []
    for role in roles:
        spec = ROLES[role]
        if spec.level is None:
            if jurisdiction.level is Level.NATION:
                issues.append(
                    error(IssueCode.BUSINESS_RULE, f"{spec.title} needs a state", "jurisdiction")
                )
        elif jurisdiction.level is not spec.level:
            issues.append(
                error(
                    IssueCode.BUSINESS_RULE,
                    f"{spec.title} is granted at {spec.level} level, "
                    f"not at {jurisdiction.level} level ({jurisdiction})",
                    "jurisdiction",
                )
            )
    return issues
