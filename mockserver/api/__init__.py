"""Handlers, one module per resource, named by the operationIds in openapi.yaml.

Each takes the validated parameters (snake_case; `from` is `from_`) and `body`, calls the
store, dumps with a schema and returns the JSON value, or (value, status).
"""

from datetime import date

from ..state.sandbox import current
from ..state.store import Store
from ..web.errors import invalid


def db() -> Store:
    return current().store


def period(first: str, last: str, names: tuple[str, str] = ("from", "to")) -> tuple[date | None, date | None]:
    """A period's bounds (empty means unbounded), read from dates the spec has validated;
    `names` are what the client called them, so a reversed period is reported in its words."""
    start = date.fromisoformat(first) if first else None
    end = date.fromisoformat(last) if last else None
    if start and end and start > end:
        raise invalid({names[0]: [f"is {first}, after {names[1]} ({last})"]})
    return start, end
