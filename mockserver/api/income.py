"""Summit income entries (doc 003): /api/income...

Summit is another product with its own references: its income categories and clients
(tables `summit_income_categories`, `summit_clients`) are not Built's categories and
customers, and every entry belongs to the one company the docs show. Deleting an entry
only marks it (`softDelete`); a marked entry is gone for every operation.
"""

import calendar
import math
from datetime import date, timedelta

from ..schemas.income import IncomeDetailSchema, IncomeInputSchema, IncomePageSchema, IncomeSchema
from ..state import clock
from ..state.indexes import Ordering
from ..state.store import Record, Store
from ..web.errors import invalid, not_found
from . import db, period

TABLE = "summit_income"
CATEGORIES = "summit_income_categories"
CLIENTS = "summit_clients"
COMPANY_ID = 1  # the docs' only Summit company
# The live entries by date; the id breaks ties, so the order is total and pages never overlap.
BY_DATE = Ordering(TABLE, key=lambda entry: entry["incomeDate"], keep=lambda entry: not entry["softDelete"])

_income = IncomeSchema()
_detail = IncomeDetailSchema()
_page = IncomePageSchema()
_input = IncomeInputSchema()


def list_income(page: int = 1, limit: int = 10, category_id: str = "", start_date="", end_date=""):
    start, end = period(start_date, end_date, ("startDate", "endDate"))
    store = db()
    # A string in the doc: digits name a category (01 is 1, as a SQL comparison has it);
    # anything else names none, so the page is empty rather than refused.
    wanted = category_id.strip()
    in_category = {"categoryId": int(wanted) if wanted.isascii() and wanted.isdigit() else wanted} if wanted else None
    with store.batch():  # the ids and the records they name, read as one
        since, until = start and start.isoformat(), end and end.isoformat()
        skip = (page - 1) * limit
        total, newest_first = store.ordered(BY_DATE, since, until, in_category, reverse=True, skip=skip, take=limit)
        shown = [_with_references(store, _require_entry(store, i)) for i in newest_first]
    meta = {"total": total, "page": page, "limit": limit, "totalPages": math.ceil(total / limit)}
    return _page.dump({"data": shown, "meta": meta})


def create_income(body: dict):
    fields = _input.load(body)
    stamp = clock.summit(clock.now())
    store = db()
    entry = _scheduled({**fields, "nextDueDate": None}, fields)
    record = store.insert(
        TABLE, {"companyId": COMPANY_ID, **entry, "createdAt": stamp, "updatedAt": stamp, "softDelete": False}
    )
    return _income.dump(record), 201


def get_income(income_id: int):
    store = db()
    return _detail.dump(_with_references(store, _require_entry(store, income_id)))


def update_income(income_id: int, body: dict | None = None):
    if body is None:  # the docs leave it open (openapi.yaml); this mock's reading refuses it
        raise invalid({"body": ["is required: send a JSON object"]})
    changes = _input.load(body, partial=True)
    store = db()
    if not changes:  # nothing to change: as Eloquent saves a clean model, updatedAt stays
        return _income.dump(_require_entry(store, income_id))
    with store.batch():  # read, check and write as one: a delete in between cannot be overwritten
        entry = _scheduled({**_require_entry(store, income_id), **changes}, changes)
        record = store.update(TABLE, income_id, {**entry, "updatedAt": clock.summit(clock.now())})
    return _income.dump(record)


def delete_income(income_id: int):
    store = db()
    with store.batch():
        _require_entry(store, income_id)
        store.update(TABLE, income_id, {"softDelete": True, "updatedAt": clock.summit(clock.now())})
    return {"message": "Income entry deleted successfully"}


# -- inside


def _require_entry(store: Store, income_id: int) -> Record:
    entry = store.get(TABLE, income_id)
    if entry is None or entry["softDelete"]:
        raise not_found("Income entry", income_id)
    return entry


def _with_references(store: Store, entry: Record) -> dict:
    client = store.get(CLIENTS, entry["clientId"]) if entry["clientId"] is not None else None
    return {"income": entry, "category": store.get(CATEGORIES, entry["categoryId"]), "client": client}


def _scheduled(entry: Record, sent: Record) -> Record:
    """The entry with its nextDueDate settled: none unless recurring; for a recurring one the
    date sent, else the stored one, recomputed from incomeDate when there is none or when
    `recurring` or `incomeDate` was just sent."""
    if entry["recurring"] == "none":
        if sent.get("nextDueDate") is not None:
            raise invalid({"nextDueDate": ['must be null or left out when recurring is "none"']})
        return {**entry, "nextDueDate": None}
    due = sent.get("nextDueDate")
    if due is None and ("recurring" in sent or "incomeDate" in sent or entry["nextDueDate"] is None):
        due = next_due(date.fromisoformat(entry["incomeDate"]), entry["recurring"])
    elif due is None:
        due = entry["nextDueDate"]
    if due <= entry["incomeDate"]:
        raise invalid({"nextDueDate": [f"is {due}, but must come after incomeDate ({entry['incomeDate']})"]})
    return {**entry, "nextDueDate": due}


def next_due(day: date, recurring: str) -> str:
    try:
        if recurring in ("daily", "weekly"):
            return (day + timedelta(days=1 if recurring == "daily" else 7)).isoformat()
        return add_months(day, 1 if recurring == "monthly" else 12).isoformat()
    except (OverflowError, ValueError):
        raise invalid({"incomeDate": [f"is {day}: its next {recurring} due date would be after 9999-12-31"]}) from None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter (Jan 31 + 1 month
    is Feb 28, or 29; Feb 29 + 12 months is Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
