"""Finding a child (DOMAIN.md §7 Search): by MSIX ID, by state student id, or by demographics.

A demographic search is the identity engine run backwards: the query becomes a `Profile`, its
blocking keys fetch candidate children through the indexed `students.blocking_keys` lookup, and
the engine's Fellegi-Sunter model scores the query against each linked state record, so a
misspelled name (Guadelupe), a nickname (Lupe), a transposed birth date or a dropped second
surname still finds the child. Fields the person leaves empty are the null level of their
comparison: no evidence either way.

Partial queries the record keys cannot serve get keys of the same shapes: names without a birth
date are keyed with every month of every plausible birth year (`name_year_keys`), still an
indexed `$in` lookup.
Children whose blocking keys were never computed (loaded before identity resolution stored
them) are still reached through their records' birth date, exact or day-month swapped.

Hits show the minimum needed to pick the right child: surviving names, birth date, sex and the
states holding a record. Everything else waits for the record page, where opening it is audited.

Every function runs on the store thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from hub.errors import Issue, IssueCode, NotFoundError, ValidationError, error
from hub.identity import (
    MatchModel,
    Profile,
    SourceRecord,
    blocking_keys,
    build_profile,
    load_model,
    name_year_keys,
    summarise_identity,
)
from hub.identity.normalize import canonical_names, metaphone, surname_keys
from hub.store import Store, StoredRecord, is_valid_msix_id

MAX_HITS: Final = 25
_CANDIDATE_LIMIT: Final = 200
# Children are searched up to this age (MEP eligibility ends at 22; records outlive it a little).
_OLDEST_AGE: Final = 26
# Below this total (log2 odds, prior included) a candidate only shared a key by chance.
_STRONG_MARGIN: Final = 0.0


@dataclass(frozen=True)
class DemographicQuery:
    """What a person typed into the demographic search form; empty fields are None."""

    first_name: str | None = None
    last_name_1: str | None = None
    last_name_2: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    parent_first_name: str | None = None
    parent_last_name: str | None = None
    state: str | None = None

    def problems(self) -> list[Issue]:
        """A search needs a surname or a given name, and a birth date or both names: anything
        less returns half a state (and is no way to look a child up)."""
        issues: list[Issue] = []
        if not self.first_name and not self.last_name_1:
            issues.append(
                error(IssueCode.REQUIRED, "enter a first name or a last name", "last_name_1")
            )
        elif self.birth_date is None and not (self.first_name and self.last_name_1):
            issues.append(
                error(
                    IssueCode.REQUIRED,
                    "with one name only, enter the birth date too",
                    "birth_date",
                )
            )
        if self.state is not None and not (len(self.state) == 2 and self.state.isalpha()):
            issues.append(error(IssueCode.VALUE, "state must be a 2-letter code", "state"))
        return issues

    def identity(self) -> dict[str, Any]:
        """The query as a canonical identity dict, for `build_profile`."""
        identity: dict[str, Any] = {
            "first_name": self.first_name,
            "last_name_1": self.last_name_1,
            "last_name_2": self.last_name_2,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
        }
        if self.parent_first_name or self.parent_last_name:
            identity["parents"] = [
                {"first_name": self.parent_first_name, "last_name": self.parent_last_name}
            ]
        return {name: value for name, value in identity.items() if value}


@dataclass(frozen=True)
class SearchHit:
    """One child found: enough to tell children apart, nothing more."""

    msix_id: str
    first_name: str | None
    last_name_1: str | None
    last_name_2: str | None
    birth_date: str | None
    sex: str | None
    states: tuple[str, ...]
    score: float | None = None  # match weight of the best record; None for an ID lookup
    strength: str = "exact"  # exact (an ID), strong, possible
    via: str | None = None  # the ID asked for, when a merge retired it

    @property
    def name(self) -> str:
        surnames = " ".join(part for part in (self.last_name_1, self.last_name_2) if part)
        return ", ".join(part for part in (surnames, self.first_name) if part) or "(no name)"


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    candidates: int  # children scored (for the audit trail and the bench, never shown as PII)
    truncated: bool = False
    keys: list[str] = field(default_factory=list, repr=False)


def find_by_msix_id(store: Store, msix_id: str) -> SearchResult:
    """The child an MSIX ID names (a retired ID resolves to the surviving child)."""
    msix_id = msix_id.strip()
    if not is_valid_msix_id(msix_id):
        raise ValidationError(
            "an MSIX ID is 12 digits with a check digit; check it for a typing slip", "msix_id"
        )
    try:
        child = store.students.resolve(msix_id)
    except NotFoundError:
        return SearchResult([], 0)
    via = msix_id if child["_id"] != msix_id else None
    return SearchResult([_hit(store, child["_id"], via=via)], 1)


def find_by_state_id(store: Store, state: str, state_student_id: str) -> SearchResult:
    """The child linked to one state's record."""
    state, state_student_id = state.strip().upper(), state_student_id.strip()
    issues = []
    if not (len(state) == 2 and state.isalpha()):
        issues.append(error(IssueCode.VALUE, "state must be a 2-letter code", "id_state"))
    if not state_student_id:
        issues.append(error(IssueCode.REQUIRED, "enter the state student id", "state_student_id"))
    if issues:
        raise ValidationError(issues)
    child = store.students.find_by_link(state, state_student_id)
    if child is None:
        return SearchResult([], 0)
    return SearchResult([_hit(store, child["_id"])], 1)


def search_demographics(
    store: Store,
    query: DemographicQuery,
    *,
    model: MatchModel | None = None,
    today: date | None = None,
    limit: int = MAX_HITS,
) -> SearchResult:
    """Children ranked by how well their best linked record matches the query."""
    issues = query.problems()
    if issues:
        raise ValidationError(issues)
    model = model or load_model()
    profile = build_profile(query.identity())
    keys = search_keys(profile, today=today or datetime.now(UTC).date())
    children = _candidates(store, keys, query.birth_date)
    scored: list[tuple[float, str, list[StoredRecord]]] = []
    for msix_id in children:
        records = store.state_records.for_child(msix_id)
        if query.state and all(record.state != query.state for record in records):
            continue
        best = max(
            (
                model.score(profile, _profile(record)).total
                for record in records
                if not record.deleted
            ),
            default=None,
        )
        if best is not None and best >= model.zones.review - _review_slack(query):
            scored.append((best, msix_id, records))
    scored.sort(key=lambda item: (-item[0], item[1]))
    hits = [
        _summarise(msix_id, records, score, _strength(score, model))
        for score, msix_id, records in scored[:limit]
    ]
    return SearchResult(hits, len(children), len(scored) > limit, keys)


def search_keys(profile: Profile, *, today: date) -> list[str]:
    """The engine's blocking keys of the query, plus name-and-year keys for every plausible
    birth year when no birth date was given."""
    keys = set(blocking_keys(profile))
    if profile.birth_date is None and profile.first_canon and profile.last_1:
        _, paternal_keys = surname_keys(profile.last_1)
        surnames = {metaphone(name)[0] for name in paternal_keys if " " not in name}
        givens = {
            metaphone(name)[0]
            for token in profile.first_canon
            for name in canonical_names(token) | {token}
            if " " not in name
        }
        for year in range(today.year - _OLDEST_AGE, today.year + 1):
            keys.update(name_year_keys(surnames, givens, year))
    return sorted(keys)


def _candidates(store: Store, keys: list[str], born: date | None) -> list[str]:
    found: dict[str, None] = {}
    if keys:
        for child in store.students.find_by_blocking_keys(keys, limit=_CANDIDATE_LIMIT):
            found.setdefault(child["_id"], None)
    if born is not None:
        for day in _birth_dates(born):
            for doc in store.lookups.born_on(day.isoformat()):
                if doc.get("msix_id") and not doc.get("deleted"):
                    found.setdefault(str(doc["msix_id"]), None)
    return [msix_id for msix_id in found if _active(store, msix_id)]


def _birth_dates(born: date) -> list[date]:
    days = [born]
    if born.day <= 12 and born.day != born.month:
        days.append(date(born.year, born.day, born.month))  # a day of at most 12 is a month
    return days


def _active(store: Store, msix_id: str) -> bool:
    child = store.students.get(msix_id)
    return child is not None and child.get("status") == "active"


def _review_slack(query: DemographicQuery) -> float:
    # A query names fewer fields than a state record, so its best total runs lower than a
    # record-to-record total: each field left empty loosens the floor a little.
    empty = sum(
        1
        for value in (query.first_name, query.last_name_1, query.birth_date, query.sex)
        if not value
    )
    return 4.0 + 3.0 * empty


def _strength(score: float, model: MatchModel) -> str:
    return "strong" if score >= model.zones.review + _STRONG_MARGIN else "possible"


def _profile(record: StoredRecord) -> Profile:
    identity = record.record.get("identity") or {}
    return build_profile(identity, state=record.state, state_student_id=record.state_student_id)


def _hit(store: Store, msix_id: str, *, via: str | None = None) -> SearchHit:
    return _summarise(msix_id, store.state_records.for_child(msix_id), None, "exact", via)


def _summarise(
    msix_id: str,
    records: Iterable[StoredRecord],
    score: float | None,
    strength: str,
    via: str | None = None,
) -> SearchHit:
    sources = [source_record(record) for record in records if not record.deleted]
    values = summarise_identity(sources).values
    birth = values.get("birth_date")
    return SearchHit(
        msix_id=msix_id,
        first_name=values.get("first_name"),
        last_name_1=values.get("last_name_1"),
        last_name_2=values.get("last_name_2"),
        birth_date=str(birth)[:10] if birth else None,
        sex=values.get("sex"),
        states=tuple(sorted({source.state for source in sources})),
        score=None if score is None else round(score, 1),
        strength=strength,
        via=via,
    )


def source_record(record: StoredRecord) -> SourceRecord:
    """A stored state record as survivorship reads it (received times made aware)."""
    received = record.received_at
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    return SourceRecord(record.state, record.state_student_id, received, record.record)
