"""GET/DELETE /__mock/outbox: the statement e-mails the mock would have sent."""

from flask import Response

from ..api import db
from ..api.statements import OUTBOX


def list_messages(customer_id: int | None = None, to: str = ""):
    wanted = to.casefold()
    return db().find(
        OUTBOX,
        lambda m: (
            (customer_id is None or m["customer_id"] == customer_id)
            and (not wanted or wanted in (address.casefold() for address in m["to"]))
        ),
    )


def clear_messages():
    db().remove_where(OUTBOX, lambda _: True)
    return Response(status=204)
