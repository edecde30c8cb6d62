"""TinyDB storage whose write costs the change, not the database.

TinyDB's own storages hand the whole database to `write()` on every change, and its
`Table` copies a whole table to apply one (TinyDB 4.8's table.py): a create in a store of
100,000 records rewrote 30 MB. Here the data lives in memory and reaches disk in two files:

- `db.json`, a snapshot: the whole database, written atomically (temp file, fsync,
  rename, fsync of the folder), so after a crash it is the old state or the new one.
- `db.json.journal`, an append-only log: one line per committed change (the rows it put
  or deleted), fsync'd before the change is acknowledged.

Opening loads the snapshot and replays the journal. A crash can leave only a torn last
line, never acknowledged, which is dropped. When the journal outgrows the snapshot it is
folded into a new one (compaction), so its replay stays as cheap as the load and a
write's cost stays O(1) amortised. Both files carry a generation: a journal left over
from before a compaction that crashed half-way is recognised as already folded in.

The fold runs behind the requests, not in the write that triggered it: writing a 25 MB
snapshot held every other request up for 0.3 to 0.6 s. The full journal is set aside as
`db.json.journal.folding`, a new one starts at once, and a thread writes the snapshot
from a shallow copy of the tables (rows are replaced on write, never changed in place,
so the copy is the state at that moment), in chunks that let other threads run between
them. Until the new snapshot is down, the old snapshot plus the set-aside journal plus
the new one is the state; opening replays them in that order.

`JournaledTable` is the other half, plugged in through TinyDB's `table_class`: it applies
TinyDB's own update functions to a view of the stored rows instead of a copy of them, and
tells the storage which rows changed.
"""

import contextlib
import gc
import importlib.util
import json
import marshal
import os
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import IO, Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from ..formats.encoding import encoded

Tables = dict[str, dict[str, dict]]
GENERATION = "__generation__"  # in the snapshot: which journal belongs to it
COMPACT_AT_LEAST = 8 * 1024 * 1024  # a journal smaller than this is never worth folding
FOLD_CHUNK = 2000  # rows encoded at a time by a fold: about a millisecond with the GIL held
# A snapshot smaller than this loads from its JSON in under half a second: no cache is kept.
CACHE_AT_LEAST = 16 * 1024 * 1024
CACHE_CHUNK = 50_000  # rows in one marshal of the cache: a few MB
CACHE_LAYOUT = "pieces with CRC-32"  # in the stamp: a cache laid out otherwise is not read
_GONE = object()


class JournalCorrupt(RuntimeError):
    pass


class JournaledStorage(Storage):
    def __init__(self, path: str | os.PathLike | None = None, compact_at_least: int = COMPACT_AT_LEAST):
        """path None keeps everything in memory (tests, throwaway servers)."""
        self.path = Path(path).resolve() if path is not None else None
        self.journal_path = journal_of(self.path) if self.path is not None else None
        self.compact_at_least = compact_at_least
        self._data: Tables = {}
        self._generation = 0
        self._snapshot_bytes = 0
        self._journal_bytes = 0
        self._fd: int | None = None
        self._fold: threading.Thread | None = None  # the fold running behind the requests
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
        self.epoch = 0
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
        self._data = data
        self._whole = True
        self.on_change(None, 0, None, None)
        if not self._depth:
            self._commit()

    def close(self) -> None:
        """A clean stop leaves one self-contained file: the journal folded in, and gone; and,
        beside a big one, its load cache."""
        if self._fd is not None:
            self.settle()
            if self._journal_bytes > len(self._header()) or self._folding_bytes:
                self._checkpoint()
            os.close(self._fd)
            self._fd = None
            assert self.journal_path is not None
            self.journal_path.unlink(missing_ok=True)
            self._write_cache()

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
        return self._snapshot_bytes + self._journal_bytes + self._folding_bytes if self.path is not None else 0

    def settle(self) -> None:
        """Waits for a fold running behind the requests to finish."""
        fold = self._fold
        if fold is not None:
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
                    self._append(_line(self._ops))
                    if self._journal_bytes > max(self.compact_at_least, self._snapshot_bytes):
                        self._fold_behind()
        except BaseException:
            self._revert()  # memory must not claim what disk does not hold
            raise
        self._ops, self._undo, self._whole = [], [], False
        self._settled()

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
        self._ops, self._undo, self._whole = [], [], False
        self._settled()

    def _settled(self) -> None:
        """The write under way is on disk, or undone: nothing is in flight any more."""
        self.epoch += 1
        self.touched.clear()
        self.wholesale = False

    def _append(self, line: bytes) -> None:
        assert self._fd is not None
        try:
            written = os.write(self._fd, line)
            if written != len(line):
                raise OSError(f"{self.journal_path}: only {written} of {len(line)} bytes written (disk full?)")
            os.fsync(self._fd)
        except BaseException:
            # Not acknowledged, so it must not come back at the next start either.
            os.ftruncate(self._fd, self._journal_bytes)
            raise
        self._journal_bytes += len(line)

    def _write_cache(self) -> None:
        """The tables in marshal's form beside the snapshot they equal, for the next start: the
        JSON of a 100,000-customer store takes 2.5 s to load, and this 0.6 s. It is only ever
        read beside that same snapshot file, by this same Python (read_cache)."""
        assert self.path is not None
        cache = cache_of(self.path)
        try:
            if self._snapshot_bytes < CACHE_AT_LEAST:
                cache.unlink(missing_ok=True)
                return
            stamp = _stamp(self.path)
            if _cache_stamp(cache) == stamp:
                return  # made by the last stop, and the snapshot is still that one
            _replace(cache, lambda f: write_cache(f, stamp, self._data, self._generation), mode="wb")
        except (OSError, ValueError):  # a full disk; a value marshal cannot hold: no cache
            _drop(cache)

    def _checkpoint(self) -> None:
        """Everything in memory becomes the snapshot, and the journal starts over empty."""
        assert self.path is not None and self.journal_path is not None
        self.settle()  # one writer of the snapshot at a time
        generation = self._generation + 1
        _drop(cache_of(self.path))  # of the snapshot this one replaces
        self._snapshot_bytes = write_snapshot(self.path, self._data, generation)
        self._generation = generation
        self._new_journal()
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
        assert self._fd is not None
        os.close(self._fd)
        self._fd = None
        folding = folding_of(self.journal_path)
        os.replace(self.journal_path, folding)  # made durable by the new journal's folder fsync
        self._folding_bytes = self._journal_bytes
        self._generation += 1  # the new journal follows the snapshot this fold writes
        self._new_journal()
        tables = {name: dict(rows) for name, rows in self._data.items()}
        self._fold = threading.Thread(
            target=self._write_fold, args=(tables, self._generation, folding), name="mockserver-fold", daemon=True
        )
        self._fold.start()

    def _write_fold(self, tables: Tables, generation: int, folding: Path) -> None:
        assert self.path is not None
        try:
            _drop(cache_of(self.path))  # of the snapshot this one replaces
            size = write_snapshot(self.path, tables, generation)
        except OSError:
            return  # the set-aside journal stays, and is replayed until the next fold succeeds
        self._snapshot_bytes = size
        folding.unlink(missing_ok=True)
        self._folding_bytes = 0

    def _open(self) -> None:
        assert self.path is not None and self.journal_path is not None
        if self.path.exists():
            self._snapshot_bytes = self.path.stat().st_size
            data = read_cache(self.path)
            if data is None:
                data = read_snapshot(self.path)
            self._generation = data.pop(GENERATION, 0)
            self._data = data
        folding = folding_of(self.journal_path)
        # a fold that had not written its snapshot: its journal comes first, then the new one's
        unfolded = folding.exists() and self._replay(folding)
        if unfolded:
            self._generation += 1
        if not self.journal_path.exists() or not self._replay(self.journal_path):
            self._new_journal()
        else:
            self._fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND)
        if unfolded:
            self._checkpoint()  # the snapshot catches up before the journal it needed goes
        folding.unlink(missing_ok=True)

    def _replay(self, journal: Path) -> bool:
        """Applies the journal if it belongs to the snapshot; False if it does not (a
        compaction folded it in, then crashed before starting a new one)."""
        content = journal.read_bytes()
        end = content.rfind(b"\n") + 1  # after the last whole line: the rest was torn by a crash
        lines = content[:end].splitlines()
        try:
            header = json.loads(lines[0]) if lines else {}
        except ValueError:
            header = {}
        if header.get("generation") != self._generation:
            return False
        for number, line in enumerate(lines[1:], start=2):
            try:
                ops = json.loads(line)
            except ValueError as e:
                raise JournalCorrupt(f"{journal} line {number} is not JSON ({e}); it was not torn by a crash") from e
            self._apply(ops)
        if end < len(content):
            with open(journal, "r+b") as f:
                f.truncate(end)
                os.fsync(f.fileno())
        self._journal_bytes = end
        return True

    def _apply(self, ops: list[list]) -> None:
        for op in ops:
            match op:
                case ["put", name, key, doc]:
                    self._data.setdefault(name, {})[key] = doc
                case ["del", name, key]:
                    self._data.setdefault(name, {}).pop(key, None)
                case ["clear", name]:
                    self._data[name] = {}

    def _header(self) -> bytes:
        return _line({"generation": self._generation})

    def _new_journal(self) -> None:
        assert self.journal_path is not None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        header = self._header()
        _replace(self.journal_path, lambda f: f.write(header.decode()))
        self._fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND)
        self._journal_bytes = len(header)


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


class Interned:
    """One string object per repeated short value (dates, currencies, kinds, names): json
    makes a new one for every occurrence, and they are most of a big store's memory (a
    100,000-customer store: 124 MB of 526, for 1.2 s more at its load). `mockserver seed`
    interns the rows it makes the same way."""

    def __init__(self):
        self._seen: dict[str, str] = {}

    def __call__(self, obj: dict) -> dict:
        for key, value in obj.items():
            if type(value) is str and len(value) < 40:
                obj[key] = self._seen.setdefault(value, value)
        return obj


def journal_of(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def folding_of(journal: Path) -> Path:
    """Where a journal waits while a fold writes the snapshot that holds it."""
    return journal.with_name(journal.name + ".folding")


def write_snapshot(path: Path, tables: Tables, generation: int) -> int:
    """The tables and their generation in `path`, as write_atomic writes it, encoded
    FOLD_CHUNK rows at a time: an encoder holds the GIL for a whole call, and json's one
    call for 25 MB stopped every other thread for a quarter of a second.

    Still one JSON document, laid out in lines read_snapshot reads one at a time:

        {
        "customers":{
        "1":{...},"2":{...},...      a chunk of rows
        ,"2001":{...},...            the next one
        },
        "__generation__":7}
    """

    def fill(f: IO[str]) -> None:
        f.write("{\n")
        for name, rows in tables.items():
            f.write(f"{json.dumps(name, ensure_ascii=False)}:{{\n")
            for n, chunk in enumerate(_pieces(rows, FOLD_CHUNK)):
                f.write(("," if n else "") + encoded(chunk)[1:-1].decode() + "\n")
            f.write("},\n")
        f.write(f'"{GENERATION}":{generation}}}')

    return _replace(path, fill)


def read_snapshot(path: Path) -> dict[str, Any]:
    """What write_snapshot wrote, a chunk of rows at a time: the whole file's text and its
    parse at once held 150 MB of text twice over (bytes, then str) beside the store being
    made, and a 100,000-customer store peaked at 775 MB to settle at 460. A file laid out
    otherwise (written by hand, or before this layout) is read whole."""
    interned = Interned()
    data: dict[str, Any] = {}
    with _collector_paused(), open(path, "rb") as f:
        first = f.readline()
        if first.rstrip(b"\r\n") != b"{":
            text = first + f.read()
            return json.loads(text, object_hook=interned) if text.strip() else {}
        table: dict[str, Any] | None = None
        for line in f:
            line = line.rstrip(b"\r\n")
            if line.endswith(b":{") and table is None:
                table = data[json.loads(line[:-2])] = {}
            elif line == b"},":
                table = None
            elif table is not None:
                table.update(json.loads(b"{" + line.lstrip(b",") + b"}", object_hook=interned))
            else:  # the last line: the generation, and the document's end
                data.update(json.loads(b"{" + line))
    return data


def cache_of(path: Path) -> Path:
    """Where a clean stop leaves a big store's tables in marshal's form (see _write_cache)."""
    return path.with_name(path.name + ".cache")


def write_cache(f: IO[bytes], stamp: bytes, tables: Tables, generation: int) -> None:
    """The stamp line, then each table in pieces of CACHE_CHUNK rows, each piece its length,
    its CRC-32 and its marshal. In pieces, a piece is all that is held twice: one marshal
    of the whole store, 94 MB, took `mockserver seed` from 537 MB to 706 at its peak. A
    piece still shares each repeated string among its rows, which is what the interning
    keeps. The CRC is checked before marshal reads a piece: marshal does not promise to
    survive bytes it did not write."""

    def record(name: str, value: Any) -> None:
        blob = marshal.dumps((name, value))
        f.write(len(blob).to_bytes(8, "little") + zlib.crc32(blob).to_bytes(4, "little"))
        f.write(blob)

    f.write(stamp)
    for name, rows in tables.items():
        record(name, {})  # the table, even when it holds no rows
        for piece in _pieces(rows, CACHE_CHUNK):
            record(name, piece)
    record(GENERATION, generation)  # the last record


def read_cache(path: Path) -> dict[str, Any] | None:
    """The tables from the snapshot's cache, if there is one made from that very file (its
    size, change time and inode) by a Python whose marshal this one reads; else None, and
    a stale or damaged cache is removed."""
    cache = cache_of(path)
    data: dict[str, Any] = {}
    try:
        with _collector_paused(), open(cache, "rb") as f:
            if f.readline() != _stamp(path):
                raise ValueError("made from another snapshot")
            end = os.fstat(f.fileno()).st_size
            while GENERATION not in data:
                size, crc = int.from_bytes(f.read(8), "little"), int.from_bytes(f.read(4), "little")
                if not 0 < size <= end - f.tell():
                    raise EOFError
                blob = f.read(size)
                if zlib.crc32(blob) != crc:
                    raise ValueError("a piece is damaged")
                name, piece = marshal.loads(blob)
                if name == GENERATION:
                    data[name] = piece
                else:
                    data.setdefault(name, {}).update(piece)
        return data
    except FileNotFoundError:
        return None
    except (EOFError, ValueError, TypeError):
        _drop(cache)
        return None


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The garbage collector off while a store is loaded: it would walk the growing store
    over and over as it is made. Back on after, unless it was off before."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _pieces(rows: dict[str, Any], size: int) -> Iterator[dict[str, Any]]:
    """The rows `size` at a time, each piece a dict of its own; none for no rows."""
    keys = list(rows)
    for start in range(0, len(keys), size):
        yield {key: rows[key] for key in keys[start : start + size]}


def _drop(cache: Path) -> None:
    """A cache that must not be read again goes; if it cannot (a read-only folder), its
    stamp or CRC keeps it from being read."""
    with contextlib.suppress(OSError):
        cache.unlink(missing_ok=True)


def _stamp(path: Path) -> bytes:
    stat = path.stat()
    python = [importlib.util.MAGIC_NUMBER.hex(), marshal.version]
    made = [CACHE_LAYOUT, *python, stat.st_size, stat.st_mtime_ns, stat.st_ino]
    return json.dumps(made).encode() + b"\n"


def _cache_stamp(cache: Path) -> bytes | None:
    try:
        with open(cache, "rb") as f:
            return f.readline()
    except FileNotFoundError:
        return None


def _line(value: Any) -> bytes:
    return encoded(value) + b"\n"


def write_atomic(path: Path, data: Any) -> int:
    """`data` as JSON in `path`, replacing the old file whole: after a crash it is one or
    the other. Returns the bytes written."""
    return _replace(path, lambda f: json.dump(data, f, ensure_ascii=False, separators=(",", ":")))


def write_text_atomic(path: Path, text: str) -> int:
    """`text`, already JSON, in `path` as write_atomic writes it."""
    return _replace(path, lambda f: f.write(text))


def _replace(path: Path, fill: Callable[[IO], Any], mode: str = "w") -> int:
    folder = path.parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding="utf-8" if "b" not in mode else None) as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
            size = os.fstat(f.fileno()).st_size
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):
        dir_fd = os.open(folder, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return size
