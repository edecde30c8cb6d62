"""A big store that answers before it is loaded.

Reading a 100,000-customer `db.json` (150 MB: 615,000 rows) takes seconds however it is
parsed, and json-server answers its own 100,000 customers in about one. So a big
snapshot written with an index (snapshot.py: where each chunk of rows is, the span of its
ids, and the figures a view keeps, such as each customer's ledger totals) is opened in two
steps:

1. At once, `Early`: the file's CRC checked whole (zlib over a memory map, 0.07 s for
   150 MB, so a damaged file is refused at start as before) and its index read. A point
   read (a row by id) parses the one chunk that can hold it; a view that kept its figures
   answers from them (Store.derived).
2. Behind the requests, `Loading`: the whole store read as before (the load cache if it
   is there, else the JSON). Whatever needs more than a point read, and every write, waits
   for it; nothing is written meanwhile, so an early answer is the loaded store's answer.

Only a snapshot with no journal beside it (a clean stop's, a copy checked out of git) is
opened this way: a journal's changes are not in the index.
"""

import json
import mmap
import os
import threading
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .cache import keep_cache, read_cache
from .journal import journal_of
from .snapshot import CRC, GENERATION, INDEX, INDEX_LINE, KEPT, SnapshotCorrupt, _sealed, read_snapshot

Kept = Mapping[str, Callable[[dict], Any]]  # a name -> the figures a snapshot keeps of its tables
EARLY_AT_LEAST = 16 * 1024 * 1024  # a smaller snapshot loads whole in under half a second
UNKNOWN = object()  # Early.row: the chunk could not be read; ask the loaded store


class Unkept(LookupError):
    """Asked of a view made of a snapshot's kept figures what they do not hold: the view is
    built from the loaded tables instead (Store.derived)."""


class Early:
    """A snapshot's point reads and kept figures, from its index, before it is loaded."""

    def __init__(self, path: Path, generation: int, spans: dict[str, list]):
        self.generation = generation
        self._spans = spans
        self._views: dict[type, Any] = {}
        self._lock = threading.Lock()
        self._fd: int | None = os.open(path, os.O_RDONLY)

    @staticmethod
    def indexed(path: Path) -> bool:
        """Whether the snapshot at `path` has an index (the line before its last)."""
        try:
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as whole:
                before, last = _last_two_lines(whole)
                return whole[before : before + len(INDEX_LINE)] == INDEX_LINE
        except (OSError, ValueError):
            return False

    @classmethod
    def open(cls, path: Path) -> "Early | None":
        """The snapshot at `path` ready for early reads; None if it holds no index, no CRC
        (edited by hand) or fails its CRC: it is then read whole, which says what is wrong."""
        try:
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as whole:
                if whole[:2] != b"{\n":
                    return None
                before, last = _last_two_lines(whole)
                index = bytes(whole[before:last])
                tail = json.loads(b"{" + whole[last:])
                if not index.startswith(INDEX_LINE) or not isinstance(tail.get(CRC), int):
                    return None
                generation = tail.get(GENERATION, 0)
                with memoryview(whole) as view, view[:last] as lines:
                    sealed = _sealed(zlib.crc32(lines), generation)
                if sealed != tail[CRC]:
                    return None
            spans = json.loads(b"{" + index.rstrip(b"\r\n").rstrip(b",") + b"}")[INDEX]["tables"]
            return cls(path, generation, spans) if _well_formed(spans) else None
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def holds_tables(self) -> bool:
        return any(not name.startswith(KEPT) for name in self._spans)

    def row(self, table: str, key: str) -> Any:
        """The row stored under `key`, None if there is none, or UNKNOWN."""
        spans = self._spans.get(table)
        if spans is None:
            return None
        ident = int(key) if key.isascii() and key.isdigit() else None
        for offset, length, first, last in spans:
            if first is not None and (ident is None or not first <= ident <= last):
                continue
            rows = self._chunk(offset, length)
            if rows is None:
                return UNKNOWN
            if key in rows:
                return rows[key]
        return None

    def view(self, kind: type) -> Any:
        """`kind`'s view made of its kept figures (kind.early, given an id's figures by id), or
        None if none were kept."""
        table = KEPT + getattr(kind, "KEPT", "")
        if table not in self._spans:
            return None
        view = self._views.get(kind)
        if view is None:
            view = self._views[kind] = kind.early(lambda key: self._figures(table, key))  # type: ignore[attr-defined]
        return view

    def _figures(self, table: str, key: str) -> Any:
        row = self.row(table, key)
        if row is UNKNOWN:
            raise Unkept(key)
        return row

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is not None:
                os.close(fd)
        self._views.clear()  # a view's reads hold this object: a cycle the frozen heap would keep

    def _chunk(self, offset: int, length: int) -> dict[str, Any] | None:
        """A chunk's rows, parsed for one read and let go (about a millisecond for 250 customers): the load
        behind is soon to hold every row, and chunks kept beside it would only add to its
        peak."""
        with self._lock:  # not a descriptor closed, and its number given to another file
            if self._fd is None:
                return None
            line = os.pread(self._fd, length, offset)
        try:
            rows = json.loads(b"{" + line.rstrip(b"\r\n").lstrip(b",") + b"}") if len(line) == length else None
        except ValueError:  # the file changed under us: only the loaded store can say
            return None
        return rows if isinstance(rows, dict) else None


def _last_two_lines(whole: mmap.mmap) -> tuple[int, int]:
    """Where the snapshot's line before its last (the index, if it has one) and its last begin."""
    last = whole.rfind(b"\n") + 1
    return whole.rfind(b"\n", 0, last - 1) + 1, last


def _well_formed(spans: Any) -> bool:
    """An index as write_snapshot writes it: table -> [[offset, length, first id, last id]]."""
    if not isinstance(spans, dict):
        return False
    for chunks in spans.values():
        if not isinstance(chunks, list):
            return False
        for chunk in chunks:
            if not (isinstance(chunk, list) and len(chunk) == 4 and all(type(n) is int for n in chunk[:2])):
                return False
            if not (type(chunk[2]) is type(chunk[3]) and (chunk[2] is None or type(chunk[2]) is int)):
                return False
    return True


class Loading:
    """The whole store read once: behind the requests from `behind()`, or by the first
    caller of `wait()` if nobody started it (a command, a test). Either way it runs under
    one lock, so `wait()` returns once it is done, and raises what it raised."""

    def __init__(self, load: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], None]):
        self._load, self._done = load, done
        self._lock = threading.Lock()
        self._finished = False
        self._error: BaseException | None = None
        self._after: Callable[[], None] = lambda: None

    def behind(self, after: Callable[[], None], failed: Callable[[BaseException], None]) -> None:
        """Loads on a thread of its own; `after` is called once the tables are read and before
        anyone reads them (the heap frozen and trimmed: a request's work done in between
        stayed as holes in it), `failed` told if they cannot be."""
        self._after = after

        def run() -> None:
            try:
                self.wait()
            except BaseException as e:  # noqa: BLE001 (reported to whoever serves the store)
                failed(e)

        threading.Thread(target=run, name="mockserver-load", daemon=True).start()

    def wait(self) -> None:
        with self._lock:
            if not self._finished and self._error is None:
                try:
                    tables = self._load()
                    self._after()
                    self._done(tables)
                    self._finished = True
                except BaseException as e:
                    self._error = e
        if self._error is not None:
            raise self._error


class LoadedTables:
    """A storage's tables as its snapshot gives them: read whole at its opening, or (a big
    snapshot alone) opened early, and read whole behind the requests or by the first that
    needs more than a point (JournaledStorage is one)."""

    path: Path | None

    def _no_tables_yet(self, kept: Kept) -> None:
        """`kept`: the figures each snapshot written keeps beside the tables (snapshot.py)."""
        self.kept = dict(kept)
        self._tables: dict[str, dict[str, dict]] = {}
        self.early: Early | None = None  # the point reads of a store not loaded yet
        self._loading: Loading | None = None
        self._generation = 0
        self._snapshot_bytes = 0

    @property
    def _data(self) -> dict[str, dict[str, dict]]:
        """The tables, once loaded: every read of more than a point, and every write, waits
        for the load."""
        if (loading := self._loading) is not None:
            loading.wait()
        return self._tables

    @_data.setter
    def _data(self, tables: dict[str, dict[str, dict]]) -> None:
        self._tables = tables

    def load_behind(self, after: Callable[[], None], failed: Callable[[BaseException], None]) -> None:
        """A store opened early is loaded on a thread of its own from now (Loading.behind);
        one loaded already has `after` called at once."""
        if (loading := self._loading) is not None:
            loading.behind(after, failed)
        else:
            after()

    def holds_tables(self) -> bool:
        early = self.early
        return early.holds_tables() if early is not None else bool(self._data)

    def row(self, table: str, key: str) -> dict | None:
        """A stored row, to read and never to change: from the file while the store is not
        loaded yet."""
        early = self.early
        if early is not None and (row := early.row(table, key)) is not UNKNOWN:
            return row
        return self._data.get(table, {}).get(key)

    def kept_view(self, kind: type) -> Any:
        """`kind`'s view made of the figures the snapshot kept, while the store is not loaded
        yet; else None."""
        early = self.early
        return early.view(kind) if early is not None else None

    def _read_snapshot(self, folding: Path) -> bool:
        """The snapshot's tables, if there is one; True if it was opened early instead."""
        assert self.path is not None
        if not self.path.exists():
            return False
        self._snapshot_bytes = self.path.stat().st_size
        if self._opened_early(folding):
            return True
        data = self._read_whole()
        self._generation = data.pop(GENERATION, 0)
        self._data = data
        return False

    def _keep_cache(self) -> None:
        """The load cache for the next start, unless this one stopped before it had loaded (the
        file is as it was, and no more than it was)."""
        assert self.path is not None
        if self._loading is None:  # loaded (a failed load leaves it set)
            keep_cache(self.path, self._snapshot_bytes, self._data, self._generation)

    def _opened_early(self, folding: Path) -> bool:
        """Opens a big snapshot alone (no journal to replay) early: it answers point reads at
        once, and is loaded behind them."""
        assert self.path is not None
        if self._snapshot_bytes < EARLY_AT_LEAST or journal_of(self.path).exists() or folding.exists():
            return False
        early = Early.open(self.path)
        if early is None:
            return False
        self.early, self._generation = early, early.generation
        self._loading = Loading(self._read_whole, self._loaded)
        return True

    def _read_whole(self) -> dict[str, Any]:
        assert self.path is not None
        data = read_cache(self.path)
        return data if data is not None else read_snapshot(self.path)

    def _loaded(self, data: dict[str, Any]) -> None:
        """The early store's load is done: from here on the tables answer."""
        assert self.path is not None and self.early is not None
        if data.pop(GENERATION, 0) != self.early.generation:
            raise SnapshotCorrupt(self.path, 1, "changed while the store was open (replaced by another file?)")
        self._tables = data
        early, self.early, self._loading = self.early, None, None
        early.close()

    def _indexed(self) -> bool:
        """Whether the snapshot on disk opens early next time, as a big one should: one written
        before the index (by an older version) is written again by a clean stop."""
        assert self.path is not None
        return self._snapshot_bytes < EARLY_AT_LEAST or self._loading is not None or Early.indexed(self.path)
