"""The identity step against the store: which child does a state record belong to?

block -> compare -> score -> link | review | new (DESIGN.md §2), with the matching engine of
`hub.identity` and the children of the store:

- a state record the hub already links keeps its child (its identity snapshot is refreshed when
  the state changed it, so later matches see what the state says now);
- otherwise candidates are fetched by the record's blocking keys (an indexed lookup, never a
  scan), minus children an administrator decided are different (do-not-link pairs), and the
  engine decides:
  - link: the record joins the child (unless the child is locked by a pending merge or split,
    in which case the record waits as a near match: nobody changes a child under review);
  - review: the record gets a child of its own and a near-match item names the candidates, with
    the engine's explanation, for a Data Administrator;
  - new: a new child and MSIX ID.

Each child document keeps, per link, the identity snapshot of that state record and the union of
their blocking keys, so matching reads one document per candidate child. Every incoming record
is matched against every child already known, not only within its file.

Runs on the store thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.errors import ConflictError
from hub.identity import (
    ChildCandidate,
    Decision,
    LinkedRecord,
    MatchModel,
    Profile,
    Zone,
    blocking_keys,
    build_profile,
    decide,
    load_model,
)
from hub.services import worklists
from hub.store import Document, Store, link_key, pair_key

_CANDIDATE_LIMIT = 200
_UPDATE_ATTEMPTS = 3


@dataclass(frozen=True)
class Candidate:
    """What the identity step sees of one accepted state record."""

    state: str
    state_student_id: str
    identity: Mapping[str, Any]  # hub.model.Identity as JSON
    enrollments: Sequence[Mapping[str, Any]] = ()  # the record's, for routing a near match


@dataclass(frozen=True)
class Resolution:
    msix_id: str
    created: bool  # a new child (and MSIX ID) was made for this record
    zone: Zone | None = None  # None: the record was already linked
    near_match: str | None = None  # the worklist item opened, if any
    decision: dict[str, Any] | None = field(default=None, compare=False)


class IdentityResolver:
    """Resolves state records to children. `prefetch` reads the links of many records in one
    query; `resolve` answers from that or runs the matching engine."""

    def __init__(self, store: Store, *, now: datetime, model: MatchModel | None = None) -> None:
        self._store = store
        self._now = now
        weights = store.settings.identity_weights
        self._model = model or load_model(weights_path=weights)
        self._known: dict[tuple[str, str], Document | None] = {}  # None: no child links it

    def forget(self) -> None:
        """Drop what `prefetch` read (between chunks, so memory stays flat)."""
        self._known.clear()

    def prefetch(self, state: str, state_student_ids: list[str]) -> None:
        missing = [sid for sid in state_student_ids if (state, sid) not in self._known]
        if missing:
            found = self._store.students.find_by_links(state, missing)
            for sid in missing:
                # A miss is remembered too, so that `resolve` does not ask again.
                self._known[(state, sid)] = found.get(sid)

    def resolve(self, candidate: Candidate) -> Resolution:
        key = (candidate.state, candidate.state_student_id)
        if key not in self._known:
            self.prefetch(candidate.state, [candidate.state_student_id])
        known = self._known.get(key)
        if known is not None:
            self._refresh_snapshot(known, candidate)
            return Resolution(known["_id"], created=False)
        return self._match(candidate)

    # -- a record the hub does not link yet -------------------------------------------------

    def _match(self, candidate: Candidate) -> Resolution:
        profile = build_profile(
            candidate.identity, state=candidate.state, state_student_id=candidate.state_student_id
        )
        keys = blocking_keys(profile)
        record_key = link_key(candidate.state, candidate.state_student_id)
        children = self._candidates(keys, record_key)
        decision = decide(profile, [_as_candidate(doc) for doc in children], self._model)
        explanation = decision.to_json()
        if decision.zone is Zone.LINK and decision.msix_id is not None:
            target = next(doc for doc in children if doc["_id"] == decision.msix_id)
            if target.get("locked_by") is None and self._join(target, candidate, keys):
                return Resolution(target["_id"], False, Zone.LINK, None, explanation)
        child = self._new_child(candidate, keys)
        if decision.zone is Zone.NEW:
            return Resolution(child["_id"], True, Zone.NEW, None, explanation)
        item = worklists.open_near_match(
            self._store,
            state=candidate.state,
            state_student_id=candidate.state_student_id,
            msix_id=child["_id"],
            candidates=_review_candidates(decision, explanation),
            now=self._now,
            enrollments=candidate.enrollments,
        )
        return Resolution(child["_id"], True, Zone.REVIEW, item["_id"], explanation)

    def _candidates(self, keys: list[str], record_key: str) -> list[Document]:
        if not keys:
            return []
        found = self._store.students.find_by_blocking_keys(keys, limit=_CANDIDATE_LIMIT)
        if not found:
            return []
        apart = self._store.worklist.kept_apart([record_key])
        if not apart:
            return found
        return [
            doc
            for doc in found
            if not any(pair_key(record_key, other) in apart for other in doc.get("link_keys", []))
        ]

    def _join(self, child: Document, candidate: Candidate, keys: list[str]) -> bool:
        """Add the record to the child (a conditional update on its revision, re-read and
        retried when another writer got there first). False when the child became locked."""
        for _ in range(_UPDATE_ATTEMPTS):
            links = [*child.get("links", []), _link(candidate)]
            merged_keys = sorted({*child.get("blocking_keys", []), *keys})
            try:
                updated = self._store.students.update(
                    child["_id"],
                    {"links": links, "blocking_keys": merged_keys},
                    expected_revision=child["revision"],
                )
            except ConflictError:  # another writer changed the child: re-read, try again
                fresh = self._store.students.get(child["_id"])
                if fresh is None or fresh["status"] != "active" or fresh.get("locked_by"):
                    return False
                child = fresh
                continue
            self._known[(candidate.state, candidate.state_student_id)] = updated
            return True
        return False

    def _new_child(self, candidate: Candidate, keys: list[str]) -> Document:
        child = self._store.students.create(
            {
                "links": [_link(candidate)],
                "identity": dict(candidate.identity),
                "blocking_keys": keys,
            },
            now=self._now,
        )
        self._known[(candidate.state, candidate.state_student_id)] = child
        return child

    # -- a record the hub links already ------------------------------------------------------

    def _refresh_snapshot(self, child: Document, candidate: Candidate) -> None:
        """Keep the link's identity snapshot (and the child's blocking keys) current."""
        links = child.get("links", [])
        for index, link in enumerate(links):
            if (link["state"], link["state_student_id"]) != (
                candidate.state,
                candidate.state_student_id,
            ):
                continue
            if link.get("identity") == dict(candidate.identity):
                return
            fresh_links = [*links[:index], _link(candidate), *links[index + 1 :]]
            profiles = [
                build_profile(
                    item.get("identity", {}),
                    state=item["state"],
                    state_student_id=item["state_student_id"],
                )
                for item in fresh_links
            ]
            keys = sorted({key for profile in profiles for key in blocking_keys(profile)})
            updated = self._store.students.update(
                child["_id"], {"links": fresh_links, "blocking_keys": keys}
            )
            self._known[(candidate.state, candidate.state_student_id)] = updated
            return


def _link(candidate: Candidate) -> Document:
    return {
        "state": candidate.state,
        "state_student_id": candidate.state_student_id,
        "identity": dict(candidate.identity),
    }


def _profile_of(link: Mapping[str, Any]) -> Profile:
    return build_profile(
        link.get("identity") or {}, state=link["state"], state_student_id=link["state_student_id"]
    )


def _as_candidate(doc: Document) -> ChildCandidate:
    return ChildCandidate(
        doc["_id"],
        tuple(
            LinkedRecord(link["state"], link["state_student_id"], _profile_of(link))
            for link in doc.get("links", [])
        ),
    )


def _review_candidates(decision: Decision, explanation: dict[str, Any]) -> list[dict[str, Any]]:
    """The candidates a near match names: those in the review or link zone, with evidence."""
    shown = [
        candidate
        for candidate in explanation["candidates"]
        if candidate["zone"] in (Zone.REVIEW.value, Zone.LINK.value)
    ]
    if not shown and decision.msix_id is not None:
        shown = [c for c in explanation["candidates"] if c["msix_id"] == decision.msix_id]
    return shown
