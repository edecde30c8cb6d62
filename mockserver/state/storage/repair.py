"""A store whose journal is damaged, made whole again without guessing (`mockserver repair`).

Everything before the first damaged line is kept: replayed onto the snapshot and folded
into a new one. The damaged line and everything after it, in that journal and in any
journal that comes after it (the set-aside one of a fold comes first), is moved aside
byte for byte into `<journal>.damaged-<time>`, for a person to read. Nothing is dropped
without being named: the report says what was kept, what was moved, and where.

Crash-safe in this order: the damaged parts are written aside first, then the new snapshot
(whose newer generation makes the old journals count as folded in), then they go.
"""

from dataclasses import dataclass, field
from pathlib import Path

from .cache import cache_of, drop
from .journal import JournalCorrupt, apply_ops, folding_of, journal_of, replay
from .snapshot import GENERATION, read_snapshot, replace_file, write_snapshot


@dataclass(frozen=True)
class Moved:
    journal: Path
    line: int  # the first line moved
    lines: int
    bytes: int
    to: Path


@dataclass
class Repaired:
    store: Path
    damage: list[JournalCorrupt] = field(default_factory=list)  # what was found, in order
    kept: int = 0  # batches of changes kept, folded into the store
    moved: list[Moved] = field(default_factory=list)


def repair(path: Path, stamp: str) -> Repaired:
    """Repairs the store at `path` (which no server may hold); `stamp` names the files of
    what is moved aside."""
    path = path.resolve()
    done = Repaired(path)
    data = read_snapshot(path) if path.exists() else {}
    generation = data.pop(GENERATION, 0)
    journal = journal_of(path)
    folding = folding_of(journal)

    def apply(ops: list[list]) -> None:
        apply_ops(data, ops)
        done.kept += 1

    for file in (folding, journal):
        if not file.exists():
            continue
        if done.damage:  # after the damage: none of it can be trusted to follow what was kept
            done.moved.append(_move_aside(file, 1, 0, stamp))
            continue
        try:
            replayed = replay(file, generation, apply)
        except JournalCorrupt as e:
            done.damage.append(e)
            done.moved.append(_move_aside(file, e.number, e.offset, stamp))
            continue
        if file == folding and replayed is not None:
            generation += 1  # the journal after it follows the snapshot its fold was writing
    drop(cache_of(path))
    write_snapshot(path, data, generation + 1)
    for file in (folding, journal):
        file.unlink(missing_ok=True)
    return done


def _move_aside(journal: Path, line: int, offset: int, stamp: str) -> Moved:
    """The journal's bytes from `offset` (the start of `line`) on, into a file of their own."""
    with open(journal, "rb") as f:
        f.seek(offset)
        rest = f.read()
    to = journal.with_name(f"{journal.name}.damaged-{stamp}")
    n = 1
    while to.exists():
        n += 1
        to = journal.with_name(f"{journal.name}.damaged-{stamp}-{n}")
    replace_file(to, lambda f: f.write(rest), mode="wb")
    lines = rest.count(b"\n") + (0 if rest.endswith(b"\n") or not rest else 1)
    return Moved(journal, line, lines, len(rest), to)
