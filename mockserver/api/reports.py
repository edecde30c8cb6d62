"""Built Accounting's Income by Customers report (docs 001 for v3 paths, 000 for the older ones).

Every figure is computed from the ledger (ledger.period_figures); nothing about a report is
stored. The whole report's lines are kept encoded, per period, until what a line shows
changes (answers.py): asked again, 100,000 customers' report costs its sending.

Where a request states a thing twice (the v3 filter's path and body, the older filter's
query and body), both must agree: a contradiction is answered 422 naming the field, not
settled by picking one. The path names the resource, so the v3 body must repeat it; the
older path carries no period, so its body's start_date/end_date give it and ?from/?to,
when sent, must match them.
"""

from datetime import date

from ..schemas.report import ReportCustomerSchema
from ..state import answers, clock, ledger
from ..state.store import Record, Store
from ..web.errors import invalid
from . import db, period
from .categories import category_names
from .customers import TABLE as CUSTOMERS
from .customers import Shown, require_customer

_line = ReportCustomerSchema()
_lines = ReportCustomerSchema(many=True)


def income_by_customers(from_: str, to: str):
    return _report(*_bounded(from_, to))


def income_by_customers_legacy(startdate: str, enddate: str):
    return _report(*_bounded(startdate, enddate, ("startdate", "enddate")))


def customer_income(id: int, from_: str, to: str):
    store = db()
    return _line_of(store, require_customer(store, id), *_bounded(from_, to))


def filter_customer_income(id: int, from_: str, to: str, body: dict | None = None):
    store = db()
    customer = require_customer(store, id)
    if body is not None:  # the doc's sample repeats the path; the path alone says the same
        _must_agree(
            [
                ("id", body["id"], id, "the path"),
                ("from", body["from"], from_, "the path"),
                ("to", body["to"], to, "the path"),
            ]
        )
    return [_line_of(store, customer, *_bounded(from_, to))]


def get_client_legacy(id: int):
    """The older path names no period: the customer's whole history, from the first of its
    creation and its first ledger entry, to today or its last entry if that is later."""
    store = db()
    customer = require_customer(store, id)
    entries = ledger.entries_of(store, id)
    days = [date.fromisoformat(e["date"]) for e in entries]
    start = min([date.fromisoformat(customer["created_at"][:10]), *days])
    end = max([clock.now().date(), *days])
    return _line.dump(_view(store, customer, entries, start, end))


def filter_client_transactions_legacy(id: int, body: dict | None = None, from_: str = "", to: str = ""):
    if body is None:  # no body: the period of ?from and ?to, or the whole history
        if not (from_ and to):
            return [get_client_legacy(id)]
        body = {"id": id, "start_date": from_, "end_date": to}
    store = db()
    customer = require_customer(store, id)
    _must_agree(
        [
            ("id", body["id"], id, "the path"),
            ("start_date", body["start_date"], from_ or body["start_date"], "?from="),
            ("end_date", body["end_date"], to or body["end_date"], "?to="),
        ]
    )
    return [_line_of(store, customer, *_bounded(body["start_date"], body["end_date"], ("start_date", "end_date")))]


def _report(start: date, end: date):
    store = db()

    def dumped(ids: list[int]) -> dict[int, dict]:
        names = category_names(store)
        customers = store.get_many(CUSTOMERS, ids)
        views = [_view(store, c, ledger.entries_of(store, c["id"]), start, end, names) for c in customers]
        return {view["id"]: line for view, line in zip(views, _lines.dump(views), strict=True)}

    # in id order, as the doc's sample is
    return answers.answer(store, Shown, ("report", start, end), lambda: store.ids(CUSTOMERS), dumped)


def _line_of(store: Store, customer: Record, start: date, end: date) -> dict:
    return _line.dump(_view(store, customer, ledger.entries_of(store, customer["id"]), start, end))


def _view(
    store: Store, customer: Record, entries: list[Record], start: date, end: date, names: dict | None = None
) -> dict:
    names = category_names(store) if names is None else names
    return {
        **customer,
        "category": names.get(customer["category_id"], ""),
        "figures": ledger.period_figures(entries, start, end),
        "date_from": start,
        "date_to": end,
    }


def _bounded(first: str, last: str, names: tuple[str, str] = ("from", "to")) -> tuple[date, date]:
    start, end = period(first, last, names)
    assert start and end  # the spec makes both required here
    return start, end


def _must_agree(statements: list[tuple[str, object, object, str]]) -> None:
    """(body field, its value, what `where` says) must match; else 422 naming each field."""
    errors = {
        field: [f"is {sent}, but {where} says {expected}; send the same value in both"]
        for field, sent, expected, where in statements
        if sent != expected
    }
    if errors:
        raise invalid(errors)
