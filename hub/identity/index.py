"""An in-memory candidate index (blocking key → children), for the bench, tests and training.

The hub itself asks the store (`students.find_by_blocking_keys`); this stands in for it when no
store is at hand. Keys are kept as 64-bit hashes and a block of one child holds the child id
itself, so a million children fit in a few hundred megabytes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

ChildId = TypeVar("ChildId", bound=Hashable)


class CandidateIndex(Generic[ChildId]):
    """Blocking key → ids of the children holding that key."""

    def __init__(self, max_block: int = 400) -> None:
        # A block past `max_block` children is a key too common to help (a placeholder slipped
        # through, a name table quirk): it stops growing, its members stay reachable by others.
        self._blocks: dict[int, ChildId | list[ChildId]] = {}
        self.max_block = max_block

    def __len__(self) -> int:
        return len(self._blocks)

    def add(self, child: ChildId, keys: Iterable[str]) -> None:
        for key in keys:
            hashed = hash(key)
            block = self._blocks.get(hashed)
            if block is None:
                self._blocks[hashed] = child
            elif isinstance(block, list):
                if child not in block and len(block) < self.max_block:
                    block.append(child)
            elif block != child:
                self._blocks[hashed] = [block, child]

    def candidates(self, keys: Iterable[str]) -> set[ChildId]:
        found: set[ChildId] = set()
        for key in keys:
            block = self._blocks.get(hash(key))
            if block is None:
                continue
            if isinstance(block, list):
                found.update(block)
            else:
                found.add(block)
        return found

    def remove(self, child: ChildId, keys: Iterable[str]) -> None:
        """Forget `child` under `keys` (after a merge retires it)."""
        for key in keys:
            hashed = hash(key)
            block = self._blocks.get(hashed)
            if isinstance(block, list):
                if child in block:
                    block.remove(child)
                if len(block) == 1:
                    self._blocks[hashed] = block[0]
            elif block == child:
                del self._blocks[hashed]

    def block_sizes(self) -> list[int]:
        return [len(b) if isinstance(b, list) else 1 for b in self._blocks.values()]
