"""The contract's model of a target: this mock's own domain layer (the handlers, the store,
the ledger, the reports), run in-process on the state the target shows.

The docs' meaning then lives in one place. The code that serves the mock predicts the whole
answer a correct backend gives to any request, once it holds the same records: it is built
from the target's own list endpoints at the start, and every write the target acknowledges
is applied to it the same way (`Judge`, judge.py). Where a record or figure cannot be read
from the target (a big store's ledgers, a business the API never lists), the model says
so (`unknown`), and the comparison leaves those figures out rather than guess them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

STORED_CUSTOMER = (
    "owner_id",
    "business_id",
    "first_name",
    "last_name",
    "phone_number",
    "business_name",
    "business_address",
    "business_phone",
    "business_location",
    "business_email",
    "created_at",
    "updated_at",
    "account_id",
    "category_id",
    "deposit_amount",
    "deposit_account_id",
    "archived",
)
STORED_ENTRY = ("customer_id", "kind", "amount", "date", "due_date", "method", "description")
# Ledgers are read one customer at a time: past this many customers, only this many are read
# and the rest are `unknown` (their figures are compared as changes, not as values).
MOST_LEDGERS = 300
INCOME_PAGE = 100
STANDING_DAY = "1900-01-01"

Get = Callable[[str], tuple[int, Any]]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    content: bytes
    json: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Observed:
    """The target's documented state as its lists show it, in the store's tables."""

    tables: dict[str, dict[str, dict]]
    unknown_ledgers: set[int] = field(default_factory=set)  # customers whose ledger was not read
    not_listed: list[str] = field(default_factory=list)  # lists the target would not give


def observe(get: Get) -> Observed:
    """Reads the target through its documented lists: customers (with each one's ledger
    through its transactions), customer categories, and every page of income entries
    (with their categories and clients)."""
    tables: dict[str, dict[str, dict]] = {}
    not_listed: list[str] = []
    status, customers = get("/api/v3/clients")
    if status != 200 or not isinstance(customers, list):
        not_listed.append("GET /api/v3/clients")
        customers = []
    tables["customers"] = {
        str(c["id"]): {k: c.get(k) for k in STORED_CUSTOMER if k in c}
        for c in customers
        if isinstance(c, dict) and isinstance(c.get("id"), int)
    }
    ledger: dict[str, dict] = {}
    ids = sorted(int(i) for i in tables["customers"])
    # the oldest and the newest: those the run's writes and the docs' samples touch
    half = MOST_LEDGERS // 2
    read = ids if len(ids) <= MOST_LEDGERS else ids[:half] + ids[-half:]
    unknown = set(ids) - set(read)
    for ident in read:
        status, answer = get(f"/api/v3/clients/{ident}/transactions")
        shown = answer[0] if status == 200 and isinstance(answer, list) and answer else answer
        entries = shown.get("transactions") if isinstance(shown, dict) else None
        if not isinstance(entries, list):
            unknown.add(ident)
            continue
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("id"), int):
                ledger[str(entry["id"])] = {k: entry.get(k) for k in STORED_ENTRY}
    for ident in unknown:  # their figures as the list shows them, on a day before any period asked
        ledger |= _standing_entries(ident, tables["customers"][str(ident)], customers)
    tables["ledger"] = ledger
    status, categories = get("/api/v3/clients/clients/categories")
    if status != 200 or not isinstance(categories, list):
        not_listed.append("GET /api/v3/clients/clients/categories")
        categories = []
    tables["categories"] = {
        str(c["id"]): {k: v for k, v in c.items() if k not in ("id", "customer_count")}
        for c in categories
        if isinstance(c, dict) and isinstance(c.get("id"), int)
    }
    _observe_income(get, tables, not_listed)
    tables["businesses"] = _observe_business(get)
    return Observed(tables, unknown, not_listed)


def _observe_business(get: Get) -> dict[str, dict]:
    """No documented endpoint lists the business; the export shows whether the target knows
    the docs' one (by its encrypted id): the model holds it only if so."""
    from ..resources import seeded_business

    business = dict(seeded_business())
    status, _ = get(f"/api/v3/clients/clients-print/{business['encrypted_id']}")
    return {str(business.pop("id")): business} if status == 200 else {}


def _standing_entries(ident: int, customer: dict, customers: list) -> dict[str, dict]:
    """Two entries that give a customer whose ledger was not read the totals the list shows:
    balances, the summary and the export then agree; what a period's report sums for it is
    not compared (judge.py, LEDGER_FIGURES)."""
    shown = next((c for c in customers if isinstance(c, dict) and c.get("id") == ident), {})
    made = {}
    for n, (kind, total) in enumerate((("invoice", "total_debit"), ("payment", "total_credit"))):
        amount = _amount(shown.get(total))
        if amount:
            entry = {"customer_id": ident, "kind": kind, "amount": amount, "date": STANDING_DAY, "due_date": None}
            made[f"-{ident * 2 + n}"] = {**entry, "method": None, "description": "standing (not read)"}
    return made


def _amount(text: Any) -> float:
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        return 0.0


def _observe_income(get: Get, tables: dict[str, dict[str, dict]], not_listed: list[str]) -> None:
    income: dict[str, dict] = {}
    categories: dict[str, dict] = {}
    clients: dict[str, dict] = {}
    page, pages = 1, 1
    while page <= pages and page <= 10_000:
        status, answer = get(f"/api/income?page={page}&limit={INCOME_PAGE}")
        if status != 200 or not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
            not_listed.append("GET /api/income")
            break
        for item in answer["data"]:
            if not isinstance(item, dict) or not isinstance(item.get("income"), dict):
                continue
            entry = item["income"]
            if isinstance(entry.get("id"), int):
                income[str(entry["id"])] = {k: v for k, v in entry.items() if k != "id"}
            for name, table in (("category", categories), ("client", clients)):
                linked = item.get(name)
                if isinstance(linked, dict) and isinstance(linked.get("id"), int):
                    table[str(linked["id"])] = {k: v for k, v in linked.items() if k != "id"}
        meta: Any = answer.get("meta") if isinstance(answer.get("meta"), dict) else {}
        pages = meta.get("totalPages") if isinstance(meta.get("totalPages"), int) else page
        page += 1
    tables["summit_income"] = income
    tables["summit_income_categories"] = categories
    tables["summit_clients"] = clients


class Model:
    """The mock's app in-process, holding the observed state: `ask` answers a request as
    this mock's domain layer does."""

    def __init__(self, observed: Observed):
        from ..app import create_app
        from ..state.sandbox import SANDBOXES

        self.observed = observed
        self.app: Flask = create_app(
            {
                "DB_PATH": None,
                "JOURNAL_SIZE": 0,
                "CORS_ORIGINS": [],
                "ACCESS_LOG": False,
                "MAX_CONTENT_LENGTH": None,
                "IMPORT_MAX_ROWS": 10**9,
            }
        )
        self.store = self.app.extensions[SANDBOXES].get(None).store
        kept = self.store.export()
        tables = dict(observed.tables)
        tables["_sequences"] = {"1": _sequences(tables, kept.get("_sequences", {}).get("1", {}))}
        self.store.replace(tables)
        self.client = self.app.test_client()

    def ask(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> Answer:
        sent = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "accept-encoding")}
        response = self.client.open(path, method=method, headers=sent, data=body or b"")
        content = response.get_data()
        return Answer(response.status_code, dict(response.headers), content, _json(content, response.mimetype or ""))

    def align(self, sequence: str, next_id: int) -> None:
        """The next id the model gives in `sequence` is `next_id`: the target's, just given."""
        from ..state.store import set_sequence

        set_sequence(self.store, sequence, next_id - 1)

    def rekey(self, table: str, old: int, new: int) -> None:
        """The model's record `old` is the target's `new`."""
        from ..state.store import put_with_id, set_sequence

        record = self.store.get(table, old)
        if record is not None and self.store.get(table, new) is None:
            with self.store.batch():
                self.store.remove(table, old)
                put_with_id(self.store, table, new, record)
                # the model's next id must pass the target's, or a later record would take it
                if self.store.reserve_ids(table, 0).start <= new:
                    set_sequence(self.store, table, new)

    def adopt(self, table: str, ident: int, values: dict[str, Any]) -> None:
        """Values only the target could choose (its clock's timestamps, its account numbers),
        taken into the model's record so later answers agree on them."""
        if values and self.store.get(table, ident) is not None:
            self.store.update(table, ident, values)


def _sequences(tables: dict[str, dict[str, dict]], kept: dict[str, int]) -> dict[str, int]:
    sequences = {k: v for k, v in kept.items() if k != "id"}
    for name, rows in tables.items():
        if name != "_sequences" and rows:
            sequences[name] = max(max(int(k) for k in rows), sequences.get(name, 0))
    accounts = [row.get("account_id") for row in tables.get("customers", {}).values()]
    numbers = [a for a in accounts if isinstance(a, int)]
    if numbers:
        sequences["accounts"] = max([*numbers, sequences.get("accounts", 0)])
    return sequences


def _json(content: bytes, mimetype: str) -> Any:
    if "json" not in (mimetype or ""):
        return None
    import json

    try:
        return json.loads(content)
    except ValueError:
        return None
