"""Scoring a record against many candidate records at once, from interned value codes.

At a million children a record has dozens of candidate records, most of them strangers who share a
surname and a birth date, or names and a birth month, with it. Scoring pair by pair reads two
Profiles scattered in memory field by field, and that is where the time went. The screen instead
gives every record, for each comparison whose level depends only on shared values (names, dates,
places, parents' names: not ids or phones), the code of its value, kept in one array per
comparison, and remembers the level between two codes. Scoring a record against its candidates
then takes one memo lookup per distinct candidate value and per comparison, and the rest runs in
C (`map`, `zip`, `sum`). A pair whose total, with the best weight of the comparisons left out (the
state ids), cannot reach the floor is dropped there; the others get their exact `PairScore`.

The scores are those `MatchModel.score_at_least` gives: the linker hands them to `decide`, which
would otherwise compute the same ones pair by pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from operator import add, attrgetter, itemgetter
from typing import Final

from hub.identity.comparisons import Test, first_level
from hub.identity.normalize import Profile
from hub.identity.scoring import BOUND_SLACK, MatchModel, PairScore

# Values one record or one household holds (state ids, parents' phones and e-mails): a memo keyed
# on them would almost never be asked again, so these comparisons are bounded by their best
# weight and computed from the profiles for the pairs that survive.
UNSHARED_FIELDS: Final = frozenset({"ids", "state", "state_student_id", "parent_contacts"})
# Level kinds that hold only for a pair sharing a value of their field.
GATE_KINDS: Final = frozenset({"overlap", "nickname", "metaphone"})
# Levels remembered per comparison (about 80 bytes each); when full, the older half is dropped.
MEMO_LIMIT: Final = 1 << 19
_CODE_BITS: Final = 32
# The evaluation order is revised each time the kept records double, from this many on.
_FIRST_REORDER: Final = 1024


class _Coded:
    """One comparison as the screen sees it: value → code, code → a profile holding it, memo."""

    __slots__ = ("at", "column", "get", "memo", "rest", "row", "samples", "slot", "tests", "values")

    def __init__(
        self, at: int, slot: int, fields: Sequence[str], tests: Sequence[Test], row: Sequence[float]
    ):
        self.at = at  # place among the model's comparisons
        self.slot = slot  # place in a record's codes
        self.get: Callable[[Profile], object] = attrgetter(*fields)  # one field or several
        self.tests = tuple(tests)
        self.row = tuple(row)
        self.values: dict[object, int] = {}
        self.samples: list[Profile] = []
        self.memo: dict[int, int] = {}
        # Code of each kept record, by row. A list, not an array: its items are the shared code
        # objects (8 bytes a row) and `itemgetter` picks many at once without making new ones.
        self.column: list[int] = []
        self.rest = 0.0  # best weight the coded comparisons after this one may add

    def code(self, profile: Profile) -> int:
        value = self.get(profile)
        found = self.values.get(value)
        if found is None:
            found = self.values[value] = len(self.samples)
            self.samples.append(profile)
        return found

    def levels(self, left: int, rights: Iterable[int]) -> tuple[dict[int, int], dict[int, float]]:
        """Level and weight of (left, right) for each right code, from the memo or the tests."""
        memo, base, row = self.memo, left << _CODE_BITS, self.row
        levels: dict[int, int] = {}
        weights: dict[int, float] = {}
        for right in rights:
            key = base | right
            level = memo.get(key)
            if level is None:
                if len(memo) >= MEMO_LIMIT:
                    memo = self.memo = _newer_half(memo)
                level = memo[key] = first_level(self.tests, self.samples[left], self.samples[right])
            levels[right] = level
            weights[right] = row[level]
        return levels, weights


def _newer_half(memo: dict[int, int]) -> dict[int, int]:
    # Dicts keep insertion order: the newer half holds the names and dates being seen now.
    return dict(islice(memo.items(), len(memo) // 2, None))


def _pick(rows: Sequence[int]) -> Callable[[Sequence[int]], tuple[int, ...]]:
    if len(rows) == 1:
        only = rows[0]
        return lambda column: (column[only],)
    return itemgetter(*rows)


class CandidateScreen:
    """Kept records as columns of value codes; `scores` rates one record against many.

    The comparisons on unshared values (state ids, parents' phones) are not coded. Their levels
    that need a shared value (`overlap` kinds: id_shared, contacts shared) are gates: the screen
    keeps an index from each such value to the rows holding it, so a row sharing none of the
    record's values is bounded by the best of the other levels (0 for both shipped comparisons);
    a row that does share one is allowed the gate level's weight.
    """

    def __init__(self, model: MatchModel) -> None:
        self._model = model
        coded: list[_Coded] = []
        direct: list[tuple[int, tuple[Test, ...]]] = []
        weights = model.level_weights
        closed_best = 0.0
        gated: list[tuple[tuple[str, ...], float]] = []  # (gate fields, extra weight if shared)
        for at, comparison in enumerate(model.comparisons.comparisons):
            tests = [level.test for level in comparison.levels]
            if not UNSHARED_FIELDS.intersection(comparison.fields):
                coded.append(_Coded(at, len(coded), comparison.fields, tests, weights[at]))
                continue
            direct.append((at, tuple(tests)))
            closed: list[float] = [0.0]  # the null level weighs 0
            fields: set[str] = set()
            for level, weight in zip(comparison.levels[1:], weights[at][1:], strict=True):
                if level.kind in GATE_KINDS and set(level.fields) <= UNSHARED_FIELDS:
                    fields.update(level.fields)
                else:
                    closed.append(weight)
            closed_best += max(closed)
            if fields:
                gated.append((tuple(sorted(fields)), max(weights[at]) - max(closed)))
        self._coded = tuple(coded)
        self._order: tuple[_Coded, ...] = ()
        self._reorder()
        self._direct = tuple(direct)
        self._table = weights
        self._closed_best = closed_best
        self._gated = tuple(gated)
        # Gate value → the row holding it, or the rows when several do (state ids are unique).
        self._gates: dict[str, dict[str, int | set[int]]] = {
            field: {} for fields, _ in gated for field in fields
        }
        self._rows = 0

    def __len__(self) -> int:
        return self._rows

    def encode(self, profile: Profile) -> tuple[int, ...]:
        """The record's codes (new values get new codes); `add` keeps them as the next row."""
        return tuple(item.code(profile) for item in self._coded)

    def add(self, profile: Profile, codes: tuple[int, ...]) -> int:
        """Keep a record (its codes and gate values); returns its row number."""
        row = self._rows
        for item, code in zip(self._coded, codes, strict=True):
            item.column.append(code)
        if row & (row - 1) == 0 and row >= _FIRST_REORDER:
            self._reorder()
        for field, index in self._gates.items():
            for value in getattr(profile, field):
                held = index.get(value)
                if held is None:
                    index[value] = row
                elif isinstance(held, int):
                    index[value] = {held, row}
                else:
                    held.add(row)
        self._rows += 1
        return row

    def scores(
        self,
        profile: Profile,
        codes: tuple[int, ...],
        rows: Sequence[int],
        profile_at: Callable[[int], Profile],
        floor: float,
    ) -> dict[int, PairScore]:
        """The `PairScore` of each row whose total reaches `floor` (the others are left out)."""
        result: dict[int, PairScore] = {}
        prior = self._model.prior_weight
        bar = floor - BOUND_SLACK - prior - self._closed_best
        alive_rows = list(rows)  # rows still able to reach the floor
        allowance = self._allowance(profile, rows)
        partial = [allowance.get(row, 0.0) for row in rows] if allowance else [0.0] * len(rows)
        found_levels: list[dict[int, int]] = []
        for item in self._order:
            if not alive_rows:
                return result
            code = codes[item.slot]
            rights = _pick(alive_rows)(item.column)
            levels, weights = item.levels(code, set(rights))
            found_levels.append(levels)
            partial = list(map(add, partial, map(weights.__getitem__, rights)))
            stage = bar - item.rest
            if min(partial) < stage:
                keep = [at for at, total in enumerate(partial) if total >= stage]
                alive_rows = [alive_rows[at] for at in keep]
                partial = [partial[at] for at in keep]
        for row in alive_rows:
            levels_of = [0] * len(self._table)
            for item, levels in zip(self._order, found_levels, strict=True):
                levels_of[item.at] = levels[item.column[row]]
            other = profile_at(row)
            for at, tests in self._direct:
                levels_of[at] = first_level(tests, profile, other)
            weights_of = tuple(
                by_level[level] for by_level, level in zip(self._table, levels_of, strict=True)
            )
            total = prior + sum(weights_of)
            if total >= floor - BOUND_SLACK:
                result[row] = PairScore(tuple(levels_of), weights_of, total)
        return result

    def _reorder(self) -> None:
        # Fewest distinct values first (sex, flags, middle names, places, dates...): their memo
        # always answers, and by the time the name comparisons run, whose value pairs are many
        # and often new, most strangers are dropped. Ties: the larger weight spread first.
        order = sorted(
            self._coded, key=lambda item: (len(item.samples), -(max(item.row) - min(item.row)))
        )
        for index, item in enumerate(order):
            item.rest = sum(max(later.row) for later in order[index + 1 :])
        self._order = tuple(order)

    def _allowance(self, profile: Profile, rows: Sequence[int]) -> dict[int, float]:
        """Extra weight a row may reach through a gate: it holds one of the record's state ids,
        parents' phones... (most rows hold none)."""
        allowance: dict[int, float] = {}
        candidates: set[int] | None = None
        for fields, extra in self._gated:
            hit: set[int] = set()
            for field in fields:
                index = self._gates[field]
                for value in getattr(profile, field):
                    held = index.get(value)
                    if held is None:
                        continue
                    if candidates is None:
                        candidates = set(rows)
                    if isinstance(held, int):
                        if held in candidates:
                            hit.add(held)
                    else:
                        hit.update(held.intersection(candidates))
            for row in hit:
                allowance[row] = allowance.get(row, 0.0) + extra
        return allowance
