"""The store knows tables and records, not HTTP (json-server's service.ts).

One TinyDB database, one lock around every call: TinyDB is not thread-safe, and the server
answers on several threads. The data is in memory, a write reaches disk as one fsync'd
journal line before it returns (storage/), so a write costs the same in a store of a
thousand records or of a million. Records come back as plain dicts with their `id` first;
stored documents are never handed out.

TinyDB has no indexes, so a lookup by field is a scan of the table; the few the API makes
on every request (a customer's ledger entries, a page of income newest first) get an
index here, kept by the storage's change feed and built on first use. Figures summed over
a whole table (balances, counts per category) are kept the same way, as `Derived` views:
an answer built from them costs the same at a hundred records as at a million.

Ids only grow: a deleted record's id is never given again, even after a restart, so a
client holding an old id gets 404 rather than somebody else's record. A reset or a
snapshot restore is the exception on purpose: it puts back the sequences with the tables,
so the same calls after it give the same ids.
"""

import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, TypeVar

from tinydb.table import Document

from ..resources import FIXTURES_DIR
from .files import claim, release
from .indexes import D, Indexes, Ordering
from .storage.early import Unkept
from .storage.journaled import JournaledStorage, JournaledTinyDB

Record = dict[str, Any]
_SEQUENCES = "_sequences"  # table -> last id given


T = TypeVar("T")


class Store:
    def __init__(self, path: str | os.PathLike | None = None, fixtures: Path = FIXTURES_DIR, kept: Iterable[type] = ()):
        """`kept`: Derived views whose figures a big store's snapshot keeps (storage/early.py)."""
        self.path = Path(path).resolve() if path is not None else None
        self.fixtures = fixtures
        self._lock = threading.RLock()
        self._lockfile = claim(self.path) if self.path is not None else None
        self._storage = _open_storage(self.path, self._lockfile, kept)
        self._db = JournaledTinyDB(storage=lambda: self._storage)  # its default table is "_default"
        self._indexes = Indexes()
        self._storage.on_change = self._indexes.changed
        self.seeded = False
        if not self._storage.holds_tables():
            self.reset()
            self.seeded = True

    # -- reading

    def all(self, table: str) -> list[Record]:
        return list(self._records(table))

    def get(self, table: str, ident: int) -> Record | None:
        def read() -> Record | None:
            # From the storage, not TinyDB's Table.get, which copies the row into a Document
            # only for us to copy it again: a fifth of a GET by id's store time.
            doc = self._storage.row(table, str(ident))
            return {"id": ident, **doc} if doc is not None else None

        return self._point(read, (table, str(ident)))

    def get_many(self, table: str, ids: Iterable[int]) -> list[Record]:
        """The records of `ids` that are stored, in that order."""
        with self._lock:
            stored = self._stored(table)
            docs = [(i, stored.get(str(i))) for i in ids]
        return [{"id": i, **doc} for i, doc in docs if doc is not None]

    def ids(self, table: str) -> list[int]:
        """The table's ids, in order."""
        with self._lock:
            keys = list(self._stored(table))
        return sorted(map(int, keys))

    def exists(self, table: str, ident: int, unless: str | None = None) -> bool:
        """Whether the record is stored (and its field `unless` is not truthy: soft-deleted),
        read without copying it."""

        def read() -> bool:
            doc = self._storage.row(table, str(ident))
            return doc is not None and not (unless and doc.get(unless))

        return self._point(read, (table, str(ident)))

    def find(self, table: str, where: Callable[[Record], bool]) -> list[Record]:
        return [record for record in self._records(table) if where(record)]

    def find_by(self, table: str, field: str, value: Any) -> list[Record]:
        """The records whose `field` is `value`, in id order, through an index."""
        with self._lock:
            stored = self._stored(table)
            return [{"id": i, **stored[str(i)]} for i in self._ids_by(table, field, value)]

    def ordered(
        self,
        ordering: Ordering,
        low: Any = None,
        high: Any = None,
        where: Record | None = None,
        *,
        reverse: bool = False,
        skip: int = 0,
        take: int | None = None,
    ) -> tuple[int, list[int]]:
        """How many records of `ordering` have a key in [low, high] (None: unbounded) and the
        field values in `where`; and the ids of `take` of them after the first `skip`, in key
        order or, with `reverse`, the other way. Without `where` that costs no scan at all."""
        with self._lock:
            stored = self._stored(ordering.table)
            return self._indexes.select(ordering, lambda: stored, low, high, where, reverse, skip, take)

    def derived(self, kind: type[D], read: Callable[[D], T], key: Any = None) -> T:
        """`read` of the store's `kind` view, under the lock: no write comes in between. With
        `key`, the one thing the view says `read` depends on (it marks keys as it changes),
        it is a point read (see _point) when the view is built, or kept by a store not yet
        loaded (storage/early.py) and `read` needs no more than it kept."""
        if key is not None and self._indexes.built(kind) is not None:
            return self._point(lambda: read(self._view(kind)), key)
        if key is not None and (kept := self._storage.kept_view(kind)) is not None:
            with suppress(Unkept):  # it needs more than was kept
                return self._point(lambda: read(kept), key)
        with self._lock:
            return read(self._view(kind))

    @property
    def version(self) -> int:  # moves on with every write; no two states of any store share one
        return self._storage.epoch

    def reading(self, read: Callable[[], T]) -> T:
        """`read`, several calls of this store that must see one state (a GET's handler)."""
        return consistent_read(self._lock, self._storage, read)

    # -- writing

    def insert(self, table: str, fields: Record) -> Record:
        with self.batch():
            ident = self.reserve_ids(table, 1)[0]
            fields = {k: v for k, v in fields.items() if k != "id"}
            self._table(table).insert(Document(fields, doc_id=ident))
            return {"id": ident, **fields}

    def insert_many(self, table: str, rows: Iterable[Record]) -> list[Record]:
        """Many records in one table write: an import of thousands costs one pass over the
        table, where as many inserts would each rewrite it. The rows become the store's own
        (copied only to drop an `id`), so the caller must not change them after."""
        with self.batch():
            fields = [{k: v for k, v in row.items() if k != "id"} if "id" in row else row for row in rows]
            ids = self.put_many(table, fields)
            return [{"id": i, **f} for i, f in zip(ids, fields, strict=True)]

    def put_many(self, table: str, rows: list[Record]) -> range:
        """insert_many's write alone: the rows (without ids) become the store's own, never to
        be changed by the caller, and only their ids come back. `mockserver seed` puts
        415,000 ledger entries, whose copies handed back took 200 MB."""
        with self.batch():
            ids = self.reserve_ids(table, len(rows))
            self._storage.put_rows(table, {str(i): row for i, row in zip(ids, rows, strict=True)})
            return ids

    def update(self, table: str, ident: int, changes: Record) -> Record | None:
        with self._lock:
            if not self._table(table).contains(doc_id=ident):
                return None
            self._table(table).update({k: v for k, v in changes.items() if k != "id"}, doc_ids=[ident])
            return self.get(table, ident)

    def remove(self, table: str, ident: int) -> bool:
        with self._lock:
            if not self._table(table).contains(doc_id=ident):
                return False
            self._table(table).remove(doc_ids=[ident])
            return True

    def remove_by(self, table: str, field: str, value: Any) -> int:
        with self.batch():
            ids = self._ids_by(table, field, value)
            if ids:
                self._table(table).remove(doc_ids=ids)
            return len(ids)

    def remove_where(self, table: str, where: Callable[[Record], bool]) -> int:
        with self._lock:
            ids = [doc.doc_id for doc in self._table(table).all() if where(_record(doc))]
            if ids:
                self._table(table).remove(doc_ids=ids)
            return len(ids)

    def reserve_ids(self, sequence: str, count: int, after: int = 0) -> range:
        """The next `count` numbers of a sequence that only grows (a table's ids, or any other
        counter), taken in one write; `after` is where a sequence the fixtures do not seed starts."""
        with self.batch():
            sequences = self._table(_SEQUENCES).get(doc_id=1) or {}
            first = max(sequences.get(sequence, 0), after) + 1
            if count:
                self._table(_SEQUENCES).upsert(Document({**sequences, sequence: first + count - 1}, doc_id=1))
            return range(first, first + count)

    @contextmanager
    def batch(self) -> Iterator["Store"]:
        """Every write inside reaches disk as one atomic write, or none does; no other
        request's read or write comes in between."""
        with self._lock:
            self._storage.begin()
            try:
                yield self
            except BaseException:
                self._storage.rollback()
                raise
            else:
                self._storage.commit()

    def reset(self) -> None:
        """Back to the fixtures: every table replaced in one write."""
        self.replace(fixture_tables(self.fixtures))

    def export(self) -> dict[str, dict[str, Record]]:
        """Every table as stored, ids and sequences included: what a snapshot holds."""
        with self._lock:
            return json.loads(json.dumps(self._storage.read() or {}))

    def replace(self, tables: dict[str, dict[str, Record]]) -> None:
        """Make the store exactly `tables` (an export), in one write."""
        with self.batch():
            self._db.drop_tables()
            self._storage.write(json.loads(json.dumps(tables)))

    def disk_bytes(self) -> int:
        """What the store's files hold on disk now (its snapshot and its journal); 0 in memory."""
        with self._lock:
            return self._storage.disk_bytes()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return counts_of(self._storage.read() or {})

    def load_behind(self, after: Callable[[], None], failed: Callable[[BaseException], None]) -> None:
        """A big store opened early is loaded from now on a thread of its own (storage/early.py)."""
        self._storage.load_behind(after, failed)

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if self._lockfile is not None:
            release(self._lockfile)
            self._lockfile = None

    # -- inside

    def _stored(self, table: str) -> dict[str, Record]:
        """The table's documents as the storage holds them: to read, never to hand out."""
        return (self._storage.read() or {}).get(table, {})

    def _view(self, kind: type[D]) -> D:
        """The built view, as it is; or, if it is not built (or a write just dropped it), built
        under the lock."""
        built = self._indexes.built(kind)
        if built is not None:
            return built
        with self._lock:
            return self._indexes.derived(kind, self._stored, self._storage.touched.add)

    def _point(self, read: Callable[[], T], key: Any) -> T:
        return point_read(self._lock, self._storage, read, key)

    def _records(self, table: str) -> Iterator[Record]:
        """The table's records as they are now: its rows taken under the lock in one C-speed
        copy, made records after it (a row is replaced when written, never changed in place,
        so these stay as they were). Making 40,000 ledger records under the lock held every
        other request up for the length of it."""
        with self._lock:
            rows = list(self._stored(table).items())
        return ({"id": int(key), **doc} for key, doc in rows)

    def _ids_by(self, table: str, field: str, value: Any) -> list[int]:
        return sorted(self._indexes.get(table, field, lambda: self._stored(table)).get(value, ()))

    def _table(self, name: str):
        # cache_size=0: TinyDB's query cache hands out the same list to every caller, to be
        # mutated by any of them.
        return self._db.table(name, cache_size=0)


def point_read(lock: threading.RLock, storage: JournaledStorage, read: Callable[[], T], key: Any) -> T:
    """A read of one row (or one key of a derived view) that does not wait for a write
    under way unless that write has touched it. A 10,000-row import holds the lock for
    about 100 ms as it commits, and every GET by id waited that long.

    Without the lock it is read as it is now: a write marks what it changes before it
    changes it (storage.touched) and clears the marks, moving `epoch` on, once the change
    is durable or undone. So a read that saw a change in flight finds its mark, or sees
    the epoch moved; either way it reads again under the lock, after the write. What it
    returns is the state before the write, or after it, never a write that is undone."""
    if lock.acquire(blocking=False):  # no write under way (or this thread's own)
        try:
            return read()
        finally:
            lock.release()
    epoch = storage.epoch
    value = read()
    if storage.wholesale or key in storage.touched or storage.epoch != epoch:
        with lock:
            return read()
    return value


def consistent_read(lock: threading.RLock, storage: JournaledStorage, read: Callable[[], T]) -> T:
    """`read` as of one state of the store, though it reads it in several steps (the ids of a
    list, then their records, their balances...): a reset or a restore swaps every table at
    once, and a read that straddled one showed some of each state (21 of 2,781 lists read
    beside restores). So it is run again if one began or ended while it ran (`replaced`
    moved); the third time under the lock, which no write can pass."""
    for _ in range(2):
        seen = storage.replaced
        if seen % 2:  # one under way: wait for it to end, then read
            with lock:
                continue
        try:
            value = read()
        except Exception:
            if storage.replaced == seen:
                raise
            continue  # it may have failed for what it saw of two states
        if storage.replaced == seen:
            return value
    with lock:
        return read()


def _open_storage(path: Path | None, lockfile: IO[str] | None, kept: Iterable[type]) -> JournaledStorage:
    """The store's storage; `kept`'s views each have a KEPT name, a kept_of(tables) and an early
    view made of what kept_of gave."""
    try:
        return JournaledStorage(path, kept={kind.KEPT: kind.kept_of for kind in kept})  # type: ignore[attr-defined]
    except BaseException:  # a damaged journal: refused, and the store left to `mockserver repair`
        if lockfile is not None:
            release(lockfile)
        raise


def fixture_tables(fixtures: Path) -> dict[str, dict[str, Record]]:
    """The store the fixtures make: a table per file, its rows by id, and the id sequences
    where the fixtures' ids end."""
    tables: dict[str, dict[str, Record]] = {}
    for file in sorted(fixtures.glob("*.json")):
        rows = json.loads(file.read_text(encoding="utf-8"))
        tables[file.stem] = {str(row["id"]): {k: v for k, v in row.items() if k != "id"} for row in rows}
    tables[_SEQUENCES] = {"1": {name: max(map(int, rows), default=0) for name, rows in tables.items()}}
    return tables


def counts_of(tables: dict[str, dict[str, Record]]) -> dict[str, int]:
    """Records per table of the store or of an export of it, its own bookkeeping left out."""
    return {name: len(rows) for name, rows in sorted(tables.items()) if name != _SEQUENCES}


def _record(doc: Document) -> Record:
    return {"id": doc.doc_id, **doc}


def set_sequence(store: Store, sequence: str, last: int) -> None:
    """The sequence's last number given is `last`: its next is last + 1 (the contract's model
    takes the target's ids this way)."""
    with store.batch():
        sequences = store._table(_SEQUENCES).get(doc_id=1) or {}
        store._table(_SEQUENCES).upsert(Document({**sequences, sequence: last}, doc_id=1))


def put_with_id(store: Store, table: str, ident: int, fields: Record) -> None:
    """A record under an id of the caller's choosing (the contract's model takes the ids a
    target gave); the table's sequence is not moved."""
    with store.batch():
        store._storage.put_rows(table, {str(ident): {k: v for k, v in fields.items() if k != "id"}})
