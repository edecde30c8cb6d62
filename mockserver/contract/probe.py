"""Inputs chosen from the model, so that every behaviour is reached. The reads come from the
spec: every documented read operation, path and alias, with each of its parameters varied
one at a time over values the model holds (ids that exist and one that does not; `page`
and `limit` at 1, the default, the last page and past it; every date filter and report
period at the edges of the data held: an entry's day, the day before and after, month and
year ends, a leap day, and a period that runs backwards), an optional body sent and left
out. Then one of each kind of write, each followed by reads of every view it changes
(judge.py), and the deletes of what the probe made. The days come from days.py.

Schemathesis then explores at random on top; this is the part that is not left to chance.
"""

import contextlib
import itertools
import json
import uuid
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from ..formats.sheets import xlsx_bytes
from ..schemas.customer_sheet import COLUMNS
from . import days
from .compare import Difference, record_id
from .judge import READ_ONLY_POSTS, Exchange, Judge, Verdict, every_entry
from .model import Answer

UNKNOWN_ID = 2_000_000_000
LARGE = 1000  # customers: a store this big has each whole-table report asked for fewer periods
MOST_ENUM = 8  # values of an enumerated field a body is sent with
MOST_IDS = 3  # records of each kind a path is filled with (the first, the last, and one between)
# query parameters that mean something only together: varied as a pair
PAIRS = (("from", "to"), ("startDate", "endDate"), ("page", "limit"))
MOST_SPANS = 6  # periods a filter is sent beside, spread over all of them


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None  # JSON, or bytes with a content type
    content_type: str | None = None


Send = Any  # (method, path, headers, body bytes) -> Answer
SendAhead = Callable[[Iterable[tuple[str, str, dict[str, str], bytes | None]]], Generator[Answer, None, None]]


def run(
    judge: Judge,
    send: Send,
    headers: dict[str, str],
    max_failures: int | None = None,
    ahead: SendAhead | None = None,
) -> list[tuple[Request, Verdict]]:
    """Every request of the probe, sent to the target and judged; the verdicts that failed.
    With `max_failures`, it stops at that many: a CI job that wants only "does it conform"
    (or a mutant run, which needs one failure) need not wait for the rest. `ahead` sends the
    reads a few ahead of the judge (phase.Ahead)."""
    failed = []
    for request, sent, body, actual in _answered(judge, send, headers, ahead):
        verdict = judge.judge(Exchange(request.method, request.path, sent, body, actual))
        if verdict.failed:
            failed.append((request, verdict))
            if max_failures is not None and len(failed) >= max_failures:
                return failed
    failed += page_walks(judge, send, headers)
    return failed[:max_failures]


def _answered(
    judge: Judge, send: Send, headers: dict[str, str], ahead: SendAhead | None
) -> Iterator[tuple[Request, dict[str, str], bytes | None, Answer]]:
    """Each request with what was sent and the target's answer. The reads, which change
    nothing and are all chosen from the state observed, may be sent ahead; every other
    request goes out once the answers before it are in, chosen from the state they left."""
    chosen = [(request, *_prepared(request, headers)) for request in reads(judge)]
    answers = (ahead or _one_by_one(send))((r.method, r.path, sent, body) for r, sent, body in chosen)
    with contextlib.closing(answers):
        for (request, sent, body), actual in zip(chosen, answers, strict=True):
            yield request, sent, body, actual
    for request in itertools.chain(undocumented_methods(judge), writes(judge)):
        sent, body = _prepared(request, headers)
        yield request, sent, body, send(request.method, request.path, sent, body)


def _one_by_one(send: Send) -> SendAhead:
    return lambda requests: (send(*request) for request in requests)


def _prepared(request: Request, headers: dict[str, str]) -> tuple[dict[str, str], bytes | None]:
    body, type_ = _encoded(request)
    return {**headers, **({"Content-Type": type_} if type_ else {})}, body


MOST_PAGES = 30  # pages one walk reads: a big list is walked in bigger pages


def page_walks(judge: Judge, send: Send, headers: dict[str, str]) -> list[tuple[Request, Verdict]]:
    """Every paged list walked page by page, as a consumer reads it: whatever order the
    target keeps, its pages together hold each entry once. A page judged alone shows its
    entries are right ones, never that the next page does not skip or repeat one."""
    failed = []
    for op in judge.spec.operations:
        names = {p.name for p in op.query_parameters}
        if op.method != "GET" or "{" in op.path or not {"page", "limit"} <= names:
            continue
        expected = every_entry(judge.model, op.path, headers)
        for limit in sorted({3, 7, -(-len(expected) // MOST_PAGES)}):
            if limit < 1:
                continue
            seen: list[Any] = []
            for page in range(1, -(-len(expected) // limit) + 2):  # and one past the last
                answer = send("GET", f"{op.path}?page={page}&limit={limit}", headers, None)
                data = answer.json.get("data") if isinstance(answer.json, dict) else None
                if not isinstance(data, list) or not data:
                    break
                seen += [record_id(item) for item in data]
            missing = sorted(set(expected) - set(seen), key=str)
            repeated = sorted((i for i, n in Counter(seen).items() if n > 1), key=str)
            if missing or repeated:
                verdict = Verdict(op.operation_id)
                where = f"pages of {limit} walked from 1 to the end"
                verdict.differences += [Difference(f"{where}: entries never shown", [], missing)] if missing else []
                verdict.differences += [Difference(f"{where}: entries shown twice", [], repeated)] if repeated else []
                failed.append((Request("GET", f"{op.path}?page=2&limit={limit}"), verdict))
    return failed


def _encoded(request: Request) -> tuple[bytes | None, str | None]:
    if request.body is None:
        return None, None
    if isinstance(request.body, bytes):
        return request.body, request.content_type
    return json.dumps(request.body).encode(), "application/json"


# -- reads, from the spec


class Values:
    """Candidate values of each parameter, by name, from the model's state."""

    def __init__(self, judge: Judge):
        store = judge.model.store
        self.customers = _spread(store.ids("customers"))
        self.income = _spread(store.ids("summit_income"))
        self.categories = store.ids("categories")[:10]
        self.income_categories = store.ids("summit_income_categories")[:10]
        self.periods = list(days.periods(days.edge_days(judge)))
        if len(store.ids("customers")) > LARGE:  # every report is the whole table: fewer of them
            self.periods = self.periods[:: max(1, len(self.periods) // 4)]
        self.entries = store.all("ledger")[:5]
        self.total_income = len(store.ids("summit_income"))
        business = store.all("businesses")
        self.bid = business[0].get("encrypted_id") if business else None

    def paths(self, template: str) -> list[dict[str, Any]]:
        """Fillings of a path's parameters: each id with the first period, each period with the first id."""
        ids = self.customers if "{id}" in template else self.income if "{incomeId}" in template else [None]
        ids = [*ids, UNKNOWN_ID] if ids != [None] else ids
        dated = any(f"{{{n}}}" in template for n in ("from", "startdate"))
        spans = [*self.periods, days.backwards(self.periods[0])] if dated else [None]
        fillings = [self._filling(i, spans[0]) for i in ids]
        fillings += [self._filling(ids[0], span) for span in spans[1:]]
        if "{bid}" in template:
            fillings = [{"bid": self.bid or "unknown"}, {"bid": "not-the-business"}]
        return fillings

    def _filling(self, ident: Any, span: tuple[str, str] | None) -> dict[str, Any]:
        filling: dict[str, Any] = {"id": ident, "incomeId": ident}
        if span:
            filling |= {"from": span[0], "to": span[1], "startdate": span[0], "enddate": span[1]}
        return filling

    def query(self, name: str) -> list[Any]:
        """Values of one query parameter, varied alone."""
        if name == "category_id":
            return ["", *self.categories, UNKNOWN_ID]
        if name == "categoryId":
            return [*self.income_categories, UNKNOWN_ID]
        if name == "format":
            return ["xlsx", "csv"]
        if name == "id":  # a transaction's id
            return [*(e["id"] for e in self.entries[:2]), UNKNOWN_ID]
        if name in ("from", "startDate", "to", "endDate"):  # alone: on the edge days, and the calendar's ends
            single = sorted({p[0] for p in self.periods if p[0] == p[1]})
            return [date.min.isoformat(), *single[:: max(1, len(single) // 8)], date.max.isoformat()]
        return []

    def pair(self, names: tuple[str, str]) -> list[dict[str, Any]]:
        if names == ("page", "limit"):
            return self._pages()
        spans = [*self.periods, days.backwards(self.periods[0])]
        return [{names[0]: a, names[1]: b} for a, b in spans]

    def _pages(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for limit in (1, 10, 100, None):
            pages = max(1, -(-self.total_income // (limit or 10)))
            for page in sorted({1, 2, pages, pages + 1}):
                out.append({"page": page, **({"limit": limit} if limit else {})})
        return out


def reads(judge: Judge) -> Iterator[Request]:
    values = Values(judge)
    for op in judge.spec.operations:
        if op.method != "GET" and op.operation_id not in READ_ONLY_POSTS:
            continue
        names = [p.name for p in op.query_parameters]
        for n, filling in enumerate(values.paths(op.path)):
            path = _filled(op.path, filling)
            for query in _queries(names, values):
                url = path + (f"?{urlencode(query)}" if query else "")
                if op.method == "GET":
                    yield Request("GET", url)
                    continue
                if not (op.body and op.body.required):
                    yield Request(op.method, url)  # the body left out, as the docs allow
                body = _read_body(judge, op, filling, query)
                yield Request(op.method, url, body)
                if n == 0 and not query:  # and, once per operation, each repeated value alone contradicting
                    repeated = set(filling) | {"start_date", "end_date"}
                    yield from (Request(op.method, url, other) for other in _contradicting(body, repeated))


def _queries(names: list[str], values: Values) -> Iterator[dict[str, Any]]:
    """None of the query parameters; then each varied alone; then each pair varied together."""
    yield {}
    for name in names:
        for value in values.query(name):
            yield {name: value}
    for pair in PAIRS:
        if all(n in names for n in pair):
            yield from values.pair(pair)
    for name in (n for n in names if not any(n in pair for pair in PAIRS)):
        for pair in (p for p in PAIRS if p != ("page", "limit") and all(n in names for n in p)):
            spans = values.pair(pair)
            for value in values.query(name)[:2]:  # a filter must hold whatever else is sent with it
                yield from ({**span, name: value} for span in spans[:: max(1, len(spans) // MOST_SPANS)])
    if {"page", "limit"} <= set(names):  # every page of each filtered list, not only of the whole one
        for name in (n for n in names if n not in ("page", "limit")):
            for value in values.query(name)[:2]:
                yield from ({**pages, name: value} for pages in values.pair(("page", "limit")))


def _read_body(judge: Judge, op: Any, filling: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    """The operation's documented example, its id and dates those of the request."""
    example = dict(_example(judge, op) or {})
    known = {**filling, **query}
    known |= {"start_date": known.get("from"), "end_date": known.get("to")}
    return {key: known.get(key, value) for key, value in example.items()}


def _contradicting(body: dict[str, Any], repeated: set[str]) -> Iterator[dict[str, Any]]:
    """The body with one value that repeats the path moved one step up, then one down (an
    id by one, a day by one), the rest agreeing: a check that holds one way only, or one
    field only, lets the other through."""
    for key in sorted(k for k in body if k in repeated):
        yield from ({**body, key: other} for other in _steps(body[key]))


def _steps(value: Any) -> list[Any]:
    """An id or count one above and one below, a day one after and one before (within the
    calendar); nothing for any other value."""
    if type(value) is int:
        return [value + 1, value - 1]
    if isinstance(value, str) and days.is_day(value):
        return [d.isoformat() for d in (days.shifted(date.fromisoformat(value), n) for n in (1, -1)) if d]
    return []


def _example(judge: Judge, op: Any) -> Any:
    definition = judge.spec.operation_definition(op)
    content = judge.spec.resolve(definition.get("requestBody", {})).get("content", {})
    for media in content.values():
        for example in (media.get("examples") or {}).values():
            return judge.spec.resolve(example).get("value")
        if "example" in media:
            return media["example"]
    return None


def undocumented_methods(judge: Judge) -> Iterator[Request]:
    """PATCH, which no operation takes, on every documented path: 405 naming the methods
    the path takes, or 404 where a wider route matches (readings.py, wider_route)."""
    values = Values(judge)
    for path in sorted({op.path for op in judge.spec.operations}):
        yield Request("PATCH", _filled(path, values.paths(path)[0]))


def _filled(template: str, values: dict[str, Any]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def _spread(ids: list[int]) -> list[int]:
    if len(ids) <= MOST_IDS:
        return ids
    return [ids[0], ids[len(ids) // 2], ids[-1]]


# -- writes, each chosen from the state the last one left


def writes(judge: Judge) -> Iterator[Request]:
    tag = uuid.uuid4().hex[:8]
    store = judge.model.store
    category = (store.ids("categories") or [1])[0]
    yield Request("POST", "/api/v3/clients/category", {"name": f"Probe {tag}", "description": "  made by the probe  "})
    customer = {
        "business_name": f" Probe {tag} ",
        "business_address": "1 Ring Road",
        "business_phone": "0244000000",
        "business_email": f"probe-{tag}@example.com",
        "category_id": store.ids("categories")[-1] if store.ids("categories") else category,
        "first_name": "",
        "last_name": "Mensah",
        "phone_number": None,
    }
    yield Request("POST", "/api/v3/clients", customer)
    made = store.ids("customers")[-1] if store.ids("customers") else None
    sheet = xlsx_bytes("Customers", COLUMNS, [(f"Probe {tag} imported", "0241234567", None, "Accra", 12.5)])
    yield _multipart("/api/clients-import", {"category_id": str(category)}, ("customers", "probe.xlsx", sheet))
    imported = store.ids("customers")[-1] if store.ids("customers") else None
    for ident in [i for i in (made, (store.ids("customers") or [None])[0]) if i is not None]:
        yield Request("POST", f"/api/v3/clients/{ident}", {**customer, "business_name": f"Probe {tag} renamed"})
        yield Request("POST", f"/api/v3/clients/{ident}/archive", {"id": ident, "archived": True})
        # an update in each state a record may be in: what it leaves unsent must stay as it was
        yield Request("POST", f"/api/v3/clients/{ident}", {**customer, "business_name": f"Probe {tag} archived"})
        yield Request("POST", f"/api/v3/clients/{ident}/archive", {"id": ident, "archived": False})
        body = {**_send_example(judge), "other_emails": ["probe@example.com"]}
        yield Request("POST", f"/api/v3/reports/customers/client/transactions/send/{ident}", body)
    yield from income_writes(judge, tag)
    yield from history(judge, made)
    yield from varied_bodies(judge, tag)
    yield from varied_sheets(judge, tag)
    # deletes of customers that carry entries (an opening balance, a history): every figure
    # that summed them must drop them
    newest = store.ids("customers")
    for ident in dict.fromkeys(i for i in (newest[-1] if newest else None, imported, made) if i is not None):
        yield Request("DELETE", f"/api/v3/clients/{ident}")
        yield Request("GET", f"/api/v3/clients/{ident}")


def income_writes(judge: Judge, tag: str) -> Iterator[Request]:
    store = judge.model.store
    categories = store.ids("summit_income_categories")
    clients = store.ids("summit_clients")
    if not categories:
        return
    for recurring, day in (("none", "2024-01-31"), ("monthly", "2024-01-31"), ("weekly", "2024-02-29")):
        entry = {"source": f"Probe {tag}", "description": "probe entry", "amount": 1234.5, "currency": "USD"}
        entry |= {"incomeDate": day, "recurring": recurring, "categoryId": categories[-1]}
        yield Request("POST", "/api/income", {**entry, "clientId": clients[0] if clients else None})
    for changes in ({"amount": 99.99}, {"recurring": "yearly"}, {"incomeDate": "2023-12-31"}, {}):
        ident = store.ids("summit_income")[-1]
        yield Request("PUT", f"/api/income/{ident}", changes)
    ident = store.ids("summit_income")[-1]
    yield Request("PUT", f"/api/income/{ident}")  # no body at all (readings.py, empty_update)
    yield Request("DELETE", f"/api/income/{ident}")
    yield Request("GET", f"/api/income/{ident}")
    yield Request("DELETE", f"/api/income/{ident}")


def _multipart(path: str, fields: dict[str, str], file: tuple[str, str, bytes]) -> Request:
    boundary = f"probe-{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    name, filename, content = file
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
    head += "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
    body = b"".join(parts) + head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return Request("POST", path, body, f"multipart/form-data; boundary={boundary}")


# -- each field of each write's body varied alone, from the spec's schema


def varied_bodies(judge: Judge, tag: str) -> Iterator[Request]:
    """Each write with its documented body sent to an id that names nothing; then each body
    field, one at a time: left out, null, empty, at its longest and one past it, and a date
    on, before and after the body's other dates. The model says which are taken and what
    they store."""
    for op in judge.spec.operations:
        schema = judge.spec.resolve(_body_schema(judge, op))
        if op.method == "GET" or not schema.get("properties"):  # no JSON body to vary (the import's is a sheet)
            continue
        base = {**(_example(judge, op) or {})}
        if "business_email" in base:
            base["business_email"] = f"varied-{tag}@example.com"
        if "{" in op.path:  # the documented body, to a record that does not exist
            yield Request(op.method, _filled(op.path, {"id": UNKNOWN_ID, "incomeId": UNKNOWN_ID}), base)
        properties = schema.get("properties", {})
        for name, field_schema in properties.items():
            target = _write_target(judge, op)
            filling = target[1] if target else {}
            # a field that repeats the path (an archive's id) agrees with it, so that each
            # variant is the one thing that differs
            agreeing = {**base, **{k: v for k, v in filling.items() if k in base}}
            for value in _variants(judge, agreeing, name, judge.spec.resolve(field_schema)):
                body = {k: v for k, v in agreeing.items() if k != name}
                if value is not _ABSENT:
                    body[name] = value
                target = _write_target(judge, op)
                if target is not None:
                    yield Request(op.method, target[0], body)


_ABSENT = object()


def _variants(judge: Judge, base: dict, name: str, schema: dict) -> list[Any]:
    out: list[Any] = [_ABSENT, None, ""]
    # a value of no type the field takes: an object for any other field, a list for an
    # object (no reading takes either: Laravel's string, numeric and boolean rules refuse them)
    out.append({"not": "of this type"} if "object" not in _types(judge, schema) else ["not of this type"])
    options = [schema, *(judge.spec.resolve(option) for option in schema.get("anyOf", []))]
    allowed = [value for option in options for value in option.get("enum", [])]
    # every value the docs allow; of a long list (ISO 4217's currencies), a few spread over it
    out += allowed if len(allowed) <= MOST_ENUM else allowed[:: len(allowed) // (MOST_ENUM - 1)] + allowed[-1:]
    lengths = [judge.spec.resolve(option).get("maxLength") for option in schema.get("anyOf", [])]
    longest = schema.get("maxLength") or next((n for n in lengths if n), None)
    if longest:
        out += ["x" * longest, "x" * (longest + 1)]
    # a number at its bounds and one step past them, and the documented one a step either
    # way (an id that must repeat the path's, a count a rule compares)
    for option in options:
        step = 1 if option.get("type") == "integer" else 0.01
        for bound, past in (("minimum", -step), ("maximum", step)):
            if isinstance(option.get(bound), (int, float)) and not isinstance(option.get(bound), bool):
                out += [option[bound], round(option[bound] + past, 2)]
    if type(base.get(name)) is int:
        out += _steps(base[name])
    if isinstance(base.get(name), str) and days.is_day(base[name]):
        for other in [v for k, v in base.items() if k != name and isinstance(v, str) and days.is_day(v)] + [base[name]]:
            out += [d.isoformat() for d in sorted(days.around(date.fromisoformat(other)))]
    return out


def _types(judge: Judge, schema: dict) -> set[str]:
    """The JSON types a field's schema takes, its anyOf's included."""
    options = [schema, *(judge.spec.resolve(option) for option in schema.get("anyOf", []))]
    found = set()
    for option in options:
        kind = option.get("type")
        found |= set(kind) if isinstance(kind, list) else {kind} if kind else set()
    return found


def _body_schema(judge: Judge, op: Any) -> dict:
    definition = judge.spec.operation_definition(op)
    content = judge.spec.resolve(definition.get("requestBody", {})).get("content", {})
    return content.get("application/json", {}).get("schema", {})


# -- an import's sheet varied cell by cell


def varied_sheets(judge: Judge, tag: str) -> Iterator[Request]:
    """The import with each column's cell varied alone in a one-row sheet: blank, zero, below
    zero, a fraction, past any amount, at the longest text and one past it; and a sheet that
    repeats its row. The model says which sheets are taken and what they make."""
    category = (judge.model.store.ids("categories") or [1])[-1]
    base = [f"Sheet {tag}", "0241234567", f"sheet-{tag}@example.com", "Accra", 12.5]
    values: list[Any] = [None, "", 0, -1, 0.5, 10**13, "x" * 255, "x" * 256, "not a number", True]
    for column in range(len(COLUMNS)):
        for n, value in enumerate(values):
            row = list(base)
            row[column] = value
            if column == 2 and isinstance(value, str) and value.startswith("x"):
                row[column] = f"{value[: len(value) - 12]}@example.com"  # the longest e-mail, and one past
            row[0] = row[0] if column == 0 else f"Sheet {tag} {column}.{n}"
            sheet = xlsx_bytes("Customers", COLUMNS, [tuple(row)])
            yield _multipart("/api/clients-import", {"category_id": str(category)}, ("customers", "v.xlsx", sheet))
    twice = xlsx_bytes("Customers", COLUMNS, [tuple(base), tuple(base)])
    yield _multipart("/api/clients-import", {"category_id": str(category)}, ("customers", "twice.xlsx", twice))


def _write_target(judge: Judge, op: Any) -> tuple[str, dict[str, Any]] | None:
    """The path a write is sent to, and the values it was filled with."""
    store = judge.model.store
    dates = {"from": "2024-01-01", "to": "2024-12-31", "startdate": "2024-01-01", "enddate": "2024-12-31"}
    if "{id}" in op.path:
        ids = store.ids("customers")
        filling = {"id": ids[-1], **dates} if ids else {}
        return (_filled(op.path, filling) + _period_query(op), filling) if ids else None
    if "{incomeId}" in op.path:
        ids = store.ids("summit_income")
        return (_filled(op.path, {"incomeId": ids[-1]}), {"incomeId": ids[-1]}) if ids else None
    return op.path, {}


# -- a ledger's history, through the mock's control plane where the target has one


def history(judge: Judge, customer: int | None) -> Iterator[Request]:
    """Invoices and payments on one customer, on the days and in the ways the report's
    figures turn on: paid in part, in full, late, online, on a leap day. Only a target that
    serves this mock's control plane (/__mock/ledger) can take them; others are left as
    they are, and the run says so."""
    if customer is None or not judge.control_plane():
        return
    entries = [
        ("payment", 750, "2024-01-02", None, "cash"),  # in advance, more than the next invoice
        ("payment", 40, "2024-01-03", None, "card"),  # and another: credits are used oldest first
        ("invoice", 500, "2024-01-15", "2024-02-14", None),
        ("payment", 200, "2024-01-20", None, "bank"),
        ("payment", 300, "2024-02-29", None, "online"),
        ("invoice", 1250.75, "2024-02-29", "2024-03-30", None),
        ("payment", 1000, "2024-04-30", None, "mobile_money"),
        ("invoice", 80, "2024-12-31", None, None),
    ]
    for kind, amount, day, due, method in entries:
        body = {"customer_id": customer, "kind": kind, "amount": amount, "date": day}
        body |= {"due_date": due, "method": method, "description": ""}
        yield Request("POST", "/__mock/ledger", body)
    for first, last in (("2024-01-01", "2024-01-31"), ("2024-02-29", "2024-02-29"), ("2024-01-01", "2024-12-31")):
        yield Request("GET", f"/api/v3/reports/customers/{first}/{last}")
        yield Request("GET", f"/api/v3/reports/customers/client/{customer}/{first}/{last}")
        yield Request("GET", f"/api/v3/clients/{customer}/transactions?from={first}&to={last}")
    body = {**_send_example(judge), "other_emails": ["history@example.com"]}
    send = f"/api/v3/reports/customers/client/transactions/send/{customer}"
    # a statement from before the history, and from days it has entries on: what is brought
    # forward holds the days before, never the first day's own
    for first, last in (("2024-01-01", "2024-03-31"), ("2024-01-15", "2024-02-29"), ("2024-02-29", "2024-12-31")):
        yield Request("POST", f"{send}?from={first}&to={last}", body)
    # and one entry taken away again: every figure that summed it must drop it
    kept = judge.model.store.find_by("ledger", "customer_id", customer)
    if kept:
        yield Request("DELETE", f"/__mock/ledger/{max(e['id'] for e in kept)}")
        yield Request("GET", f"/api/v3/clients/{customer}/transactions")


def _period_query(op: Any) -> str:
    names = {p.name for p in op.query_parameters}
    return "?from=2024-01-01&to=2024-12-31" if {"from", "to"} <= names else ""


def _send_example(judge: Judge) -> dict[str, Any]:
    """The statement's documented body (its send_tome a date, as the docs' sample has it)."""
    op = next(op for op in judge.spec.operations if op.operation_id == "statements.send_statement")
    return dict(_example(judge, op) or {"message": "Your statement"})
