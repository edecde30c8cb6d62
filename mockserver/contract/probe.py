"""Inputs chosen from the model, so that every behaviour is reached: every documented
parameter varied (page and limit included: 1, the default, the last page, past it), every
date filter and report period at the edges of the data held (an entry's day, the day before
and after, month and year ends, a leap day), every documented path and alias, and every
kind of write, each followed by reads of every view it changes (judge.py).

Schemathesis then explores at random on top; this is the part that is not left to chance.
"""

import calendar
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .judge import Exchange, Judge, Verdict
from .model import Answer

UNKNOWN_ID = 2_000_000_000


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None  # JSON, or bytes with a content type
    content_type: str | None = None


Send = Any  # (method, path, headers, body bytes) -> Answer


def run(judge: Judge, send: Send, headers: dict[str, str]) -> list[tuple[Request, Verdict]]:
    """Every request of the probe, sent to the target and judged; the verdicts that failed."""
    failed = []
    for request in reads(judge) + writes(judge):
        body, type_ = _encoded(request)
        sent = {**headers, **({"Content-Type": type_} if type_ else {})}
        actual: Answer = send(request.method, request.path, sent, body)
        verdict = judge.judge(Exchange(request.method, request.path, sent, body, actual))
        if verdict.failed:
            failed.append((request, verdict))
    return failed


def _encoded(request: Request) -> tuple[bytes | None, str | None]:
    if request.body is None:
        return None, None
    if isinstance(request.body, bytes):
        return request.body, request.content_type
    return json.dumps(request.body).encode(), "application/json"


# -- reads


def reads(judge: Judge) -> list[Request]:
    store = judge.model.store
    customers = store.ids("customers")
    categories = store.ids("categories")
    income = store.ids("summit_income")
    days = edge_days(judge)
    out = [Request("GET", p) for p in ("/api/v3/clients", "/api/v3/clients?category_id=", "/api/v3/clients/summary")]
    for category in [*categories, UNKNOWN_ID]:
        out += [Request("GET", f"/api/v3/clients?category_id={category}")]
        out += [Request("GET", f"/api/v3/clients/summary?category_id={category}")]
    out += [Request("GET", "/api/v3/clients/clients/categories"), Request("GET", "/api/v3/clients/categories")]
    for ident in [*customers[:20], UNKNOWN_ID]:
        out += [Request("GET", f"/api/v3/clients/{ident}"), Request("GET", f"/api/client/{ident}")]
        out += [Request("GET", f"/api/v3/clients/{ident}/transactions")]
    for first, last in periods(days):
        out += [Request("GET", f"/api/v3/reports/customers/{first}/{last}")]
        out += [Request("GET", f"/api/analytics/customers/{first}/{last}")]
        for ident in customers[:3]:
            out += [Request("GET", f"/api/v3/clients/{ident}/transactions?from={first}&to={last}")]
            out += [Request("GET", f"/api/v3/reports/customers/client/{ident}/{first}/{last}")]
            out += [
                Request(
                    "POST",
                    f"/api/v3/reports/customers/client/{ident}/{first}/{last}",
                    {"id": ident, "from": first, "to": last},
                )
            ]
            out += [
                Request(
                    "POST",
                    f"/api/client/transactions/{ident}?from={first}&to={last}",
                    {"id": ident, "start_date": first, "end_date": last},
                )
            ]
    bid = _business_id(judge)
    if bid:
        out += [Request("GET", f"/api/v3/clients/clients-print/{bid}")]
    out += income_reads(judge, income, days)
    out += undocumented_methods(judge, customers, income)
    return out


def undocumented_methods(judge: Judge, customers: list[int], income: list[int]) -> list[Request]:
    """PATCH, which no operation takes, on every documented path: 405 naming the methods
    the path takes, or 404 where a wider route matches (readings.py, wider_route)."""
    values = {"id": (customers or [1])[0], "incomeId": (income or [1])[0], "bid": _business_id(judge) or "x"}
    values |= {"from": "2024-01-01", "to": "2024-12-31", "startdate": "2024-01-01", "enddate": "2024-12-31"}
    paths = {op.path for op in judge.spec.operations}
    return [Request("PATCH", _filled(path, values)) for path in sorted(paths)]


def _filled(template: str, values: dict[str, Any]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def income_reads(judge: Judge, income: list[int], days: list[date]) -> list[Request]:
    total = len(income)
    out = []
    for limit in (1, 10, 100, None):
        pages = max(1, -(-total // (limit or 10)))
        for page in sorted({1, 2, pages, pages + 1}):
            query = f"page={page}" + (f"&limit={limit}" if limit else "")
            out.append(Request("GET", f"/api/income?{query}"))
    out.append(Request("GET", "/api/income"))
    categories = judge.model.store.ids("summit_income_categories")
    for category in [*categories, UNKNOWN_ID]:
        out.append(Request("GET", f"/api/income?categoryId={category}&limit=100"))
    for first, last in periods(days):
        out.append(Request("GET", f"/api/income?startDate={first}&endDate={last}&limit=100"))
        out.append(Request("GET", f"/api/income?startDate={first}&limit=100"))
        out.append(Request("GET", f"/api/income?endDate={last}&limit=100"))
    for ident in [*income[:20], UNKNOWN_ID]:
        out.append(Request("GET", f"/api/income/{ident}"))
    return out


def edge_days(judge: Judge) -> list[date]:
    """The days the data turns on: each entry's day, and its neighbours, a few at most."""
    store = judge.model.store
    found: set[date] = set()
    for entry in store.all("ledger")[:40]:
        found |= _around(entry.get("date"))
    for entry in store.all("summit_income")[:40]:
        found |= _around(entry.get("incomeDate"))
    found.add(date.today())
    return sorted(found)


def _around(text: Any) -> set[date]:
    try:
        day = date.fromisoformat(text)
        return {day - timedelta(days=1), day, day + timedelta(days=1)}
    except (TypeError, ValueError, OverflowError):  # not a date, or the calendar's first or last day
        return set()


def periods(days: list[date]) -> Iterator[tuple[str, str]]:
    """One-day periods on the edge days, their months and years, a leap day, and all time."""
    seen: set[tuple[date, date]] = set()
    chosen = days[:: max(1, len(days) // 12)]
    for day in chosen:
        month_end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        for pair in ((day, day), (day.replace(day=1), month_end), (date(day.year, 1, 1), date(day.year, 12, 31))):
            seen.add(pair)
    seen |= {
        (date(2024, 2, 29), date(2024, 2, 29)),
        (date(2000, 1, 1), date.today()),
        (date(2024, 2, 28), date(2024, 3, 1)),
    }
    for first, last in sorted(seen):
        yield first.isoformat(), last.isoformat()


def _business_id(judge: Judge) -> str | None:
    business = judge.model.store.all("businesses")
    return business[0].get("encrypted_id") if business else None


# -- writes


def writes(judge: Judge) -> list[Request]:
    """One of each kind of write, on records the run makes (and on one it found)."""
    store = judge.model.store
    category = (store.ids("categories") or [1])[0]
    tag = uuid.uuid4().hex[:8]
    made = judge.model.store.ids("customers")
    out = [
        Request("POST", "/api/v3/clients/category", {"name": f"Probe {tag}", "description": "  made by the probe  "}),
        Request(
            "POST",
            "/api/v3/clients",
            {
                "business_name": f" Probe {tag} ",
                "business_address": "1 Ring Road",
                "business_phone": "0244000000",
                "business_email": f"probe-{tag}@example.com",
                "category_id": category,
                "first_name": "",
                "last_name": "Mensah",
                "phone_number": None,
            },
        ),
    ]
    if made:
        customer = made[-1]
        out += [
            Request(
                "POST",
                f"/api/v3/clients/{customer}",
                {
                    "business_name": f"Probe {tag} renamed",
                    "business_address": "2 Ring Road",
                    "business_phone": "0244000001",
                    "business_email": f"probe-{tag}-2@example.com",
                    "category_id": category,
                },
            ),
            Request("POST", f"/api/v3/clients/{customer}/archive", {"id": customer, "archived": True}),
            Request("POST", f"/api/v3/clients/{customer}/archive", {"id": customer, "archived": False}),
        ]
    out += income_writes(judge, tag)
    return out


def income_writes(judge: Judge, tag: str) -> list[Request]:
    store = judge.model.store
    categories = store.ids("summit_income_categories")
    clients = store.ids("summit_clients")
    if not categories:
        return []
    out = []
    for recurring in ("none", "monthly", "yearly"):
        out.append(
            Request(
                "POST",
                "/api/income",
                {
                    "source": f"Probe {tag}",
                    "description": "probe entry",
                    "amount": 1234.5,
                    "currency": "USD",
                    "incomeDate": "2024-01-31",
                    "recurring": recurring,
                    "categoryId": categories[0],
                    "clientId": clients[0] if clients else None,
                },
            )
        )
    existing = store.ids("summit_income")
    if existing:
        ident = existing[0]
        out += [
            Request("PUT", f"/api/income/{ident}", {"amount": 99.99}),
            Request("PUT", f"/api/income/{ident}", {"recurring": "weekly"}),
            Request("GET", f"/api/income/{ident}"),
        ]
    return out
