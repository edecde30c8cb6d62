"""Rules of meaning for Summit's income entries (doc 003): a page is what its meta says,
every entry listed matches the filters sent, an entry's category and client are the ones
it names; what is created can be fetched, what is updated keeps what was sent, and a
soft-deleted entry is gone."""

import math
from typing import Any

from .follow import answered, answers_404, answers_as_sent, broken, day, fetched_as_sent, rule, sent_fields

WRITABLE: tuple[str, ...] = ("categoryId", "clientId", "invoiceId", "source", "description", "amount", "currency")
WRITABLE += ("incomeDate", "recurring")


def _whole(value, default: int) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@rule
def income_page_adds_up(ctx, response, case):
    """meta.page and meta.limit are the ones asked, totalPages = ceil(total / limit), and the
    page holds min(limit, what is left after the pages before it) entries."""
    page = answered(case, response, "income.list_income")
    if not isinstance(page, dict) or not isinstance(page.get("meta"), dict) or not isinstance(page.get("data"), list):
        return
    meta, query = page["meta"], case.query or {}
    asked_page, asked_limit = _whole(query.get("page"), 1), _whole(query.get("limit"), 10)
    total, limit = meta.get("total"), meta.get("limit")
    if (
        asked_page is None
        or asked_limit is None
        or not isinstance(total, int)
        or not isinstance(limit, int)
        or not limit
    ):
        return
    expected = {
        "page": asked_page,
        "limit": asked_limit,
        "totalPages": math.ceil(total / limit),
        "entries on the page": max(0, min(limit, total - (asked_page - 1) * limit)),
    }
    actual = {**{k: meta.get(k) for k in ("page", "limit", "totalPages")}, "entries on the page": len(page["data"])}
    if expected != actual:
        raise broken(case, "the page's meta agrees with the request and with its entries", expected, actual)


@rule
def listed_income_matches_the_filters(ctx, response, case):
    """categoryId, startDate and endDate (both inclusive) hold for every entry listed."""
    page = answered(case, response, "income.list_income")
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        return
    query = case.query or {}
    category = str(query.get("categoryId", "")).strip()
    start, end = day(query.get("startDate")), day(query.get("endDate"))
    for item in page["data"]:
        entry = item.get("income") if isinstance(item, dict) else None
        if not isinstance(entry, dict):
            continue
        on = day(entry.get("incomeDate"))
        if category.isdigit() and entry.get("categoryId") != int(category):
            raise broken(case, f"?categoryId={category} lists only that category", int(category), entry)
        if on is not None and ((start and on < start) or (end and on > end)):
            raise broken(case, "listed entries fall within startDate..endDate", f"{start} .. {end}", entry)


@rule
def income_references_match(ctx, response, case):
    """An entry's `category` and `client` are the ones its categoryId and clientId name."""
    body = answered(case, response, "income.list_income", "income.get_income")
    items = body.get("data") if isinstance(body, dict) and "data" in body else [body]
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("income"), dict):
            continue
        entry, category, client = item["income"], item.get("category"), item.get("client")
        named = {"category": entry.get("categoryId"), "client": entry.get("clientId")}
        shown = {
            "category": category.get("id") if isinstance(category, dict) else None,
            "client": client.get("id") if isinstance(client, dict) else None,
        }
        if named != shown:
            raise broken(
                case, f"income entry {entry.get('id')}'s category and client are the ones it names", named, shown
            )


def _entry(body: dict) -> Any:
    return body.get("income")


@rule
def created_income_is_stored_as_sent(ctx, response, case):
    """A created entry comes back as sent, and GET /api/income/{id} answers it."""
    made = answered(case, response, "income.create_income")
    if not isinstance(made, dict) or "id" not in made:
        return
    sent = sent_fields(case, WRITABLE)
    # a null recurring is the default's to fill: the answer may show it filled
    answers_as_sent(
        case, "a create", "entry", {k: v for k, v in sent.items() if k != "recurring" or v is not None}, made
    )
    fetched_as_sent(case, response, "a create", "entry", sent, "income.get_income", {"incomeId": made["id"]}, _entry)


@rule
def updated_income_keeps_what_was_sent(ctx, response, case):
    """A partial update changes what it names: the answer and a later GET both show it."""
    updated = answered(case, response, "income.update_income")
    if not isinstance(updated, dict):
        return
    sent = sent_fields(case, WRITABLE)
    answers_as_sent(case, "an update", "entry", sent, updated)
    fetched_as_sent(case, response, "an update", "entry", sent, "income.get_income", case.path_parameters, _entry)


@rule
def deleted_income_is_gone(ctx, response, case):
    """A (soft-)deleted entry answers 404 (and income_page_adds_up sees one still counted)."""
    if answered(case, response, "income.delete_income") is None:
        return
    answers_404(case, response, "income.get_income", "income entry")
