"""GETs the server's front answers again from memory (serving/reuse.py) give what the app
gives: the same status, headers and bytes, journal entry and log line, after any write."""

import json
import re

import pytest

from mockserver.serving.front import Front
from mockserver.serving.reuse import Reuse
from mockserver.state.sandbox import SANDBOXES, shared
from tests import rsgi
from tests.conftest import fixture_rows, make_app

BID = fixture_rows("businesses")[0]["encrypted_id"]
PERIOD = "2024-11-01/2024-11-11"
BEARER = {"authorization": "Bearer t"}

# Every GET of openapi.yaml, with its query variants: (path, query, extra headers).
READS = [
    ("/api/v3/clients", "", {}),
    ("/api/v3/clients", "category_id=1", {}),
    ("/api/v3/clients", "category_id", {}),
    ("/api/v3/clients", "limt=5", {}),  # ignored, with a warning header
    ("/api/v3/clients/summary", "", {}),
    ("/api/v3/clients/779", "", {}),
    ("/api/v3/clients/779", "", {"origin": "http://localhost:3000"}),
    ("/api/v3/clients/779", "", {"accept": "text/html"}),
    ("/api/v3/clients/4242", "", {}),  # none such: 404
    ("/api/v3/clients/779/transactions", "", {}),
    ("/api/v3/clients/779/transactions", "from=2024-01-01&to=2024-11-30", {}),
    ("/api/v3/clients/clients/categories", "", {}),
    ("/api/v3/clients/categories", "", {}),
    (f"/api/v3/clients/clients-print/{BID}", "", {}),
    (f"/api/v3/clients/clients-print/{BID}", "format=csv", {}),
    (f"/api/v3/reports/customers/{PERIOD}", "", {}),
    (f"/api/v3/reports/customers/client/779/{PERIOD}", "", {}),
    (f"/api/analytics/customers/{PERIOD}", "", {}),
    ("/api/client/779", "", {}),
    ("/api/income", "", {}),
    ("/api/income", "page=1&limit=2&categoryId=1", {}),
    ("/api/income", "limit=1000", {}),  # refused: 422
    ("/api/income/1", "", {}),
]
READ_IDS = [f"{path}?{query}{'+' + ','.join(extra) if extra else ''}" for path, query, extra in READS]


class Counted:
    """The app, counting the requests that reach it."""

    def __init__(self, app):
        self.app, self.calls = app, 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.app(environ, start_response)


class Pair:
    """One app behind two fronts: `fast` with reuse on, `slow` without."""

    def __init__(self, **config):
        self.app = make_app(ACCESS_LOG=True, **config)
        self.counted = Counted(self.app)
        self.reuse = Reuse(self.app.extensions[SANDBOXES], self.app.config["TOKEN"])
        self.fast = Front(self.counted, 2, None, 5, reuse=self.reuse)
        self.slow = Front(self.counted, 2, None, 5)

    def call(self, front, method, path, query="", headers=None, body=None):
        headers = {"host": "localhost:8000", **BEARER, **(headers or {})}
        headers = {name: value for name, value in headers.items() if value is not None}
        if body is not None:
            body = json.dumps(body).encode()
            headers |= {"content-type": "application/json", "content-length": str(len(body))}
        return rsgi.call(front, method, path, query, headers, [body] if body else [])

    def get(self, front, path, query="", headers=None):
        return self.call(front, "GET", path, query, headers)

    def write(self, method, path, body=None, headers=None):
        status, _, answer = self.call(self.slow, method, path, headers=headers, body=body)
        assert status < 300, answer
        return json.loads(answer or b"null")

    def again(self, path, query="", headers=None):
        """(the fast front's answer, reached the app?), once it had this GET before."""
        self.get(self.fast, path, query, headers)
        calls = self.counted.calls
        answer = self.get(self.fast, path, query, headers)
        return answer, self.counted.calls > calls


def journal_of(app, token=None):
    """The entries of the journal, less what differs from one request to the next."""
    sandbox = app.extensions[SANDBOXES].get(token) if token else shared(app)
    return [{k: v for k, v in e.items() if k not in ("id", "time", "duration_ms")} for e in sandbox.journal.entries()]


def log_lines(text):
    """The access log's lines, less the time of day and the time taken."""
    return [re.sub(r" [\d.]+ms", "", line[9:]) for line in text.splitlines()]


def undated(answer):
    status, headers, *rest = answer
    return (status, [(k, "<date>" if k == "Date" else v) for k, v in headers], *rest)


@pytest.fixture
def pair():
    return Pair()


@pytest.mark.parametrize(("path", "query", "extra"), READS, ids=READ_IDS)
def test_an_answer_given_again_is_the_apps_byte_for_byte_with_its_journal_entry_and_log_line(
    pair, capsys, path, query, extra
):
    clock_read = "clients-print" in path or path.startswith("/api/client/")
    if clock_read:  # frozen, so that the export's file name cannot move on a second between the two
        pair.write("PUT", "/__mock/clock", {"now": "2024-11-04T16:13:37Z"})
        capsys.readouterr()
    given, reached = pair.again(path, query, extra)
    again_journal, again_log = journal_of(pair.app)[-1], log_lines(capsys.readouterr().err)[-1]
    made = pair.get(pair.slow, path, query, extra)
    # status, every header in order, every byte; but a file's Date, the wall clock's second
    # it was sent in (a busy machine crossed one between the two)
    assert undated(given) == undated(made)
    assert journal_of(pair.app)[-1] == again_journal
    assert log_lines(capsys.readouterr().err) == [again_log]
    # Given again exactly when it may be: a 200 made without the clock (the export's file
    # name reads it, and the older path's whole history runs to today).
    assert reached == (made[0] != 200 or clock_read)


def test_most_reads_are_given_again(pair):
    reached = [pair.again(path, query, extra)[1] for path, query, extra in READS]
    assert reached.count(False) >= len(READS) // 2


# (a write, the GETs it changes): each GET given again before it must be made anew after it.
CUSTOMER, LIST, INCOME = ("/api/v3/clients/779", ""), ("/api/v3/clients", ""), ("/api/income/1", "")
NEW_CUSTOMER = {"business_name": "New Ltd", "business_address": "", "business_phone": "", "business_email": ""}
RENAMED = {**NEW_CUSTOMER, "category_id": 1, "business_name": "Renamed"}
NEW_INCOME = {"categoryId": 1, "source": "Retainer", "amount": 10, "currency": "USD", "incomeDate": "2024-01-01"}
WRITES = {
    "create a customer": (("POST", "/api/v3/clients", {**NEW_CUSTOMER, "category_id": 1}), [LIST]),
    "update a customer": (("POST", "/api/v3/clients/779", RENAMED), [CUSTOMER, LIST]),
    "archive a customer": (("POST", "/api/v3/clients/779/archive", {"archived": True}), [CUSTOMER]),
    "delete a customer": (("DELETE", "/api/v3/clients/779", None), [CUSTOMER, LIST]),
    "create a category": (("POST", "/api/v3/clients/category", {"name": "New"}), [("/api/v3/clients/categories", "")]),
    "create income": (("POST", "/api/income", NEW_INCOME), [("/api/income", "")]),
    "update income": (("PUT", "/api/income/1", {**NEW_INCOME, "amount": 99}), [INCOME]),
    "delete income": (("DELETE", "/api/income/1", None), [INCOME]),
    "add a ledger entry": (
        ("POST", "/__mock/ledger", {"customer_id": 779, "kind": "invoice", "amount": 5, "date": "2024-03-01"}),
        [CUSTOMER, ("/api/v3/clients/779/transactions", "")],
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_after_a_write_the_answers_it_changes_are_made_anew(pair, write):
    (method, path, body), reads = WRITES[write]
    before = [pair.again(*read)[0] for read in reads]
    pair.write(method, path, body)
    after = [pair.get(pair.fast, *read) for read in reads]
    assert after == [pair.get(pair.slow, *read) for read in reads]
    assert after != before


def test_a_reset_and_a_restore_drop_every_answer_given_again(pair):
    pair.write("PUT", "/__mock/snapshots/start")
    original = pair.again(*CUSTOMER)[0]
    pair.write("POST", "/api/v3/clients/779", RENAMED)
    renamed = pair.again(*CUSTOMER)[0]
    assert json.loads(renamed[2])["business_name"] == "Renamed"
    pair.write("POST", "/__mock/snapshots/start/restore")
    assert pair.get(pair.fast, *CUSTOMER) == original == pair.get(pair.slow, *CUSTOMER)
    pair.write("POST", "/api/v3/clients/779", RENAMED)
    assert pair.again(*CUSTOMER)[0] == renamed
    pair.write("POST", "/__mock/reset")
    assert pair.get(pair.fast, *CUSTOMER) == original


def test_a_clock_change_makes_answers_anew(pair):
    pair.again(*CUSTOMER)
    pair.write("PUT", "/__mock/clock", {"now": "2031-05-06T07:08:09Z"})
    calls = pair.counted.calls
    pair.get(pair.fast, *CUSTOMER)
    assert pair.counted.calls == calls + 1
    pair.write("DELETE", "/__mock/clock")
    assert pair.again(*CUSTOMER)[1] is False


def test_fault_rules_and_prefer_are_honoured_and_the_answer_given_again_after(pair):
    given, _ = pair.again(*CUSTOMER)
    pair.write("PUT", "/__mock/faults", {"rules": [{"path": "/api/v3/clients/*", "error_rate": 1, "statuses": [503]}]})
    assert pair.get(pair.fast, *CUSTOMER)[0] == 503
    pair.write("DELETE", "/__mock/faults")
    forced = pair.get(pair.fast, *CUSTOMER, {"prefer": "code=404"})
    assert forced[0] == 404 and forced == pair.get(pair.slow, *CUSTOMER, {"prefer": "code=404"})
    assert pair.again(*CUSTOMER) == (given, False)


def test_with_latency_every_answer_is_made_by_the_app():
    pair = Pair(LATENCY=(1, 1))
    given, reached = pair.again(*CUSTOMER)
    assert given[0] == 200 and reached


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Bearer", 401), ("Basic dDp0", 401), ("Bearer wrong", 401), ("Bearer s3cret", 200)],
)
def test_with_a_token_only_it_is_answered_and_the_401s_are_the_apps(authorization, status):
    pair = Pair(TOKEN="s3cret")
    pair.again(*CUSTOMER, {"authorization": "Bearer s3cret"})  # an answer kept for the right token
    headers = {"authorization": authorization}
    first, second = (pair.get(pair.fast, *CUSTOMER, headers) for _ in range(2))
    assert first[0] == status and first == second == pair.get(pair.slow, *CUSTOMER, headers)


def test_each_sandbox_is_given_its_own_answers_again():
    pair = Pair(ISOLATION="token")
    mine, theirs = {"authorization": "Bearer mine"}, {"authorization": "Bearer theirs"}
    assert pair.again(*CUSTOMER, mine)[1] is False and pair.again(*CUSTOMER, theirs)[1] is False
    pair.write("POST", "/api/v3/clients/779", {**RENAMED, "business_name": "Mine"}, headers=mine)
    assert json.loads(pair.get(pair.fast, *CUSTOMER, mine)[2])["business_name"] == "Mine"
    assert json.loads(pair.get(pair.fast, *CUSTOMER, theirs)[2])["business_name"] != "Mine"
    assert pair.get(pair.fast, *CUSTOMER, theirs) == pair.get(pair.slow, *CUSTOMER, theirs)
    assert journal_of(pair.app, "theirs")[-1] == journal_of(pair.app, "theirs")[-2]


def test_what_is_kept_stays_within_its_bytes_the_oldest_dropped_first():
    pair = Pair()
    pair.reuse.max_bytes = 3 * 3000  # room for two or three customers
    idents = [1, 2, 3, 779, 2319, 154184]
    for ident in idents:
        pair.get(pair.fast, f"/api/v3/clients/{ident}")
    assert 1 < len(pair.reuse) < len(idents) and pair.reuse._bytes <= pair.reuse.max_bytes
    calls = pair.counted.calls
    pair.get(pair.fast, f"/api/v3/clients/{idents[-1]}")  # the newest: still kept
    assert pair.counted.calls == calls
    pair.get(pair.fast, f"/api/v3/clients/{idents[0]}")  # the oldest: dropped
    assert pair.counted.calls == calls + 1


def test_no_two_stores_share_a_version():
    one, other = make_app(), make_app()
    assert shared(one).version() != shared(other).version()
    before = shared(one).version()
    shared(one).store.insert("categories", {"name": "x"})
    assert shared(one).version() != before


def test_the_access_log_in_batches_writes_the_lines_it_writes_one_at_a_time(capsys, monkeypatch):
    from collections import deque

    from mockserver.web import access_log

    lines = ["GET /api/v3/clients/779 200 0.4ms", "GET /a\x1b[2J 404 0.1ms  No route"]
    for line in lines:
        access_log.write(line)
    one_at_a_time = capsys.readouterr().err
    monkeypatch.setattr(access_log, "_queue", deque())  # as batched() sets it, without its thread
    for line in lines:
        access_log.write(line)
    assert capsys.readouterr().err == ""  # waiting for the batch
    access_log._flush()
    batched = capsys.readouterr().err
    assert [line[9:] for line in batched.splitlines()] == [line[9:] for line in one_at_a_time.splitlines()]
    assert batched.count("\n") == 2 and "\\x1b[2J" in batched
