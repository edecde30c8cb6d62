"""The contract's model phase: a correct target passes, whichever reading of the docs it
takes; a target whose answers are wrong in any field, list or view fails. The defects are
made at the HTTP edge (an answer changed on its way out), so the target's code and the
model's stay the same code and only the behaviour differs."""

import json

import pytest

from mockserver import create_app
from mockserver.contract import probe
from mockserver.contract.judge import Judge
from mockserver.contract.model import Answer
from mockserver.state.sandbox import SANDBOXES

AUTH = {"Authorization": "Bearer t"}


def target(change_answer=None, change_body=None, empty=False):
    """An in-memory mock as the target; `change_answer(method, path, json)` and
    `change_body(json)` plant a defect or another reading; `empty`: it holds no record."""
    app = create_app({"DB_PATH": None, "JOURNAL_SIZE": 0})
    if empty:
        app.extensions[SANDBOXES].get(None).store.replace({"_sequences": {"1": {}}})
    client = app.test_client()

    def send(method, path, headers, body):
        if change_body is not None and body and headers.get("Content-Type") == "application/json":
            body = json.dumps(change_body(json.loads(body))).encode()
        response = client.open(path, method=method, headers=headers, data=body or b"")
        content = response.get_data()
        parsed = json.loads(content) if response.mimetype == "application/json" else None
        if change_answer is not None and parsed is not None:
            parsed = change_answer(method, path, parsed)
            content = json.dumps(parsed).encode()
        return Answer(response.status_code, dict(response.headers), content, parsed)

    return send


def run(send, max_failures=None):
    judge = Judge(lambda path, headers: send("GET", path, headers, None), AUTH)
    return judge, probe.run(judge, send, AUTH, max_failures)


def test_a_target_started_empty_passes():
    judge, failed = run(target(empty=True))
    assert failed == []
    assert judge.model.store.ids("customers")  # the probe's own writes were made and followed


def laravel(value):
    if isinstance(value, str):
        return value.strip(" \t\n\r\0\x0b") or None
    if isinstance(value, dict):
        return {k: laravel(v) for k, v in value.items()}
    return value


def test_the_mock_itself_passes_holding_entries_on_the_calendars_first_and_last_days():
    """Schemathesis draws such dates, so a target it has run against holds them; the probe's
    edges (the day before, the day after, a period run backwards) stop at the calendar's.
    The links the probe walks on the way are credited (one run of the probe for both)."""
    send = target()
    headers = {**AUTH, "Content-Type": "application/json"}
    for day in ("0001-01-01", "9999-12-31"):
        entry = {"customer_id": 779, "kind": "payment", "amount": 1.5, "date": day}
        assert send("POST", "/__mock/ledger", headers, json.dumps(entry).encode()).status == 201
        income = {"source": "Edge", "amount": 1, "currency": "USD", "incomeDate": day, "clientId": 2}
        assert send("POST", "/api/income", headers, json.dumps({**income, "categoryId": 1}).encode()).status == 201
    judge, failed = run(send)
    assert failed == []
    assert judge.judged > 300  # every parameter's edges, every kind of write and the views after
    links_are_credited(judge)


def links_are_credited(judge):
    """A write answered, then the operation a link of its answer leads to, called with the id
    the write gave or named: a link walked, which a stateful pass need not walk again; no
    link the probe did not walk so."""
    walked = {link.split(" -> ")[1].split("] ")[1] + " from " + link.split(" -> ")[0] for link in judge.walks.walked}
    for link in (
        "GetCustomer from POST /api/v3/clients",
        "GetDeletedCustomer from DELETE /api/v3/clients/{id}",
        "CustomerInIt from POST /api/v3/clients/category",
        "GetIncome from POST /api/income",
        "GetDeletedIncome from DELETE /api/income/{incomeId}",
    ):
        assert link in walked
    # the probe never reads the legacy path of a customer it made, nor a summary by category
    assert "GetClientLegacy from POST /api/v3/clients" not in walked
    assert "ItsSummary from POST /api/v3/clients/category" not in walked


def test_laravel_middleware_is_a_reading_not_a_failure():
    judge, failed = run(target(change_body=laravel))
    assert failed == []
    assert judge.readings_taken.get("laravel_middleware", 0) >= 1


def where(path_part, method="GET"):
    """A defect that applies to the answers of one path."""

    def plant(change):
        def change_answer(m, path, body):
            return change(body) if m == method and path_part in path else body

        return change_answer

    return plant


def summary_total_off(body):
    return {**body, "total_balance": (body.get("total_balance") or 0) + 1} if isinstance(body, dict) else body


def category_description_dropped(body):
    return [{**c, "description": "x"} for c in body] if isinstance(body, list) else body


def filter_misses_one(body):
    return body[:-1] if isinstance(body, list) and body else body


def report_archived_flipped(body):
    return [{**line, "archived": 1 - line.get("archived", 0)} for line in body] if isinstance(body, list) else body


def page_total_off(body):
    return {**body, "meta": {**body["meta"], "total": body["meta"]["total"] + 1}} if "meta" in body else body


def next_due_date_dropped(body):
    if isinstance(body, dict) and isinstance(body.get("income"), dict):
        return {**body, "income": {**body["income"], "nextDueDate": None}}
    return {**body, "nextDueDate": None} if isinstance(body, dict) and "nextDueDate" in body else body


def transactions_unfiltered(body):
    return [{**c, "transactions": c["transactions"][1:]} for c in body] if isinstance(body, list) else body


class Stale:
    """The customer list answered from its first answer ever: a view gone stale."""

    def __init__(self):
        self.first = None

    def __call__(self, method, path, body):
        if method == "GET" and path == "/api/v3/clients":
            self.first = body if self.first is None else self.first
            return self.first
        return body


DEFECTS = {
    "summary money total": where("/api/v3/clients/summary")(summary_total_off),
    "category description": where("/clients/categories")(category_description_dropped),
    "filter misses an entry": where("/api/v3/clients?category_id=1")(filter_misses_one),
    "report archived flag": where("/api/v3/reports/customers/")(report_archived_flipped),
    "income page total": where("/api/income?")(page_total_off),
    "sent nextDueDate": where("/api/income", "POST")(next_due_date_dropped),
    "transactions of a period": where("/transactions?from=")(transactions_unfiltered),
    "stale list after a write": Stale(),
}


@pytest.mark.parametrize("defect", DEFECTS.values(), ids=DEFECTS.keys())
def test_a_defect_in_any_view_fails(defect):
    _, failed = run(target(change_answer=defect), max_failures=1)  # one is enough to fail a run
    assert len(failed) == 1, "the defect passed"


def test_every_reading_is_in_the_contract_page():
    from pathlib import Path

    from mockserver.contract.readings import READINGS

    page = (Path(__file__).resolve().parent.parent / "docs" / "contract.md").read_text(encoding="utf-8")
    assert [r.id for r in READINGS if f"| `{r.id}` |" not in page] == []
