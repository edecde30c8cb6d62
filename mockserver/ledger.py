"""Figures derived from the ledger, never stored.

Each customer's ledger holds invoices (they debit the customer) and payments (they credit
it). Totals are summed in Decimal so that "43,228,120.29" comes out to the cent.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .store import Record, Store

TABLE = "ledger"
ZERO = Decimal("0")


@dataclass(frozen=True)
class Totals:
    debit: Decimal = ZERO
    credit: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit

    def add(self, entry: Record) -> "Totals":
        amount = decimal(entry["amount"])
        if entry["kind"] == "invoice":
            return Totals(self.debit + amount, self.credit)
        return Totals(self.debit, self.credit + amount)


def decimal(value: int | float | str) -> Decimal:
    return Decimal(str(value))


def number(value: Decimal) -> int | float:
    """As JSON shows money: 0 and 8073384 without decimals, 8311126.41 with."""
    return int(value) if value == value.to_integral_value() else float(value)


def formatted(value: Decimal) -> str:
    return f"{value:,.2f}"


def totals_by_customer(store: Store) -> dict[int, Totals]:
    totals: dict[int, Totals] = defaultdict(Totals)
    for entry in store.all(TABLE):
        totals[entry["customer_id"]] = totals[entry["customer_id"]].add(entry)
    return totals


def entries_of(store: Store, customer_id: int, start: date | None = None, end: date | None = None) -> list[Record]:
    """The customer's entries dated from start to end, both inclusive, oldest first."""
    first, last = (start.isoformat() if start else ""), (end.isoformat() if end else "9999-12-31")
    entries = store.find(TABLE, lambda e: e["customer_id"] == customer_id and first <= e["date"] <= last)
    return sorted(entries, key=lambda e: (e["date"], e["id"]))
