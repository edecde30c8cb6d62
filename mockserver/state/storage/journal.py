"""The journal: `db.json.journal`, an append-only file of the changes made since the
snapshot it follows, one line per committed batch of row operations, fsync'd before the
batch is acknowledged. Every line is JSON that carries its own check:

    {"seq":0,"crc":3735847112,"generation":7}            the header: the snapshot it follows
    {"seq":1,"crc":1006495323,"ops":[["put","customers","8",{...}]]}
    {"seq":2,"crc":2290111947,"ops":[["del","customers","3"]]}

`seq` counts up by one from the header's 0, so a lost line is a gap; `crc` is the CRC-32 of
the seq and of the value's bytes as they stand in the line (`b"%d:" % seq` then the value),
so a flipped bit or digit anywhere in a line, the header's generation included, fails it.

A crash can leave only a torn last line (no newline after it), never acknowledged, which is
dropped on opening. Any other damage is refused with the file and the line (JournalCorrupt):
guessing would either lose acknowledged writes or invent some. `mockserver repair` keeps
what is before the damage and moves the rest aside (cli/repair.py).

Journals written before lines carried checks (a header `{"generation": G}`, then one JSON
list of operations per line) are still read; their shape is checked, their bytes cannot be.
"""

import json
import os
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...formats.encoding import encoded
from .snapshot import StoreDamaged, replace_file

Tables = dict[str, dict[str, dict]]
# A line as `entry` writes it; the value is checked by its CRC before it is parsed.
_LINE = re.compile(rb'\{"seq":(0|[1-9][0-9]{0,18}),"crc":(0|[1-9][0-9]{0,9}),"(ops|generation)":(.*)\}', re.DOTALL)


class JournalCorrupt(StoreDamaged):
    """A journal line that is damaged: not torn by a crash, so not to be dropped."""

    def __init__(self, journal: Path, number: int, offset: int, problem: str):
        self.journal, self.number, self.offset, self.problem = journal, number, offset, problem
        super().__init__(
            f"{journal} line {number} {problem}; it was not torn by a crash, so the store is not opened "
            f"without it and what follows: run `mockserver repair --db {store_of(journal)}` to keep "
            "what is before that line and move the rest aside"
        )


@dataclass(frozen=True)
class Replayed:
    """A journal read whole up to its end (a torn last line cut off)."""

    size: int  # its bytes now: where appends go on
    seq: int  # its last line's seq (0: the header alone)
    batches: int  # the lines of changes applied
    checked: bool  # False: written before lines carried checks


def journal_of(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def folding_of(journal: Path) -> Path:
    """Where a journal waits while a fold writes the snapshot that holds it."""
    return journal.with_name(journal.name + ".folding")


def store_of(journal: Path) -> Path:
    """The store file a journal (or a set-aside one) belongs to."""
    name = journal.name.removesuffix(".folding").removesuffix(".journal")
    return journal.with_name(name)


def entry(seq: int, key: str, value: bytes) -> bytes:
    """One journal line: `value` (JSON) under `key`, with its seq and CRC."""
    crc = zlib.crc32(value, zlib.crc32(b"%d:" % seq))
    return b'{"seq":%d,"crc":%d,"%s":%s}\n' % (seq, crc, key.encode(), value)


def header_of(generation: int) -> bytes:
    return entry(0, "generation", b"%d" % generation)


class JournalFile:
    """The open journal: appends are whole lines, made durable before they count."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None
        self.bytes = 0
        self.seq = 0  # the last line's

    def start(self, generation: int) -> None:
        """A new, empty journal following the snapshot of `generation`."""
        self.close()
        header = header_of(generation)
        replace_file(self.path, lambda f: f.write(header), mode="wb")
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self.bytes, self.seq = len(header), 0

    def reopen(self, replayed: Replayed) -> None:
        """Appends go on after a replayed journal."""
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self.bytes, self.seq = replayed.size, replayed.seq

    def append(self, ops: list[list]) -> None:
        assert self.fd is not None
        data = entry(self.seq + 1, "ops", encoded(ops))
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
        self.seq += 1

    def holds_changes(self) -> bool:
        return self.seq > 0

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def replay(journal: Path, generation: int, apply: Callable[[list[list]], None]) -> Replayed | None:
    """Applies the journal if it follows the snapshot of `generation`, line by line, and
    returns what it read once a torn last line is cut off; None if it was already folded
    into that snapshot (a compaction that crashed before starting a new journal: its
    header, checked, names an older generation), or is empty.

    JournalCorrupt for anything else, after applying the lines before it (for repair)."""
    content = journal.read_bytes()
    if not content:
        return None
    end = content.rfind(b"\n") + 1  # after the last whole line: the rest was torn by a crash
    tail = content[end:]
    reader = _Reader(journal, generation, apply)
    start = 0
    while start < end:
        stop = content.index(b"\n", start)
        if not reader.read(content[start:stop], start):
            return None
        start = stop + 1
    if reader.number == 0:
        raise JournalCorrupt(journal, 1, 0, "has no whole header (a header is written whole, never torn)")
    if tail and reader.checked and _sound(_LINE.fullmatch(tail[:-1])):
        # a whole line whose newline became another byte: damage, not a write cut short
        raise JournalCorrupt(journal, reader.number + 1, end, "has its line end damaged")
    if tail:
        with open(journal, "r+b") as f:
            f.truncate(end)
            os.fsync(f.fileno())
    return Replayed(end, reader.seq, reader.batches, reader.checked)


class _Reader:
    """One journal's lines, in order: the header, then the changes, each checked."""

    def __init__(self, journal: Path, generation: int, apply: Callable[[list[list]], None]):
        self.journal, self.generation, self.apply = journal, generation, apply
        self.number = 0  # lines read
        self.seq = 0
        self.batches = 0
        self.checked = True

    def read(self, text: bytes, offset: int) -> bool:
        """Applies one line; False when the journal was already folded in (its header says)."""
        self.number += 1
        if self.number == 1:
            return self._header(text, offset)
        if self.checked:
            match = _LINE.fullmatch(text)
            if match is None:
                self._damage(offset, "is not a journal line")
            assert match is not None
            if not _sound(match):
                self._damage(offset, "fails its checksum")
            seq = int(match[1])
            if seq != self.seq + 1:
                self._damage(offset, f"is number {seq} where {self.seq + 1} was due: a line before it is lost")
            if match[3] != b"ops":
                self._damage(offset, "is a second header")
            value = match[4]
            self.seq = seq
        else:
            value = text
        try:
            ops = json.loads(value)
            check_ops(ops)
        except (ValueError, RecursionError) as e:
            self._damage(offset, f"is not a list of changes ({e})")
        self.apply(ops)
        self.batches += 1
        return True

    def _header(self, text: bytes, offset: int) -> bool:
        match = _LINE.fullmatch(text)
        if match is not None and match[3] == b"generation" and match[1] == b"0":
            if not _sound(match):
                self._damage(offset, "(the header) fails its checksum")
            header = json.loads(match[4])
        else:  # written before lines carried checks: {"generation": G}
            self.checked = False
            try:
                old = json.loads(text)
            except (ValueError, RecursionError):
                old = None
            if not (isinstance(old, dict) and list(old) == ["generation"]):
                self._damage(offset, "is not a journal header")
            assert isinstance(old, dict)
            header = old["generation"]
        if type(header) is not int:
            self._damage(offset, "(the header) names no generation")
        if header < self.generation:
            return False  # folded in by a compaction that crashed before its new journal
        if header > self.generation:
            self._damage(
                offset,
                f"(the header) follows the snapshot of generation {header}, but {store_of(self.journal).name} "
                f"is generation {self.generation}: the snapshot is older than its journal",
            )
        return True

    def _damage(self, offset: int, problem: str) -> None:
        raise JournalCorrupt(self.journal, self.number, offset, problem)


def _sound(match: re.Match[bytes] | None) -> bool:
    """Whether a line's CRC is that of its seq and value."""
    if match is None:
        return False
    seq, crc, value = match[1], int(match[2]), match[4]
    return zlib.crc32(value, zlib.crc32(seq + b":")) == crc


def check_ops(ops: Any) -> None:
    """ValueError unless `ops` is a list of changes as the storage writes them."""
    if not isinstance(ops, list):
        raise ValueError("not a list")
    for op in ops:
        match op:
            case ["put", str(), str(key), dict()] | ["del", str(), str(key)] if is_id(key):
                pass
            case ["clear", str()]:
                pass
            case _:
                raise ValueError(f"{json.dumps(op)[:80]} is not a change")


def is_id(key: str) -> bool:
    """Whether `key` is a record's id as tables key them: digits, without a leading zero."""
    return key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") and len(key) < 19


def apply_ops(data: Tables, ops: list[list]) -> None:
    for op in ops:
        match op:
            case ["put", name, key, doc]:
                data.setdefault(name, {})[key] = doc
            case ["del", name, key]:
                data.setdefault(name, {}).pop(key, None)
            case ["clear", name]:
                data[name] = {}
