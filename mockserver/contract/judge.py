"""Judging one exchange with a target against the model (model.py): the request is asked of
the model, the two answers are compared whole, and a write the target acknowledged is
applied to the model the same way, so the next answer is predicted from the state the
target should now hold. After a write, every view that shows what it changed is read from
the target and judged too: the record, the lists and filters it is in, the summary, the
categories, the reports, the transactions.

The judge needs only the exchange: it judges the requests Schemathesis generates, those
the probe chooses from the model (probe.py), and, in a proxy, traffic it never sent.
"""

import contextlib
import json
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..resources import CONTROL_SPEC_PATH
from ..web.laravel import laravel_strings
from ..web.spec import load_spec
from .compare import Difference, differences, record_id
from .model import Answer, Model, Observed, observe
from .readings import Sent, status_reading
from .walks import Walks, path_id

# operationId -> (the table a create adds to, the new record's id in its answer)
CREATES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "customers.create_customer": ("customers", lambda a: a.get("id")),
    "categories.create_category": ("categories", lambda a: a.get("id")),
    "income.create_income": ("summit_income", lambda a: (a.get("income") or a).get("id")),
    "customer_files.import_customers": ("customers", lambda a: (a.get("ids") or [None])[0]),
    "customer_files.import_customers_text_path": ("customers", lambda a: (a.get("ids") or [None])[0]),
    "ledger.add_entry": ("ledger", lambda a: a.get("id")),  # this mock's control plane, where the target has it
}
SENDS = ("statements.send_statement", "statements.send_statement_legacy")
# What only the target's clock or bookkeeping chooses, adopted from its answer into the model.
CHOSEN = {"customers": ("created_at", "updated_at", "account_id"), "categories": ("created_at", "updated_at")}
CHOSEN["summit_income"] = ("createdAt", "updatedAt")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READ_ONLY_POSTS = frozenset({"reports.filter_customer_income", "reports.filter_client_transactions_legacy"})
SMALL_STORE = 20_000  # records: below it a write is tried on a copy of the model's state


@dataclass
class Exchange:
    method: str
    path: str  # with its query string
    headers: dict[str, str]
    body: bytes | None
    actual: Answer


@dataclass
class Verdict:
    operation: str
    differences: list[Difference] = field(default_factory=list)
    readings: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # the reads after a write that showed a difference
    predicted: Answer | None = None  # the model's answer

    @property
    def failed(self) -> bool:
        return bool(self.differences)


Fetch = Callable[[str, dict[str, str]], Answer]
FetchAhead = Callable[[list[str], dict[str, str]], Generator[Answer, None, None]]


def _observed(fetch: Fetch, headers: dict[str, str]) -> Observed:
    """The target's state, read from its own list endpoints."""

    def get(path: str) -> tuple[int, Any]:
        answer = fetch(path, headers)
        return answer.status, answer.json

    return observe(get)


class Judge:
    def __init__(
        self,
        fetch: Fetch,
        headers: dict[str, str],
        observed: Observed | None = None,
        fetch_ahead: FetchAhead | None = None,
    ):
        """`fetch(path, headers)`: a GET of the target. `headers`: its credentials.
        `fetch_ahead(paths, headers)`: GETs whose answers come in order while the judge works
        on those before (phase.Ahead); by default, `fetch` one at a time."""
        self.fetch, self.headers = fetch, headers
        self.fetch_ahead = fetch_ahead or (lambda paths, sent: (fetch(path, sent) for path in paths))
        self.model = Model(observed if observed is not None else _observed(fetch, headers))
        self.spec = load_spec()
        control = load_spec(CONTROL_SPEC_PATH)
        self._ops = {(op.path, op.method.upper()): op for op in [*self.spec.operations, *control.operations]}
        self._control_plane: bool | None = None
        self.walks = Walks()
        self.readings_taken: dict[str, int] = {}
        self.deleted_income: set[int] = set()
        self.judged = 0

    def control_plane(self) -> bool:
        """Whether the target serves this mock's control plane (an earlier release of this
        mock does): then the probe gives a customer a history, and reads sent statements."""
        if self._control_plane is None:
            answer = self.fetch("/__mock/ledger?customer_id=1", self.headers)
            self._control_plane = answer.status == 200 and isinstance(answer.json, list)
        return self._control_plane

    def resync(self) -> None:
        """The model made anew from the target's lists: after a difference, so that one
        defect is reported once, not again in every answer after it."""
        self.model = Model(_observed(self.fetch, self.headers))

    def operation_of(self, method: str, path: str) -> str | None:
        try:
            endpoint, _ = self.model.app.url_map.bind("localhost").match(urlsplit(path).path, method="GET")
        except Exception:  # no documented path: nothing the model can say
            return None
        op = self._ops.get((endpoint, method.upper()))
        return op.operation_id if op is not None else None

    # -- judging

    def judge(self, exchange: Exchange, follow_up: bool = True) -> Verdict:
        self.judged += 1
        operation = self.operation_of(exchange.method, exchange.path) or f"{exchange.method} {exchange.path}"
        verdict = Verdict(operation)
        writes = exchange.method in WRITE_METHODS and operation not in READ_ONLY_POSTS
        if writes and exchange.actual.ok and operation in CREATES:
            table, new_id = CREATES[operation]
            ident = new_id(exchange.actual.json) if isinstance(exchange.actual.json, dict) else None
            if isinstance(ident, int):
                self.model.align(table, ident)
        self.walks.arrive(operation, exchange.path, _json_body(exchange))
        kept = self._checkpoint() if writes else None
        predicted, reading = self._predict(exchange, kept, writes)
        verdict.predicted = predicted
        if reading:
            verdict.readings.append(reading)
        status = self._status_reading(operation, exchange, predicted)
        if status == "differ":
            verdict.differences.append(Difference("status", predicted.status, exchange.actual.status))
        elif status:
            verdict.readings.append(status)
        if predicted.status == exchange.actual.status == 405:
            verdict.differences += _allow_differences(predicted, exchange.actual)
        if exchange.actual.ok and predicted.ok and predicted.status == exchange.actual.status:
            verdict.differences += self._body_differences(operation, exchange, predicted, writes)
        if writes and exchange.actual.ok != predicted.ok:
            self._restore(kept)  # the target did not write (or did where the model would not)
            if status == "empty_body" and follow_up:  # it took the empty body as nothing to change
                self._views_after(operation, exchange, verdict)
            elif exchange.actual.ok:
                self.resync()
        elif writes and exchange.actual.ok:
            self._adopt(operation, exchange)
            self.walks.lead(operation, exchange.path, exchange.actual.status, exchange.actual.json)
            if follow_up:
                self._views_after(operation, exchange, verdict)
        for name in verdict.readings:
            self.readings_taken[name] = self.readings_taken.get(name, 0) + 1
        if verdict.failed:
            self.resync()
        return verdict

    def _predict(self, exchange: Exchange, kept: dict | None, writes: bool) -> tuple[Answer, str | None]:
        """The model's answer; where Laravel's default middleware would change the body, the
        answer to the body as it would make it too, and whichever the target's agrees with."""
        laravel = _laravel_body(exchange)
        # Where the answer alone cannot tell them apart (a statement's "Transactions sent"),
        # the reading the target was already seen to take is tried first.
        bodies = [(exchange.body, None), (laravel, "laravel_middleware")]
        if self.readings_taken.get("laravel_middleware"):
            bodies.reverse()
        if laravel is None or (writes and kept is None):
            bodies = [(exchange.body, None)]
        for n, (body, reading) in enumerate(bodies):
            if n:
                self._restore(kept)
            asked = self.model.ask(exchange.method, exchange.path, exchange.headers, body)
            if n == len(bodies) - 1 or _agrees(asked, exchange.actual):
                return asked, reading if _agrees(asked, exchange.actual) else None
        raise AssertionError("unreachable")

    def _status_reading(self, operation: str, exchange: Exchange, predicted: Answer) -> str | None:
        sent = Sent(exchange.method, exchange.path, exchange.body, exchange.actual.json)
        return status_reading(
            self.spec, self.model.store, operation, sent, predicted, exchange.actual.status, self.deleted_income
        )

    def _body_differences(self, operation: str, exchange: Exchange, predicted: Answer, wrote: bool) -> list:
        if predicted.content == exchange.actual.content:
            return []  # the same bytes: no field can differ (most answers of a correct target, walked for nothing)
        found = self._all_differences(operation, exchange, predicted, wrote)
        unknown = self.model.observed.unknown_ledgers
        return [d for d in found if not _ledger_figure_of(d.where, unknown)] if unknown else found

    def _all_differences(self, operation: str, exchange: Exchange, predicted: Answer, wrote: bool) -> list:
        if predicted.json is None:
            return _file_differences(predicted, exchange.actual)
        if operation == "income.list_income":
            return self._page_differences(exchange, predicted)
        if operation == "outbox.list_messages":  # the statement just sent: the newest of each
            newest = [a[-1:] if isinstance(a, list) else a for a in (predicted.json, exchange.actual.json)]
            mine = [{k: v for k, v in m.items() if k != "id"} for m in newest[0] if isinstance(m, dict)]
            theirs = [{k: v for k, v in m.items() if k != "id"} for m in newest[1] if isinstance(m, dict)]
            return differences(mine, theirs, "$.newest", clock_free=True)
        return differences(predicted.json, exchange.actual.json, clock_free=wrote)

    def _page_differences(self, exchange: Exchange, predicted: Answer) -> list[Difference]:
        """A page of income entries, in an order the docs do not fix: its meta as predicted,
        and each entry one of the filtered entries, as the model holds it."""
        actual = exchange.actual.json if isinstance(exchange.actual.json, dict) else {}
        expected: Any = predicted.json
        found = differences(expected.get("meta"), actual.get("meta"), "$.meta")
        allowed = every_entry(self.model, exchange.path, exchange.headers)
        data: Any = actual.get("data") if isinstance(actual.get("data"), list) else []
        shown: Any = predicted.json
        if len(data) != len(shown.get("data", [])):
            found.append(Difference("$.data.length", len(shown.get("data", [])), len(data)))
        for item in data:
            ident = record_id(item)
            if ident not in allowed:
                found.append(Difference(f"$.data[id={ident}]", "not in the filtered entries", item))
            else:
                found += differences(allowed[ident], item, f"$.data[id={ident}]")
        return found

    # -- after a write

    def _adopt(self, operation: str, exchange: Exchange) -> None:
        answer = exchange.actual.json
        table = CREATES.get(operation, (None,))[0] or _table_of(operation)
        if operation == "income.delete_income":
            ident = path_id(exchange.path)
            if ident is not None:
                self.deleted_income.add(ident)
        if table is None or not isinstance(answer, dict):
            return
        records = answer.get("ids") if isinstance(answer.get("ids"), list) else None
        if records is not None:  # an import: its customers, fetched for what the target chose
            for ident in records:
                shown = self.fetch(f"/api/v3/clients/{ident}", self.headers).json
                if isinstance(shown, dict):
                    self.model.adopt(table, ident, {k: shown[k] for k in CHOSEN[table] if k in shown})
                self._adopt_entries(ident)
            return
        record: Any = answer.get("income") if isinstance(answer.get("income"), dict) else answer
        ident = record.get("id")
        if isinstance(ident, int) and table in CHOSEN:
            self.model.adopt(table, ident, {k: record[k] for k in CHOSEN[table] if k in record})

    def _adopt_entries(self, customer: int) -> None:
        """The ids the target gave the ledger entries a write made (an import's opening
        balances), where they are the entries the model made: content compared, ids taken."""
        shown = self.fetch(f"/api/v3/clients/{customer}/transactions", self.headers).json
        listed = shown[0] if isinstance(shown, list) and shown else shown
        theirs = listed.get("transactions") if isinstance(listed, dict) else None
        ours = self.model.store.find_by("ledger", "customer_id", customer)
        if not isinstance(theirs, list) or len(theirs) != len(ours):
            return  # the views after the write say what differs
        key = lambda e: json.dumps({k: v for k, v in e.items() if k != "id"}, sort_keys=True, default=str)  # noqa: E731
        mine = sorted(ours, key=key)
        if [key(e) for e in mine] != sorted(key(e) for e in theirs if isinstance(e, dict)):
            return
        for entry, their_id in zip(mine, sorted((e for e in theirs), key=key), strict=True):
            if their_id.get("id") != entry["id"] and isinstance(their_id.get("id"), int):
                self.model.rekey("ledger", entry["id"], their_id["id"])

    def _views_after(self, operation: str, exchange: Exchange, verdict: Verdict) -> None:
        paths = self._views(operation, exchange)
        with contextlib.closing(self.fetch_ahead(paths, self.headers)) as answers:
            for path, answer in zip(paths, answers, strict=True):
                seen = self.judge(Exchange("GET", path, self.headers, None, answer), follow_up=False)
                if seen.failed:
                    verdict.differences += [
                        Difference(f"then GET {path}: {d.where}", d.expected, d.actual) for d in seen.differences
                    ]
                    verdict.steps.append(path)
                    return  # the model was made anew from the target: the rest would judge against that

    def _views(self, operation: str, exchange: Exchange) -> list[str]:
        """Every documented read that shows what the write changed."""
        today = date.today().isoformat()
        if operation.startswith("income."):
            ident = path_id(exchange.path)
            answer = exchange.actual.json
            if ident is None and isinstance(answer, dict):
                ident = (answer.get("income") or answer).get("id")
            views = ["/api/income", "/api/income?page=1&limit=100"]
            if isinstance(ident, int):
                views.insert(0, f"/api/income/{ident}")
            return views
        if operation == "ledger.add_entry":
            sent = _json_body(exchange) or {}
            customer = sent.get("customer_id")
            return [f"/api/v3/clients/{customer}", f"/api/v3/clients/{customer}/transactions", "/api/v3/clients"]
        if operation in SENDS and self.control_plane():
            return [f"/__mock/outbox?customer_id={path_id(exchange.path)}"]
        customer = path_id(exchange.path) if "/clients/" in exchange.path else None
        if customer is None and isinstance(exchange.actual.json, dict) and operation in CREATES:
            customer = exchange.actual.json.get("id") if operation == "customers.create_customer" else None
        views = ["/api/v3/clients", "/api/v3/clients/summary", "/api/v3/clients/clients/categories"]
        views += [f"/api/v3/reports/customers/2000-01-01/{today}", f"/api/v3/reports/customers/{today}/{today}"]
        if isinstance(customer, int) and operation != "customers.delete_customer":
            views += [f"/api/v3/clients/{customer}", f"/api/v3/clients/{customer}/transactions"]
            record = self.model.store.get("customers", customer)
            if record is not None:  # and the filtered list it belongs to
                views.append(f"/api/v3/clients?category_id={record.get('category_id')}")
        elif isinstance(customer, int):
            views.append(f"/api/v3/clients/{customer}")
            if self.control_plane():  # its entries go with it
                views.append(f"/__mock/ledger?customer_id={customer}")
        return views

    # -- the model's state, kept aside for a write that may not happen

    def _checkpoint(self) -> dict | None:
        counts = self.model.store.counts()
        return self.model.store.export() if sum(counts.values()) < SMALL_STORE else None

    def _restore(self, kept: dict | None) -> None:
        if kept is not None:
            self.model.store.replace(kept)


def every_entry(model: Model, path: str, headers: dict[str, str]) -> dict[Any, Any]:
    """Every entry of a paged list with its filters, by id, as the model holds them."""
    split = urlsplit(path)
    query = dict(parse_qsl(split.query, keep_blank_values=True))
    found: dict[Any, Any] = {}
    for page in range(1, 10**6):
        whole = {**query, "page": str(page), "limit": "100"}
        every: Any = model.ask("GET", f"{split.path}?{urlencode(whole)}", headers, None).json or {}
        found.update((record_id(item), item) for item in every.get("data", []))
        if page >= every.get("meta", {}).get("totalPages", 0):
            break
    return found


# Figures summed from a customer's ledger: where the model could not read a ledger (a big
# store), they are not compared for that customer, nor the totals that include it.
LEDGER_FIGURES = frozenset(
    {"unformated_balance", "balance", "total_debit", "total_credit", "total_balance", "amount_due", "invoice_count"}
    | {"amount_paid", "online_amount_paid", "average_payment_terms", "owing", "total_paid", "invoices", "transactions"}
    | {"dateFrom", "dateTo"}  # an unbounded period runs from the first entry to the last
)


def _ledger_figure_of(where: str, unknown: set[int]) -> bool:
    """Whether the difference at `where` is a figure of an unread ledger: a field of an
    unknown customer's entry in a list, or a total over customers (the summary's)."""
    names = {part.split("[", 1)[0] for part in where.split(".")}
    if not names & LEDGER_FIGURES:
        return False
    ids = [int(part.split("]", 1)[0]) for part in where.split("[id=")[1:] if part.split("]", 1)[0].isdigit()]
    return not ids or ids[0] in unknown  # a total over a group of customers, or an unread one's figure


def _allow_differences(predicted: Answer, actual: Answer) -> list[Difference]:
    """A 405's Allow names at least the methods the path takes (a wider route's may join them)."""

    def methods(answer: Answer) -> set[str]:
        allow = next((v for k, v in answer.headers.items() if k.lower() == "allow"), "")
        return {m.strip().upper() for m in allow.split(",") if m.strip()} - {"HEAD", "OPTIONS"}

    missing = methods(predicted) - methods(actual)
    return [Difference("Allow", sorted(methods(predicted)), sorted(methods(actual)))] if missing else []


def _agrees(predicted: Answer, actual: Answer) -> bool:
    if predicted.status != actual.status:
        return False
    if not predicted.ok or predicted.content == actual.content:
        return True
    return not differences(predicted.json, actual.json, clock_free=True)


def _laravel_body(exchange: Exchange) -> bytes | None:
    """The JSON body as Laravel's TrimStrings and ConvertEmptyStringsToNull leave it, if they
    change it."""
    body = _json_body(exchange)
    if not isinstance(body, dict):
        return None
    changed = laravel_strings(body)
    return json.dumps(changed).encode() if changed != body else None


def _json_body(exchange: Exchange) -> Any:
    if not exchange.body:
        return None
    try:
        return json.loads(exchange.body)
    except ValueError:
        return None


def _file_differences(predicted: Answer, actual: Answer) -> list[Difference]:
    """A file answer (the export): its rows compared, cell by cell."""
    want, got = _rows_of(predicted.content), _rows_of(actual.content)
    return differences(want, got, "$.rows")


def _rows_of(content: bytes) -> list[list[Any]] | str:
    """A spreadsheet's (or CSV's) rows as values; what it cannot read, its first bytes."""
    import csv
    import io
    import zipfile

    if content[:2] == b"PK":
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            return content[:40].hex()
    text = content.decode("utf-8-sig", errors="replace")
    return [row for row in csv.reader(io.StringIO(text))]


def _table_of(operation: str) -> str | None:
    if operation.startswith("customers."):
        return "customers"
    if operation.startswith("income."):
        return "summit_income"
    return None
