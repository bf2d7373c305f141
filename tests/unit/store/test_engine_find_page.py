"""`Engine.find_page` / `count_matching` answer exactly what the engine's own query does."""

from __future__ import annotations

import random
from typing import Any

import pytest

from hub.store import Store

Document = dict[str, Any]

NAMES = ("ana", "luis", "mai", "omar", "rosa")


def _docs(count: int, seed: int) -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for number in range(count):
        year, month, day = rng.randrange(2005, 2015), rng.randrange(1, 10), rng.randrange(10, 29)
        docs.append(
            {
                "_id": f"{rng.choice('PIC')}/{rng.randrange(10**6):06d}-{number}",
                "kind": rng.choice(("Patient", "Immunization", "Condition")),
                "deleted": rng.random() < 0.1,
                "names": rng.sample(NAMES, rng.randrange(0, 3)),
                "born": f"{year}-0{month}-{day}",
                "gender": rng.choice(("female", "male", None)),
            }
        )
    return docs


QUERIES: list[Document] = [
    {"kind": "Patient", "deleted": False},
    {"kind": "Patient", "deleted": False, "$and": [{"names": "ana"}, {"born": {"$gte": "2010"}}]},
    {"kind": "Immunization", "$and": [{"names": {"$in": ["mai", "omar"]}}]},
    {"kind": "Patient", "$and": [{"names": {"$nin": ["ana"]}}, {"gender": "female"}]},
    {"kind": "Condition", "$and": [{"born": {"$regex": "^(?:2007|2011)"}}]},
    {"kind": "Patient", "$and": [{"gender": {"$in": [None, []]}}]},
    {"kind": "Nothing"},
    {"$and": [{"_id": {"$in": ["P/000001-1", "I/1"]}}]},
    {"born": {"$lt": "2008"}},  # no indexed clause: the engine's own path
]


@pytest.mark.parametrize("query", QUERIES)
def test_find_page_pages_exactly_like_the_engine_query(store: Store, query: Document) -> None:
    docs = _docs(300, seed=len(str(query)))

    def check() -> None:
        engine = store.engine
        collection = engine.db["paging"]
        collection.create_index([("kind", 1), ("names", 1)])
        collection.create_index([("gender", 1)])
        collection.create_index([("deleted", 1)])
        collection.insert_many([dict(doc) for doc in docs])
        expected = [doc["_id"] for doc in collection.find(query).sort("_id", 1)]
        paged: list[str] = []
        after = None
        while True:
            page = engine.find_page("paging", query, after=after, limit=7)
            paged.extend(doc["_id"] for doc in page)
            if len(page) < 7:
                break
            after = page[-1]["_id"]
        assert paged == expected
        assert engine.count_matching("paging", query) == len(expected)

    store.call(check)


def test_find_page_sees_writes_made_since_the_last_query(store: Store) -> None:
    def check() -> list[str]:
        engine = store.engine
        collection = engine.db["paging"]
        collection.create_index([("kind", 1)])
        collection.insert_one({"_id": "b", "kind": "Patient"})
        assert [doc["_id"] for doc in engine.find_page("paging", {"kind": "Patient"})] == ["b"]
        collection.insert_one({"_id": "a", "kind": "Patient"})
        collection.update_one({"_id": "b"}, {"$set": {"kind": "Condition"}})
        return [doc["_id"] for doc in engine.find_page("paging", {"kind": "Patient"})]

    assert store.call(check) == ["a"]


def test_count_ids_starting_counts_by_key_range_only(store: Store) -> None:
    def count() -> tuple[int, int, int]:
        engine = store.engine
        engine.db["paging"].insert_many(
            [
                {"_id": "Immunization/1"},
                {"_id": "Immunization/2ü"},
                {"_id": "ImmunizationX/3"},
                {"_id": "Condition/1"},
                {"_id": 7},
            ]
        )
        return (
            engine.count_ids_starting("paging", "Immunization/"),
            engine.count_ids_starting("paging", "Condition/"),
            engine.count_ids_starting("paging", "Patient/"),
        )

    assert store.call(count) == (2, 1, 0)
