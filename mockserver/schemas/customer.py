"""components/schemas: Customer, Transaction, CustomerSummary, CustomerInput, ArchiveInput."""

from marshmallow import EXCLUDE, Schema, fields

from ..state.ledger import decimal, formatted, number
from . import RecordSchema


class TransactionSchema(RecordSchema):
    id = fields.Integer()
    customer_id = fields.Integer()
    kind = fields.String()
    amount = fields.Function(lambda entry: number(decimal(entry["amount"])))
    date = fields.String()
    due_date = fields.String(allow_none=True)
    method = fields.String(allow_none=True)
    description = fields.String()


class StoredCustomerSchema(RecordSchema):
    """The fields every representation of a customer shares, in the docs' order; `category`
    is its category's name, looked up beside the record."""

    id = fields.Integer()
    owner_id = fields.Integer()
    business_id = fields.Integer()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    phone_number = fields.String(allow_none=True)
    business_name = fields.String()
    business_address = fields.String(allow_none=True)
    business_phone = fields.String(allow_none=True)
    business_location = fields.String(allow_none=True)
    business_email = fields.String(allow_none=True)
    # Typed as Field: the report shows these three in its own way (schemas/report.py).
    created_at: fields.Field = fields.String()  # stored as Laravel writes it: 2020-07-25T14:32:11.000000Z
    updated_at: fields.Field = fields.String()
    account_id = fields.Integer()
    category = fields.String()
    category_id = fields.Integer()
    deposit_amount = fields.Raw()  # 50939 and 26602.6 as the docs show them
    deposit_account_id = fields.Integer(allow_none=True)
    archived: fields.Field = fields.Boolean()


class CustomerSchema(StoredCustomerSchema):
    """A customer as the v3 clients API shows it: with `totals` and `transactions`."""

    transactions = fields.List(fields.Nested(TransactionSchema))
    unformated_balance = fields.Function(lambda view: number(view["totals"].balance))
    balance = fields.Function(lambda view: formatted(view["totals"].balance))
    total_debit = fields.Function(lambda view: formatted(view["totals"].debit))
    total_credit = fields.Function(lambda view: formatted(view["totals"].credit))


class CustomerSummarySchema(RecordSchema):
    total_deposits = fields.Raw()
    customer_count = fields.Integer()
    archived_customers = fields.Integer()
    unarchived_customers = fields.Integer()
    total_balance = fields.Raw()


class CustomerInputSchema(Schema):
    business_name = fields.String(required=True)
    business_address = fields.String(required=True)
    business_phone = fields.String(required=True)
    business_email = fields.String(required=True)
    category_id = fields.Integer(required=True)  # "1224" as a form sends it becomes 1224
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    phone_number = fields.String(allow_none=True)


class ArchiveInputSchema(Schema):
    """The doc's sample sends the whole customer; only these two fields mean anything."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer()
    archived = fields.Boolean(required=True)
