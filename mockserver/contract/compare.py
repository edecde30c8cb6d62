"""Whole answers compared field by field: every field the model's answer has, in every list
entry, both ways (what is missing and what is extra). Lists of records are matched by id,
since the docs fix no order (readings.py, "order")."""

import re
from dataclasses import dataclass
from typing import Any

# Fields whose values the target's clock chooses (readings.py, "server_clock"): within the
# answer to the write that set them, only their format is held.
CLOCK_FIELDS = frozenset({"created_at", "updated_at", "createdAt", "updatedAt"})
# Numbers the target's own bookkeeping gives a new record (readings.py, "account_numbers").
NUMBERED_FIELDS = frozenset({"account_id"})
CLOCK_FORMATS = (
    re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"),
    re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
)


@dataclass(frozen=True)
class Difference:
    where: str  # a JSON path: $.data[id=3].income.amount
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.where}: expected {_short(self.expected)}, got {_short(self.actual)}"


MISSING = "<missing>"


def differences(expected: Any, actual: Any, where: str = "$", clock_free: bool = False) -> list[Difference]:
    """What `actual` gets wrong against `expected`. `clock_free`: the fields the target's clock
    and bookkeeping choose are held to their format only (in the answer to the write that set them)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key, value in expected.items():
            if key not in actual:
                found.append(Difference(f"{where}.{key}", value, MISSING))
            elif clock_free and key in CLOCK_FIELDS:
                if not _clock_like(actual[key]):
                    found.append(Difference(f"{where}.{key}", "a timestamp", actual[key]))
            elif clock_free and key in NUMBERED_FIELDS:
                if not isinstance(actual[key], int) or isinstance(actual[key], bool):
                    found.append(Difference(f"{where}.{key}", "a whole number", actual[key]))
            else:
                found += differences(value, actual[key], f"{where}.{key}", clock_free)
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        return _list_differences(expected, actual, where, clock_free)
    if _same(expected, actual):
        return []
    return [Difference(where, expected, actual)]


def _list_differences(expected: list, actual: list, where: str, clock_free: bool) -> list[Difference]:
    want, got = _by_id(expected), _by_id(actual)
    if want is not None and got is not None:
        found = [Difference(f"{where}[id={k}]", "listed", MISSING) for k in want if k not in got]
        found += [Difference(f"{where}[id={k}]", MISSING, "listed") for k in got if k not in want]
        for k in want.keys() & got.keys():
            found += differences(want[k], got[k], f"{where}[id={k}]", clock_free)
        return found
    if len(expected) != len(actual):
        return [Difference(f"{where}.length", len(expected), len(actual))]
    found = []
    for n, (a, b) in enumerate(zip(expected, actual, strict=True)):
        found += differences(a, b, f"{where}[{n}]", clock_free)
    return found


def record_id(item: Any) -> Any:
    """A list entry's id: its own, or its income's ({income, category, client})."""
    if not isinstance(item, dict):
        return None
    if "id" in item:
        return item["id"]
    inner = item.get("income")
    return inner.get("id") if isinstance(inner, dict) else None


def _by_id(items: list) -> dict | None:
    ids = [record_id(item) for item in items]
    if not items or None in ids or len(set(map(repr, ids))) != len(ids):
        return None
    return {repr(i): item for i, item in zip(ids, items, strict=True)}


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(expected - actual) < 0.005  # money to the cent; counts exactly
    return expected == actual


def _clock_like(value: Any) -> bool:
    return isinstance(value, str) and any(f.fullmatch(value) for f in CLOCK_FORMATS)


def _short(value: Any, most: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= most else text[: most - 3] + "..."
