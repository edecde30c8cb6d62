"""Every point the docs leave open, in one table: the docs' words, the readings a correct
backend may take, and how the contract's comparison tolerates them. The judge (judge.py)
names a reading each time it accepts one, and the run's report says which the target took;
the table in docs/contract.md is this one.

Nothing else in the contract may tolerate a difference: a difference no reading names is a
failure.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Reading:
    id: str
    docs: str  # the docs' words, or what they leave unsaid
    accepted: str  # the readings a correct backend may take
    tolerance: str  # how the comparison allows for them


READINGS = (
    Reading(
        "server_ids",
        "ids appear in every answer; nothing says how they are chosen",
        "any unused id for a new record",
        "the model gives the next record the target's id (its sequence is aligned before the write is applied)",
    ),
    Reading(
        "server_clock",
        "created_at/updated_at (createdAt/updatedAt) are shown, set by the server",
        "the target's own clock",
        "a record written in the run takes the target's timestamps; the write's own answer is held to the format",
    ),
    Reading(
        "account_numbers",
        "account_id is shown; no endpoint sets it",
        "any account number for a new customer",
        "taken from the target's answer into the model, as ids are",
    ),
    Reading(
        "order",
        "lists are shown in samples; no order is stated",
        "any order",
        "lists of records are compared as sets keyed by id; a page of income is compared entry by entry, "
        "and all pages together must hold the whole filtered set",
    ),
    Reading(
        "laravel_middleware",
        "the Built API is a Laravel app (TrimStrings, ConvertEmptyStringsToNull by default)",
        "strings stored as sent, or trimmed with empty ones stored as null",
        "a write whose body those middlewares would change is predicted both ways; the one the target matches is kept",
    ),
    Reading(
        "error_status",
        "error answers are not documented beyond Laravel's validation shape",
        "400 or 422 for a body or query that breaks a rule; 404 or 422 when a path id and a body are both wrong "
        "(which is looked up first)",
        "statuses within one of those pairs are accepted for each other; error bodies are compared by shape only",
    ),
    Reading(
        "wider_route",
        "a method a documented path does not take",
        "405 with an Allow header, or 404 where a wider route (/api/v3/clients/{id}) matches the path",
        "404 and 405 are accepted for each other there",
    ),
    Reading(
        "unknown_fields",
        "the docs name the fields; they do not say what happens to others",
        "ignored (Laravel's validated() keeps the named ones), or refused with 422",
        "a 422 where the model accepts a body or query with undocumented fields is accepted; nothing is written",
    ),
    Reading(
        "unknown_filter",
        "?category_id filters customers; an id that names no category is not mentioned",
        "an empty list (zeros in the summary), or 404/422",
        "either is accepted",
    ),
    Reading(
        "empty_body",
        "PUT /api/income/{id}: only the fields sent change; the report filters take id, from and to; "
        "a request with no body at all is not mentioned",
        "answered as if the body were empty (the entry unchanged; the period of the path), or 400/422",
        "either is accepted; nothing may change",
    ),
    Reading(
        "unstated_limits",
        "page and limit have defaults; no maximum is stated",
        "any page number answers (past the last: no entries); a limit above the target's own cap may be refused",
        "a 4xx for limit above 100 is accepted; the model states no cap on page",
    ),
    Reading(
        "aliases",
        "the prose gives a second path for the import and the category list",
        "served or not",
        "a 404 or 405 on an alias path is reported as not served, not failed",
    ),
    Reading(
        "soft_delete",
        "DELETE /api/income/{id} is a soft delete",
        "the entry leaves lists and answers 404, or stays readable by id with softDelete true",
        "a GET of a deleted entry may answer 404, or 200 with softDelete true; lists must leave it out",
    ),
)

BY_ID = {reading.id: reading for reading in READINGS}


@dataclass(frozen=True)
class Sent:
    """What a status reading looks at: the request, and the target's answer's JSON."""

    method: str
    path: str
    body: bytes | None
    answered: Any


def status_reading(
    spec: Any, store: Any, operation: str, sent: Sent, predicted: Any, actual: int, deleted_income: set[int]
) -> str | None:
    """None when the statuses agree; a reading's id when they differ as it allows;
    "differ" when no reading allows it. `predicted` is the model's answer."""
    p, a = predicted.status, actual
    if p == a:
        return None
    pair = {p, a}
    query = dict(parse_qsl(urlsplit(sent.path).query, keep_blank_values=True))
    definition = {op.operation_id: op for op in spec.operations}.get(operation)
    # 404 for 422 only where there is a body to be wrong as well: an unknown id alone is 404
    if pair <= {400, 422} or (pair == {404, 422} and sent.body):
        return "error_status"
    if pair == {404, 405}:
        return "wider_route"
    if a in (404, 405) and definition is not None and "x-alias-of" in spec.operation_definition(definition):
        return "aliases"
    if a == 422 and predicted.ok and any(k.lower() == "x-mock-warning" for k in predicted.headers):
        return "unknown_fields"
    if operation in ("customers.list_customers", "customers.get_summary") and a in (404, 422):
        category = query.get("category_id", "")
        if category and store.get("categories", _int(category)) is None:
            return "unknown_filter"
    optional_body = definition is not None and definition.body is not None and not definition.body.required
    if pair <= {200, 400, 422} and not sent.body and optional_body:
        return "empty_body"  # an empty body accepted as nothing to do, or refused
    if operation == "income.list_income" and 400 <= a < 500 and _int(query.get("limit", "10")) > 100:
        return "unstated_limits"
    if operation == "income.get_income" and p == 404 and a == 200:
        entry = sent.answered.get("income") if isinstance(sent.answered, dict) else None
        if isinstance(entry, dict) and entry.get("softDelete") is True and entry.get("id") in deleted_income:
            return "soft_delete"
    return "differ"


def _int(text: Any) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return 0
