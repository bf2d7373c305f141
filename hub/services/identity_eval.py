"""How well the store's consolidation matches a ground truth (`msix identity eval --truth FILE`).

The truth file is the one `msix synth` writes: one JSON line per state record with its key
(state, state_student_id), the true child, family, twin and sibling flags. The store's answer is
the active children's links. Both are partitions of the same state records, compared pairwise:

- precision: of the record pairs the hub put under one MSIX ID, the share that are one child;
- recall: of the record pairs that are one child, the share the hub put under one MSIX ID;
- twins/siblings merged: MSIX IDs holding records of two different children of one family;
- review: open near-match items, and how many of them are truly the same child;
- by name origin: precision and recall among each naming tradition's records (fairness).

Records the truth names but the store lacks (rejected, not yet ingested) count as unlinked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hub.store import Store, link_key


@dataclass(frozen=True)
class Evaluation:
    records: int
    children_true: int
    children_found: int
    true_pairs: int
    found_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float
    twins_or_siblings_merged: int
    review_items: int
    review_true: int
    review_share: float  # open near-match items per state record
    # Fairness: the same figures per family name origin (when the truth names it), so a matcher
    # that serves one naming tradition worse than another shows it.
    by_name_origin: dict[str, dict[str, float]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pairs(size: int) -> int:
    return size * (size - 1) // 2


def pairwise(found: Mapping[str, str], truth: Mapping[str, str]) -> tuple[int, int, int]:
    """(pairs found, pairs true, pairs found that are true) of two labellings of the same keys:
    `found` and `truth` map each record key to a cluster label."""
    cells: Counter[tuple[str, str]] = Counter()
    for key, true_label in truth.items():
        cells[(found.get(key, f"unlinked:{key}"), true_label)] += 1
    found_sizes: Counter[str] = Counter()
    true_sizes: Counter[str] = Counter()
    for (found_label, true_label), size in cells.items():
        found_sizes[found_label] += size
        true_sizes[true_label] += size
    correct = sum(_pairs(size) for size in cells.values())
    return (
        sum(_pairs(size) for size in found_sizes.values()),
        sum(_pairs(size) for size in true_sizes.values()),
        correct,
    )


def evaluate(store: Store, truth_rows: Iterable[Mapping[str, Any]]) -> Evaluation:
    """Compare the store's children with the truth. Store thread."""
    truth: dict[str, str] = {}
    family: dict[str, str] = {}
    origin_of: dict[str, str] = {}
    for row in truth_rows:
        key = link_key(str(row["state"]), str(row["state_student_id"]))
        truth[key] = str(row["child_id"])
        family[str(row["child_id"])] = str(row.get("family_id", row["child_id"]))
        if row.get("name_origin"):
            origin_of[key] = str(row["name_origin"])
    found: dict[str, str] = {}
    for msix_id, keys in store.students.iter_links():
        for key in keys:
            if key in truth:
                found[key] = msix_id
    found_pairs, true_pairs, correct = pairwise(found, truth)

    members: dict[str, set[str]] = {}
    for key, msix_id in found.items():
        members.setdefault(msix_id, set()).add(truth[key])
    merged_family = sum(
        1
        for children in members.values()
        if len(children) > 1 and len({family[child] for child in children}) < len(children)
    )

    review_items = review_true = 0
    for item in store.worklist.find({"kind": "near_match", "status": "open"}, limit=10**9):
        review_items += 1
        record = link_key(item["record"]["state"], item["record"]["state_student_id"])
        others = {
            key
            for candidate in item.get("candidates", [])
            for key in _links_of(store, str(candidate["msix_id"]))
        }
        if any(truth.get(key) == truth.get(record) for key in others):
            review_true += 1

    precision = correct / found_pairs if found_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Evaluation(
        records=len(truth),
        children_true=len(set(truth.values())),
        children_found=len(members) + sum(1 for key in truth if key not in found),
        true_pairs=true_pairs,
        found_pairs=found_pairs,
        correct_pairs=correct,
        precision=round(precision, 6),
        recall=round(recall, 6),
        f1=round(f1, 6),
        twins_or_siblings_merged=merged_family,
        review_items=review_items,
        review_true=review_true,
        review_share=round(review_items / len(truth), 6) if truth else 0.0,
        by_name_origin=_by_origin(found, truth, origin_of),
    )


def _by_origin(
    found: Mapping[str, str], truth: Mapping[str, str], origin_of: Mapping[str, str]
) -> dict[str, dict[str, float]]:
    """Pairwise precision and recall among the records of each name origin."""
    figures: dict[str, dict[str, float]] = {}
    for origin in sorted(set(origin_of.values())):
        keys = [key for key, named in origin_of.items() if named == origin]
        found_pairs, true_pairs, correct = pairwise(
            {key: found[key] for key in keys if key in found}, {key: truth[key] for key in keys}
        )
        figures[origin] = {
            "records": len(keys),
            "precision": round(correct / found_pairs, 6) if found_pairs else 1.0,
            "recall": round(correct / true_pairs, 6) if true_pairs else 1.0,
        }
    return figures


def _links_of(store: Store, msix_id: str) -> list[str]:
    child = store.students.get(msix_id)
    return [] if child is None else list(child.get("link_keys", []))
