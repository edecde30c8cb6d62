"""The time the server stamps records with, and the virtual clock that can replace it.

Every `created_at`, `updated_at`, `createdAt`, report default, import day and sent mail
reads `now()`, so a test that freezes its sandbox's clock (PUT /__mock/clock) gets the same
bytes back from the same calls.
"""

import re
import threading
from datetime import UTC, datetime, timedelta

from flask import g, has_request_context

# The range a clock may be set or moved in: timestamps are written with four-digit years.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
# A running clock may not be set or moved closer to LATEST than this: it would pass it.
RUNNING_MARGIN = timedelta(days=1)
# ISO 8601 durations of fixed length (no years or months), optionally negative: P1D, PT2H30M, -P1W.
DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


class OutOfRange(ValueError):
    pass


class Clock:
    """Real time, or a virtual time: frozen at a moment, or running on from one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # for changes that read the clock first (advance)
        # (the virtual time when it was last set, or None; the real time it was set at;
        # frozen?), replaced whole: every request reads it, without taking a lock
        self._state: tuple[datetime | None, datetime, bool] = (None, datetime.now(UTC), True)
        self.version = 0  # moves on with every change: set, advanced, back to real time

    def now(self) -> datetime:
        virtual, set_at, frozen = self._state
        real = datetime.now(UTC)
        moment = real if virtual is None else virtual if frozen else _ran(virtual, real - set_at)
        # Millisecond precision: the finest any of the APIs' timestamps show (Summit's).
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    @property
    def virtual(self) -> bool:
        return self._state[0] is not None

    @property
    def frozen(self) -> bool:
        return self._state[0] is not None and self._state[2]

    def set(self, moment: datetime, frozen: bool = True) -> None:
        with self._lock:
            self._state = (_in_range(moment, frozen), datetime.now(UTC), frozen)
            self.version += 1

    def advance(self, delta: timedelta) -> None:
        """Move the clock; a frozen one stays frozen, and real time moved runs on from there."""
        with self._lock:  # two advances at once both count
            try:
                target = self.now() + delta
            except OverflowError:
                raise OutOfRange("that would move the clock past what it can show (1970 to 9999)") from None
            frozen = self.frozen
            self._state = (_in_range(target, frozen), datetime.now(UTC), frozen)
            self.version += 1

    def real(self) -> None:
        with self._lock:
            self._state = (None, datetime.now(UTC), True)
            self.version += 1


def _in_range(moment: datetime, frozen: bool = True) -> datetime:
    if not EARLIEST <= moment <= LATEST:
        raise OutOfRange(f"{moment.isoformat()} is outside what the clock can show (1970 to 9999)")
    if not frozen and moment > LATEST - RUNNING_MARGIN:
        raise OutOfRange(
            f"a clock running from {moment.isoformat()} would pass the last time it can show "
            f"(9999-12-31T23:59:59.999Z) within {RUNNING_MARGIN.days} day; set it earlier, or freeze it"
        )
    return moment


def _ran(virtual: datetime, elapsed: timedelta) -> datetime:
    """A running clock's time, held to its range: it stops at the end rather than fail
    every request (RUNNING_MARGIN keeps a clock from being set running right before it)."""
    try:
        moment = virtual + elapsed
    except OverflowError:
        return LATEST if elapsed > timedelta(0) else EARLIEST
    return LATEST if moment > LATEST else EARLIEST if moment < EARLIEST else moment


def parse_duration(text: str) -> timedelta:
    """P1D, PT2H30M, -P1W (the spec has checked the form)."""
    match = DURATION.match(text)
    if match is None or not any(v for k, v in match.groupdict().items() if k != "sign"):
        raise ValueError(f"{text!r} is not a duration such as P1D or PT2H30M")
    parts = {k: float(v) for k, v in match.groupdict().items() if k != "sign" and v}
    try:
        delta = timedelta(**parts)
    except OverflowError:
        raise OutOfRange(f"{text} is longer than the clock's range (1970 to 9999)") from None
    return -delta if match["sign"] else delta


def now() -> datetime:
    """The caller's sandbox's clock in a request that has one, else real time. A request
    that reads it is marked (`g.timed`): its answer may differ a moment later, so the front
    never answers it again from memory (serving/reuse.py)."""
    if has_request_context() and (sandbox := g.get("sandbox")) is not None:
        g.timed = True
        return sandbox.clock.now()
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def laravel(moment: datetime) -> str:
    # Laravel stores whole seconds, so its timestamps always end in .000000Z.
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def summit(moment: datetime) -> str:
    """As JavaScript's toISOString writes it, which Summit's samples show: 2023-10-27T13:00:00.000Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


iso_ms = summit  # the control plane writes times the same way, to the millisecond


def iso(moment: datetime) -> str:
    """RFC 3339 with a Z, as the outbox writes times."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
