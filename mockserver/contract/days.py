"""The days and periods the probe sets date filters on: the edges of the data the model
holds (an entry's day, the day before and after, its month and year), a leap day, the
calendar's own first and last days, and a period that runs backwards."""

import calendar
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from .judge import Judge

MOST_DAYS = 6  # entry days of each kind that periods are set on, spread over the data


def edge_days(judge: Judge) -> list[date]:
    """The days the data turns on: entry days of each kind, spread over the data, each with
    the day before and after (a filter's edge is only seen on a day that has entries)."""
    store = judge.model.store
    found: set[date] = {date.today()}
    for table, field in (("ledger", "date"), ("summit_income", "incomeDate")):
        days = sorted({d for d in (day_of(e.get(field)) for e in store.all(table)) if d is not None})
        for day in days[:: max(1, -(-len(days) // MOST_DAYS))]:
            found |= around(day)
    return sorted(found)


def day_of(text: Any) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def shifted(day: date, days: int) -> date | None:
    """`day` moved by `days`, or None past the calendar's first or last day (a target may
    well hold an entry on either: Schemathesis draws them)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def around(day: date) -> set[date]:
    return {d for d in (shifted(day, n) for n in (-1, 0, 1)) if d is not None}


def periods(days: list[date]) -> Iterator[tuple[str, str]]:
    """One-day periods on the edge days, their months and years, a leap day, and all time."""
    seen: set[tuple[date, date]] = {(date(2024, 2, 29), date(2024, 2, 29)), (date(2000, 1, 1), date.today())}
    seen |= {(date.min, date(1, 12, 31)), (date(9999, 12, 31), date.max)}  # the calendar's own edges
    seen.add((date(2024, 2, 28), date(2024, 3, 1)))
    for day in days:
        month_end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        for pair in ((day, day), (day.replace(day=1), month_end), (date(day.year, 1, 1), date(day.year, 12, 31))):
            seen.add(pair)
    for first, last in sorted(seen):
        yield first.isoformat(), last.isoformat()


def backwards(span: tuple[str, str]) -> tuple[str, str]:
    first, last = span
    if first != last:
        return last, first
    day = date.fromisoformat(first)
    before = shifted(day, -1)
    return (first, before.isoformat()) if before else (shifted(day, 1).isoformat(), first)  # type: ignore[union-attr]


def is_day(text: str) -> bool:
    """A day written as YYYY-MM-DD (fromisoformat also takes 20240101)."""
    return len(text) == 10 and day_of(text) is not None
