"""GET/PUT/DELETE /__mock/clock: the virtual clock (mockserver/state/clock.py)."""

from datetime import UTC, datetime

from flask import Response

from ..state import clock
from ..state.clock import Clock, OutOfRange
from ..state.sandbox import current
from ..web.errors import invalid


def get_clock():
    return _state(_clock())


def set_clock(body: dict):
    field = "now" if "now" in body else "advance"
    try:
        if field == "now":
            _clock().set(_moment(body["now"]), frozen=body.get("frozen", True))
        else:
            _clock().advance(clock.parse_duration(body["advance"]))
            if "frozen" in body:
                _clock().set(_clock().now(), frozen=body["frozen"])
    except (OutOfRange, ValueError, OverflowError) as e:
        raise invalid({field: [str(e)]}) from None
    return _state(_clock())


def real_clock():
    _clock().real()
    return Response(status=204)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)  # the spec has checked it is RFC 3339, so it has an offset
    return moment.astimezone(UTC)


def _state(current: Clock) -> dict:
    return {"now": clock.iso_ms(current.now()), "virtual": current.virtual, "frozen": current.frozen}


def _clock() -> Clock:
    return current().clock
