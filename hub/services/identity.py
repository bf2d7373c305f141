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

from collections import OrderedDict
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
    child_keys,
    decide,
    load_model,
)
from hub.services import worklists
from hub.store import Document, Store, link_key, pair_key

_CANDIDATE_LIMIT = 200
_PROFILE_CACHE = 20_000  # candidate children whose link profiles are kept (a few KB each)
_UPDATE_ATTEMPTS = 3
_REKEY_BATCH = 500  # children rewritten per unit of work by `rekey_children`


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
        self._written: dict[str, Document] = {}  # children this resolver wrote, newest version
        # Candidate children as the engine sees them, by (_id, revision): kept across chunks (a
        # popular name's children are candidates of many chunks), oldest dropped past the cap.
        self._children: OrderedDict[tuple[str, int], ChildCandidate] = OrderedDict()
        self._incoming: dict[tuple[str, str], _Incoming] = {}  # prepared new records
        self._pool: _Pool | None = None  # candidates of the prepared records
        self._apart: set[str] = set()  # do-not-link pairs of the prepared records

    def forget(self) -> None:
        """Drop what `prefetch` and `prepare` read (between chunks, so memory stays flat); the
        bounded cache of candidate profiles stays."""
        self._known.clear()
        self._written.clear()
        self._incoming.clear()
        self._pool = None
        self._apart = set()

    def prepare(self, candidates: Sequence[Candidate]) -> None:
        """Read ahead for many records (a chunk): their links in one query per state, then, for
        those no child links yet, every candidate child of all their blocking keys in one query
        and their do-not-link pairs in another. `resolve` then filters per record, and keeps
        what it writes findable for the records after it (a record may join a child made by an
        earlier record of the same chunk)."""
        by_state: dict[str, list[str]] = {}
        for candidate in candidates:
            by_state.setdefault(candidate.state, []).append(candidate.state_student_id)
        for state, sids in by_state.items():
            self.prefetch(state, sids)
        wanted: set[str] = set()
        record_keys: list[str] = []
        for candidate in candidates:
            key = (candidate.state, candidate.state_student_id)
            if self._known.get(key) is not None or key in self._incoming:
                continue
            profile = build_profile(
                candidate.identity,
                state=candidate.state,
                state_student_id=candidate.state_student_id,
            )
            incoming = _Incoming(dict(candidate.identity), profile, blocking_keys(profile))
            self._incoming[key] = incoming
            wanted.update(incoming.keys)
            record_keys.append(link_key(*key))
        if not wanted:
            return
        limit = _CANDIDATE_LIMIT * len(record_keys)
        found = self._store.students.find_by_blocking_keys(sorted(wanted), limit=limit)
        # A full answer may have left children out: the records then query one by one.
        self._pool = _Pool(wanted, found) if len(found) < limit else None
        self._apart = self._store.worklist.kept_apart(record_keys)

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
            self._refresh_snapshot(self._latest(known), candidate)
            return Resolution(known["_id"], created=False)
        return self._match(candidate)

    # -- a record the hub does not link yet -------------------------------------------------

    def _match(self, candidate: Candidate) -> Resolution:
        prepared = self._incoming.get((candidate.state, candidate.state_student_id))
        if prepared is not None and prepared.identity == candidate.identity:
            profile, keys = prepared.profile, prepared.keys
            pool, apart = self._pool, self._apart
        else:
            profile = build_profile(
                candidate.identity,
                state=candidate.state,
                state_student_id=candidate.state_student_id,
            )
            keys = blocking_keys(profile)
            pool, apart = None, None
        record_key = link_key(candidate.state, candidate.state_student_id)
        children = self._candidates(keys, record_key, pool, apart)
        decision = decide(profile, [self._as_candidate(doc) for doc in children], self._model)
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

    def _candidates(
        self, keys: list[str], record_key: str, pool: _Pool | None, apart: set[str] | None
    ) -> list[Document]:
        if not keys:
            return []
        found = pool.find(keys) if pool is not None else None
        if found is None:
            found = self._store.students.find_by_blocking_keys(keys, limit=_CANDIDATE_LIMIT)
        if not found:
            return []
        if apart is None:
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
            self._wrote(updated)
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
        self._wrote(child)
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
            self._wrote(updated)
            return

    # -- what this resolver knows of children -------------------------------------------------

    def _wrote(self, child: Document) -> None:
        """Remember a child this resolver created or updated, so that later records of the chunk
        see its newest version (and find it by its blocking keys)."""
        self._written[child["_id"]] = child
        if self._pool is not None:
            self._pool.add(child)

    def _latest(self, child: Document) -> Document:
        newer = self._written.get(child["_id"])
        return newer if newer is not None and newer["revision"] > child["revision"] else child

    def _as_candidate(self, doc: Document) -> ChildCandidate:
        """The child as the decision sees it, its links' profiles built once per revision."""
        key = (doc["_id"], doc["revision"])
        known = self._children.get(key)
        if known is None:
            known = self._children[key] = _as_candidate(doc)
            if len(self._children) > _PROFILE_CACHE:
                self._children.popitem(last=False)
        else:
            self._children.move_to_end(key)
        return known


@dataclass(frozen=True)
class _Incoming:
    """A prepared record no child links yet: its profile and blocking keys."""

    identity: dict[str, Any]
    profile: Profile
    keys: list[str]


class _Pool:
    """The active children holding any of a chunk's blocking keys (read in one query), kept up
    to date with the children the chunk itself creates or updates."""

    def __init__(self, keys: set[str], children: list[Document]) -> None:
        self._keys = keys  # the keys the query covered: only these can be answered
        self._children: dict[str, Document] = {}
        self._by_key: dict[str, set[str]] = {}
        for child in children:
            self.add(child)

    def add(self, child: Document) -> None:
        known = self._children.get(child["_id"])
        if known is not None and known["revision"] > child["revision"]:
            return
        self._children[child["_id"]] = child
        for key in child.get("blocking_keys", []):
            if key in self._keys:
                self._by_key.setdefault(key, set()).add(child["_id"])

    def find(self, keys: list[str]) -> list[Document] | None:
        """The children sharing any of `keys` (at most `_CANDIDATE_LIMIT`, as the store's query
        answers), or None when the pool cannot answer exactly (the caller asks the store)."""
        wanted = set(keys)
        if not wanted <= self._keys:
            return None
        ids = set().union(*(self._by_key.get(key, set()) for key in wanted))
        found = [
            child
            for child in (self._children[msix_id] for msix_id in sorted(ids))
            if child.get("status") == "active" and not wanted.isdisjoint(child["blocking_keys"])
        ]
        return found if len(found) <= _CANDIDATE_LIMIT else None


def rekey_children(store: Store) -> int:
    """Recompute every active child's blocking keys from its links' identity snapshots; returns
    how many children changed. Run after the blocking rules change (`msix identity rekey`): keys
    of a retired shape are then never asked for, and a child holding only those would be found
    through its other keys alone. Re-running it changes nothing."""
    stale: list[tuple[str, list[str]]] = []
    for msix_id, links, keys in store.students.iter_blocking():
        fresh = child_keys(_profile_of(link) for link in links)
        if fresh != sorted(keys):
            stale.append((msix_id, fresh))
    for start in range(0, len(stale), _REKEY_BATCH):
        with store.engine.batch():
            for msix_id, fresh in stale[start : start + _REKEY_BATCH]:
                store.students.update(msix_id, {"blocking_keys": fresh})
    return len(stale)


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
