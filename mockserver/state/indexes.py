"""What the store keeps beside its tables, from the storage's change feed: indexes by
field, sorted orderings, and `Derived` views (figures summed over whole tables). Each is
built on first use, followed row by row, and dropped on a change too big to follow."""

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

Record = dict[str, Any]


@dataclass(frozen=True, eq=False)
class Ordering:
    """A table's records sorted by `key` (then id), those `keep` accepts: an index the store
    keeps sorted as they change, so a page of them costs no sort of the whole table."""

    table: str
    key: Callable[[Record], Any]
    keep: Callable[[Record], bool] = lambda record: True


class Derived(Protocol):
    """Figures kept from the change feed: built from the stored tables on first use, told of
    every row changed in the `tables` it follows, dropped on a wholesale change (a reset, a
    restore, a rollback) and built again. It must end up as a build from scratch would."""

    tables: tuple[str, ...]
    # set by the store: marks a key (of the view's choosing) as changed by the write under
    # way, before the view changes what a point read of that key returns (Store._point)
    touch: Callable[[Any], None]

    def __init__(self, stored: Callable[[str], dict[str, Record]]) -> None: ...

    def changed(self, table: str, ident: int, before: Record | None, after: Record | None) -> None: ...


D = TypeVar("D", bound=Derived)


class Indexes:
    """field value -> ids, per (table, field) asked for, and sorted (key, id) lists per
    Ordering; dropped when a change is too big to follow row by row (a reset, a restore, a
    rollback) and built again on next use."""

    def __init__(self) -> None:
        self._by: dict[tuple[str, str], dict[Any, set[int]]] = {}
        self._ordered: dict[Ordering, list[tuple[Any, int]]] = {}
        self._derived: dict[type, Derived] = {}

    def get(self, table: str, field: str, stored: Callable[[], dict[str, Record]]) -> dict[Any, set[int]]:
        index = self._by.get((table, field))
        if index is None:
            index = self._by[(table, field)] = {}
            for key, doc in stored().items():
                index.setdefault(doc.get(field), set()).add(int(key))
        return index

    def ordered(self, ordering: Ordering, stored: Callable[[], dict[str, Record]]) -> list[tuple[Any, int]]:
        entries = self._ordered.get(ordering)
        if entries is None:
            kept = ((ordering.key(doc), int(key)) for key, doc in stored().items() if ordering.keep(doc))
            entries = self._ordered[ordering] = sorted(kept)
        return entries

    def select(
        self,
        ordering: Ordering,
        stored: Callable[[], dict[str, Record]],
        low: Any,
        high: Any,
        where: Record | None,
        reverse: bool,
        skip: int,
        take: int | None,
    ) -> tuple[int, list[int]]:
        """Store.ordered's answer, from the ordering's sorted entries."""
        entries = self.ordered(ordering, stored)
        first = 0 if low is None else bisect.bisect_left(entries, (low,))
        last = len(entries) if high is None else bisect.bisect_right(entries, (high, math.inf))
        if where:  # through the fields' indexes: a set lookup per entry, not a record's
            having = [self.get(ordering.table, f, stored).get(v, set()) for f, v in where.items()]
            wanted = set.intersection(*having)
            entries = [e for e in entries[first:last] if e[1] in wanted]
            first, last = 0, len(entries)
        total = max(0, last - first)
        end = total if take is None else min(total, skip + take)
        # the [skip, end) of them, counted from the low end or, reversed, from the high end
        chosen = range(last - 1 - skip, last - 1 - end, -1) if reverse else range(first + skip, first + end)
        return total, [entries[p][1] for p in chosen]

    def derived(self, kind: type[D], stored: Callable[[str], dict[str, Record]], touch: Callable[[Any], None]) -> D:
        view = self._derived.get(kind)
        if view is None:
            view = kind(stored)
            view.touch = touch
            self._derived[kind] = view
        return view  # type: ignore[return-value]

    def built(self, kind: type[D]) -> D | None:
        return self._derived.get(kind)  # type: ignore[return-value]

    def changed(self, table: str | None, ident: int, before: Record | None, after: Record | None) -> None:
        if table is None:
            self._by.clear()
            self._ordered.clear()
            self._derived.clear()
            return
        for view in self._derived.values():
            if table in view.tables:
                view.changed(table, ident, before, after)
        for ordering, entries in self._ordered.items():
            if ordering.table != table:
                continue
            if before is not None and ordering.keep(before):
                entry = (ordering.key(before), ident)
                at = bisect.bisect_left(entries, entry)
                if at < len(entries) and entries[at] == entry:
                    del entries[at]
            if after is not None and ordering.keep(after):
                bisect.insort(entries, (ordering.key(after), ident))
        for (indexed, field), index in self._by.items():
            if indexed != table:
                continue
            if before is not None:
                index.get(before.get(field), set()).discard(ident)
            if after is not None:
                index.setdefault(after.get(field), set()).add(ident)
