"""mockserver proxy: a consumer's calls pass through unchanged, a correct upstream (the mock,
and the mock with Laravel's readings) gets no violation, and a planted defect is reported."""

import http.client
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from mockserver.app import create_app
from mockserver.cli import build_parser
from mockserver.proxy.checks import Checker
from mockserver.proxy.forward import Upstream
from mockserver.proxy.wsgi import ProxyApp
from mockserver.resources import seeded_business
from mockserver.serving.threaded import serving
from tests.conftest import ROOT
from tests.patience import patience
from tests.server_process import AUTH, ServerProcess, run_cli

JSON = {"Content-Type": "application/json"}
DOC = ROOT / "docs" / "proxy.md"
VARYING = {"date", "via", "server"}  # set by whichever server sent the answer last


def call(base: str, method: str, path: str, body=None, headers=None) -> tuple[int, list[tuple[str, str]], bytes]:
    split = urlsplit(base)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=patience(30))
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    sent = {**AUTH, **(JSON if data is not None else {}), **(headers or {})}
    try:
        connection.request(method, path, body=data, headers=sent)
        answer = connection.getresponse()
        return answer.status, answer.getheaders(), answer.read()
    finally:
        connection.close()


def same_answer(first, second) -> bool:
    def kept(answer):
        status, headers, body = answer
        return status, sorted((k.lower(), v) for k, v in headers if k.lower() not in VARYING), body

    return kept(first) == kept(second)


def same_sheet(first, second) -> bool:
    """Two .xlsx answers with the same sheets inside: each making stamps its zip entries and
    its document properties with the real time it was made, so two makings differ there alone."""

    def files(answer):
        with zipfile.ZipFile(io.BytesIO(answer[2])) as sheet:
            return {name: sheet.read(name) for name in sheet.namelist() if name != "docProps/core.xml"}

    return same_answer((*first[:2], b""), (*second[:2], b"")) and files(first) == files(second)


class Consumer:
    """A frontend's calls through the proxy; each read is also asked of the upstream directly,
    and must come back the same, byte for byte."""

    def __init__(self, proxy: str, upstream: str):
        self.proxy, self.upstream = proxy, upstream
        self.compared = 0

    def read(self, path: str, headers=None, same=None) -> tuple[int, bytes]:
        through = call(self.proxy, "GET", path, headers=headers)
        direct = call(self.upstream, "GET", path, headers=headers)
        assert (same or same_answer)(through, direct), (path, through, direct)
        self.compared += 1
        return through[0], through[2]

    def write(self, method: str, path: str, body=None) -> tuple[int, object]:
        status, _, content = call(self.proxy, method, path, body)
        return status, json.loads(content) if content else None


def violations(proxy: str) -> list[dict]:
    status, _, content = call(proxy, "GET", "/__proxy/violations")
    assert status == 200
    return json.loads(content)


@pytest.fixture
def upstream(tmp_path) -> Iterator[ServerProcess]:
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet") as server:
        yield server


def a_consumers_day(consumer: Consumer) -> None:
    """Customers, categories, the ledger, reports, the export, income, and a reset."""
    # The clock frozen, so that a file made twice (the export) is the same file, byte for byte.
    assert consumer.write("PUT", "/__mock/clock", {"now": "2024-11-04T16:13:37Z"})[0] == 200
    for path in ("/api/v3/clients", "/api/v3/clients/summary", "/api/v3/clients/clients/categories"):
        assert consumer.read(path)[0] == 200
    status, category = consumer.write("POST", "/api/v3/clients/category", {"name": "Proxied", "description": "x"})
    assert status in (200, 201), category
    customer = {"business_name": "Proxy Traders", "business_address": "1 Ring Road", "business_phone": "0244000000"}
    customer |= {"business_email": "proxy@example.com", "category_id": category["id"]}  # type: ignore[index]
    status, made = consumer.write("POST", "/api/v3/clients", customer)
    assert status in (200, 201), made
    ident = made["id"]  # type: ignore[index]
    assert consumer.read(f"/api/v3/clients/{ident}")[0] == 200
    assert consumer.write("POST", f"/api/v3/clients/{ident}", {**customer, "business_name": "Renamed"})[0] == 200
    assert consumer.write("POST", f"/api/v3/clients/{ident}/archive", {"id": ident, "archived": True})[0] == 200
    consumer.read(f"/api/v3/clients?category_id={category['id']}")  # type: ignore[index]
    entry = {"customer_id": ident, "kind": "invoice", "amount": 500, "date": "2024-01-15", "due_date": "2024-02-14"}
    assert consumer.write("POST", "/__mock/ledger", entry)[0] == 201  # the control plane: the model reads anew
    payment = {**entry, "kind": "payment", "amount": 200, "due_date": None, "method": "cash"}
    assert consumer.write("POST", "/__mock/ledger", payment)[0] == 201
    consumer.read(f"/api/v3/clients/{ident}/transactions?from=2024-01-01&to=2024-12-31")
    consumer.read("/api/v3/reports/customers/2024-01-01/2024-12-31")
    consumer.read(f"/api/v3/reports/customers/client/{ident}/2024-01-01/2024-12-31")
    statement = {"message": "Your statement", "send_tome": "2024-12-31", "other_emails": ["proxy@example.com"]}
    send = f"/api/v3/reports/customers/client/transactions/send/{ident}?from=2024-01-01&to=2024-12-31"
    assert consumer.write("POST", send, statement)[0] == 200
    export = f"/api/v3/clients/clients-print/{seeded_business()['encrypted_id']}"
    assert consumer.read(f"{export}?format=csv")[0] == 200
    assert consumer.read(export, same=same_sheet)[0] == 200
    assert consumer.read("/api/income?page=1&limit=10")[0] == 200
    income = {"categoryId": 1, "source": "Retainer", "amount": 100, "currency": "USD", "incomeDate": "2024-01-31"}
    status, created = consumer.write("POST", "/api/income", income)
    assert status == 201, created
    entry_id = (created.get("income") or created)["id"]  # type: ignore[union-attr]
    assert consumer.read(f"/api/income/{entry_id}")[0] == 200
    assert consumer.write("PUT", f"/api/income/{entry_id}", {"amount": 250})[0] == 200
    assert consumer.write("DELETE", f"/api/income/{entry_id}")[0] == 200
    assert consumer.read(f"/api/income/{entry_id}")[0] == 404
    assert consumer.write("POST", "/api/v3/clients", {"business_name": ""})[0] == 422
    assert consumer.write("DELETE", f"/api/v3/clients/{ident}")[0] in (200, 204)
    assert consumer.read(f"/api/v3/clients/{ident}")[0] == 404
    assert consumer.write("POST", "/__mock/reset")[0] == 200  # the journal emptied; the model reads anew
    assert consumer.read("/api/v3/clients")[0] == 200
    assert consumer.write("POST", "/api/v3/clients", {**customer, "category_id": 1})[0] in (200, 201)
    consumer.read("/api/v3/clients/summary")
    status, _, journal = call(consumer.proxy, "GET", "/__mock/requests")
    shown = [(entry["request"]["method"], entry["request"]["path"]) for entry in json.loads(journal)]
    # each read twice (through the proxy and directly), and nothing of the model's own reads
    expected = [
        *[("GET", "/api/v3/clients")] * 2,
        ("POST", "/api/v3/clients"),
        *[("GET", "/api/v3/clients/summary")] * 2,
    ]
    assert sorted(shown) == sorted(expected)


def test_a_consumers_calls_pass_unchanged_and_a_correct_upstream_gets_no_violation(upstream):
    with ServerProcess("--upstream", upstream.base, command="proxy") as proxy:
        consumer = Consumer(proxy.base, upstream.base)
        a_consumers_day(consumer)
        found = violations(proxy.base)
        status = json.loads(call(proxy.base, "GET", "/__proxy/status")[2])
    assert found == [], json.dumps(found, indent=1)[:3000]
    assert status["judged"] >= consumer.compared, (status, proxy.log)  # every read judged, none let through
    assert "VIOLATION" not in proxy.log


def test_an_upstream_with_laravels_readings_gets_no_violation(tmp_path):
    with (
        ServerProcess("--db", str(tmp_path / "db.json"), "--quiet", "--readings", "laravel") as upstream,
        ServerProcess("--upstream", upstream.base, command="proxy") as proxy,
    ):
        consumer = Consumer(proxy.base, upstream.base)
        padded = {"business_name": "  Padded Ltd  ", "business_address": " 2 Ring Road ", "business_phone": "024"}
        padded |= {"business_email": "padded@example.com", "category_id": 1, "first_name": "", "last_name": "  "}
        status, made = consumer.write("POST", "/api/v3/clients", padded)
        assert status in (200, 201) and made["business_name"] == "Padded Ltd"  # type: ignore[index]
        consumer.read(f"/api/v3/clients/{made['id']}")  # type: ignore[index]
        consumer.read("/api/v3/clients?category_id=999")  # an unknown category
        assert consumer.write("DELETE", "/api/v3/clients/summary")[0] == 404  # a wider route's 404
        assert consumer.write("PUT", "/api/income/1")[0] == 200  # no body: nothing to change
        consumer.read("/api/income/1")
        consumer.read("/api/income?page=99&limit=100")
        found = violations(proxy.base)
    assert found == [], json.dumps(found, indent=1)[:3000]


# -- a planted defect: the customer's own record goes stale after an archive


def stale_archive(app):
    inner = app.wsgi_app

    def defective(environ, start_response):
        if environ["REQUEST_METHOD"] != "GET" or not re.fullmatch(r"/api/v3/clients/\d+", environ["PATH_INFO"]):
            return inner(environ, start_response)
        caught = {}
        body = b"".join(inner(environ, lambda status, headers, *_: caught.update(status=status, headers=headers)))
        if caught["status"].startswith("200"):
            body = json.dumps({**json.loads(body), "archived": False}).encode()
        headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in caught["headers"]]
        start_response(caught["status"], headers)
        return [body]

    app.wsgi_app = defective
    return app


@contextmanager
def proxy_in_front(url: str, fail_on_violation: bool = False) -> Iterator[str]:
    """The proxy's app on a thread (the tests above start the command itself, under waitress)."""
    upstream = Upstream(url)
    with serving(ProxyApp(upstream, Checker(upstream.get, upstream.url, None), fail_on_violation)) as proxy:
        yield proxy


@pytest.fixture
def defective_upstream() -> Iterator[str]:
    app = stale_archive(create_app({"DB_PATH": None, "ACCESS_LOG": False}))
    with serving(app) as url:
        yield url


def test_a_planted_defect_is_reported_with_its_operation_request_and_curl(defective_upstream):
    with proxy_in_front(defective_upstream) as proxy:
        assert call(proxy, "GET", "/api/v3/clients/1")[0] == 200
        assert violations(proxy) == []  # not archived yet: the defect does not show
        assert call(proxy, "POST", "/api/v3/clients/1/archive", {"id": 1, "archived": True})[0] == 200
        status, _, content = call(proxy, "GET", "/api/v3/clients/1")
        found = violations(proxy)
        assert call(proxy, "DELETE", "/__proxy/violations")[0] == 204
        assert violations(proxy) == []
    assert status == 200 and json.loads(content)["archived"] is False  # passed on as the upstream answered
    assert len(found) == 1, found
    violation = found[0]
    assert violation["operation"] == "customers.get_customer" and violation["rule"] == "model"
    assert violation["differences"] == [{"where": "$.archived", "expected": True, "actual": False}]
    assert violation["request"]["method"] == "GET" and violation["request"]["path"] == "/api/v3/clients/1"
    assert violation["request"]["headers"]["Authorization"] == "Bearer [redacted]"
    assert violation["expected"]["body"]["archived"] is True and violation["actual"]["body"]["archived"] is False
    assert violation["curl"].startswith(f"curl -X GET {defective_upstream}/api/v3/clients/1")
    assert '"Authorization: Bearer $TOKEN"' in violation["curl"]
    assert shape(violation) == shape(documented_violation())  # docs/proxy.md shows this one


def documented_violation() -> dict:
    block = re.search(r"## A violation.*?```json\n(.*?)\n```", DOC.read_text(), re.S)
    assert block, "docs/proxy.md shows a violation"
    return json.loads(block.group(1))


def shape(violation: dict) -> dict:
    """Its fields, and the fields of each part that is an object (bodies and headers aside)."""
    return {
        key: sorted(value) if isinstance(value, dict) and key in ("request", "expected", "actual") else None
        for key, value in violation.items()
    }


def test_the_docs_list_every_option_of_the_command():
    documented = set(re.findall(r"^\| `(--[a-z-]+)", DOC.read_text(), re.M))
    command = build_parser().commands["proxy"]  # type: ignore[attr-defined]
    options = {o for action in command._actions for o in action.option_strings if o.startswith("--")} - {"--help"}
    assert documented == options


def test_fail_on_violation_answers_502_with_the_violation(defective_upstream):
    with proxy_in_front(defective_upstream, fail_on_violation=True) as proxy:
        assert call(proxy, "POST", "/api/v3/clients/1/archive", {"id": 1, "archived": True})[0] == 200
        status, _, content = call(proxy, "GET", "/api/v3/clients/1")
        fine, _, _ = call(proxy, "GET", "/api/v3/clients/2")
    assert status == 502
    answer = json.loads(content)
    assert [v["operation"] for v in answer["violations"]] == ["customers.get_customer"]
    assert fine == 200


def test_a_schema_defect_is_reported_against_openapi_yaml():
    app = create_app({"DB_PATH": None, "ACCESS_LOG": False})
    inner = app.wsgi_app

    def summary_as_text(environ, start_response):
        if environ["PATH_INFO"] != "/api/v3/clients/summary":
            return inner(environ, start_response)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    app.wsgi_app = summary_as_text
    with serving(app) as url, proxy_in_front(url) as proxy:
        assert call(proxy, "GET", "/api/v3/clients/summary")[2] == b"ok"
        found = violations(proxy)
    rules = {v["rule"]: v for v in found}
    assert "does not document" in rules["openapi.yaml"]["problem"]
    assert rules["openapi.yaml"]["operation"] == "customers.get_summary"


def test_clients_do_not_wait_on_each_others_forwarding():
    app = create_app({"DB_PATH": None, "ACCESS_LOG": False})
    inner, held, release = app.wsgi_app, threading.Event(), threading.Event()

    def holding(environ, start_response):  # a new category waits upstream until the test lets it go
        if environ["PATH_INFO"] == "/api/v3/clients/category":
            held.set()
            release.wait(patience(30))
        return inner(environ, start_response)

    app.wsgi_app = holding
    customer = {"business_name": "Meanwhile", "business_address": "1 Road", "business_phone": "024"}
    customer |= {"business_email": "meanwhile@example.com", "category_id": 1}
    with serving(app) as url, proxy_in_front(url) as proxy:
        assert call(proxy, "GET", "/api/v3/clients")[0] == 200  # the model reads the upstream first
        slow = threading.Thread(target=call, args=(proxy, "POST", "/api/v3/clients/category", {"name": "Slow"}))
        slow.start()
        try:
            assert held.wait(patience(10))
            # while the category is still upstream: a read, and another write
            assert call(proxy, "GET", "/api/v3/clients/1")[0] == 200
            assert call(proxy, "POST", "/api/v3/clients", customer)[0] == 201
            assert slow.is_alive()
        finally:
            release.set()
            slow.join()
        status = json.loads(call(proxy, "GET", "/__proxy/status")[2])
        assert violations(proxy) == []
    assert status["judged"] == 3  # the first read and both writes; the read beside a write is not judged
    assert status["not_judged"] == {"in flight while a write was": 1}


def test_own_endpoints_and_a_busy_port(upstream):
    with proxy_in_front(upstream.base) as proxy:
        assert call(proxy, "PUT", "/__proxy/violations")[0] == 405
        assert call(proxy, "GET", "/__proxy/nothing")[0] == 404
    done = run_cli("proxy", "--upstream", upstream.base, "--port", str(upstream.port))
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "already in use" in done.stderr


def test_an_upstream_that_is_down_is_a_502_naming_it():
    with proxy_in_front("http://127.0.0.1:9") as proxy:
        status, _, content = call(proxy, "GET", "/api/v3/clients")
    assert status == 502 and "127.0.0.1:9" in json.loads(content)["message"]
