"""Held-out planted defects: bugs in the serve-side code itself, written without reading the
contract's code, none repeating a defect of bench/mutants.py.

    .venv/bin/python bench/heldout.py --jobs 2         # every defect, two at a time
    .venv/bin/python bench/heldout.py --only income-limit-ignored
    .venv/bin/python bench/heldout.py --check          # each patch finds its text; nothing run

Each defect is a `Defect` as bench/mutants.py has them, planted by changing the source of
one serve-side function: `old` replaced by `new` in its text, compiled again in its own
module and swapped into the function's code object, so the handlers the app registered
run the changed code. Like mutants.py, the unchanged mock is run first and must pass;
each defect is then served in a process of its own (a swapped code object is not undone
by the next app) and a default `mockserver contract` run, from the unchanged checkout,
is pointed at it.
"""

import argparse
import importlib
import inspect
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from flask import Flask, request

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutants import Defect, contract, rules_broken, serve  # noqa: E402

_ORIGINAL: dict[int, tuple[str, int]] = {}  # function id -> its source text and first line, as read before any change


def _function(target: str):
    module_name, _, qualname = target.partition(":")
    owner = importlib.import_module(module_name)
    *outer, name = qualname.split(".")
    for part in outer:
        owner = getattr(owner, part)
    found = vars(owner)[name] if isinstance(owner, type) else getattr(owner, name)
    if isinstance(found, property):
        return found.fget
    return getattr(found, "__func__", found)


def source(target: str, old: str, new: str, **names: object) -> Callable[[Flask], None]:
    """A bug in `target` ("module:qualname"): its text with `old` (exactly once) as `new`.
    `names` are added to the module's globals for the new text (an import it needs)."""

    def plant(app: Flask) -> None:
        function = _function(target)
        if id(function) not in _ORIGINAL:
            lines, first = inspect.getsourcelines(function)
            _ORIGINAL[id(function)] = (textwrap.dedent("".join(lines)), first)
        text, first = _ORIGINAL[id(function)]
        if text.count(old) != 1:
            raise LookupError(f"{target}: the text to change is there {text.count(old)} times, not once: {old!r}")
        function.__globals__.update(names)
        scope: dict = {}
        code = compile("\n" * (first - 1) + text.replace(old, new), inspect.getsourcefile(function) or target, "exec")
        exec(code, function.__globals__, scope)  # noqa: S102 - the planted defect's own text
        changed = scope[function.__name__]
        changed = getattr(changed, "fget", None) or getattr(changed, "__func__", changed)
        function.__code__ = changed.__code__
        function.__defaults__ = changed.__defaults__
        function.__kwdefaults__ = changed.__kwdefaults__

    return plant


def each_of(*plants: Callable[[Flask], None]) -> Callable[[Flask], None]:
    def plant(app: Flask) -> None:
        for one in plants:
            one(app)

    return plant


C, LEDGER, BOOKS = "mockserver.api.customers", "mockserver.state.ledger", "mockserver.state.ledger:Books"
INCOME, REPORTS, SENDING = "mockserver.api.income", "mockserver.api.reports", "mockserver.api.statements"
FILES, CATEGORIES = "mockserver.api.customer_files", "mockserver.api.categories"
_PAGE = "total, newest_first = store.ordered(BY_DATE, since, until, in_category, reverse=True, skip=skip, take=limit)"
_UPDATE = 'record = _update(store, id, {**fields, "updated_at"'

DEFECTS = [
    # -- customers (14)
    Defect(
        "list-stale-after-update",
        "customers",
        "the list read after an update shows the update",
        # the list's cached parts dropped on a create or delete, not on an update
        source(f"{C}:Shown.owners", "return (ident,)", "return (ident,) if before is None or after is None else ()"),
    ),
    Defect(
        "list-sorted-case-sensitively",
        "customers",
        "list order by business name, case-blind",
        source(
            f"{C}:list_customers",
            "store.ordered(BY_NAME, where=where)",
            "store.ordered(BY_RAW_NAME, where=where)",
            BY_RAW_NAME=importlib.import_module("mockserver.state.indexes").Ordering(
                "customers", key=lambda customer: customer["business_name"]
            ),
        ),
    ),
    Defect(
        "update-ignores-category",
        "customers",
        "an update's category_id is stored",
        source(
            f"{C}:update_customer",
            _UPDATE,
            'record = _update(store, id, {**{k: v for k, v in fields.items() if k != "category_id"}, "updated_at"',
        ),
    ),
    Defect(
        "update-unarchives",
        "customers",
        "an update leaves `archived` as it was",
        source(
            f"{C}:update_customer", _UPDATE, 'record = _update(store, id, {**fields, "archived": False, "updated_at"'
        ),
    ),
    Defect(
        "single-view-category-blank",
        "customers",
        "`category` in get/create/update as in the list",
        source(
            f"{C}:present",
            'names = {only["category_id"]: category["name"]}',
            'names = {only["id"]: category["name"]}',
        ),
    ),
    Defect(
        "summary-deposits-skip-archived",
        "customers",
        "summary total_deposits counts every customer",
        source(f"{BOOKS}._customer", "if deposit:", 'if deposit and not customer.get("archived"):'),
    ),
    Defect(
        "money-without-thousands-separator",
        "customers",
        "balance/total_debit/total_credit formatted 1,234.56",
        source(f"{LEDGER}:formatted", 'return f"{value:,.2f}"', 'return f"{value:.2f}"'),
    ),
    Defect(
        "category-filter-drops-archived",
        "customers",
        "?category_id lists the category's archived customers too",
        source(
            f"{C}:list_customers",
            'else {"category_id": category_id}',
            'else {"category_id": category_id, "archived": False}',
        ),
    ),
    Defect(
        "unknown-customer-422",
        "customers",
        "a path id naming no customer is 404",
        # as Laravel's `exists:` rule answers, where route-model binding would 404
        source(
            "mockserver.web.validation:_require_referenced",
            'raise not_found(reference["noun"], ident)',
            'if reference["table"] == "customers":\n'
            '                raise invalid({param.name: [f"names no customer ({ident})"]})\n'
            '            raise not_found(reference["noun"], ident)',
        ),
    ),
    Defect(
        "export-address-blank",
        "customers",
        "export rows carry the address",
        source(
            f"{FILES}:export_customers",
            "cells = [[row[column] for column in COLUMNS] for row in rows]",
            'cells = [[None if column == "Address" else row[column] for column in COLUMNS] for row in rows]',
        ),
    ),
    Defect(
        "import-opening-balance-truncated",
        "customers",
        "an import's opening balance kept to the cent",
        source(
            f"{FILES}:import_customers",
            '"amount": number(row["opening_balance"]),',
            '"amount": int(row["opening_balance"]),',
        ),
    ),
    Defect(
        "category-description-dropped",
        "customers",
        "a created category keeps its description",
        source(
            f"{CATEGORIES}:create_category",
            '{"business_id": 1, **fields,',
            '{"business_id": 1, **fields, "description": "",',
        ),
    ),
    Defect(
        "category-count-skips-archived",
        "customers",
        "a category's customer_count counts archived customers",
        source(f"{BOOKS}.counts", "{category: group.customers for", "{category: group.customers - group.archived for"),
    ),
    Defect(
        "alias-categories-count-zero",
        "customers",
        "/api/v3/clients/categories answers as /api/v3/clients/clients/categories",
        source(
            f"{CATEGORIES}:list_categories",
            '"customer_count": counts.get(cat["id"], 0)',
            '"customer_count": counts.get(cat["id"], 0) if "/clients/clients/" in request.path else 0',
            request=request,
        ),
    ),
    # -- ledger transactions (6)
    Defect(
        "transactions-to-exclusive",
        "ledger transactions",
        "?to= includes entries of that day",
        source(
            f"{C}:list_transactions",
            "entries = ledger.entries_of(store, id, start, end)",
            "entries = ledger.entries_of(store, id, start, end and end - timedelta(days=1))",
            timedelta=timedelta,
        ),
    ),
    Defect(
        "transactions-from-exclusive",
        "ledger transactions",
        "?from= includes entries of that day",
        source(
            f"{C}:list_transactions",
            "entries = ledger.entries_of(store, id, start, end)",
            "entries = ledger.entries_of(store, id, start and start + timedelta(days=1), end)",
            timedelta=timedelta,
        ),
    ),
    Defect(
        "transaction-id-ignored-with-period",
        "ledger transactions",
        "?id= narrows the list when from/to are sent too",
        source(f"{C}:list_transactions", "if transaction_id:", "if transaction_id and not (from_ or to):"),
    ),
    Defect(
        "transaction-amount-rounded",
        "ledger transactions",
        "a transaction's amount to the cent",
        source(
            f"{C}:list_transactions",
            'view["transactions"] = _transactions.dump(entries)',
            'view["transactions"] = [{**t, "amount": round(t["amount"])} for t in _transactions.dump(entries)]',
        ),
    ),
    Defect(
        "delete-customer-leaves-entries",
        "ledger transactions",
        "a deleted customer's ledger entries go with it",
        source(
            f"{C}:delete_customer",
            'store.remove_by(ledger.TABLE, "customer_id", id)',
            'store.find_by(ledger.TABLE, "customer_id", id)',
        ),
    ),
    Defect(
        "balance-stale-after-entry-deleted",
        "ledger transactions",
        "a customer's totals after one of its entries is deleted",
        source(
            f"{BOOKS}.changed",
            "if before is not None:",
            "if before is not None and (after is not None or table != TABLE):",
        ),
    ),
    # -- reports (6)
    Defect(
        "report-last-day-invoices-left-out",
        "reports",
        "invoices dated `to` are in the period",
        source(
            f"{LEDGER}:period_figures",
            "in_period = [i for i in invoices if start <= i.day <= end]",
            "in_period = [i for i in invoices if start <= i.day < end]",
        ),
    ),
    Defect(
        "report-due-on-last-day-not-due",
        "reports",
        "amount_due counts invoices due on `to`",
        source(f"{LEDGER}:period_figures", "if i.due <= end)", "if i.due < end)"),
    ),
    Defect(
        "report-payment-terms-whole-days",
        "reports",
        "average_payment_terms to two decimals",
        source(f"{LEDGER}:period_figures", '.quantize(Decimal("0.01"))', '.quantize(Decimal("1"))'),
    ),
    Defect(
        "report-lines-category-blank",
        "reports",
        "each report line's category, as the one customer's line has it",
        source(f"{REPORTS}:_report", "names = category_names(store)", "names = {}"),
    ),
    Defect(
        "report-cached-by-start-only",
        "reports",
        "a report for another `to` with the same `from`",
        source(f"{REPORTS}:_report", '("report", start, end)', '("report", start)'),
    ),
    Defect(
        "legacy-client-ends-at-last-entry",
        "reports",
        "/api/client/{id}: the history up to today",
        source(
            f"{REPORTS}:get_client_legacy",
            "end = max([clock.now().date(), *days])",
            "end = max(days, default=clock.now().date())",
        ),
    ),
    # -- statements and outbox (4)
    Defect(
        "statement-opening-takes-first-day",
        "statements",
        "the balance brought forward excludes the first day's entries",
        source(f"{LEDGER}:statement", 'if entry["date"] < first:', 'if entry["date"] <= first:'),
    ),
    Defect(
        "statement-running-balance-forgets-opening",
        "statements",
        "each line's running balance includes the balance brought forward",
        source(
            f"{LEDGER}:statement",
            '"balance": number(running.balance),',
            '"balance": number(running.balance - opening.balance),',
        ),
    ),
    Defect(
        "statement-without-to-ends-yesterday",
        "statements",
        "no ?to=: everything up to today",
        source(
            f"{SENDING}:send_statement",
            "end = end or now.date()",
            "end = end or (now - timedelta(days=1)).date()",
            timedelta=timedelta,
        ),
    ),
    Defect(
        "legacy-statement-ignores-other-emails",
        "statements",
        "/api/client/transactions/send/{id} sends to other_emails too",
        source(
            f"{SENDING}:send_statement",
            'recipients = _recipients(customer, body.get("other_emails", []))',
            'recipients = _recipients(customer, body.get("other_emails", []) if "/v3/" in request.path else [])',
            request=request,
        ),
    ),
    # -- income (10)
    Defect(
        "income-limit-ignored",
        "income",
        "a page holds `limit` entries",
        source(f"{INCOME}:list_income", "skip=skip, take=limit)", "skip=skip, take=10)"),
    ),
    Defect(
        "income-end-date-exclusive",
        "income",
        "endDate includes entries of that day",
        source(
            f"{INCOME}:list_income",
            "end and end.isoformat()",
            "end and (end - timedelta(days=1)).isoformat()",
        ),
    ),
    Defect(
        "income-start-date-exclusive",
        "income",
        "startDate includes entries of that day",
        source(
            f"{INCOME}:list_income",
            "since, until = start and start.isoformat(),",
            "since, until = start and (start + timedelta(days=1)).isoformat(),",
        ),
    ),
    Defect(
        "income-same-day-lowest-id-first",
        "income",
        "within a day, highest id first",
        source(
            f"{INCOME}:list_income",
            "for i in newest_first]",
            'for i in sorted(newest_first, key=lambda i: (store.get(TABLE, i)["incomeDate"], -i), reverse=True)]',
        ),
    ),
    Defect(
        "income-update-clears-client",
        "income",
        "a PUT leaves unsent clientId/invoiceId as they were",
        source(
            f"{INCOME}:update_income",
            "changes = _input.load(body, partial=True)",
            'changes = {"clientId": None, "invoiceId": None, **_input.load(body, partial=True)}',
        ),
    ),
    Defect(
        "income-date-change-keeps-next-due",
        "income",
        "a new incomeDate recomputes nextDueDate",
        source(
            f"{INCOME}:_scheduled",
            '("recurring" in sent or "incomeDate" in sent or',
            '("recurring" in sent or',
        ),
    ),
    Defect(
        "income-yearly-is-365-days",
        "income",
        "yearly nextDueDate is the same day a year later",
        source(
            f"{INCOME}:next_due",
            'return add_months(day, 1 if recurring == "monthly" else 12).isoformat()',
            'return (add_months(day, 1) if recurring == "monthly" else day + timedelta(days=365)).isoformat()',
        ),
    ),
    Defect(
        "income-category-filtered-after-paging",
        "income",
        "categoryId filters before the page is cut",
        source(
            f"{INCOME}:list_income",
            _PAGE,
            _PAGE.replace("in_category, reverse", "None, reverse")
            + "\n        if in_category:\n"
            + "            newest_first = [i for i in newest_first"
            + ' if store.get(TABLE, i)["categoryId"] == in_category["categoryId"]]',
        ),
    ),
    Defect(
        "income-detail-client-null",
        "income",
        "GET /api/income/{id} shows the client, as the list does",
        source(
            f"{INCOME}:get_income",
            "return _detail.dump(_with_references(store, _require_entry(store, income_id)))",
            'return _detail.dump({**_with_references(store, _require_entry(store, income_id)), "client": None})',
        ),
    ),
    Defect(
        "income-pages-skip-one",
        "income",
        "walking the pages yields every entry once",
        source(f"{INCOME}:list_income", "skip = (page - 1) * limit", "skip = (page - 1) * limit + (page > 1)"),
    ),
]


def check() -> int:
    """Each defect planted in an app of its own process: its text found, the app made."""
    bad = 0
    for defect in DEFECTS:
        run = subprocess.run([sys.executable, __file__, "--plant-only", defect.name], capture_output=True, text=True)
        ok = run.returncode == 0
        bad += not ok
        print(f"{'applies' if ok else 'FAILS':8} {defect.name}{'' if ok else ': ' + run.stderr.strip()[-400:]}")
    return 1 if bad else 0


def _plant_only(name: str) -> int:
    from mockserver import create_app

    defect = next(d for d in DEFECTS if d.name == name)
    app = create_app({"DB_PATH": None, "TOKEN": "check"})
    defect.plant(app)
    return 0


def _one(name: str, max_examples: int | None, seed: int, phases: str | None) -> int:
    """One defect served in this process; its verdict printed as one JSON line."""
    defect = next(d for d in DEFECTS if d.name == name)
    with serve(defect) as base_url:
        code, report, seconds = contract(base_url, max_examples, seed, phases)
    print(
        json.dumps(
            {"name": name, "code": code, "rules": rules_broken(report), "seconds": seconds, "tail": report[-3000:]}
        )
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="this defect only (repeatable)")
    parser.add_argument("--max-examples", type=int, help="the contract's budget (default: its own default)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phases", help="the contract's phases, e.g. model (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="defects run at once, each in a process of its own")
    parser.add_argument("--check", action="store_true", help="only plant each defect: does its text apply?")
    parser.add_argument("--skip-clean", action="store_true", help="do not run the unchanged mock first")
    parser.add_argument("--reports", help="a folder to write each defect's report tail into")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--plant-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plant_only:
        return _plant_only(args.plant_only)
    if args.one:
        return _one(args.one, args.max_examples, args.seed, args.phases)
    if args.check:
        return check()
    chosen = [d for d in DEFECTS if not args.only or d.name in args.only]
    if not args.skip_clean:
        with serve(None) as clean:
            code, report, seconds = contract(clean, args.max_examples, args.seed, args.phases)
        print(f"unchanged mock: {'passes' if code == 0 else f'FAILS (exit {code})'} in {seconds:.0f} s", flush=True)
        if code != 0:
            print(report[-4000:])
            return 1
    passed = [f"--seed={args.seed}"]
    passed += [f"--max-examples={args.max_examples}"] if args.max_examples is not None else []
    passed += [f"--phases={args.phases}"] if args.phases else []

    def run(defect: Defect) -> dict:
        done = subprocess.run([sys.executable, __file__, "--one", defect.name, *passed], capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        if done.returncode or not lines:
            return {"name": defect.name, "code": -1, "rules": [], "seconds": 0, "tail": done.stderr[-3000:]}
        return json.loads(lines[-1])

    caught = 0
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for defect, result in zip(chosen, pool.map(run, chosen), strict=True):
            code = result["code"]
            verdict = "caught" if code == 1 else f"MISSED (exit {code})"
            caught += code == 1
            named = ", ".join(result["rules"]) or "-"
            print(f"{verdict:8} {defect.group:20} {defect.name:42} {named}  ({result['seconds']:.0f} s)", flush=True)
            if args.reports:
                Path(args.reports).mkdir(parents=True, exist_ok=True)
                (Path(args.reports) / f"{defect.name}.txt").write_text(result["tail"], encoding="utf-8")
    print(f"caught {caught}/{len(chosen)}")
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
