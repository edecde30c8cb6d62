"""components/schemas of control-plane.yaml: LedgerInput (a ledger entry to add).

Dumped as the Transaction the customers API shows (schemas/customer.py): one entry, one shape.
"""

from marshmallow import Schema, fields, post_load


class LedgerInputSchema(Schema):
    customer_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    amount = fields.Raw(required=True)  # stored as sent: 500 stays 500, 12.5 stays 12.5
    date = fields.String(required=True)
    due_date = fields.String(load_default=None, allow_none=True)
    method = fields.String(load_default=None, allow_none=True)
    description = fields.String(load_default="")

    @post_load
    def _payment_method(self, entry: dict, **_) -> dict:
        if entry["kind"] == "payment" and entry["method"] is None:
            entry["method"] = "bank"  # how most of the docs' payments were made
        return entry
