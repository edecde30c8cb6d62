"""The snapshot: `db.json`, the whole database in one JSON document, always replaced
whole (temp file, fsync, rename, fsync of the folder), so after a crash it is the old
state or the new one; and the helpers that write any file that way."""

import contextlib
import gc
import itertools
import json
import os
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from ...formats.encoding import encoded

Tables = dict[str, dict[str, dict]]
GENERATION = "__generation__"  # in the snapshot: which journal belongs to it
CRC = "__crc__"  # in the snapshot: the CRC-32 of the lines before its last, and of its generation
INDEX = "__index__"  # in the snapshot: where each table's rows are (early.py)
INDEX_LINE = b'"%s":' % INDEX.encode()  # how the index's line begins
KEPT = "__kept__ "  # in the snapshot: a table of figures kept for early reads, by name, not loaded
# Rows to a line of the snapshot, encoded at a time by a fold (well under a millisecond with the
# GIL held); a read by id before the store has loaded parses one line, and the load behind it
# holds the GIL a line at a time. At 2,000 a line, a big store's first GET took 50-70 ms.
FOLD_CHUNK = 250


class Cancelled(Exception):
    """A snapshot's writing given up half-way (a fold that a reset or a restore overtook):
    its temp file goes, and the file it was to replace is left as it was."""


class StoreDamaged(RuntimeError):
    """A store's file that is damaged: it is not opened, and the message says what to do."""


class SnapshotCorrupt(StoreDamaged):
    """The store's snapshot file cannot be read as written: damaged, or edited by hand."""

    def __init__(self, path: Path, number: int, problem: str):
        self.path, self.number, self.problem = path, number, problem
        super().__init__(
            f"{path} line {number} {problem}: the store file is damaged or was edited, and is not opened; "
            f'put back a copy of it, or, to take an edit as it is, delete its "{CRC}"'
        )


def write_snapshot(
    path: Path,
    tables: Tables,
    generation: int,
    cancelled: Callable[[], bool] = lambda: False,
    kept: Mapping[str, Callable[[Tables], Any]] | None = None,
) -> int:
    """The tables and their generation in `path`, as write_atomic writes it, encoded
    FOLD_CHUNK rows at a time: an encoder holds the GIL for a whole call, and json's one
    call for 25 MB stopped every other thread for a quarter of a second. Between chunks it
    gives up with Cancelled once `cancelled()` says so.

    Still one JSON document, laid out in lines read_snapshot reads one at a time. After the
    tables come the figures `kept` makes of them (name -> a function of the tables giving
    id -> figures), each laid out as a table named "__kept__ <name>", which loading skips.
    The line before the last is the index: each chunk's place in the file and the span of its
    ids, so that a big store answers point reads before it is loaded (early.py). The last
    line holds the CRC-32 of the lines before it and of the generation (a digit flipped
    there would make its journal count as folded in already):

        {
        "customers":{
        "1":{...},"2":{...},...      a chunk of rows
        ,"2001":{...},...            the next one
        },
        "__kept__ ledger totals":{
        "1":"120.00 20.00",...
        },
        "__index__":{"tables":{"customers":[[offset,length,first id,last id],...],...}},
        "__crc__":3735847112,"__generation__":7}
    """

    figures = {KEPT + name: figure(tables) for name, figure in (kept or {}).items()}

    def fill(f: IO[bytes]) -> None:
        crc = offset = 0
        spans: dict[str, list[list[int | None]]] = {}
        for part, name, keys in _parts({**tables, **figures}):
            if cancelled():
                raise Cancelled(path)
            f.write(part)
            crc = zlib.crc32(part, crc)
            if keys is not None:
                spans.setdefault(name, []).append([offset, len(part), *_span(keys)])
            elif name:
                spans.setdefault(name, [])
            offset += len(part)
        index = b'"%s":' % INDEX.encode() + encoded({"tables": spans}) + b",\n"
        f.write(index)
        crc = zlib.crc32(index, crc)
        f.write(b'"%s":%d,"%s":%d}' % (CRC.encode(), _sealed(crc, generation), GENERATION.encode(), generation))

    return replace_file(path, fill, mode="wb")


def _parts(tables: Tables) -> Iterator[tuple[bytes, str, list[str] | None]]:
    """The document's lines before the index, each with its table's name (or "") and, for a
    chunk of rows, their keys."""
    yield b"{\n", "", None
    for name, rows in tables.items():
        yield json.dumps(name, ensure_ascii=False).encode() + b":{\n", name, None
        for n, chunk in enumerate(pieces(rows, FOLD_CHUNK)):
            yield (b"," if n else b"") + encoded(chunk)[1:-1] + b"\n", name, list(chunk)
        yield b"},\n", "", None


def _span(keys: list[str]) -> tuple[int | None, int | None]:
    """The lowest and highest of ids written in digits; (None, None), which the early reader
    takes for "any", if one is not."""
    ids = [int(key) for key in keys if key.isascii() and key.isdigit()]
    if len(ids) < len(keys) or not ids:
        return None, None
    return min(ids), max(ids)


def _sealed(crc: int, generation: int) -> int:
    return zlib.crc32(b"%d" % generation, crc)


def read_snapshot(path: Path) -> dict[str, Any]:
    """What write_snapshot wrote, a chunk of rows at a time: the whole file's text and its
    parse at once held 150 MB of text twice over (bytes, then str) beside the store being
    made, and a 100,000-customer store peaked at 775 MB to settle at 460. A file laid out
    otherwise (written by hand, or before this layout) is read whole. SnapshotCorrupt for
    a file that is not JSON, or whose CRC fails."""
    try:
        with collector_paused(), open(path, "rb") as f:
            first = f.readline()
            if first.rstrip(b"\r\n") != b"{":
                text = first + f.read()
                data = json.loads(text) if text.strip() else {}
                if not isinstance(data, dict):
                    raise TypeError("not an object of tables")
                interned = Interned()
                for name, rows in data.items():
                    interned.rows(name, rows)
                    interned.ended(name)
                data.pop(CRC, None)  # laid out otherwise: the CRC cannot be checked, nor was it made here
                return _without_early(data)
            data, crc, last = _read_lines(f, zlib.crc32(first))
    except _Damaged as e:
        raise SnapshotCorrupt(path, e.number, str(e)) from e
    except (ValueError, RecursionError, TypeError) as e:
        raise SnapshotCorrupt(path, 1, f"is not what was written ({e})") from e
    if CRC in data and data.pop(CRC) != _sealed(crc, data.get(GENERATION, 0)):
        raise SnapshotCorrupt(path, last, "holds a checksum that the lines before it and the generation fail")
    return _without_early(data)


def _without_early(data: dict[str, Any]) -> dict[str, Any]:
    """The tables, less what a snapshot holds for early reads only: its index and kept figures."""
    for name in [name for name in data if name == INDEX or str(name).startswith(KEPT)]:
        del data[name]
    return data


class _Damaged(ValueError):
    def __init__(self, number: int, problem: str):
        super().__init__(problem)
        self.number = number


def _read_lines(f: IO[bytes], crc: int) -> tuple[dict[str, Any], int, int]:
    """The lines after the first `{`: the tables, then the last line; the CRC of the lines
    before the last, and the last one's number."""
    interned = Interned()
    data: dict[str, Any] = {}
    table: dict[str, Any] | None = None
    name, figures = "", False
    number, last = 1, 0
    for raw in f:
        number += 1
        line = raw.rstrip(b"\r\n")
        if last and line.strip():
            raise _Damaged(number, "follows the document's end")
        try:
            if line.endswith(b":{") and table is None:
                name = json.loads(line[:-2])
                figures = isinstance(name, str) and name.startswith(KEPT)  # its lines are not read
                table = data[name] = {}
            elif line == b"},":
                interned.ended(name)
                table = None
            elif figures and table is not None:
                pass
            elif line.startswith(INDEX_LINE) and table is None:
                pass  # for a start that reads before it loads (early.py); the tables say it all
            elif table is not None:
                # interned a chunk at a time: the copies it drops make room for the next chunk's
                table.update(interned.rows(name, json.loads(b"{" + line.lstrip(b",") + b"}")))
            else:  # the last line: the CRC, the generation, and the document's end
                data.update(json.loads(b"{" + line))
                last = number
                continue
        except (ValueError, RecursionError, TypeError) as e:
            raise _Damaged(number, f"is not what was written ({e})") from e
        crc = zlib.crc32(raw, crc)
    if not last:
        raise _Damaged(number, "is where the file ends, before the document's end (cut short?)")
    return data, crc, last


class Interned:
    """One string object per repeated short value (dates, currencies, kinds, names): json
    makes a new one for every occurrence, and they are most of a big store's memory (a
    100,000-customer store: 124 MB of 526). `mockserver seed` interns the rows it makes
    the same way, a row at a time (`__call__`).

    A loaded table interns only the fields that repeat a value in its first SAMPLE rows (`rows`,
    over as many chunks as they take; all of a smaller table's, once it has `ended`): a
    field whose values never repeat (a ledger entry's description, a customer's timestamps)
    saves nothing, and interning every short string, 1.2 million of them, most seen once,
    was 2.2 s of the 3.7 a 100,000-customer store's JSON took to read. Same memory: 419 MB
    after its load, and a lower peak, as each chunk's copies go before the next is read."""

    SAMPLE = 2000  # a table's first rows, which tell which of its fields repeat

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}
        self._fields: dict[str, list[str]] = {}  # a table's fields whose values repeat
        self._sampled: dict[str, list[Any]] = {}  # a table's first rows, until there are SAMPLE

    def __call__(self, obj: dict) -> dict:
        for key, value in obj.items():
            if type(value) is str and len(value) < 40:
                obj[key] = self._seen.setdefault(value, value)
        return obj

    def rows(self, table: str, rows: Any) -> Any:
        """`rows` (a table: id -> row), their repeating fields' values interned."""
        if not isinstance(rows, dict):
            return rows
        fields = self._fields.get(table)
        if fields is None:  # the first rows, over as many chunks as they take, tell
            sampled = self._sampled.setdefault(table, [])
            sampled += itertools.islice(rows.values(), self.SAMPLE - len(sampled))
            if len(sampled) < self.SAMPLE:
                return rows  # interned once there are enough, or the table ends (`ended`)
            self.ended(table)
            fields = self._fields[table]
        self._intern(fields, rows.values())
        return rows

    def ended(self, table: str) -> None:
        """The table's rows are all in: its first rows, if still waiting, tell its fields."""
        if table not in self._fields and table in self._sampled:
            sampled = self._sampled.pop(table)
            self._intern(self._fields.setdefault(table, _repeating(sampled)), sampled)

    def _intern(self, fields: list[str], rows: Iterable[Any]) -> None:
        seen = self._seen
        for key in fields:
            for row in rows:
                value = row.get(key) if type(row) is dict else None
                if type(value) is str:
                    row[key] = seen.setdefault(value, value)


def _repeating(rows: Iterable[Any]) -> list[str]:
    """The fields of `rows` that repeat a short string value among them."""
    held: dict[str, int] = {}
    distinct: dict[str, set[str]] = {}
    for row in rows:
        if type(row) is not dict:
            continue
        for key, value in row.items():
            if type(value) is str and len(value) < 40:
                held[key] = held.get(key, 0) + 1
                distinct.setdefault(key, set()).add(value)
    return [key for key, n in held.items() if len(distinct[key]) < n]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The garbage collector off while a store is loaded: it would walk the growing store
    over and over as it is made. Back on after, unless it was off before."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def pieces(rows: dict[str, Any], size: int) -> Iterator[dict[str, Any]]:
    """The rows `size` at a time, each piece a dict of its own; none for no rows."""
    keys = list(rows)
    for start in range(0, len(keys), size):
        yield {key: rows[key] for key in keys[start : start + size]}


def write_atomic(path: Path, data: Any) -> int:
    """`data` as JSON in `path`, replacing the old file whole: after a crash it is one or
    the other. Returns the bytes written."""
    return replace_file(path, lambda f: json.dump(data, f, ensure_ascii=False, separators=(",", ":")))


def write_text_atomic(path: Path, text: str) -> int:
    """`text`, already JSON, in `path` as write_atomic writes it."""
    return replace_file(path, lambda f: f.write(text))


def replace_file(path: Path, fill: Callable[[IO], Any], mode: str = "w") -> int:
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
