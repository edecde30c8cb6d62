"""The journal: `db.json.journal`, an append-only file of the changes made since the
snapshot it follows. Its first line names that snapshot's generation; each line after it
is one committed batch of row operations, fsync'd before the batch is acknowledged.

A crash can leave only a torn last line, never acknowledged, which is dropped on opening.
"""

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...formats.encoding import encoded
from .snapshot import replace_file

Tables = dict[str, dict[str, dict]]


class JournalCorrupt(RuntimeError):
    pass


def journal_of(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def folding_of(journal: Path) -> Path:
    """Where a journal waits while a fold writes the snapshot that holds it."""
    return journal.with_name(journal.name + ".folding")


def line(value: Any) -> bytes:
    return encoded(value) + b"\n"


class JournalFile:
    """The open journal: appends are whole lines, made durable before they count."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None
        self.bytes = 0

    def start(self, generation: int) -> None:
        """A new, empty journal following the snapshot of `generation`."""
        self.close()
        header = header_of(generation)
        replace_file(self.path, lambda f: f.write(header.decode()))
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self.bytes = len(header)

    def reopen(self, size: int) -> None:
        """Appends go on after a replayed journal of `size` bytes."""
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self.bytes = size

    def append(self, data: bytes) -> None:
        assert self.fd is not None
        try:
            written = os.write(self.fd, data)
            if written != len(data):
                raise OSError(f"{self.path}: only {written} of {len(data)} bytes written (disk full?)")
            os.fsync(self.fd)
        except BaseException:
            # Not acknowledged, so it must not come back at the next start either.
            os.ftruncate(self.fd, self.bytes)
            raise
        self.bytes += len(data)

    def holds_changes(self, generation: int) -> bool:
        return self.bytes > len(header_of(generation))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def header_of(generation: int) -> bytes:
    return line({"generation": generation})


def replay(journal: Path, generation: int, apply: Callable[[list[list]], None]) -> int | None:
    """Applies the journal if it belongs to the snapshot of `generation`, and returns its
    size once a torn last line is cut off; None if it does not belong (a compaction
    folded it in, then crashed before starting a new one)."""
    content = journal.read_bytes()
    end = content.rfind(b"\n") + 1  # after the last whole line: the rest was torn by a crash
    lines = content[:end].splitlines()
    try:
        header = json.loads(lines[0]) if lines else {}
    except ValueError:
        header = {}
    if header.get("generation") != generation:
        return None
    for number, text in enumerate(lines[1:], start=2):
        try:
            ops = json.loads(text)
        except ValueError as e:
            raise JournalCorrupt(f"{journal} line {number} is not JSON ({e}); it was not torn by a crash") from e
        apply(ops)
    if end < len(content):
        with open(journal, "r+b") as f:
            f.truncate(end)
            os.fsync(f.fileno())
    return end


def apply_ops(data: Tables, ops: list[list]) -> None:
    for op in ops:
        match op:
            case ["put", name, key, doc]:
                data.setdefault(name, {})[key] = doc
            case ["del", name, key]:
                data.setdefault(name, {}).pop(key, None)
            case ["clear", name]:
                data[name] = {}
