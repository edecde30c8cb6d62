"""components/schemas: ReportCustomer."""

from marshmallow import fields

from ..state.ledger import number
from .customer import StoredCustomerSchema


def _report_time(laravel: str) -> str:
    """2020-03-05T16:54:04.000000Z as the report writes it: 2020-03-05 16:54:04."""
    return laravel[:19].replace("T", " ")


def _money(name: str) -> fields.Function:
    """A figure of the period as JSON money: null stays null (no invoices, nothing paid on them)."""

    def dump(view: dict):
        value = getattr(view["figures"], name)
        return None if value is None else number(value)

    return fields.Function(dump)


class ReportCustomerSchema(StoredCustomerSchema):
    """A customer's line of the Income by Customers report: the stored customer in the
    report's dialect (space-separated timestamps, archived 0/1) with its `figures` for the
    period `date_from`..`date_to`."""

    created_at = fields.Function(lambda view: _report_time(view["created_at"]))
    updated_at = fields.Function(lambda view: _report_time(view["updated_at"]))
    archived = fields.Function(lambda view: int(view["archived"]))
    amount_due = _money("amount_due")
    invoice_count = fields.Function(lambda view: view["figures"].invoice_count)
    balance = _money("balance")
    amount_paid = _money("amount_paid")
    online_amount_paid = _money("online_amount_paid")
    dateFrom = fields.Date(attribute="date_from")
    dateTo = fields.Date(attribute="date_to")
    average_payment_terms = _money("average_payment_terms")
    owing = _money("owing")
    total_paid = _money("total_paid")
    invoices = _money("invoices")
