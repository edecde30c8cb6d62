"""Rules of meaning for the Built customers API (doc 002): a customer's figures agree with
each other; what is created can be fetched, what is updated keeps what was sent, what is
deleted is gone; a list holds what its filter asks; the summary adds up."""

from decimal import Decimal, InvalidOperation
from typing import Any

from .follow import answered, answers_404, answers_as_sent, broken, fetched_as_sent, follow, rule, sent_fields

FIELDS: tuple[str, ...] = ("business_name", "business_address", "business_phone", "business_email", "first_name")
FIELDS += ("last_name", "phone_number")
SHOWING_CUSTOMERS = (
    "customers.list_customers",
    "customers.get_customer",
    "customers.create_customer",
    "customers.update_customer",
    "customers.archive_customer",
    "customers.list_transactions",
)


def _amount(text) -> Decimal | None:
    """ "20,351,822.92" (the docs' formatted strings) as a number; None if it is none."""
    try:
        return Decimal(str(text).replace(",", ""))
    except InvalidOperation:
        return None


@rule
def customer_figures_agree(ctx, response, case):
    """unformated_balance is total_debit minus total_credit, and balance is it formatted
    (doc 002's samples: 43,228,120.29 - 22,876,297.37 = 20,351,822.92)."""
    body = answered(case, response, *SHOWING_CUSTOMERS)
    for customer in body if isinstance(body, list) else [body] if isinstance(body, dict) else []:
        if not isinstance(customer, dict) or "unformated_balance" not in customer:
            continue
        debit, credit = _amount(customer.get("total_debit")), _amount(customer.get("total_credit"))
        balance, shown = _amount(customer.get("unformated_balance")), _amount(customer.get("balance"))
        if None in (debit, credit, balance, shown):
            continue  # not numbers at all: the shape checks say so
        if abs(debit - credit - balance) > Decimal("0.01") or abs(balance - shown) > Decimal("0.01"):
            raise broken(
                case,
                f"customer {customer.get('id')}: unformated_balance = total_debit - total_credit, and balance shows it",
                {"unformated_balance": str(debit - credit), "balance": f"{debit - credit:,.2f}"},
                {k: customer.get(k) for k in ("total_debit", "total_credit", "unformated_balance", "balance")},
            )


def _read(name: str, value: Any) -> Any:
    """A category id sent as digits shows as the number."""
    return int(value) if name == "category_id" and isinstance(value, str) and value.isdigit() else value


@rule
def created_customer_is_stored_as_sent(ctx, response, case):
    """A created customer comes back with the fields sent, and GET /api/v3/clients/{id}
    answers the same customer."""
    made = answered(case, response, "customers.create_customer")
    if not isinstance(made, dict) or "id" not in made:
        return
    sent = sent_fields(case, (*FIELDS, "category_id"))
    answers_as_sent(case, "a create", "customer", sent, made, _read)
    fetched_as_sent(
        case, response, "a create", "customer", sent, "customers.get_customer", {"id": made["id"]}, read=_read
    )


@rule
def updated_customer_keeps_what_was_sent(ctx, response, case):
    """An update changes what it names: the answer and a later GET both show it."""
    updated = answered(case, response, "customers.update_customer")
    if not isinstance(updated, dict):
        return
    sent = sent_fields(case, (*FIELDS, "category_id"))
    answers_as_sent(case, "an update", "customer", sent, updated, _read)
    fetched_as_sent(
        case, response, "an update", "customer", sent, "customers.get_customer", case.path_parameters, read=_read
    )


@rule
def archived_customer_is_archived(ctx, response, case):
    """Archive sets `archived` as sent, and a later GET agrees."""
    answer = answered(case, response, "customers.archive_customer")
    sent = sent_fields(case, ("archived",))
    if not isinstance(answer, dict) or "archived" not in sent:
        return
    fetched = follow(case, response, "customers.get_customer", case.path_parameters)
    shown = fetched.body.get("archived") if isinstance(fetched.body, dict) else None
    if answer.get("archived") != sent["archived"] or shown != sent["archived"]:
        raise broken(case, "archive sets archived as sent", sent, {"answer": answer.get("archived"), "GET": shown})


@rule
def deleted_customer_is_gone(ctx, response, case):
    """After a delete, the customer answers 404 and is in no list."""
    if answered(case, response, "customers.delete_customer") is None:
        return
    answers_404(case, response, "customers.get_customer", "customer")
    listed = follow(case, response, "customers.list_customers")
    if isinstance(listed.body, list) and any(c.get("id") == case.path_parameters.get("id") for c in listed.body):
        raise broken(case, "a deleted customer is in no list", "absent", "listed", listed)


NO_FILTER = object()


def _category_filter(case) -> Any:
    """The ?category_id sent, as a number; NO_FILTER when none (absent, or the doc's empty
    one); None when it is something no reading makes a number of."""
    value = (case.query or {}).get("category_id")
    if value is None or value == "":
        return NO_FILTER
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


@rule
def listed_customers_match_the_filter(ctx, response, case):
    """`?category_id=N` lists only customers of category N."""
    listed = answered(case, response, "customers.list_customers")
    wanted = _category_filter(case)
    if not isinstance(listed, list) or wanted is None or wanted is NO_FILTER:
        return
    if others := [c.get("id") for c in listed if isinstance(c, dict) and c.get("category_id") != wanted]:
        raise broken(case, f"?category_id={wanted} lists only that category's customers", [], others[:20])


@rule
def summary_adds_up(ctx, response, case):
    """customer_count = archived_customers + unarchived_customers, and they count the
    customers the list gives for the same filter."""
    summary = answered(case, response, "customers.get_summary")
    if not isinstance(summary, dict):
        return
    count, archived, unarchived = (
        summary.get(k) for k in ("customer_count", "archived_customers", "unarchived_customers")
    )
    if not all(isinstance(n, int) for n in (count, archived, unarchived)):
        return
    if count != archived + unarchived:
        raise broken(case, "customer_count = archived_customers + unarchived_customers", archived + unarchived, count)
    wanted = _category_filter(case)
    if wanted is None:
        return
    query = {} if wanted is NO_FILTER else {"category_id": wanted}
    listed = follow(case, response, "customers.list_customers", query=query)
    if listed.status == 200 and isinstance(listed.body, list):
        really = {"customer_count": len(listed.body)}
        really["archived_customers"] = sum(1 for c in listed.body if isinstance(c, dict) and c.get("archived") is True)
        if really != {"customer_count": count, "archived_customers": archived}:
            raise broken(case, "the summary counts the customers the list gives", really, summary, listed)
