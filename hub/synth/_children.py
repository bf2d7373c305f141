"""Synthetic children as a stream: each with one StudentRecord per state it attended, and truth.

Families are independent of one another and of `count`: family number i is always built from
`Random(f"{seed}:{i}")`, so the first N children of a larger run are the first N of a smaller one,
and memory stays flat however many children are asked for.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import random
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Final

from hub.model import Identity, Parent, StudentId, StudentRecord
from hub.synth import _places
from hub.synth._families import MAX_CHILDREN, Family, Stay, TrueChild, build_family
from hub.synth._health import state_health
from hub.synth._schooling import eligible_stays, moves, schooling
from hub.synth._variation import varied_identity

DEFAULT_STATES: Final = tuple(sorted(_places.STATES))
ALTERNATE_ID_RATE: Final = 0.3
# State ids are 10 digits after the state's prefix: room for 10^10 children a state.
_ID_SPACE: Final = 10**10


@dataclass(frozen=True, slots=True)
class SyntheticRecord:
    """One state's record of the child and the variations applied to its identity."""

    record: StudentRecord
    variations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SyntheticChild:
    """A true child: who it is, its family, and every state record it produced."""

    child_id: str
    family_id: str
    twin: bool  # one of a twin or triplet set
    sibling: bool  # the family has other children (twins included)
    name_origin: str
    identity: Identity  # the truth, before any state's variation
    records: tuple[SyntheticRecord, ...]


@functools.lru_cache(maxsize=1024)
def _permutation(seed: int, state: str, kind: str) -> tuple[int, int]:
    digest = hashlib.blake2b(f"{seed}:{state}:{kind}".encode(), digest_size=16).digest()
    multiplier = int.from_bytes(digest[:8]) % _ID_SPACE | 1
    if multiplier % 5 == 0:
        multiplier += 2
    return multiplier, int.from_bytes(digest[8:]) % _ID_SPACE


def state_student_id(seed: int, state: str, serial: int, kind: str = "state") -> str:
    """The id `state` gives child number `serial`: unique within the state, no registry needed.

    Multiplying by a number coprime with 10^10 permutes 0..10^10-1, so distinct serials give
    distinct ids while the ids look unordered, as real ones do.
    """
    multiplier, offset = _permutation(seed, state, kind)
    return _places.STATES[state].id_prefix + f"{(serial * multiplier + offset) % _ID_SPACE:010d}"


def _checked_states(states: Collection[str] | None) -> tuple[str, ...]:
    if states is None:
        return DEFAULT_STATES
    chosen = tuple(sorted(set(states)))
    unknown = [state for state in chosen if state not in _places.STATES]
    if unknown or not chosen:
        known = ", ".join(DEFAULT_STATES)
        raise ValueError(f"unknown or no states {unknown}: choose among {known}")
    return chosen


def iter_children(
    seed: int, count: int, *, states: Collection[str] | None = None
) -> Iterator[SyntheticChild]:
    """Yield `count` synthetic children, family by family, deterministically for `seed`.

    `states` restricts the migrant streams to those states (default: every state the generator
    knows). The last family is cut short when `count` falls inside it. Each state judges age by
    its own birth date for the child, so in rare cases a wrong date drops a state's record, and
    very rarely every record of a child: such a child is yielded with no records.
    """
    if count < 0:
        raise ValueError(f"count must be zero or more, not {count}")
    streams = _places.streams_for(_checked_states(states))
    emitted = 0
    for index in itertools.count():
        if emitted >= count:
            return
        family = build_family(random.Random(f"{seed}:{index}"), index, streams)
        # A second stream for what states record, so changing the noise leaves the truth alone.
        rng = random.Random(f"{seed}:{index}:records")
        for slot, child in enumerate(family.children[: count - emitted]):
            yield _synthetic_child(rng, seed, family, child, index * MAX_CHILDREN + slot)
            emitted += 1


def _synthetic_child(
    rng: random.Random, seed: int, family: Family, child: TrueChild, serial: int
) -> SyntheticChild:
    by_state: dict[str, list[Stay]] = {}
    for stay in eligible_stays(child.birth_date, family.stays):
        by_state.setdefault(stay.state, []).append(stay)
    records = tuple(
        record
        for state, stays in by_state.items()
        if (record := _record(rng, seed, family, child, serial, state, stays)) is not None
    )
    return SyntheticChild(
        child_id=child.child_id,
        family_id=family.family_id,
        twin=child.birth_set > 1,
        sibling=len(family.children) > 1,
        name_origin=family.origin,
        identity=_true_identity(child, family),
        records=records,
    )


def _record(
    rng: random.Random,
    seed: int,
    family: Family,
    child: TrueChild,
    serial: int,
    state: str,
    stays: list[Stay],
) -> SyntheticRecord | None:
    alternate_ids = (
        [StudentId(state=state, value=state_student_id(seed, state, serial, "mep"), id_type="02")]
        if rng.random() < ALTERNATE_ID_RATE
        else []
    )
    identity, variations = varied_identity(rng, child, family.parents, alternate_ids)
    # The state works from its own birth date: it counts the child only in stays where that date
    # makes the child 3-21, and computes eligibility from it, so each record is self-consistent
    # and passes the hub's rules even when the date is wrong. Rarely that leaves no stay at all.
    birth_date = identity.birth_date or child.birth_date
    stays = eligible_stays(birth_date, stays)
    if not stays:
        return None
    # The home state reads immunizations from its registry; others hold transcribed copies.
    health = state_health(
        rng, child.health, stays[-1].end, birth_date, primary_source=state == family.home_state
    )
    school = schooling(rng, child, stays, health, open_ended=stays[-1] is family.stays[-1])
    record = StudentRecord(
        student_id=StudentId(
            state=state, value=state_student_id(seed, state, serial), id_type="01"
        ),
        identity=identity,
        moves=moves(stays, birth_date),
        enrollments=school.enrollments,
        assessments=school.assessments,
        courses=school.courses,
        immunizations=health.immunizations,
        conditions=health.conditions,
    )
    return SyntheticRecord(record, variations)


def _true_identity(child: TrueChild, family: Family) -> Identity:
    name = child.name
    return Identity(
        first_name=name.first,
        middle_name=name.middle,
        last_name_1=name.last_1,
        last_name_2=name.last_2,
        sex=child.sex,
        birth_date=child.birth_date,
        multiple_birth=child.birth_set > 1,
        birth_city=child.birth_town,
        birth_state=child.birth_state,
        birth_country=child.birth_country,
        birth_date_verification=child.birth_verification,
        parents=[
            Parent(
                first_name=contact.name.first,
                last_name=" ".join(filter(None, (contact.name.last_1, contact.name.last_2))),
                email=contact.email,
                phone=contact.phone,
            )
            for contact in family.parents
        ],
    )
