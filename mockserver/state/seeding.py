"""`mockserver seed`: demo data at scale, on top of the fixtures.

Customers with names, phones, e-mails, addresses and categories, each with a ledger
history of invoices and payments (so balances, summaries and reports have something to
add up), and Summit income entries with their categories and clients. Everything comes
from one random seed and a fixed last day (`until`), so the same command gives the same
store byte for byte on any day; records are written through the same functions the API
uses, in one atomic write.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from faker import Faker

from ..api import categories as customer_categories
from ..api import customers, income
from . import clock, ledger
from .storage.snapshot import Interned
from .store import Record, Store

HISTORY_DAYS = 3 * 365
CUSTOMER_CATEGORIES = ["Retail", "Wholesale", "Corporate", "Government", "NGO", "Schools", "Hospitality", "Healthcare"]
INCOME_CATEGORIES = [
    "Product Sales",
    "Subscriptions",
    "Training",
    "Licensing",
    "Maintenance Contracts",
    "Commissions",
    "Rental Income",
    "Interest",
]
CITIES = ["Accra", "Kumasi", "Tamale", "Takoradi", "Cape Coast", "Tema", "Koforidua", "Ho", "Sunyani", "Obuasi"]
PREFIXES = ["020", "024", "026", "027", "050", "054", "055", "059"]  # Ghana's mobile networks, as in the docs
METHODS = ["bank", "cash", "mobile_money", "cheque", "card", "online"]
CURRENCIES = ["USD"] * 16 + ["EUR", "GBP", "GHS", "NGN"]
RECURRING = ["none"] * 17 + ["monthly", "monthly", "weekly", "yearly", "daily"]


@dataclass
class Seeded:
    customers: int
    ledger: int
    income: int


Progress = Callable[[int], None]


def seed(
    store: Store, customers_count: int, income_count: int, seed_value: int, until: date, progress: Progress
) -> Seeded:
    """Back to the fixtures, then the generated records on top, in one write.
    `progress(n)` is told of every n records made."""
    rng = random.Random(seed_value)
    fake = Faker()
    fake.seed_instance(seed_value)
    first = until - timedelta(days=HISTORY_DAYS)
    with store.batch():
        store.reset()
        category_ids = [c["id"] for c in store.all(customer_categories.TABLE)] + [
            c["id"] for c in _categories(store, rng, first)
        ]
        # each repeated value one object, as a store loaded from its file has them: the rows
        # are what the load cache keeps (storage.write_cache), and they were 60 MB bigger
        interned = Interned()
        rows = []
        for _ in range(customers_count):
            rows.append(interned(_customer(fake, rng, category_ids, first, until)))
            if len(rows) % 500 == 0:
                progress(500)
        made = customers.add_customers(store, rows)
        progress(len(rows) % 500)
        del rows  # the store holds its own; at 100,000 customers these were 100 MB of the peak
        entries = store.put_many(ledger.TABLE, [interned(entry) for entry in _ledger(rng, made, until)])
        customer_count = len(made)
        del made
        client_count = max(20, income_count // 250)
        summit_clients = store.insert_many(income.CLIENTS, [{"name": fake.company()} for _ in range(client_count)])
        summit_categories = store.insert_many(income.CATEGORIES, [{"name": n} for n in INCOME_CATEGORIES])
        made_income = []
        for _ in range(income_count):
            made_income.append(interned(_income(fake, rng, summit_categories, summit_clients, first, until)))
            if len(made_income) % 500 == 0:
                progress(500)
        store.put_many(income.TABLE, made_income)
        progress(len(made_income) % 500)
    return Seeded(customer_count, len(entries), len(made_income))


def _categories(store: Store, rng: random.Random, first: date) -> list[Record]:
    stamp = clock.laravel(_moment(rng, first, first + timedelta(days=30)))
    rows = [
        {
            "business_id": 1,
            "name": n,
            "description": f"{n} customers",
            "created_at": stamp,
            "updated_at": stamp,
            "archived": False,
        }
        for n in CUSTOMER_CATEGORIES
    ]
    return store.insert_many(customer_categories.TABLE, rows)


def _customer(fake: Faker, rng: random.Random, category_ids: list[int], first: date, until: date) -> dict:
    company = fake.company()
    slug = "".join(ch for ch in company.lower() if ch.isalnum())[:20] or "customer"
    created = _moment(rng, first, until)
    updated = _moment(rng, created.date(), until)
    return {
        "first_name": fake.first_name(),
        "last_name": fake.last_name(),
        "phone_number": _phone(rng),
        "business_name": company,
        "business_address": f"{fake.building_number()} {fake.street_name()}, {rng.choice(CITIES)}",
        "business_phone": _phone(rng),
        "business_location": rng.choice(CITIES),
        "business_email": f"{rng.choice(['info', 'accounts', 'sales', 'hello'])}@{slug}.com",
        "category_id": rng.choice(category_ids),
        "created_at": clock.laravel(created),
        "updated_at": clock.laravel(updated),
        "deposit_amount": rng.choice([0] * 4 + [round(rng.uniform(100, 20_000), 2)]),
        "archived": rng.random() < 0.05,
    }


def _ledger(rng: random.Random, made: list[Record], until: date) -> list[dict]:
    """A few invoices per customer from its creation on, most paid in part or in full."""
    entries, number = [], 1000
    for customer in made:
        opened = date.fromisoformat(customer["created_at"][:10])
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4, 6])):
            number += 1
            issued = _day(rng, opened, until)
            amount = _money(rng, 150, 60_000)
            due = min(issued + timedelta(days=30), until)
            entries.append(_entry(customer["id"], "invoice", amount, issued, f"Invoice INV-{number:05d}", due=due))
            if rng.random() < 0.75:
                paid = amount if rng.random() < 0.6 else _money(rng, 10, amount)
                method = rng.choice(METHODS)
                entries.append(
                    _entry(
                        customer["id"],
                        "payment",
                        paid,
                        _day(rng, issued, until),
                        f"Payment for INV-{number:05d}",
                        method,
                    )
                )
    return entries


def _entry(customer_id: int, kind: str, amount: float, day: date, text: str, method=None, due=None) -> dict:
    return {
        "customer_id": customer_id,
        "kind": kind,
        "amount": amount,
        "date": day.isoformat(),
        "due_date": due.isoformat() if due else None,
        "method": method,
        "description": text,
    }


def _income(fake, rng, categories: list[Record], clients: list[Record], first: date, until: date) -> dict:
    category = rng.choice(categories)
    client = rng.choice(clients) if rng.random() < 0.9 else None
    day = _day(rng, first, until)
    recurring = rng.choice(RECURRING)
    stamp = clock.summit(datetime.combine(day, time(rng.randrange(8, 18), rng.randrange(60))))
    return {
        "companyId": income.COMPANY_ID,
        "categoryId": category["id"],
        "clientId": client["id"] if client else None,
        "invoiceId": None,
        "source": category["name"],
        "description": f"{category['name']}: {fake.bs()}"[:200],
        "amount": _money(rng, 20, 25_000),
        "currency": rng.choice(CURRENCIES),
        "incomeDate": day.isoformat(),
        "recurring": recurring,
        "nextDueDate": income.next_due(day, recurring) if recurring != "none" else None,
        "createdAt": stamp,
        "updatedAt": stamp,
        "softDelete": rng.random() < 0.02,
    }


def _phone(rng: random.Random) -> str:
    return rng.choice(PREFIXES) + f"{rng.randrange(10**7):07d}"


def _money(rng: random.Random, low: float, high: float) -> float:
    """Amounts spread over orders of magnitude, as real invoices are, to the cent."""
    return round(min(high, max(low, low * (high / low) ** rng.random())), 2)


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _moment(rng: random.Random, first: date, last: date) -> datetime:
    return datetime.combine(_day(rng, first, last), time(rng.randrange(7, 20), rng.randrange(60), rng.randrange(60)))
