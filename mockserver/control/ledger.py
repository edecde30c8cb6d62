"""GET/POST /__mock/ledger, DELETE /__mock/ledger/{id}: the invoices and payments every
balance, summary, statement and report is derived from."""

from flask import Response

from ..api import db
from ..schemas.customer import TransactionSchema
from ..schemas.ledger import LedgerInputSchema
from ..state import ledger
from ..web.errors import invalid, not_found

_input = LedgerInputSchema()
_entry = TransactionSchema()
_entries = TransactionSchema(many=True)


def list_entries(customer_id: int | None = None, kind: str = ""):
    found = db().find(
        ledger.TABLE,
        lambda e: (customer_id is None or e["customer_id"] == customer_id) and (not kind or e["kind"] == kind),
    )
    return _entries.dump(ledger.oldest_first(found))


def add_entry(body: dict):
    entry = _input.load(body)
    _check(entry)
    store = db()
    with store.batch():
        record = store.insert(ledger.TABLE, entry)
        if not entry["description"]:  # numbered as the fixtures' are: Invoice INV-0021
            prefix = "Invoice INV" if entry["kind"] == "invoice" else "Payment PMT"
            record["description"] = f"{prefix}-{record['id']:04d}"
            store.update(ledger.TABLE, record["id"], {"description": record["description"]})
    return _entry.dump(record), 201


def delete_entry(id: int):
    if not db().remove(ledger.TABLE, id):
        raise not_found("Ledger entry", id)
    return Response(status=204)


def _check(entry: dict) -> None:
    """What the spec cannot say: cents, a due date after the entry, a method only on payments."""
    errors = {}
    if not ledger.in_cents(ledger.decimal(entry["amount"])):
        errors["amount"] = [f"has more than 2 decimal places (got {entry['amount']})"]
    if entry["due_date"] is not None:
        if entry["kind"] != "invoice":
            errors["due_date"] = ["is for invoices; a payment has none"]
        elif entry["due_date"] < entry["date"]:
            errors["due_date"] = [f"is {entry['due_date']}, before the entry's date ({entry['date']})"]
    if entry["kind"] == "invoice" and entry["method"] is not None:
        errors["method"] = ["is for payments (how one was made); an invoice has none"]
    if errors:
        raise invalid(errors)
