"""The figures kept as the store changes (ledger.Books) against the same figures summed from
scratch, after random runs of every kind of write the server takes: customers created,
updated, archived, deleted and imported, ledger entries added and removed, categories
made, a reset, a snapshot saved and restored, and the deposits only a seeded history has.
The whole customer list and report, kept encoded a customer at a time, are held to a dump
from scratch the same way."""

import random
from collections import defaultdict
from decimal import Decimal

import pytest

from mockserver.state.ledger import decimal, number
from tests.test_answers import REPORT, listed_from_scratch, report_from_scratch
from tests.test_customer_files import sheet, upload
from tests.test_customers import NEW_CUSTOMER

CUSTOMERS = "/api/v3/clients"


def category_ids(store) -> set:
    """Every category a summary can be asked for: those stored, and those customers name."""
    return {c["id"] for c in store.all("categories")} | {c["category_id"] for c in store.all("customers")}


def from_scratch(store) -> dict:
    """Every figure the answers show, summed over the stored rows as the first version did."""
    customers, entries = store.all("customers"), store.all("ledger")
    debit: dict[int, Decimal] = defaultdict(Decimal)
    credit: dict[int, Decimal] = defaultdict(Decimal)
    for entry in entries:
        (debit if entry["kind"] == "invoice" else credit)[entry["customer_id"]] += decimal(entry["amount"])

    def summary(members):
        archived = sum(1 for c in members if c["archived"])
        return {
            "total_deposits": number(sum((decimal(c["deposit_amount"]) for c in members), Decimal(0))),
            "customer_count": len(members),
            "archived_customers": archived,
            "unarchived_customers": len(members) - archived,
            "total_balance": number(sum((debit[c["id"]] - credit[c["id"]] for c in members), Decimal(0))),
        }

    categories = category_ids(store)
    return {
        "summary": summary(customers),
        "by category": {cat: summary([c for c in customers if c["category_id"] == cat]) for cat in categories},
        "counts": {c["id"]: sum(1 for x in customers if x["category_id"] == c["id"]) for c in store.all("categories")},
        "balances": {c["id"]: number(debit[c["id"]] - credit[c["id"]]) for c in customers},
    }


def answered(client, store) -> dict:
    categories = category_ids(store)
    return {
        "summary": client.get(f"{CUSTOMERS}/summary").json,
        "by category": {cat: client.get(f"{CUSTOMERS}/summary?category_id={cat}").json for cat in categories},
        "counts": {c["id"]: c["customer_count"] for c in client.get(f"{CUSTOMERS}/categories").json},
        "balances": {c["id"]: c["unformated_balance"] for c in client.get(CUSTOMERS).json},
    }


class Writer:
    """One random write at a time, each through the endpoint a user would call."""

    def __init__(self, client, store, rng: random.Random):
        self.client, self.store, self.rng = client, store, rng
        self.saved = False

    def customer_id(self) -> int:
        ids = [c["id"] for c in self.store.all("customers")]
        return self.rng.choice(ids) if ids else 154184

    def category_id(self) -> int:
        return self.rng.choice([c["id"] for c in self.store.all("categories")])

    def amount(self, most=1_000_000_000_000):
        return self.rng.choice([a for a in (0.01, 1, 250, 1234.56, 99999.99, 1_000_000_000_000) if a <= most])

    def create(self):
        body = {**NEW_CUSTOMER, "business_name": f"Shop {self.rng.random():.6f}", "category_id": self.category_id()}
        assert self.client.post(CUSTOMERS, json=body).status_code == 201

    def update(self):
        ident = self.customer_id()
        body = {**NEW_CUSTOMER, "business_name": f"Renamed {ident}", "category_id": self.category_id()}
        assert self.client.post(f"{CUSTOMERS}/{ident}", json=body).status_code in (200, 404)

    def archive(self):
        body = {"archived": self.rng.random() < 0.7}
        assert self.client.post(f"{CUSTOMERS}/{self.customer_id()}/archive", json=body).status_code in (200, 404)

    def delete(self):
        assert self.client.delete(f"{CUSTOMERS}/{self.customer_id()}").status_code in (200, 404)

    def import_(self):
        owing = self.amount(most=999_999_999_999.99)  # an import's largest
        rows = [(f"Imported {n}", "", "", "", owing) for n in range(self.rng.randint(1, 4))]
        assert upload(self.client, sheet(*rows), self.category_id()).status_code == 200

    def entry(self):
        kind = self.rng.choice(["invoice", "payment"])
        body = {"customer_id": self.customer_id(), "kind": kind, "amount": self.amount(), "date": "2024-05-01"}
        if kind == "payment":
            body["method"] = "online"
        assert self.client.post("/__mock/ledger", json=body).status_code == 201

    def remove_entry(self):
        entries = self.store.all("ledger")
        if entries:
            assert self.client.delete(f"/__mock/ledger/{self.rng.choice(entries)['id']}").status_code == 204

    def category(self):
        assert self.client.post(f"{CUSTOMERS}/category", json={"name": f"Cat {self.rng.random()}"}).status_code == 201

    def deposit(self):  # no endpoint sets one; `mockserver seed` writes them with the customer
        self.store.update("customers", self.customer_id(), {"deposit_amount": self.amount()})

    def reset(self):
        assert self.client.post("/__mock/reset").status_code == 200

    def save(self):
        assert self.client.put("/__mock/snapshots/books").status_code in (200, 201)
        self.saved = True

    def restore(self):
        if self.saved:
            assert self.client.post("/__mock/snapshots/books/restore").status_code == 200

    def failed(self):
        """A write refused half-way is rolled back: the figures must not keep half of it."""
        rows = [("Good row", "", "", "", 5), ("Bad row", "", "", "", "not money")]
        assert upload(self.client, sheet(*rows), self.category_id()).status_code == 422

    WRITES = ["create", "update", "archive", "delete", "import_", "entry", "entry", "remove_entry", "category"]
    WRITES += ["deposit", "reset", "save", "restore", "failed"]


@pytest.mark.parametrize("seed", range(6))
def test_kept_figures_equal_a_sum_from_scratch_after_random_writes(client, store, seed):
    rng = random.Random(seed)
    writer = Writer(client, store, rng)
    client.get(f"{CUSTOMERS}/summary")  # the kept figures exist from here on, followed write by write
    for step in range(40):
        write = rng.choice(Writer.WRITES)
        getattr(writer, write)()
        if step % 5 == 4 or write in ("reset", "restore"):
            assert answered(client, store) == from_scratch(store), f"after step {step}: {write}"
            # the whole-table answers, kept encoded a customer at a time (answers.py)
            assert client.get(CUSTOMERS).json == listed_from_scratch(store), f"after step {step}: {write}"
            assert client.get(REPORT).json == report_from_scratch(store), f"after step {step}: {write}"
    assert answered(client, store) == from_scratch(store)


def test_summary_of_a_category_no_customer_is_in_is_zero(client):
    assert client.get(f"{CUSTOMERS}/summary?category_id=987654").json == {
        "total_deposits": 0,
        "customer_count": 0,
        "archived_customers": 0,
        "unarchived_customers": 0,
        "total_balance": 0,
    }
