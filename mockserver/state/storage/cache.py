"""The load cache: `db.json.cache`, a big store's tables in marshal's form beside the
snapshot they equal, left by a clean stop for the next start. The JSON of a
100,000-customer store takes 2.5 s to load, and this 0.6 s. It is only ever read beside
that same snapshot file (its size, change time and inode, in the stamp), by the same
Python, and each piece's CRC-32 is checked first: anything else is dropped, not read."""

import contextlib
import importlib.util
import json
import marshal
import os
import zlib
from pathlib import Path
from typing import IO, Any

from .snapshot import GENERATION, collector_paused, pieces, replace_file

Tables = dict[str, dict[str, dict]]
# A snapshot smaller than this loads from its JSON in under half a second: no cache is kept.
CACHE_AT_LEAST = 16 * 1024 * 1024
CACHE_CHUNK = 50_000  # rows in one marshal of the cache: a few MB
CACHE_LAYOUT = "pieces with CRC-32"  # in the stamp: a cache laid out otherwise is not read


def cache_of(path: Path) -> Path:
    return path.with_name(path.name + ".cache")


def keep_cache(path: Path, snapshot_bytes: int, tables: Tables, generation: int) -> None:
    """Leaves the cache of the snapshot at `path`, which `tables` equal, if it is big
    enough to be worth one and the cache there is not already of it."""
    cache = cache_of(path)
    try:
        if snapshot_bytes < CACHE_AT_LEAST:
            cache.unlink(missing_ok=True)
            return
        stamp = stamp_of(path)
        if _cache_stamp(cache) == stamp:
            return  # made by the last stop, and the snapshot is still that one
        replace_file(cache, lambda f: write_cache(f, stamp, tables, generation), mode="wb")
    except (OSError, ValueError):  # a full disk; a value marshal cannot hold: no cache
        drop(cache)


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
        for piece in pieces(rows, CACHE_CHUNK):
            record(name, piece)
    record(GENERATION, generation)  # the last record


def read_cache(path: Path) -> dict[str, Any] | None:
    """The tables from the snapshot's cache, if there is one made from that very file by a
    Python whose marshal this one reads; else None, and a stale or damaged cache is removed."""
    cache = cache_of(path)
    data: dict[str, Any] = {}
    try:
        with collector_paused(), open(cache, "rb") as f:
            if f.readline() != stamp_of(path):
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
        drop(cache)
        return None


def drop(cache: Path) -> None:
    """A cache that must not be read again goes; if it cannot (a read-only folder), its
    stamp or CRC keeps it from being read."""
    with contextlib.suppress(OSError):
        cache.unlink(missing_ok=True)


def stamp_of(path: Path) -> bytes:
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
