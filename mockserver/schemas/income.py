"""components/schemas: Income, IncomeDetail, IncomePage, IncomeInput/IncomePatch (Summit, doc 003).

Stored entries keep the API's own camelCase names, so the schemas map field to field.
"""

from marshmallow import Schema, fields

from ..state.ledger import decimal, number
from . import RecordSchema


class IncomeSchema(RecordSchema):
    id = fields.Integer()
    companyId = fields.Integer()
    categoryId = fields.Integer()
    clientId = fields.Integer(allow_none=True)
    invoiceId = fields.Integer(allow_none=True)
    source = fields.String()
    description = fields.String(allow_none=True)
    amount = fields.Function(lambda entry: number(decimal(entry["amount"])))
    currency = fields.String()
    incomeDate = fields.String()
    recurring = fields.String()
    nextDueDate = fields.String(allow_none=True)
    createdAt = fields.String()
    updatedAt = fields.String()
    softDelete = fields.Boolean()


class NamedSchema(RecordSchema):
    """An income category or a client, as an entry shows it beside itself."""

    id = fields.Integer()
    name = fields.String()


class IncomeDetailSchema(RecordSchema):
    income = fields.Nested(IncomeSchema)
    category = fields.Nested(NamedSchema)
    client = fields.Nested(NamedSchema, allow_none=True)


class PageMetaSchema(RecordSchema):
    total = fields.Integer()
    page = fields.Integer()
    limit = fields.Integer()
    totalPages = fields.Integer()


class IncomePageSchema(RecordSchema):
    data = fields.List(fields.Nested(IncomeDetailSchema))
    meta = fields.Nested(PageMetaSchema)


class IncomeInputSchema(Schema):
    """What a client may set; the spec has checked every value. Load with partial=True for
    an update, where only the fields sent change."""

    categoryId = fields.Integer(required=True)
    clientId = fields.Integer(allow_none=True, load_default=None)
    invoiceId = fields.Integer(allow_none=True, load_default=None)
    source = fields.String(required=True)
    description = fields.String(allow_none=True, load_default=None)
    # Kept as the shortest decimal that reads back as the client's number (2500.0 for 2500.00).
    amount = fields.Function(deserialize=lambda value: number(decimal(value)), required=True)
    currency = fields.String(required=True)
    incomeDate = fields.String(required=True)
    recurring = fields.String(load_default="none")
    nextDueDate = fields.String(allow_none=True, load_default=None)
