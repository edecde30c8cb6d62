"""The snapshot: `db.json`, the whole database in one JSON document, always replaced
whole (temp file, fsync, rename, fsync of the folder), so after a crash it is the old
state or the new one; and the helpers that write any file that way."""

import contextlib
import gc
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from ...formats.encoding import encoded

Tables = dict[str, dict[str, dict]]
GENERATION = "__generation__"  # in the snapshot: which journal belongs to it
FOLD_CHUNK = 2000  # rows encoded at a time by a fold: about a millisecond with the GIL held


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
            for n, chunk in enumerate(pieces(rows, FOLD_CHUNK)):
                f.write(("," if n else "") + encoded(chunk)[1:-1].decode() + "\n")
            f.write("},\n")
        f.write(f'"{GENERATION}":{generation}}}')

    return replace_file(path, fill)


def read_snapshot(path: Path) -> dict[str, Any]:
    """What write_snapshot wrote, a chunk of rows at a time: the whole file's text and its
    parse at once held 150 MB of text twice over (bytes, then str) beside the store being
    made, and a 100,000-customer store peaked at 775 MB to settle at 460. A file laid out
    otherwise (written by hand, or before this layout) is read whole."""
    interned = Interned()
    data: dict[str, Any] = {}
    with collector_paused(), open(path, "rb") as f:
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
