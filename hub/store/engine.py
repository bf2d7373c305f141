"""The one door to MongoDB: a real server through pymongo, or the embedded file-backed engine.

The embedded engine (litemongo: SQLite files evaluated by a vendored mongomock) is not
thread-safe, so every call runs on one thread the engine owns; async callers await it. It is
also not atomic across processes: a check-then-write (unique index, `_id` clash, `$inc`) done by
two processes at once can let both through, so every write runs under an exclusive `flock` on
the data dir. With those two rules, several API processes can share one data dir (STANDARDS.md §9).

With `MSIX_MONGODB_URI` set, pymongo is thread-safe and MongoDB is atomic per document, so calls
run on a small pool and the lock is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pymongo
from pymongo.database import Database

from hub.config import Settings

P = ParamSpec("P")
T = TypeVar("T")

Document = dict[str, Any]
Db = Database[Document]

_REAL_POOL_SIZE = 8


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


def locked(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorate a repository method that writes: it runs under the engine's write lock."""

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        with self.engine.write_lock():
            return fn(self, *args, **kwargs)

    return wrapper
