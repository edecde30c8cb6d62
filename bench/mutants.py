"""Planted defects: does `mockserver contract` catch the bugs a backend team could ship?

    make mutants                              # every defect, at the contract's default budget
    .venv/bin/python bench/mutants.py --only balance-sign-flipped --max-examples 5

Each defect is a small change to the mock, served as a variant of it: an answer of the right
shape that means something wrong (a filter ignored, a page that does not add up, a delete
that leaves the record) or a bug of shape. For each, the mock is served with the defect on
a port of its own, a default `mockserver contract` run is pointed at it, and the rule that
failed is read from the report. The unchanged mock is run first: it must pass. Prints
caught N/M and the rule that caught each defect.
"""

import argparse
import io
import json
import math
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request

from mockserver import create_app
from mockserver.serving.threaded import serving
from mockserver.state.sandbox import shared

TOKEN = "mutant-token"
Body = Any
Rewrite = Callable[[Body], Body]


@dataclass(frozen=True)
class Defect:
    name: str
    group: str  # customers, categories and files, reports and statements, income
    expected: str  # what should catch it: a check of meaning's name, or Schemathesis's failure
    plant: Callable[[Flask], None]


def _operation(path: str, method: str) -> bool:
    """Whether this request is `method path` (a spec path, the route's endpoint)."""
    return request.endpoint == path and request.method == method


def answer(path: str, method: str, rewrite: Rewrite, status: int | None = None) -> Callable[[Flask], None]:
    """A defect in what one operation answers: its 2xx JSON rewritten (or, with `status`, an
    answer of that status rewritten and sent as 200)."""

    def plant(app: Flask) -> None:
        @app.after_request
        def _rewrite(response: Response) -> Response:
            wanted = response.status_code == status if status else 200 <= response.status_code < 300
            if _operation(path, method) and wanted and response.mimetype == "application/json":
                response.set_data(json.dumps(rewrite(response.get_json())))
                if status:  # an error answered as a success
                    response.status_code = 200
            return response

    return plant


def quietly_undone(path: str, method: str) -> Callable[[Flask], None]:
    """A write answered as done and then undone: the store put back as it was before it."""

    def plant(app: Flask) -> None:
        kept: dict[str, Any] = {}

        @app.before_request
        def _remember() -> None:
            if _operation(path, method):
                kept["tables"] = shared(app).store.export()

        @app.after_request
        def _undo(response: Response) -> Response:
            tables = kept.pop("tables", None)
            if tables is not None and response.status_code < 300:
                shared(app).store.replace(tables)
            return response

    return plant


def query_dropped(path: str, *names: str) -> Callable[[Flask], None]:
    """A filter the handler never sees, as if the backend ignored it: taken out of the query
    string before Flask reads the request."""
    pattern = re.compile("^" + re.sub(r"{\w+}", "[^/]+", path) + "$")

    def plant(app: Flask) -> None:
        inner = app.wsgi_app

        def dropping(environ, start_response):
            if pattern.match(environ.get("PATH_INFO", "")):
                kept = [p for p in environ.get("QUERY_STRING", "").split("&") if p.split("=")[0] not in names]
                environ["QUERY_STRING"] = "&".join(kept)
            return inner(environ, start_response)

        app.wsgi_app = dropping  # type: ignore[method-assign]

    return plant


def fails_on(path: str, first: str, prefix: str) -> Callable[[Flask], None]:
    """A 500 where a path parameter starts with `prefix`: a date handled as if it could not
    be that early or late."""

    def plant(app: Flask) -> None:
        @app.before_request
        def _crash() -> None:
            if request.endpoint == path and str((request.view_args or {}).get(first, "")).startswith(prefix):
                raise OverflowError(f"date value out of range: {request.view_args}")

    return plant


def skips_email_check(path: str, method: str) -> Callable[[Flask], None]:
    """A business_email taken however it is written, on an existing customer's update."""

    def plant(app: Flask) -> None:
        @app.before_request
        def _blank_it() -> None:
            body = request.get_json(silent=True) if _operation(path, method) else None
            if (
                isinstance(body, dict)
                and isinstance(body.get("business_email"), str)
                and "@" not in body["business_email"]
            ):
                raw = json.dumps({**body, "business_email": ""}).encode()
                request.environ["wsgi.input"] = io.BytesIO(raw)
                request.environ["CONTENT_LENGTH"] = str(len(raw))
                request.__dict__.pop("_cached_json", None)
                request._cached_data = raw  # type: ignore[attr-defined]

    return plant


def each(key: str, change: Callable[[dict], dict]) -> Rewrite:
    """For answers that are a list of records, or a page with `data`."""

    def rewrite(body: Body) -> Body:
        items = body[key] if key and isinstance(body, dict) else body
        changed = [change(dict(item)) for item in items]
        return {**body, key: changed} if key else changed

    return rewrite


def formatted(value: float) -> str:
    return f"{value:,.2f}"


def _flip(customer: dict) -> dict:
    return {**customer, "unformated_balance": -customer["unformated_balance"]}


def _in_income(change: Callable[[dict], dict]) -> Callable[[dict], dict]:
    return lambda item: {**item, "income": change(dict(item["income"]))}


def _report_all_time(path: str, first: str) -> Callable[[Flask], None]:
    """The report's figures from the beginning of time, whatever the period, and the
    period still shown as asked."""

    def plant(app: Flask) -> None:
        @app.before_request
        def _widen() -> None:
            if request.endpoint == path and request.view_args:
                g.asked = request.view_args[first]
                request.view_args[first] = "0001-01-01"

        @app.after_request
        def _relabel(response: Response) -> Response:
            if request.endpoint == path and "asked" in g and response.status_code == 200:
                lines = response.get_json()
                response.set_data(json.dumps([{**line, "dateFrom": g.asked} for line in lines]))
            return response

    return plant


V3 = "/api/v3/clients"
ONE = "/api/v3/clients/{id}"
INCOME, ENTRY = "/api/income", "/api/income/{incomeId}"
REPORT, LEGACY_REPORT = "/api/v3/reports/customers/{from}/{to}", "/api/analytics/customers/{startdate}/{enddate}"
SEND = "/api/v3/reports/customers/client/transactions/send/{id}"
LEGACY_SEND = "/api/client/transactions/send/{id}"

DEFECTS = [
    # -- customers
    Defect("list-ignores-category", "customers", "listed_customers_match_the_filter", query_dropped(V3, "category_id")),
    Defect("balance-sign-flipped", "customers", "customer_figures_agree", answer(ONE, "GET", _flip)),
    Defect("list-balance-sign-flipped", "customers", "customer_figures_agree", answer(V3, "GET", each("", _flip))),
    Defect(
        "balance-shows-debit",
        "customers",
        "customer_figures_agree",
        answer(ONE, "GET", lambda c: {**c, "balance": c["total_debit"]}),
    ),
    Defect(
        "debit-credit-swapped",
        "customers",
        "customer_figures_agree",
        answer(ONE, "GET", lambda c: {**c, "total_debit": c["total_credit"], "total_credit": c["total_debit"]}),
    ),
    Defect(
        "created-id-unfetchable",
        "customers",
        "created_customer_is_stored_as_sent",
        answer(V3, "POST", lambda c: {**c, "id": c["id"] + 100_000}),
    ),
    Defect(
        "create-drops-phone",
        "customers",
        "created_customer_is_stored_as_sent",
        answer(V3, "POST", lambda c: {**c, "business_phone": ""}),
    ),
    Defect(
        "update-drops-address",
        "customers",
        "updated_customer_keeps_what_was_sent",
        answer(ONE, "POST", lambda c: {**c, "business_address": "unchanged"}),
    ),
    Defect(
        "update-not-stored",
        "customers",
        "updated_customer_keeps_what_was_sent",
        quietly_undone(ONE, "POST"),
    ),
    Defect(
        "delete-leaves-customer",
        "customers",
        "deleted_customer_is_gone",
        quietly_undone(ONE, "DELETE"),
    ),
    Defect(
        "archive-not-stored",
        "customers",
        "archived_customer_is_archived",
        quietly_undone("/api/v3/clients/{id}/archive", "POST"),
    ),
    Defect(
        "summary-count-off",
        "customers",
        "summary_adds_up",
        answer("/api/v3/clients/summary", "GET", lambda s: {**s, "customer_count": s["customer_count"] + 1}),
    ),
    Defect(
        "summary-ignores-category",
        "customers",
        "summary_adds_up",
        query_dropped("/api/v3/clients/summary", "category_id"),
    ),
    Defect(
        "summary-archived-miscounted",
        "customers",
        "summary_adds_up",
        answer(
            "/api/v3/clients/summary",
            "GET",
            lambda s: {
                **s,
                "archived_customers": s["archived_customers"] + 1,
                "unarchived_customers": max(0, s["unarchived_customers"] - 1),
            },
        ),
    ),
    Defect("update-skips-email-check", "customers", "ST201 negative data accepted", skips_email_check(ONE, "POST")),
    # -- categories and files
    Defect(
        "category-count-off",
        "categories and files",
        "category_count_matches_its_customers",
        answer(
            "/api/v3/clients/clients/categories",
            "GET",
            each("", lambda c: {**c, "customer_count": c["customer_count"] + 1}),
        ),
    ),
    Defect(
        "created-category-unlisted",
        "categories and files",
        "created_category_is_listed",
        answer("/api/v3/clients/clients/categories", "GET", lambda cs: [c for c in cs if c["id"] <= 2683]),
    ),
    Defect(
        "created-category-renamed",
        "categories and files",
        "created_category_is_listed",
        answer("/api/v3/clients/category", "POST", lambda c: {**c, "name": c["name"] + " "}),
    ),
    # -- reports and statements
    Defect(
        "report-ignores-period",
        "reports and statements",
        "report_is_of_the_period",
        _report_all_time(REPORT, "from"),
    ),
    Defect(
        "legacy-report-ignores-period",
        "reports and statements",
        "report_is_of_the_period",
        _report_all_time(LEGACY_REPORT, "startdate"),
    ),
    Defect(
        "report-dates-mislabelled",
        "reports and statements",
        "report_is_of_the_period",
        answer(REPORT, "GET", each("", lambda line: {**line, "dateFrom": "2024-01-01"})),
    ),
    Defect(
        "statement-sent-to-nobody",
        "reports and statements",
        "statement_goes_to_an_existing_customer",
        answer(SEND, "POST", lambda body: "Transactions sent", status=404),
    ),
    Defect(
        "legacy-statement-sent-to-nobody",
        "reports and statements",
        "statement_goes_to_an_existing_customer",
        answer(LEGACY_SEND, "POST", lambda body: "Transactions sent", status=404),
    ),
    Defect("report-500-on-year-one", "reports and statements", "ST101 server error", fails_on(REPORT, "from", "0001")),
    # -- income
    Defect(
        "income-ignores-start-date", "income", "listed_income_matches_the_filters", query_dropped(INCOME, "startDate")
    ),
    Defect(
        "income-ignores-end-date",
        "income",
        "listed_income_matches_the_filters",
        query_dropped(INCOME, "endDate"),
    ),
    Defect(
        "income-ignores-category", "income", "listed_income_matches_the_filters", query_dropped(INCOME, "categoryId")
    ),
    Defect(
        "total-pages-off-by-one",
        "income",
        "income_page_adds_up",
        answer(INCOME, "GET", lambda p: {**p, "meta": {**p["meta"], "totalPages": p["meta"]["totalPages"] + 1}}),
    ),
    Defect(
        "total-counts-deleted",
        "income",
        "income_page_adds_up",
        answer(INCOME, "GET", lambda p: {**p, "meta": {**p["meta"], "total": p["meta"]["total"] + 1}}),
    ),
    Defect(
        "page-always-first",
        "income",
        "income_page_adds_up",
        answer(INCOME, "GET", lambda p: {**p, "meta": {**p["meta"], "page": 1}}),
    ),
    Defect(
        "entry-shows-wrong-category",
        "income",
        "income_references_match",
        answer(ENTRY, "GET", lambda d: {**d, "category": {**d["category"], "id": d["category"]["id"] + 1}}),
    ),
    Defect(
        "created-entry-unfetchable",
        "income",
        "created_income_is_stored_as_sent",
        answer(INCOME, "POST", lambda e: {**e, "id": e["id"] + 100_000}),
    ),
    Defect(
        "create-rounds-amount",
        "income",
        "created_income_is_stored_as_sent",
        answer(INCOME, "POST", lambda e: {**e, "amount": math.floor(e["amount"]) + 1}),
    ),
    Defect(
        "update-not-stored",
        "income",
        "updated_income_keeps_what_was_sent",
        quietly_undone(ENTRY, "PUT"),
    ),
    Defect(
        "delete-leaves-entry",
        "income",
        "deleted_income_is_gone",
        quietly_undone(ENTRY, "DELETE"),
    ),
]


def serve(defect: Defect | None) -> Any:
    app = create_app({"DB_PATH": None, "TOKEN": TOKEN})
    if defect is not None:
        defect.plant(app)
    return serving(app)


def contract(base_url: str, max_examples: int | None, seed: int, phases: str | None = None) -> tuple[int, str, float]:
    """The contract run's exit code, report and seconds."""
    args = [
        sys.executable,
        "-m",
        "mockserver",
        "contract",
        "--base-url",
        base_url,
        "--token",
        TOKEN,
        "--seed",
        str(seed),
    ]
    if max_examples is not None:
        args += ["--max-examples", str(max_examples)]
    if phases is not None:
        args += ["--phases", phases]
    started = time.perf_counter()
    run = subprocess.run(args, capture_output=True, text=True)
    return run.returncode, run.stdout + run.stderr, time.perf_counter() - started


def rules_broken(report: str) -> list[str]:
    """What the report says failed: our rules by name (`MS100 name: ...`), Schemathesis's
    own checks by their failure titles."""
    ours = re.findall(r"^- MS100 ([a-z_]+): ", report, re.M)
    theirs = re.findall(r"^- (ST\d+ [^\n]+)$", report, re.M)
    model = re.findall(r"^FAILED ([a-z_.]+): answered otherwise than the docs' model", report, re.M)
    return [f"model: {op}" for op in sorted(set(model))][:3] + sorted(set(ours)) + sorted(set(theirs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="this defect only (repeatable)")
    parser.add_argument("--max-examples", type=int, help="the contract's budget (default: its own default)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phases", help="the contract's phases, e.g. model (default: all)")
    args = parser.parse_args()
    chosen = [d for d in DEFECTS if not args.only or d.name in args.only]
    with serve(None) as clean:
        code, report, seconds = contract(clean, args.max_examples, args.seed, args.phases)
    print(f"unchanged mock: {'passes' if code == 0 else f'FAILS (exit {code})'} in {seconds:.0f} s", flush=True)
    if code != 0:
        print(report[-4000:])
        return 1
    caught = 0
    for defect in chosen:
        with serve(defect) as base_url:
            code, report, seconds = contract(base_url, args.max_examples, args.seed, args.phases)
        named = rules_broken(report)
        verdict = "caught" if code == 1 else f"MISSED (exit {code})"
        caught += code == 1
        print(
            f"{verdict:8} {defect.group:24} {defect.name:34} {', '.join(named) or '-'}  ({seconds:.0f} s)", flush=True
        )
    print(f"caught {caught}/{len(chosen)}")
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
