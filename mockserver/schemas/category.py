"""components/schemas: Category, CategoryInput."""

from marshmallow import Schema, fields

from . import RecordSchema


class CategorySchema(RecordSchema):
    """A category view: the stored record with `customer_count`."""

    id = fields.Integer()
    business_id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    archived = fields.Boolean()
    customer_count = fields.Integer()


class CategoryInputSchema(Schema):
    name = fields.String(required=True)
    description = fields.String(allow_none=True, load_default="")
