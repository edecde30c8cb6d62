"""Whole-table answers kept encoded, a record's part at a time.

The customer list and the Income by Customers report show every customer: at 100,000 that
is 60 to 70 MB of JSON, and making it (marshmallow, the figures, the encoding) took 3.5 and
6 s on every request. Each record's part of such an answer is kept here as its encoded
bytes, dropped when the record or anything its part shows changes (the store's change
feed, as the indexes are kept), so an answer asked again costs its ids, a join and the
sending, and a write costs the parts it touches.

An answer is made in three steps, so the encoding, the long one, holds no lock:
1. under the store's lock: the ids it shows, the parts kept for them, and a note opened of
   every record that changes from here on;
2. without it: the missing parts made, through the handler's own dump;
3. under the lock again: the made parts kept, except those of records the note caught
   changing meanwhile (the answer still shows them as made, as any read that raced a write).
"""

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from flask import Response

from ..formats.encoding import encoded
from ..web.routing import WholeResponse
from .store import Record, Store

EVERY = None  # a change every part shows (a category renamed, say): all of them dropped
PIECE = 2000  # missing parts made at a time


class Parts:
    """A Derived view (Store.derived): per answer (a key of the handler's choosing: "list",
    a report's period), each record's encoded part. Subclasses say which `tables` their
    parts show and, for a change, whose parts it changes (`owners`)."""

    tables: tuple[str, ...] = ()
    # answers kept at once (the list, a report per period asked), the longest unasked dropped: at
    # 100,000 customers each is 60 to 70 MB
    kept: ClassVar[int] = 3
    touch: Callable[[object], None] = staticmethod(lambda key: None)  # set by the store; unused

    def __init__(self, stored: Callable[[str], dict[str, Record]]):
        self._answers: dict[Any, dict[int, bytes]] = {}
        self._notes: list[set[int | None]] = []  # one per answer being made: who changed meanwhile

    def owners(self, table: str, ident: int, before: Record | None, after: Record | None) -> Iterable[int] | None:
        raise NotImplementedError

    def changed(self, table: str, ident: int, before: Record | None, after: Record | None) -> None:
        owners = self.owners(table, ident, before, after)
        if owners is EVERY:
            self._answers.clear()
            for note in self._notes:
                note.add(EVERY)
            return
        for owner in owners:
            for parts in self._answers.values():
                parts.pop(owner, None)
            for note in self._notes:
                note.add(owner)


def answer(
    store: Store,
    kind: type[Parts],
    key: Any,
    ids: Callable[[], list[int]],
    make: Callable[[list[int]], dict[int, Any]],
) -> Response:
    """The JSON array of the parts of `ids` (read under the lock), in that order; `make`
    dumps the missing ones, by id, leaving out any gone since (a record deleted meanwhile)."""

    def begin(view: Parts) -> tuple[Parts, list[int], list[bytes | None], set]:
        shown = ids()
        parts = view._answers.pop(key, {})
        if parts:
            view._answers[key] = parts  # the last asked, the last to go
        note: set[int | None] = set()
        view._notes.append(note)
        return view, shown, [parts.get(i) for i in shown], note

    view, shown, known, note = store.derived(kind, begin)
    made: dict[int, bytes] = {}
    try:
        missing = [i for i, part in zip(shown, known, strict=True) if part is None]
        # PIECE at a time: made all at once, the 100,000 customers' views, dumps and entries
        # took the server from 536 MB to 1,054 at its peak, for a report's first asking
        for start in range(0, len(missing), PIECE):
            for i, value in make(missing[start : start + PIECE]).items():
                # copied to its own size: orjson's bytes keep the room it reserved, 8 KB a
                # part, and 100,000 kept parts of 630 bytes held 780 MB
                made[i] = bytes(memoryview(encoded(value)))
    finally:
        store.derived(kind, lambda current: _end(current, view, key, made, note))
    kept = zip(shown, known, strict=True)
    body = b",".join([made[i] if part is None else part for i, part in kept if part is not None or i in made])
    return WholeResponse([b"[", body, b"]"], mimetype="application/json")  # no copy of the body to add them


def _end(current: Parts, view: Parts, key: Any, made: dict[int, bytes], note: set) -> None:
    view._notes.remove(note)
    if current is not view or EVERY in note:  # a reset or restore since: these are of before
        return
    parts = view._answers.get(key)
    if parts is None:
        while len(view._answers) >= view.kept:
            del view._answers[next(iter(view._answers))]
        parts = view._answers[key] = {}
    parts.update((i, part) for i, part in made.items() if i not in note)
