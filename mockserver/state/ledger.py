"""Figures derived from the ledger, never stored.

Each customer's ledger holds invoices (they debit the customer) and payments (they credit
it). Totals are summed in Decimal so that "43,228,120.29" comes out to the cent.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from .storage.early import Unkept
from .store import Record, Store

TABLE = "ledger"
CUSTOMERS = "customers"
ZERO = Decimal("0")
CENT = Decimal("0.01")


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


def in_cents(amount: Decimal) -> bool:
    """Money has at most 2 decimals, in the sheets as in the ledger."""
    return amount == amount.quantize(CENT)


def number(value: Decimal) -> int | float:
    """As JSON shows money: 0 and 8073384 without decimals, 8311126.41 with."""
    return int(value) if value == value.to_integral_value() else float(value)


def formatted(value: Decimal) -> str:
    return f"{value:,.2f}"


@dataclass
class Group:
    """What the customer summary adds up over a group of customers (a category's, or all)."""

    customers: int = 0
    archived: int = 0
    deposits: Decimal = ZERO
    balance: Decimal = ZERO

    def add(self, other: "Group") -> None:
        self.customers += other.customers
        self.archived += other.archived
        self.deposits += other.deposits
        self.balance += other.balance


class Books:
    """Each customer's ledger totals, and per category what the summary and the category list
    show, kept by the store's change feed (Store.derived): a dashboard polling the summary
    costs the same at 100,000 customers as at 10, and no answer re-sums the ledger.

    Kept: a category's balance is the sum of its customers' balances, entries of a customer
    not (or no longer) stored count for no category, as the answers computed in full did.
    Sums are Decimal, so adding and taking away is exact and the figures are to the cent
    what a sum from scratch gives."""

    tables: tuple[str, ...] = (TABLE, CUSTOMERS)
    touch: Callable[[object], None] = staticmethod(lambda key: None)  # set by the store
    KEPT = "ledger totals"  # each customer's totals, kept in a snapshot (storage/early.py)

    def __init__(self, stored: Callable[[str], dict[str, Record]]):
        self._totals: dict[int, list[Decimal]] = _summed(stored(TABLE).values())  # customer id -> [debit, credit]
        self._category: dict[int, object] = {}  # stored customer id -> its category id
        self._groups: dict[object, Group] = {}  # category id -> its figures
        for key, customer in stored(CUSTOMERS).items():
            self._customer(int(key), customer, 1)

    def changed(self, table: str, ident: int, before: Record | None, after: Record | None) -> None:
        # the entry's or customer's old figures out, then its new ones in
        change = self._entry if table == TABLE else self._customer
        if before is not None:
            change(ident, before, -1)
        if after is not None:
            change(ident, after, 1)

    def totals(self, customer_id: int) -> Totals:
        debit, credit = self._totals.get(customer_id, (ZERO, ZERO))  # one step: a point read
        return Totals(debit, credit)

    def group(self, category_id: object = None) -> Group:
        """A category's figures, or with None every customer's."""
        if category_id is not None:
            return replace(self._groups.get(category_id, Group()))
        every = Group()
        for group in self._groups.values():
            every.add(group)
        return every

    def counts(self) -> dict[object, int]:
        return {category: group.customers for category, group in self._groups.items()}

    @staticmethod
    def kept_of(tables: dict[str, dict[str, Record]]) -> dict[str, str]:
        """What a snapshot of `tables` keeps: each customer's totals as "debit credit", exact
        decimal text, by the integer ids `totals` is asked for. Made as the sums are let go,
        one text per customer: the sums and lists of two texts beside them took `mockserver
        seed`'s peak from 557 MB to 603."""
        summed, kept = _summed(tables.get(TABLE, {}).values()), {}
        while summed:
            customer, (debit, credit) = summed.popitem()
            if type(customer) is int:
                kept[str(customer)] = f"{debit} {credit}"
        return kept

    @staticmethod
    def early(kept: Callable[[str], Any]) -> "KeptBooks":
        return KeptBooks(kept)

    def _entry(self, ident: int, entry: Record, sign: int) -> None:
        amount = decimal(entry["amount"]) if sign > 0 else -decimal(entry["amount"])
        customer_id = entry["customer_id"]
        self.touch(("totals", customer_id))  # before the change: see Store._point
        totals = self._totals.setdefault(customer_id, [ZERO, ZERO])
        totals[0 if entry["kind"] == "invoice" else 1] += amount
        if customer_id in self._category:  # the customer's category's balance moves with it
            balance = amount if entry["kind"] == "invoice" else -amount
            self._groups[self._category[customer_id]].balance += balance

    def _customer(self, ident: int, customer: Record, sign: int) -> None:
        # field by field, not a Group per change: an import adds 10,000 with the store locked
        category = customer.get("category_id")
        if sign > 0:
            self._category[ident] = category
        else:
            self._category.pop(ident, None)
        group = self._groups.get(category)
        if group is None:
            group = self._groups[category] = Group()
        group.customers += sign
        if customer.get("archived"):
            group.archived += sign
        deposit = customer.get("deposit_amount")
        if deposit:
            group.deposits += decimal(deposit) if sign > 0 else -decimal(deposit)
        totals = self._totals.get(ident)
        if totals is not None:
            group.balance += totals[0] - totals[1] if sign > 0 else totals[1] - totals[0]


class KeptBooks:
    """The books as a snapshot kept them, for a big store's first answers before it is
    loaded: each customer's totals, and nothing else (a category's figures need the
    customers: Unkept, and the store builds Books)."""

    def __init__(self, kept: Callable[[str], Any]):
        self._kept = kept  # a customer's id -> what kept_of kept of it, None, or Unkept raised

    def totals(self, customer_id: int) -> Totals:
        kept = self._kept(str(customer_id)) if type(customer_id) is int else None
        if kept is None:
            return Totals(ZERO, ZERO)
        try:
            debit, credit = kept.split(" ")
            return Totals(Decimal(debit), Decimal(credit))
        except (AttributeError, ValueError, ArithmeticError) as e:  # not as kept_of writes it
            raise Unkept(customer_id) from e

    def __getattr__(self, name: str):
        raise Unkept(name)


def _summed(entries: Iterable[Record]) -> dict[int, list[Decimal]]:
    """Every entry into its customer's [debit, credit], as Books._entry adds one, less what
    only a change needs (no group moves, no read needs a mark): a big store's first answer
    waits for all of it, and a 415,000-entry ledger took 0.63 s of CPU here where `_entry`
    took 0.76 to 1.25."""
    totals: dict[int, list[Decimal]] = {}
    for entry in entries:
        amount = entry["amount"]
        pair = totals.get(entry["customer_id"])
        if pair is None:
            pair = totals[entry["customer_id"]] = [ZERO, ZERO]
        pair[0 if entry["kind"] == "invoice" else 1] += Decimal(amount) if type(amount) is int else decimal(amount)
    return totals


KEPT = (Books,)  # the views a store's snapshots keep figures of: Store(..., kept=ledger.KEPT)


def totals_of_many(store: Store, customer_ids: Iterable[int]) -> dict[int, Totals]:
    """These customers' totals, in one read; Totals() for a customer without entries."""
    return store.derived(Books, lambda books: {i: books.totals(i) for i in customer_ids})


def totals_of(store: Store, customer_id: int) -> Totals:
    """One customer's totals, kept as its entries change: a customer's answer costs the same
    however big the ledger is."""
    return store.derived(Books, lambda books: books.totals(customer_id), key=("totals", customer_id))


def entries_of(store: Store, customer_id: int, start: date | None = None, end: date | None = None) -> list[Record]:
    """The customer's entries dated from start to end, both inclusive, oldest first."""
    first, last = (start.isoformat() if start else ""), (end.isoformat() if end else "9999-12-31")
    return oldest_first([e for e in store.find_by(TABLE, "customer_id", customer_id) if first <= e["date"] <= last])


def oldest_first(entries: list[Record]) -> list[Record]:
    # Same-day entries in the order they were recorded, so a payment follows the invoice it pays.
    return sorted(entries, key=lambda e: (e["date"], e["id"]))


@dataclass
class _Invoice:
    entry: Record
    open: Decimal  # what is still unpaid
    paid: Decimal = ZERO
    paid_online: Decimal = ZERO
    settled_on: date | None = None  # the day the last of it was paid

    @property
    def day(self) -> date:
        return date.fromisoformat(self.entry["date"])

    @property
    def due(self) -> date:
        return date.fromisoformat(self.entry["due_date"] or self.entry["date"])

    def pay(self, amount: Decimal, on: date, online: bool) -> None:
        self.open -= amount
        self.paid += amount
        if online:
            self.paid_online += amount
        if self.open == ZERO:
            self.settled_on = max(on, self.day)  # money paid ahead settles it the day it is issued


@dataclass(frozen=True)
class PeriodFigures:
    """The Income by Customers figures of one customer for a period; docs/reports.md defines each."""

    invoice_count: int
    invoices: Decimal
    amount_paid: Decimal | None
    online_amount_paid: Decimal | None
    owing: Decimal
    amount_due: Decimal
    total_paid: Decimal
    average_payment_terms: Decimal
    balance: Decimal


def period_figures(entries: list[Record], start: date, end: date) -> PeriodFigures:
    """entries: one customer's, oldest first. Payments settle the oldest open invoices first
    (FIFO, as accounting packages allocate unassigned receipts); money paid before there is
    an invoice to settle is held as credit for the next one."""
    invoices: list[_Invoice] = []
    unsettled: list[_Invoice] = []
    credit: list[tuple[Decimal, date, bool]] = []  # unallocated payments: amount, day, online
    total_paid = ZERO
    totals = Totals()
    for entry in entries:
        day = date.fromisoformat(entry["date"])
        if day > end:
            break
        totals = totals.add(entry)
        amount = decimal(entry["amount"])
        if entry["kind"] == "invoice":
            invoice = _Invoice(entry, open=amount)
            invoices.append(invoice)
            while credit and invoice.open:
                held, paid_on, online = credit.pop(0)
                used = min(held, invoice.open)
                invoice.pay(used, paid_on, online)
                if held > used:
                    credit.insert(0, (held - used, paid_on, online))
            if invoice.open:
                unsettled.append(invoice)
            continue
        if day >= start:
            total_paid += amount
        online = entry.get("method") == "online"
        while unsettled and amount:
            used = min(amount, unsettled[0].open)
            unsettled[0].pay(used, day, online)
            amount -= used
            if not unsettled[0].open:
                unsettled.pop(0)
        if amount:
            credit.append((amount, day, online))

    in_period = [i for i in invoices if start <= i.day <= end]
    settled = [(i.settled_on - i.day).days for i in in_period if i.settled_on]
    paid = sum((i.paid for i in in_period), ZERO)
    return PeriodFigures(
        invoice_count=len(in_period),
        invoices=sum((decimal(i.entry["amount"]) for i in in_period), ZERO),
        amount_paid=paid if in_period else None,
        online_amount_paid=sum((i.paid_online for i in in_period), ZERO) if in_period else None,
        owing=sum((i.open for i in in_period), ZERO),
        amount_due=sum((i.open for i in in_period if i.due <= end), ZERO),
        total_paid=total_paid,
        average_payment_terms=(Decimal(sum(settled)) / len(settled)).quantize(Decimal("0.01")) if settled else ZERO,
        balance=totals.balance,
    )


def statement(entries: list[Record], start: date | None, end: date) -> dict:
    """What an e-mailed statement lists, as JSON: the balance brought forward to `start`,
    each entry of the period with the running balance after it, and the closing balance."""
    first, last = (start.isoformat() if start else ""), end.isoformat()
    opening = Totals()
    for entry in entries:
        if entry["date"] < first:
            opening = opening.add(entry)
    running, lines = opening, []
    for entry in entries:
        if first <= entry["date"] <= last:
            running = running.add(entry)
            amount = number(decimal(entry["amount"]))
            invoice = entry["kind"] == "invoice"
            lines.append(
                {
                    "date": entry["date"],
                    "kind": entry["kind"],
                    "description": entry["description"],
                    "debit": amount if invoice else 0,
                    "credit": 0 if invoice else amount,
                    "balance": number(running.balance),
                }
            )
    return {"opening_balance": number(opening.balance), "lines": lines, "closing_balance": number(running.balance)}
