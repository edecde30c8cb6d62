"""TinyDB storage whose write costs the change, not the database (the package's
docstring says how the snapshot, the journal and the load cache make it durable).

`JournaledTable` is the other half, plugged in through TinyDB's `table_class`: it applies
TinyDB's own update functions to a view of the stored rows instead of a copy of them, and
tells the storage which rows changed.
"""

import itertools
import os
import threading
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from .cache import cache_of, drop
from .early import Kept, LoadedTables
from .journal import JournalFile, Replayed, apply_ops, folding_of, journal_of, replay
from .snapshot import Cancelled, write_snapshot

Tables = dict[str, dict[str, dict]]
COMPACT_AT_LEAST = 8 * 1024 * 1024  # a journal smaller than this is never worth folding
_GONE = object()
# Every state of every store in this process gets an epoch of its own (a sandbox made again
# after one expired cannot meet an old one's): an answer kept by the front is good only
# while its store's epoch is the one it was made at (serving/reuse.py).
_EPOCHS = itertools.count(1)


class JournaledStorage(LoadedTables, Storage):
    def __init__(
        self, path: str | os.PathLike | None = None, compact_at_least: int = COMPACT_AT_LEAST, kept: Kept | None = None
    ):
        """path None keeps everything in memory (tests, throwaway servers). `kept`: the
        figures each snapshot written keeps beside the tables, for early reads (early.py)."""
        self.path = Path(path).resolve() if path is not None else None
        self.journal_path = journal_of(self.path) if self.path is not None else None
        self.compact_at_least = compact_at_least
        self._no_tables_yet(kept or {})
        self._journal = JournalFile(self.journal_path) if self.journal_path is not None else None
        self._fold: threading.Thread | None = None  # the fold running behind the requests
        self._overtaken = threading.Event()  # set: the running fold gives up (see _checkpoint)
        self._folding_bytes = 0  # the set-aside journal's, while it is on disk
        # the open batch: what to journal, and how to undo it in memory
        self._depth = 0
        self._ops: list[list] = []
        self._undo: list[tuple] = []
        self._whole = False  # the batch replaced whole tables: write a snapshot, not a line
        # What the write under way has changed and not yet made durable, for the reads that do
        # not wait for it (Store.point): rows as (table, key), and any key a derived view
        # marks; `wholesale` when whole tables went. Marked before the change is made; cleared,
        # and `epoch` moved on, once it is on disk or undone.
        self.touched: set[Any] = set()
        self.wholesale = False
        self.epoch = next(_EPOCHS)
        # odd from the start of a whole-database write (a reset, a restore) until it is on disk or
        # undone: a read of many steps that finds it as it began saw one state (Store.reading)
        self.replaced = 0
        # told of every row changed (name, id, before, after), and of wholesale changes
        # (name None): the store keeps its indexes by it
        self.on_change: Callable[[str | None, int, Any, Any], None] = lambda *change: None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open()

    # -- TinyDB's Storage interface

    def read(self) -> Tables:
        return self._data

    def write(self, data: Tables) -> None:
        """A whole-database write (TinyDB's drop_tables, a reset, a snapshot restored)."""
        self._undo.append(("data", self._data))
        self.wholesale = True
        self.replaced |= 1  # odd: under way
        self._data = data
        self._whole = True
        self.on_change(None, 0, None, None)
        if not self._depth:
            self._commit()

    def close(self) -> None:
        """A clean stop leaves one self-contained file: the journal folded in, and gone; and,
        beside a big one, its load cache."""
        if self._journal is not None and self._journal.fd is not None:
            assert self.path is not None
            self.settle()
            if self._journal.holds_changes() or self._folding_bytes or not self._indexed():
                self._checkpoint()
            self._journal.close()
            self._journal.path.unlink(missing_ok=True)
            self._keep_cache()

    # -- rows, from JournaledTable

    def update_table(self, name: str, updater: Callable[[MutableMapping[int, dict]], None]) -> None:
        raw = self._data.get(name)
        rows = _Rows(raw if raw is not None else {})
        updater(rows)
        if raw is None:
            self._undo.append(("table", name, None))
            self.wholesale = True
            raw = self._data[name] = {}
        if rows.cleared:
            self._undo.append(("table", name, raw))
            self.wholesale = True
            raw = self._data[name] = {}
            self._ops.append(["clear", name])
            self.on_change(None, 0, None, None)
        for key, doc in rows.written.items():
            before = raw.get(key, _GONE)
            if doc is before or doc == before:
                continue  # read by a scan, left as it was
            # After a whole-database write in this batch, its undo puts back the data of before
            # and its commit writes a snapshot: a row's undo and journal op are not needed,
            # and `mockserver seed` put 620,000 rows that way (100 MB of both).
            logged = not self._whole
            if logged:
                self._undo.append(("row", name, key, before))
            self.touched.add((name, key))
            if doc is _GONE:
                del raw[key]
                if logged:
                    self._ops.append(["del", name, key])
            else:
                raw[key] = doc
                if logged:
                    self._ops.append(["put", name, key, doc])
            self.on_change(name, int(key), None if before is _GONE else before, None if doc is _GONE else doc)
        if not self._depth:
            self._commit()

    def put_rows(self, name: str, docs: dict[str, dict]) -> None:
        """Rows put by key, without TinyDB's Documents: an import's 20,000 rows in a tenth
        of the time, with the store locked."""
        self.update_table(name, lambda rows: rows.put_all(docs))  # type: ignore[attr-defined]

    # -- batches: every change inside reaches disk in one line (or snapshot), or none does

    def disk_bytes(self) -> int:
        if self._journal is None:
            return 0
        return self._snapshot_bytes + self._journal.bytes + self._folding_bytes

    def settle(self) -> None:
        """Waits for a fold running behind the requests to finish."""
        if (fold := self._fold) is not None:
            fold.join()

    def begin(self) -> None:
        self._depth += 1

    def commit(self) -> None:
        self._depth -= 1
        if not self._depth:
            self._commit()

    def rollback(self) -> None:
        self._depth -= 1
        if not self._depth:
            self._revert()

    # -- inside

    def _commit(self) -> None:
        try:
            if self.path is not None and (self._ops or self._whole):
                if self._whole:
                    self._checkpoint()
                else:
                    assert self._journal is not None
                    self._journal.append(self._ops)
                    if self._journal.bytes > max(self.compact_at_least, self._snapshot_bytes):
                        self._fold_behind()
        except BaseException:
            self._revert()  # memory must not claim what disk does not hold
            raise
        self._settled(bool(self._undo))  # a batch that only read (a page read as one) moves nothing
        self._ops, self._undo, self._whole = [], [], False

    def _revert(self) -> None:
        for entry in reversed(self._undo):
            match entry:
                case ("data", data):
                    self._data = data
                case ("table", name, None):
                    self._data.pop(name, None)
                case ("table", name, raw):
                    self._data[name] = raw
                case ("row", name, key, before):
                    table = self._data.setdefault(name, {})
                    if before is _GONE:
                        table.pop(key, None)
                    else:
                        table[key] = before
        if self._undo:
            self.on_change(None, 0, None, None)
        self._settled(bool(self._undo))
        self._ops, self._undo, self._whole = [], [], False

    def _settled(self, changed: bool) -> None:
        """The write under way is on disk, or undone: nothing is in flight any more."""
        self.epoch = next(_EPOCHS) if changed else self.epoch
        self.touched.clear()
        self.wholesale = False
        self.replaced += self.replaced & 1  # even again: done

    def _checkpoint(self) -> None:
        """Everything in memory becomes the snapshot, and the journal starts over empty."""
        assert self.path is not None and self.journal_path is not None and self._journal is not None
        # One writer of the snapshot at a time: a fold under way gives up (this holds all it would),
        # where a reset or a restore waited for it under the store's lock, 0.3-0.6 s for 25 MB.
        self._overtaken.set()
        self.settle()
        generation = self._generation + 1
        drop(cache_of(self.path))  # of the snapshot this one replaces
        self._snapshot_bytes = write_snapshot(self.path, self._data, generation, kept=self.kept)
        self._generation = generation
        self._journal.start(generation)
        # a fold that failed (a full disk) left its journal: the snapshot now holds it too
        folding_of(self.journal_path).unlink(missing_ok=True)
        self._folding_bytes = 0

    def _fold_behind(self) -> None:
        """Starts folding the journal into a new snapshot behind the requests (see above)."""
        assert self.path is not None and self.journal_path is not None
        if self._fold is not None and self._fold.is_alive():
            return  # the journal grows a little more meanwhile
        if self._folding_bytes:  # the last fold failed: this one is done here and now
            self._checkpoint()
            return
        assert self._journal is not None
        self._journal.close()
        folding = folding_of(self.journal_path)
        os.replace(self.journal_path, folding)  # made durable by the new journal's folder fsync
        self._folding_bytes = self._journal.bytes
        self._generation += 1  # the new journal follows the snapshot this fold writes
        self._journal.start(self._generation)
        tables = {name: dict(rows) for name, rows in self._data.items()}
        self._overtaken = threading.Event()
        args = (tables, self._generation, folding, self._overtaken)
        self._fold = threading.Thread(target=self._write_fold, args=args, name="mockserver-fold", daemon=True)
        self._fold.start()

    def _write_fold(self, tables: Tables, generation: int, folding: Path, overtaken: threading.Event) -> None:
        assert self.path is not None
        if (size := _folded(self.path, tables, generation, overtaken, self.kept)) is not None:
            self._snapshot_bytes = size
            folding.unlink(missing_ok=True)
            self._folding_bytes = 0

    def _open(self) -> None:
        assert self.path is not None and self.journal_path is not None
        assert self._journal is not None
        _drop_half_written(self.path)
        folding = folding_of(self.journal_path)
        if self._read_snapshot(folding):  # opened early: no journal to replay
            self._journal.start(self._generation)
            return
        # a fold that had not written its snapshot: its journal comes first, then the new one's
        unfolded = folding.exists() and self._replay(folding) is not None
        if unfolded:
            self._generation += 1
        replayed = self._replay(self.journal_path) if self.journal_path.exists() else None
        if unfolded or (replayed is not None and not replayed.checked):
            # the snapshot catches up before the journal it needed goes; an unchecked one goes too
            self._checkpoint()
        elif replayed is None:
            self._journal.start(self._generation)
        else:
            self._journal.reopen(replayed)
        folding.unlink(missing_ok=True)

    def _replay(self, journal: Path) -> Replayed | None:
        return replay(journal, self._generation, lambda ops: apply_ops(self._data, ops))


def _folded(path: Path, tables: Tables, generation: int, overtaken: threading.Event, kept: Kept) -> int | None:
    """The fold's snapshot written, and its bytes; None if it failed or was overtaken: the
    set-aside journal then stays, replayed until a snapshot holds it."""
    try:
        drop(cache_of(path))  # of the snapshot this one replaces
        return write_snapshot(path, tables, generation, overtaken.is_set, kept)
    except (OSError, Cancelled):
        return None


def _drop_half_written(path: Path) -> None:
    """Files a crash left half-written beside the store (a fold's snapshot: megabytes), never
    renamed into place, so never read."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)


class JournaledTable(Table):
    """TinyDB's Table, with its one write path changed: the update functions that insert,
    update and remove use get a view of the stored rows, so a write costs the rows it
    touches, not the table."""

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        self._storage.update_table(self.name, updater)  # type: ignore[attr-defined]
        self.clear_cache()


class JournaledTinyDB(TinyDB):
    table_class = JournaledTable


class _Rows(MutableMapping):
    """A table's rows keyed by int id as TinyDB's updaters expect, copied on first access
    (so an update changes a copy, and the stored row is its undo), the changes kept aside."""

    def __init__(self, raw: dict[str, dict]):
        self.raw = raw
        self.written: dict[str, Any] = {}
        self.cleared = False

    def __getitem__(self, doc_id: int) -> dict:
        key = str(doc_id)
        doc = self.written.get(key)
        if doc is None:
            doc = self.written[key] = dict(self._stored(key))
        if doc is _GONE:
            raise KeyError(doc_id)
        return doc

    def __setitem__(self, doc_id: int, doc: dict) -> None:
        self.written[str(doc_id)] = doc

    def __delitem__(self, doc_id: int) -> None:
        self[doc_id]  # KeyError if absent
        self.written[str(doc_id)] = _GONE

    def __contains__(self, doc_id: object) -> bool:
        key = str(doc_id)
        if key in self.written:
            return self.written[key] is not _GONE
        return not self.cleared and key in self.raw

    def __iter__(self) -> Iterator[int]:
        stored = () if self.cleared else (key for key in self.raw if key not in self.written)
        for key in stored:
            yield int(key)
        for key, doc in list(self.written.items()):
            if doc is not _GONE:
                yield int(key)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def put_all(self, docs: dict[str, dict]) -> None:
        self.written.update(docs)

    def clear(self) -> None:
        self.cleared = True
        self.written = {}

    def _stored(self, key: str) -> dict:
        if self.cleared:
            raise KeyError(key)
        return self.raw[key]
