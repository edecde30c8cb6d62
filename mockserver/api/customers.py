"""Built Accounting customers (doc 002): /api/v3/clients..."""

from ..schemas.customer import (
    ArchiveInputSchema,
    CustomerInputSchema,
    CustomerSchema,
    CustomerSummarySchema,
    TransactionSchema,
)
from ..state import answers, clock, ledger
from ..state.indexes import Ordering
from ..state.ledger import number
from ..state.store import Record, Store
from ..web.errors import invalid, not_found
from . import db, period
from .categories import TABLE as CATEGORIES
from .categories import category_names

TABLE = "customers"
# New customers get ledger account ids after the highest one the docs show (154186's).
LAST_DOCUMENTED_ACCOUNT_ID = 1_080_949

_customer = CustomerSchema()
_customers = CustomerSchema(many=True)
_transactions = TransactionSchema(many=True)
_input = CustomerInputSchema()
_archive_input = ArchiveInputSchema()
_summary = CustomerSummarySchema()


BY_NAME = Ordering(TABLE, key=lambda customer: customer["business_name"].casefold())  # as present sorts


class Shown(answers.Parts):
    """Each customer's part of the customer list and of the report, kept encoded: what a part
    shows is the customer, its ledger entries and its category's name."""

    tables = (TABLE, ledger.TABLE, CATEGORIES)

    def owners(self, table: str, ident: int, before: Record | None, after: Record | None):
        if table == CATEGORIES:
            return answers.EVERY
        if table == TABLE:
            return (ident,)
        return {entry["customer_id"] for entry in (before, after) if entry is not None}


def list_customers(category_id: int | str = ""):
    store = db()
    where = None if category_id == "" else {"category_id": category_id}

    def dumped(ids: list[int]) -> dict[int, dict]:
        views = present(store, store.get_many(TABLE, ids))
        return {view["id"]: line for view, line in zip(views, _customers.dump(views), strict=True)}

    return answers.answer(store, Shown, "list", lambda: store.ordered(BY_NAME, where=where)[1], dumped)


def get_summary(category_id: int | str = ""):
    # kept as customers and entries change: the same cost at 100,000 customers as at 10
    group = db().derived(ledger.Books, lambda books: books.group(None if category_id == "" else category_id))
    return _summary.dump(
        {
            "total_deposits": number(group.deposits),
            "customer_count": group.customers,
            "archived_customers": group.archived,
            "unarchived_customers": group.customers - group.archived,
            "total_balance": number(group.balance),
        }
    )


def create_customer(body: dict):
    fields = _input.load(body)
    store = db()
    record = add_customers(store, [fields])[0]
    return _customer.dump(present(store, [record])[0]), 201


def get_customer(id: int):
    store = db()
    return _customer.dump(present(store, [require_customer(store, id)])[0])


def update_customer(id: int, body: dict):
    fields = _input.load(body)
    store = db()
    require_customer(store, id)
    record = _update(store, id, {**fields, "updated_at": clock.laravel(clock.now())})
    return _customer.dump(present(store, [record])[0])


def delete_customer(id: int):
    store = db()
    require_customer(store, id)
    with store.batch():
        store.remove_by(ledger.TABLE, "customer_id", id)
        store.remove(TABLE, id)
    return {"message": f"Customer {id} deleted"}


def list_transactions(id: int, from_: str = "", to: str = "", transaction_id: str = ""):
    store = db()
    customer = require_customer(store, id)
    start, end = period(from_, to)
    view = present(store, [customer])[0]
    entries = ledger.entries_of(store, id, start, end)
    if transaction_id:  # "the transaction identifier": that one, or none if it is not among them
        entries = [e for e in entries if str(e["id"]) == transaction_id.strip()]
    view["transactions"] = _transactions.dump(entries)
    return [_customer.dump(view)]


def archive_customer(id: int, body: dict):
    fields = _archive_input.load(body)
    store = db()
    require_customer(store, id)
    if "id" in fields and fields["id"] != id:
        raise invalid({"id": [f"is {fields['id']}, but the path names customer {id}"]})
    record = _update(store, id, {"archived": fields["archived"], "updated_at": clock.laravel(clock.now())})
    return _customer.dump(present(store, [record])[0])


# -- shared with the other Built resources


def add_customers(store: Store, rows: list[dict]) -> list[Record]:
    """New customers from their input fields, each with its own ledger account: one write
    however many (an import adds thousands). A row may also bring what the API never takes
    (created_at, archived, deposit_amount...): `mockserver seed` makes a history."""
    stamp = clock.laravel(clock.now())
    with store.batch():
        accounts = store.reserve_ids("accounts", len(rows), after=LAST_DOCUMENTED_ACCOUNT_ID)
        return store.insert_many(
            TABLE,
            [
                {
                    "owner_id": 1,
                    "business_id": 1,
                    "first_name": None,
                    "last_name": None,
                    "phone_number": None,
                    "business_location": "",
                    "created_at": stamp,
                    "updated_at": stamp,
                    "deposit_amount": 0,
                    "deposit_account_id": None,
                    "archived": False,
                    **fields,
                    "account_id": account,
                }
                for fields, account in zip(rows, accounts, strict=True)
            ],
        )


def require_customer(store: Store, customer_id: int) -> Record:
    customer = store.get(TABLE, customer_id)
    if customer is None:
        raise not_found("Customer", customer_id)
    return customer


def present(store: Store, customers: list[Record]) -> list[dict]:
    """Customers with what the API shows beside the record: category name, ledger totals.

    Ordered by business name, then id, as the doc's samples are.
    """
    if len(customers) == 1:  # one customer (get, create, update): its own rows, not whole tables
        only = customers[0]
        category = store.get(CATEGORIES, only["category_id"])
        names = {only["category_id"]: category["name"]} if category is not None else {}
        totals = {only["id"]: ledger.totals_of(store, only["id"])}
    else:
        names, totals = category_names(store), ledger.totals_of_many(store, [c["id"] for c in customers])
    views = [
        {**c, "category": names.get(c["category_id"], ""), "transactions": [], "totals": totals[c["id"]]}
        for c in customers
    ]
    return sorted(views, key=lambda v: (v["business_name"].casefold(), v["id"]))


def _update(store: Store, customer_id: int, changes: dict) -> Record:
    record = store.update(TABLE, customer_id, changes)
    if record is None:  # deleted by another request since it was looked up
        raise not_found("Customer", customer_id)
    return record


def in_category(store: Store, category_id: int | str) -> list[Record]:
    """The customers of a category; all of them for the doc's literal empty ?category_id."""
    if category_id == "":
        return store.all(TABLE)
    return store.find(TABLE, lambda c: c["category_id"] == category_id)
