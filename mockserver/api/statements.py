"""Statement e-mails (docs 001 and 000). The mock sends no mail: each message goes to the
outbox table, which GET /__mock/outbox reads back (mockserver/control/outbox.py)."""

import json
from datetime import datetime

from ..state import clock, ledger
from ..web.errors import invalid
from . import db, period
from .customers import require_customer

OUTBOX = "outbox"
SENT = "Transactions sent"  # the doc's answer, a JSON string


def send_statement(id: int, body: dict, from_: str = "", to: str = ""):
    store = db()
    customer = require_customer(store, id)
    _check_send_time(body.get("send_tome"))
    start, end = period(from_, to)
    now = clock.now()
    end = end or now.date()  # no ?to=: everything up to today
    recipients = _recipients(customer, body.get("other_emails", []))
    if not recipients:
        raise invalid({"other_emails": [f"name at least one address: customer {id} has no business_email"]})
    name = customer["business_name"] or " ".join(filter(None, [customer["first_name"], customer["last_name"]]))
    store.insert(
        OUTBOX,
        {
            "customer_id": id,
            "to": recipients,
            "subject": f"Statement of account for {name or f'customer {id}'}, "
            + (f"{start.isoformat()} to {end.isoformat()}" if start else f"up to {end.isoformat()}"),
            "message": body.get("message", ""),
            "send_tome": body.get("send_tome"),
            "sent_at": clock.iso(now),
            "period": {"from": start.isoformat() if start else None, "to": end.isoformat()},
            "statement": ledger.statement(ledger.entries_of(store, id), start, end),
        },
    )
    return SENT


# The older path (doc 000) is the same operation.
send_statement_legacy = send_statement


def _check_send_time(value: str | None) -> None:
    """The schema takes the forms (a date; a date and time with T or a space, zoned or not;
    null or empty for now); this refuses the ones no calendar has, 2024-02-30 10:00."""
    if not value:
        return
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid({"send_tome": [f"is not a date and time that exists (got {json.dumps(value)})"]}) from None


def _recipients(customer: dict, others: list[str]) -> list[str]:
    """The customer's own address first, then the others, each once (e-mail is case-blind)."""
    seen, recipients = set(), []
    for address in [customer["business_email"] or "", *others]:
        if address and address.casefold() not in seen:
            seen.add(address.casefold())
            recipients.append(address)
    return recipients
