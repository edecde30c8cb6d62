"""Named copies of the whole store, to go back to.

A store on disk keeps its snapshots beside it (`.mockserver/db.json` ->
`.mockserver/db.snapshots/<name>.json`), each written atomically, so they survive
restarts; an in-memory store keeps them in memory. A snapshot is the store exactly,
id sequences included, so restoring one answers every later call as it was answered then.

A snapshot file carries the CRC-32 of its tables as written, and stays one JSON document:

    {"name":"demo","created_at":"2024-11-04T16:13:37.000Z","crc":1234567890,"tables":{...}}

A restore checks the whole snapshot before it swaps anything in: the CRC (a file edited
or damaged on disk), then the store it would make (shapes.py: tables of records by id,
the fields the handlers read of the types they read, id sequences not below any id). A
snapshot that fails is refused naming the problem, and the store is left as it was.
Snapshots written before they carried a CRC are still read, and checked all the same.

Listing them reads no snapshot: an index (`db.snapshots/.index`, one JSON object of
name -> created_at, record counts, size and mtime) is kept as snapshots are saved and
deleted, and checked against a stat of each file, so only a file changed or added
behind the server's back is read again (and the index rebuilt when it is missing).
A listing of 40 snapshots of 5 MB parsed 200 MB each time before (issue 30, row 12).
"""

import json
import os
import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import clock
from .quota import UNLIMITED, Quota, check_snapshot
from .shapes import store_problem
from .storage.snapshot import write_text_atomic
from .store import Store, counts_of

# A file name on every system: no separators, no leading dot, nothing a shell would expand.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # used with fullmatch: "$" lets "\n" through
NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
# A snapshot as `save` writes it: the CRC is of the tables' bytes as they stand in the file.
_WRITTEN = re.compile(rb'\{"name":"[^"\\]*","created_at":"[^"\\]*","crc":([0-9]{1,10}),"tables":(.*)\}\s*', re.DOTALL)


class SnapshotError(Exception):
    pass


class SnapshotInvalid(SnapshotError):
    """A snapshot that cannot be restored: damaged, or not a store the server can answer from."""


@dataclass(frozen=True)
class Snapshot:
    name: str
    created_at: str
    tables: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "created_at": self.created_at, "records": counts_of(self.tables)}


@dataclass(frozen=True)
class Entry:
    """What the index keeps of a snapshot file: its summary, and the stat it was made from."""

    created_at: str
    records: dict[str, int]
    size: int
    mtime_ns: int

    def summary(self, name: str) -> dict[str, Any]:
        return {"name": name, "created_at": self.created_at, "records": self.records}


INDEX = ".index"  # no snapshot's file: a name cannot start with a dot


class Snapshots:
    def __init__(self, store: Store, quota: Quota = UNLIMITED):
        self.store, self.quota = store, quota
        self.folder = store.path.with_name(store.path.stem + ".snapshots") if store.path is not None else None
        self._memory: dict[str, Snapshot] = {}
        self._index: dict[str, Entry] | None = None  # read from INDEX, or rebuilt, when first needed
        self._lock = threading.Lock()

    def save(self, name: str) -> tuple[Snapshot, bool]:
        """The store saved under `name`; True when it is new, False when it replaced one.
        Stamped by the app's clock when there is one (the CLI has none: real time)."""
        check_name(name)
        created_at = clock.iso_ms(clock.now())
        snapshot = Snapshot(name, created_at, self.store.export())
        # measured as written, then written as measured; in memory, unlimited, it is not written
        text = written(snapshot) if self.folder is not None or self.quota != UNLIMITED else ""
        with self._lock:
            existed = name in self._memory if self.folder is None else self._file(name).exists()  # none read
            if self.quota != UNLIMITED:
                check_snapshot(self.quota, self._sizes(besides=name), len(text.encode()))
            if self.folder is None:
                self._memory[name] = snapshot
            else:
                self.folder.mkdir(parents=True, exist_ok=True)
                write_text_atomic(self._file(name), text)
                self._indexed()[name] = _entry(self._file(name).stat(), snapshot)
                self._keep_index()
        return snapshot, not existed

    def restore(self, name: str) -> Snapshot | None:
        """The store made exactly the snapshot, once the whole of it is checked; SnapshotInvalid,
        and the store untouched, if it fails."""
        check_name(name)
        with self._lock:
            try:
                snapshot = self._get(name)
            except SnapshotError as e:
                raise SnapshotInvalid(f"{e}; the store is unchanged") from e
        if snapshot is not None:
            problem = store_problem(snapshot.tables)
            if problem is not None:
                where = f" ({self._file(name)})" if self.folder is not None else ""
                raise SnapshotInvalid(f"snapshot {name!r}{where} cannot be restored: {problem}; the store is unchanged")
            self.store.replace(snapshot.tables)
        return snapshot

    def get(self, name: str) -> Snapshot | None:
        check_name(name)
        with self._lock:
            return self._get(name)

    def summaries(self) -> list[dict[str, Any]]:
        """Every snapshot's summary, by name, from the index: a file is read only when its
        stat is not the one indexed (changed on disk, or new); SnapshotError if it is unreadable."""
        with self._lock:
            if self.folder is None:
                return [self._memory[name].summary() for name in sorted(self._memory)]
            index, changed = self._indexed(), False
            found: dict[str, os.stat_result] = {}
            if self.folder.exists():
                with os.scandir(self.folder) as entries:
                    for item in entries:
                        stem, dot, ext = item.name.rpartition(".")
                        if dot and ext == "json" and NAME.fullmatch(stem) and item.is_file():
                            found[stem] = item.stat()
            for name in [n for n in index if n not in found]:
                del index[name]
                changed = True
            for name, stat in found.items():
                changed = self._fresh(name, stat) or changed
            if changed:
                self._keep_index()
            return [index[name].summary(name) for name in sorted(index) if name in found]

    def summary(self, name: str) -> dict[str, Any] | None:
        """One snapshot's summary, from the index when its file is as indexed."""
        check_name(name)
        with self._lock:
            if self.folder is None:
                snapshot = self._memory.get(name)
                return snapshot.summary() if snapshot is not None else None
            try:
                stat = self._file(name).stat()
            except FileNotFoundError:
                if self._indexed().pop(name, None) is not None:
                    self._keep_index()
                return None
            if self._fresh(name, stat):
                self._keep_index()
            entry = self._indexed().get(name)
            return entry.summary(name) if entry is not None else None

    def _fresh(self, name: str, stat: os.stat_result) -> bool:
        """True when the index's entry for `name` had to be made again from its file."""
        index = self._indexed()
        entry = index.get(name)
        if entry is not None and (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            return False
        snapshot = self._get(name)
        if snapshot is None:  # gone meanwhile
            index.pop(name, None)
        else:
            index[name] = _entry(stat, snapshot)
        return True

    def all(self) -> list[Snapshot]:
        with self._lock:
            if self.folder is None:
                return [self._memory[name] for name in sorted(self._memory)]
            files = sorted(self.folder.glob("*.json")) if self.folder.exists() else []
            return [s for s in (self._get(f.stem) for f in files if NAME.fullmatch(f.stem)) if s is not None]

    def delete(self, name: str) -> bool:
        check_name(name)
        with self._lock:
            if self.folder is None:
                return self._memory.pop(name, None) is not None
            try:
                self._file(name).unlink()
            except FileNotFoundError:
                return False
            if self._indexed().pop(name, None) is not None:
                self._keep_index()
            return True

    def _indexed(self) -> dict[str, Entry]:
        """The index, read from its file on first use (empty if missing or unreadable: the
        next listing then reads each snapshot once and writes it again)."""
        assert self.folder is not None
        if self._index is None:
            self._index = {}
            try:
                kept = json.loads((self.folder / INDEX).read_bytes())
                for name, e in kept.items():
                    if NAME.fullmatch(name):
                        records = {str(t): int(n) for t, n in e["records"].items()}
                        self._index[name] = Entry(str(e["created_at"]), records, int(e["size"]), int(e["mtime_ns"]))
            except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
                self._index = {}
        return self._index

    def _keep_index(self) -> None:
        assert self.folder is not None and self._index is not None
        kept = {name: vars(entry) for name, entry in sorted(self._index.items())}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.folder / INDEX, json.dumps(kept, separators=(",", ":")))
        except OSError:  # the index is a cache: the next start rebuilds it
            pass

    def _get(self, name: str) -> Snapshot | None:
        if self.folder is None:
            return self._memory.get(name)
        try:
            content = self._file(name).read_bytes()
            saved = json.loads(content)
            if "crc" in saved:
                check_crc(content)
            tables = saved["tables"]
            if not all(isinstance(rows, dict) for rows in tables.values()):
                raise TypeError("a table is not an object of records")
            return Snapshot(name, str(saved["created_at"]), tables)
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
            raise SnapshotError(f"snapshot {name!r} ({self._file(name)}) is unreadable: {e}") from e

    def _sizes(self, besides: str) -> list[int]:
        """The sizes of the other snapshots (in memory: of their tables as JSON)."""
        if self.folder is None:
            return [len(json.dumps(s.tables).encode()) for n, s in self._memory.items() if n != besides]
        files = self.folder.glob("*.json") if self.folder.exists() else []
        return [f.stat().st_size for f in files if f.stem != besides and NAME.fullmatch(f.stem)]

    def _file(self, name: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{name}.json"


def _entry(stat: os.stat_result, snapshot: Snapshot) -> Entry:
    return Entry(snapshot.created_at, counts_of(snapshot.tables), stat.st_size, stat.st_mtime_ns)


def written(snapshot: Snapshot) -> str:
    """The snapshot's file, its CRC that of its tables as they stand in it."""
    tables = json.dumps(snapshot.tables, ensure_ascii=False, separators=(",", ":"))
    crc = zlib.crc32(tables.encode())
    head = f'"name":{json.dumps(snapshot.name)},"created_at":{json.dumps(snapshot.created_at)}'
    return f'{{{head},"crc":{crc},"tables":{tables}}}'


def check_crc(content: bytes) -> None:
    """ValueError unless the file's tables are the bytes its CRC was made of."""
    match = _WRITTEN.fullmatch(content)
    if match is None:
        raise ValueError("it is not laid out as saved, so its checksum cannot be checked (edited by hand?)")
    if zlib.crc32(match[2]) != int(match[1]):
        raise ValueError("its checksum does not match its tables (damaged, or edited by hand)")


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise SnapshotError(f"{name!r} is not a snapshot name: use {NAME_RULE}")
