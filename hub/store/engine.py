"""The one door to MongoDB: a real server through pymongo, or the embedded file-backed engine.

The embedded engine (litemongo: SQLite files evaluated by a vendored mongomock) is not
thread-safe, so every call runs on one thread the engine owns; async callers await it. It is
also not atomic across processes: a check-then-write (unique index, `_id` clash, `$inc`) done by
two processes at once can let both through, so every write runs under an exclusive `flock` on
the data dir. With those two rules, several API processes can share one data dir (STANDARDS.md §9).

With `MSIX_MONGODB_URI` set, pymongo is thread-safe and MongoDB is atomic per document, so calls
run on a small pool and the lock is a no-op.

A unit of work (`with engine.batch():`) groups many writes. The embedded engine commits every
document in its own SQLite transaction (litemongo's `TableDict.__setitem__` runs each write in
`with connection:`), which costs more than the write; inside a batch those commits are deferred,
the write lock is taken once, and at the end each collection file commits once, in
`COMMIT_ORDER` (dependencies first). Collections are separate SQLite files, so a batch is atomic
per collection, not across them: a process killed while committing leaves a prefix of
`COMMIT_ORDER` committed. Callers design for exactly that (see hub/services/ingest/_apply.py).
On MongoDB a batch changes nothing: repositories send their bulk writes as they go.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import fcntl
import functools
import importlib
import itertools
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import bson
import pymongo
import pymongo.errors
from bson.raw_bson import RawBSONDocument
from pymongo import ReplaceOne
from pymongo.database import Database

from hub.config import Settings
from hub.store._raw_bson import KEYS_PER_QUERY as _KEYS_PER_QUERY
from hub.store._raw_bson import lazy_rows, plain, raw_rows

P = ParamSpec("P")
T = TypeVar("T")

Document = dict[str, Any]
Db = Database[Document]

_REAL_POOL_SIZE = 8

# Which collection files a batch commits first: an MSIX ID before the child that holds it, a child
# before the state records that point at it, state records before the FHIR resources made from
# them, a superseded FHIR version's history copy before the current version that replaces it.
# Collections not named here commit afterwards, in the order they were opened.
COMMIT_ORDER = (
    "msix_ids",
    "students",
    "state_records",
    "fhir_history",
    "fhir_resources",
    "quarantine",
)


class Engine:
    """Owns the client and the thread(s) it may be used from. Open once per process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.embedded = settings.uses_embedded_store
        workers = 1 if self.embedded else _REAL_POOL_SIZE
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="msix-store")
        self._lock_path: Path | None = None
        self._lock_file: Any = None
        self._lock_depth = 0
        self._batch: _DeferredCommits | None = None
        self._client: Any = None
        self._db: Db | None = None
        self._executor.submit(self._connect).result()

    # -- lifecycle ---------------------------------------------------------------------------

    def _connect(self) -> None:
        if self.embedded:
            import litemongo

            store_dir = self._settings.embedded_dir
            store_dir.mkdir(parents=True, exist_ok=True)
            self._lock_path = store_dir / "write.lock"
            self._lock_file = self._lock_path.open("a+b")
            self._client = litemongo.MongoClient(str(store_dir))
        else:
            self._client = pymongo.MongoClient(
                self._settings.mongodb_uri, tz_aware=True, uuidRepresentation="standard"
            )
        self._db = self._client[self._settings.database]

    def drop_database(self) -> None:
        """Delete every collection of this database (tests and `msix demo` start fresh)."""

        def _drop() -> None:
            with self.write_lock():
                for name in self.db.list_collection_names():
                    self.db.drop_collection(name)

        self.call(_drop)

    def close(self) -> None:
        def _close() -> None:
            if self._client is not None:
                self._client.close()
            if self._lock_file is not None:
                self._lock_file.close()
            self._client = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)

    # -- running calls -----------------------------------------------------------------------

    @property
    def db(self) -> Db:
        """The database. Only valid on the store thread: use inside `call`/`run` functions."""
        if self.embedded and not threading.current_thread().name.startswith("msix-store"):
            raise RuntimeError("the embedded store may only be used on its own thread")
        assert self._db is not None, "engine is closed"
        return self._db

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the store thread and wait (for synchronous callers such as the CLI)."""
        return self._executor.submit(fn, *args, **kwargs).result()

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the store thread without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Exclusive across processes on the embedded engine; re-entrant on the store thread."""
        if not self.embedded:
            yield
            return
        if self._lock_depth == 0:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """A unit of work: on the embedded engine, one write lock and one commit per collection.

        Runs on the store thread. Reads inside see the batch's own writes. An exception rolls back
        what is not committed yet (on the embedded engine; MongoDB keeps what was written, as it
        would have without a batch). A batch inside a batch joins it.
        """
        if not self.embedded or self._batch is not None:
            yield
            return
        with self.write_lock():
            deferred = _DeferredCommits(self.db)
            self._batch = deferred
            try:
                yield
                deferred.commit()
            finally:
                # After an error, whatever is not committed yet: everything, or, when committing
                # itself failed, the files after the ones committed (as after a kill).
                deferred.rollback()
                self._batch = None
                deferred.restore()

    @property
    def in_batch(self) -> bool:
        return self._batch is not None

    def find_by_ids(self, collection: str, ids: list[Any]) -> list[Document]:
        """The documents of these `_id`s that exist, on the store thread.

        On the embedded engine they are read straight from the collection's table: a query
        through the engine would build (and from then on maintain, on every insert) its
        in-memory index of the whole collection, which a keyed read does not need.
        """
        if not ids:
            return []
        if self.embedded:
            store: Any = self.db._store[collection]
            return list(store._documents.get_many(ids))
        return list(self.db[collection].find({"_id": {"$in": ids}}))

    def find_in(
        self, collection: str, field: str, values: list[Any], *, lazy: bool = False
    ) -> Iterator[Document]:
        """The documents whose `field` (a value or an array) holds any of `values`, in natural
        order, on the store thread: `find({field: {"$in": values}})`.

        On the embedded engine the collection's index answers which documents to read and they
        are read straight from its table: the engine's own query checks every candidate against
        the whole `$in` list (in Python, element by element) and deep-copies each result.

        `lazy`: on the embedded engine each document is a `RawBSONDocument`, decoded only as far
        as it is read (its top-level fields when one is read, a sub-document when one of its
        fields is), for readers of a few fields of large documents; `plain` turns a sub-document
        read from one into a dict. On MongoDB `lazy` changes nothing.
        """
        if not values:
            return
        if not self.embedded:
            yield from self.db[collection].find({field: {"$in": values}})
            return
        wanted = set(values)
        store: Any = self.db._store[collection]
        query = {field: {"$in": list(wanted)}}
        docs: Iterator[Document] = store.find_candidates(query)
        if lazy:
            store._remove_expired_documents()
            index = store._get_query_index()
            keys = index.candidates(query)
            if keys is not None:
                docs = lazy_rows(store._documents, index.in_natural_order(keys))
        for doc in docs:
            value = doc.get(field)
            held = value if isinstance(value, list) else [value]
            if not wanted.isdisjoint(held):
                yield doc

    def find_page(
        self, collection: str, query: Document, *, after: str | None = None, limit: int = 50
    ) -> list[Document]:
        """Up to `limit` documents matching `query` in `_id` order, past `after` (keyset paging
        of a collection whose `_id`s are strings), on the store thread.

        On the embedded engine the plan starts from the most selective indexed clause: the
        engine's own planner unions every clause's hash-index entries into a fresh set, so a
        clause such as `resourceType: "Patient"` copies an entry of every Patient on every
        query, and it then decodes, deep-copies and sorts every candidate. Here the other
        clauses are only probed, candidates are ordered by their `_id` keys and decoded a page
        at a time, and each is checked against the whole query.
        """
        if not self.embedded:
            cursor = self.db[collection].find(_past(query, after)).sort("_id", 1).limit(limit)
            return list(cursor)
        planned = _IndexPlan.of(self.db, collection, query)
        if planned is None:
            cursor = self.db[collection].find(_past(query, after)).sort("_id", 1).limit(limit)
            return list(cursor)
        return planned.page(after, limit)

    def count_matching(self, collection: str, query: Document) -> int:
        """How many documents match `query`, on the store thread (planned as `find_page`)."""
        if not self.embedded:
            return int(self.db[collection].count_documents(query))
        planned = _IndexPlan.of(self.db, collection, query)
        if planned is None:
            return int(self.db[collection].count_documents(query))
        return planned.count()

    def count_ids_starting(self, collection: str, prefix: str) -> int:
        """How many documents have a string `_id` starting with `prefix`, on the store thread.

        On the embedded engine a range over the table's keys: no query index is built (for a
        collection of millions of documents that index alone takes gigabytes).
        """
        if not self.embedded:
            pattern = "^" + re.escape(prefix)
            return int(self.db[collection].count_documents({"_id": {"$regex": pattern}}))
        store: Any = self.db._store[collection]
        table = store._documents
        low = table.encode_key(prefix)
        query = f"SELECT COUNT(*) FROM {table._table_name} WHERE _id >= ? AND _id < ?"  # noqa: S608
        return int(store._connection.execute(query, (low, low + "\U0010ffff")).fetchone()[0])

    def replace_many(
        self,
        collection: str,
        replacements: list[tuple[Document, Document]],
        *,
        upsert: bool = False,
    ) -> int:
        """Replace documents, in order: (filter by `_id` and equal fields, replacement) pairs.

        Returns how many filters matched (an upsert that inserted does not count). Inside an
        embedded batch the replacements go straight into the table, as `insert_many` does; a
        replace through the engine would first build its in-memory index of the whole
        collection.
        """
        if not replacements:
            return 0
        if self._batch is not None:
            matched = self._batch.replace_many(collection, replacements, upsert=upsert)
            if matched is not None:
                return matched
        result = self.db[collection].bulk_write(
            [ReplaceOne(query, doc, upsert=upsert) for query, doc in replacements], ordered=True
        )
        return int(result.matched_count)

    def as_stored(self, collection: str, doc: Document) -> Document:
        """`doc` as reading it back after writing it would return it, on the store thread: on
        the embedded engine through the collection's BSON codec (datetimes naive UTC to the
        millisecond, tuples as lists), without the read; on MongoDB `doc` itself."""
        if not self.embedded:
            return doc
        store: Any = self.db._store[collection]
        codec = store._documents._codec_options
        decoded: Document = bson.decode(bson.encode(doc, codec_options=codec), codec_options=codec)
        return decoded

    def insert_many(self, collection: str, docs: list[Document]) -> None:
        """Insert documents that carry their `_id`, in order, on the store thread.

        A taken `_id` raises `DuplicateKeyError`; documents before it may have been written
        (inside an embedded batch, none of the call's are). Inside an embedded batch, into a
        collection without unique indexes, the documents go straight into its SQLite table: the
        embedded engine's per-document path (deep datetime patching, key checks, BSON encoded
        twice) costs several times the write itself. Outside a batch the call is a batch of its
        own, so it takes the same path (an audit event per read is one such call).
        """
        if not docs:
            return
        if self.embedded and self._batch is None:
            # A unit of work of its own: the direct path below, then one commit.
            with self.batch():
                self.insert_many(collection, docs)
            return
        if self._batch is not None and self._batch.insert_many(collection, docs):
            return
        try:
            self.db[collection].insert_many(docs, ordered=True)
        except pymongo.errors.BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if errors and all(item.get("code") == _DUPLICATE_KEY for item in errors):
                raise pymongo.errors.DuplicateKeyError(str(exc), _DUPLICATE_KEY) from exc
            raise


class _Uncommitted:
    """Stands in for a collection file's sqlite3 connection inside litemongo's `with connection:`
    blocks, so that a write leaves its transaction open instead of committing it."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def __enter__(self) -> Any:
        return self._connection

    def __exit__(self, *exc_info: object) -> None:
        return None  # an error propagates; the batch rolls back

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


_DUPLICATE_KEY = 11000


class _DeferredCommits:
    """The collection files of one embedded database, their commits held until the batch ends.

    Relies on litemongo 0.2's SQLite store: each collection store keeps its documents in a
    `TableDict` whose `_connection` wraps every write in `with connection:`. Python's sqlite3
    opens a transaction implicitly before a write, so with the commit held the writes of the
    whole batch share one transaction per file.
    """

    def __init__(self, db: Db) -> None:
        database_store: Any = db._store
        self._database_store = database_store
        for name in COMMIT_ORDER:
            database_store[name]  # opens the file if this process has not yet
        self._stores: list[Any] = sorted(
            database_store._collections.values(),
            key=lambda store: _commit_rank(store._path.name),
        )
        for store in self._stores:
            store._documents._connection = _Uncommitted(store._connection)
        self._direct_stores: dict[str, Any] = {}

    def insert_many(self, collection: str, docs: list[Document]) -> bool:
        """Write new documents into the collection's table and its query index directly.

        What the engine's own insert would check is checked here: every `_id` is new (in the
        table and within `docs`). False, writing nothing, where this path does not apply (a
        collection with unique indexes, or one opened after the batch began); the caller then
        inserts the ordinary way.
        """
        store = self._direct(collection)
        if store is None:
            return False
        table = store._documents
        keys = [table.encode_key(doc["_id"]) for doc in docs]
        if len(set(keys)) != len(keys) or _taken(store._connection, table._table_name, keys):
            raise pymongo.errors.DuplicateKeyError("E11000 duplicate key error", _DUPLICATE_KEY)
        self._write(store, list(zip(keys, docs, strict=True)), replace=False)
        return True

    def replace_many(
        self, collection: str, replacements: list[tuple[Document, Document]], *, upsert: bool
    ) -> int | None:
        """`Engine.replace_many` on the table directly: each filter is `_id` plus equalities.

        None, writing nothing, where this path does not apply (as for `insert_many`, and for a
        filter beyond equalities, an upsert whose filter names more than `_id`, or one document
        named twice); the caller then replaces the ordinary way.
        """
        store = self._direct(collection)
        if store is None:
            return None
        table = store._documents
        keys = [table.encode_key(query["_id"]) for query, _ in replacements]
        simple = all(
            not isinstance(value, dict) and (not upsert or name == "_id")
            for query, _ in replacements
            for name, value in query.items()
        )
        if not simple or len(set(keys)) != len(keys):
            return None
        # The documents replaced are only checked against their filters: decoded lazily, a
        # filter on `_id` alone decodes nothing, one on `revision` only the top-level fields.
        found = raw_rows(table, keys)
        codec = table._codec_options.with_options(document_class=RawBSONDocument)
        rows: list[tuple[str, Document]] = []
        matched = 0
        for key, (query, doc) in zip(keys, replacements, strict=True):
            raw = found.get(key)
            if raw is None:
                if upsert:
                    rows.append((key, doc))
                continue
            old = RawBSONDocument(raw, codec_options=codec)
            if all(plain(old.get(name)) == value for name, value in query.items() if name != "_id"):
                matched += 1
                rows.append((key, doc))
        self._write(store, rows, replace=True)
        return matched

    def _direct(self, collection: str) -> Any:
        """The collection's store when direct writes apply to it, else None (decided once per
        batch: reading the declared indexes asks SQLite whether the file changed)."""
        if collection not in self._direct_stores:
            store = self._database_store._collections.get(collection)
            if store is not None and (
                store not in self._stores
                or any(index.get("unique") for index in store.indexes.values())
            ):
                store = None
            self._direct_stores[collection] = store
        return self._direct_stores[collection]

    @staticmethod
    def _write(store: Any, rows: list[tuple[str, Document]], *, replace: bool) -> None:
        if not rows:
            return
        table = store._documents
        codec = table._codec_options
        conflict = " ON CONFLICT(_id) DO UPDATE SET doc=excluded.doc" if replace else ""
        store._connection.executemany(
            f"INSERT INTO {table._table_name} VALUES (?, ?){conflict}",  # noqa: S608
            [(key, bson.encode(doc, codec_options=codec)) for key, doc in rows],
        )
        if store._query_index is not None:
            for key, doc in rows:
                store._query_index.add(key, doc)  # replaces a document already indexed

    def commit(self) -> None:
        for store in self._stores:
            if store._connection.in_transaction:
                _commit_file(store._path.name, store._connection)

    def rollback(self) -> None:
        for store in self._stores:
            if store._connection.in_transaction:
                store._connection.rollback()
                store._query_index = None  # it holds the rolled-back documents; rebuilt on demand

    def restore(self) -> None:
        for store in self._stores:
            if store._documents is not None:
                store._documents._connection = store._connection


def _taken(connection: Any, table: str, keys: list[str]) -> bool:
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        part = keys[start : start + _KEYS_PER_QUERY]
        marks = ",".join("?" * len(part))
        query = f"SELECT 1 FROM {table} WHERE _id IN ({marks}) LIMIT 1"  # noqa: S608
        if connection.execute(query, part).fetchone() is not None:
            return True
    return False


def _commit_file(collection: str, connection: Any) -> None:
    # One function per file committed, so that tests can stop a batch between two files.
    connection.commit()


def _commit_rank(name: str) -> int:
    return COMMIT_ORDER.index(name) if name in COMMIT_ORDER else len(COMMIT_ORDER)


def locked(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorate a repository method that writes: it runs under the engine's write lock."""

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        with self.engine.write_lock():
            return fn(self, *args, **kwargs)

    return wrapper


def _past(query: Document, after: str | None) -> Document:
    return query if after is None else {"$and": [query, {"_id": {"$gt": after}}]}


def _clauses(query: Document) -> Iterator[tuple[str, Any]]:
    """(field, condition) of every clause the query requires: top-level fields and `$and`s."""
    for name, condition in query.items():
        if name == "$and" and isinstance(condition, list | tuple):
            for part in condition:
                if isinstance(part, dict):
                    yield from _clauses(part)
        elif not name.startswith("$"):
            yield name, condition


class _IndexPlan:
    """A query on the embedded engine answered from its hash indexes (`Engine.find_page`)."""

    _PAGE = 64  # candidates decoded at a time

    def __init__(self, store: Any, query: Document, keys: list[str], prefix: str) -> None:
        self._store = store
        self._query = query
        self._keys = keys  # encoded `_id`s of the candidates, in `_id` order
        self._prefix = prefix

    @classmethod
    def of(cls, db: Db, collection: str, query: Document) -> _IndexPlan | None:
        """The plan, or None where no clause is indexed (the engine then scans as usual)."""
        indexing = importlib.import_module("litemongo._vendor.mongomock.indexing")
        store: Any = db._store[collection]
        store._remove_expired_documents()
        fields = store._get_query_index()._fields
        probes: list[list[set[Any]]] = []
        for name, condition in _clauses(query):
            index = fields.get(name)
            wanted = indexing.query_keys(condition) if index is not None else None
            if wanted is None:
                continue
            sets = [index._entries.get(key, ()) for key in wanted] + [index._unkeyed]
            probes.append([entries for entries in sets if entries])
        if not probes:
            return None
        probes.sort(key=lambda sets: sum(len(entries) for entries in sets))
        first, *rest = probes
        candidates: set[Any] = set().union(*first)
        for sets in rest:
            if not candidates:
                break
            candidates = {key for key in candidates if any(key in entries for entries in sets)}
        prefix = store._documents.encode_key("")
        if not all(isinstance(key, str) and key.startswith(prefix) for key in candidates):
            return None  # `_id`s that are not all strings: the engine orders them
        return cls(store, query, sorted(candidates), prefix)

    def _matching(self, keys: list[str]) -> Iterator[Document]:
        filtering = importlib.import_module("litemongo._vendor.mongomock.filtering")
        applies: Callable[[Document, Document], bool] = filtering.filter_applies
        for start in range(0, len(keys), self._PAGE):
            for doc in self._store._documents.get_many_encoded(keys[start : start + self._PAGE]):
                if applies(self._query, doc):
                    yield doc

    def page(self, after: str | None, limit: int) -> list[Document]:
        keys = self._keys
        if after is not None:
            keys = keys[bisect.bisect_right(keys, self._prefix + after) :]
        return list(itertools.islice(self._matching(keys), limit))

    def count(self) -> int:
        return sum(1 for _ in self._matching(self._keys))
