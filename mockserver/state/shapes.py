"""What a whole store must look like before it is swapped in: a restored snapshot is
checked here first, so that one edited on disk is refused with its problem named instead
of answering 200 and then 500 on every read (and after every restart: the store it made
was the store).

- Tables are objects of records by id: an id is digits (no leading zero), a record an
  object.
- The fields the handlers read are there, of the JSON type they read: a number is finite,
  a date parses as one (a report or a balance reads each of them).
- The id sequences (`_sequences`) are not below any id in their table: the next create
  would otherwise overwrite a record.

Tables and fields it does not know (a fixtures folder of one's own) are only held to the
shape.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .storage.journal import is_id

SEQUENCES = "_sequences"  # table -> the last id given, in its one record "1"


@dataclass(frozen=True)
class Kind:
    """What a field must be: `what` says it in the refusal, `test` checks a value."""

    what: str
    test: Callable[[Any], bool]


def _date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _or_null(kind: Kind) -> Kind:
    return Kind(f"null or {kind.what}", lambda value: value is None or kind.test(value))


def _one_of(*values: str) -> Kind:
    return Kind(" or ".join(f'"{v}"' for v in values), lambda value: value in values)


STR = Kind("a string", lambda value: type(value) is str)
INT = Kind("an integer", lambda value: type(value) is int)
BOOL = Kind("true or false", lambda value: type(value) is bool)
LIST = Kind("a list", lambda value: type(value) is list)
OBJECT = Kind("an object", lambda value: type(value) is dict)
NUM = Kind("a finite number", lambda value: type(value) is int or (type(value) is float and math.isfinite(value)))
DATE = Kind("a date (YYYY-MM-DD)", _date)
# a time as stored (2020-03-05T16:54:04.000000Z): reports read its day
STAMP = Kind("a time (YYYY-MM-DDThh:mm:ss...)", lambda value: type(value) is str and _date(value[:10]))

# The fields each table's readers take from every record, and what they must be.
FIELDS: dict[str, dict[str, Kind]] = {
    "businesses": {"name": STR, "encrypted_id": STR},
    "categories": {"business_id": INT, "name": STR, "created_at": STAMP, "updated_at": STAMP, "archived": BOOL},
    "customers": {
        "owner_id": INT,
        "business_id": INT,
        "business_name": STR,
        "created_at": STAMP,
        "updated_at": STAMP,
        "account_id": INT,
        "category_id": INT,
        "deposit_amount": NUM,
        "archived": BOOL,
        **dict.fromkeys(
            ("first_name", "last_name", "phone_number", "business_address", "business_phone", "business_location"),
            _or_null(STR),
        ),
        "business_email": _or_null(STR),
        "deposit_account_id": _or_null(INT),
    },
    "ledger": {
        "customer_id": INT,
        "kind": _one_of("invoice", "payment"),
        "amount": NUM,
        "date": DATE,
        "due_date": _or_null(DATE),
        "method": _or_null(STR),
        "description": _or_null(STR),
    },
    "summit_clients": {"name": STR},
    "summit_income_categories": {"name": STR},
    "summit_income": {
        "companyId": INT,
        "categoryId": INT,
        "clientId": _or_null(INT),
        "invoiceId": _or_null(INT),
        "source": STR,
        "description": _or_null(STR),
        "amount": NUM,
        "currency": STR,
        "incomeDate": DATE,
        "recurring": _one_of("none", "daily", "weekly", "monthly", "yearly"),
        "nextDueDate": _or_null(DATE),
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "softDelete": BOOL,
    },
    "outbox": {"customer_id": INT, "to": LIST, "subject": STR, "sent_at": STAMP, "period": OBJECT},
}


def store_problem(tables: Any) -> str | None:
    """What keeps `tables` from being a store the server can answer from, in a sentence;
    None when nothing does."""
    if not isinstance(tables, dict):
        return "its tables are not an object of tables"
    for name, rows in tables.items():
        if not isinstance(rows, dict):
            return f"table {name!r} is not an object of records by id"
        fields = FIELDS.get(name, {})
        for key, record in rows.items():
            if not is_id(key):
                return f"table {name!r} has a record under {key[:40]!r}, which is not an id"
            if not isinstance(record, dict):
                return f"{name} record {key} is not an object"
            for field, kind in fields.items():
                if field not in record:
                    return f"{name} record {key} has no {field!r}"
                if not kind.test(record[field]):
                    return f"{name} record {key}: {field!r} is {_shown(record[field])}, not {kind.what}"
    return _sequences_problem(tables)


def _sequences_problem(tables: dict[str, Any]) -> str | None:
    records = tables.get(SEQUENCES, {})
    if set(records) - {"1"}:
        return f'table {SEQUENCES!r} holds records other than its one, "1"'
    sequences = records.get("1", {})
    for name, last in sequences.items():
        if type(last) is not int or last < 0:
            return f"the id sequence of {name!r} is {_shown(last)}, not a whole number"
    for name, rows in tables.items():
        if name == SEQUENCES or not rows:
            continue
        highest = max(map(int, rows))
        last = sequences.get(name, 0)
        if last < highest:
            return (
                f"the id sequence of {name!r} is at {last}, below its record {highest}: "
                "the next one created would overwrite a record"
            )
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
