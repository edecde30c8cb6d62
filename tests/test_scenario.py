"""A frontend's test, driven through the control plane as one would be: freeze the clock,
create a customer, give it an invoice, read the report, check the journal, snapshot,
delete, restore. Run twice with the same frozen clock, it must give the same bytes."""

import json
import urllib.error
import urllib.request

from tests.conftest import ApiClient, make_app
from tests.patience import patience
from tests.server_process import AUTH, ServerProcess

FROZEN = "2024-11-04T16:13:37Z"
NEW_CUSTOMER = {
    "business_name": "Echis Viper",
    "business_address": "happy family, kumasi",
    "business_phone": "0554221525",
    "business_email": "evansatompoya@gmail.com",
    "category_id": 1224,
    "first_name": "Evans",
    "last_name": "Atompoya",
}


def run_scenario(client: ApiClient) -> list[bytes]:
    """Every answer's body, in order, after checking what each says."""
    bodies = []

    def call(method, path, status, **kwargs):
        answer = client.open(method, path, **kwargs)
        assert answer.status_code == status, (method, path, answer.json)
        bodies.append(answer.data)
        return answer.json

    assert call("POST", "/__mock/reset", 200)["records"]["customers"] == 7
    assert call("PUT", "/__mock/clock", 200, json={"now": FROZEN}) == {
        "now": "2024-11-04T16:13:37.000Z",
        "virtual": True,
        "frozen": True,
    }

    customer = call("POST", "/api/v3/clients", 201, json=NEW_CUSTOMER)
    assert customer["created_at"] == "2024-11-04T16:13:37.000000Z"
    cid = customer["id"]

    invoice = {"customer_id": cid, "kind": "invoice", "amount": 500, "date": "2024-03-01", "due_date": "2024-03-31"}
    entry = call("POST", "/__mock/ledger", 201, json=invoice)
    assert entry["description"] == f"Invoice INV-{entry['id']:04d}"

    listed = {c["id"]: c for c in call("GET", "/api/v3/clients", 200)}
    assert listed[cid]["balance"] == "500.00" and listed[cid]["unformated_balance"] == 500
    summary_before = call("GET", "/api/v3/clients/summary", 200)
    report = {r["id"]: r for r in call("GET", "/api/v3/reports/customers/2024-03-01/2024-11-04", 200)}
    assert report[cid]["invoice_count"] == 1
    assert report[cid]["owing"] == 500 and report[cid]["amount_due"] == 500
    assert report[cid]["created_at"] == "2024-11-04 16:13:37"

    journal = call("GET", "/__mock/requests?method=POST&path=/api/v3/clients", 200)
    assert len(journal) == 1
    assert journal[0]["operation_id"] == "customers.create_customer"
    assert journal[0]["request"]["body"] == NEW_CUSTOMER
    assert journal[0]["request"]["headers"]["Authorization"] == "Bearer [redacted]"
    assert journal[0]["response"]["status"] == 201 and journal[0]["response"]["body"]["id"] == cid
    assert journal[0]["time"] == "2024-11-04T16:13:37.000Z"
    everything = call("GET", "/__mock/requests", 200)
    assert [e["request"]["path"] for e in everything] == [
        "/api/v3/clients",
        "/api/v3/clients",
        "/api/v3/clients/summary",
        "/api/v3/reports/customers/2024-03-01/2024-11-04",
    ]
    # duration_ms is the one real-time figure, so it alone may differ between runs (with the
    # headers each HTTP client adds).
    bodies[-2:] = [json.dumps([_timeless(e) for e in json.loads(body)]).encode() for body in bodies[-2:]]

    saved = call("PUT", "/__mock/snapshots/with-echis", 201, json=None)
    assert saved["records"]["customers"] == 8 and saved["created_at"] == "2024-11-04T16:13:37.000Z"
    call("PUT", "/__mock/clock", 200, json={"advance": "P1D"})
    call("DELETE", f"/api/v3/clients/{cid}", 200)
    call("GET", f"/api/v3/clients/{cid}", 404)
    call("POST", "/__mock/snapshots/with-echis/restore", 200)

    assert call("GET", f"/api/v3/clients/{cid}", 200) == {**customer, **_owing_500()}
    assert call("GET", f"/api/v3/clients/{cid}/transactions", 200)[0]["transactions"] == [entry]
    assert call("GET", "/api/v3/clients/summary", 200) == summary_before
    call("DELETE", "/__mock/snapshots/with-echis", 204)
    return bodies


def _timeless(entry):
    """The entry without what is not the server's to repeat: real time taken, and the
    headers each HTTP client adds its own way (Host with its port, User-Agent, ...)."""
    assert entry["duration_ms"] >= 0
    headers = {k: v for k, v in entry["request"]["headers"].items() if k in ("Authorization", "Content-Type")}
    kept = {k: v for k, v in entry.items() if k != "duration_ms"}
    return {**kept, "request": {**entry["request"], "headers": headers}}


def _owing_500():
    return {"unformated_balance": 500, "balance": "500.00", "total_debit": "500.00", "total_credit": "0.00"}


def test_frontend_flow_through_the_control_plane(client):
    run_scenario(client)


def test_two_runs_with_a_frozen_clock_give_identical_bodies():
    first = run_scenario(ApiClient(make_app().test_client()))
    second_app = make_app()
    second = run_scenario(ApiClient(second_app.test_client()))
    assert first == second
    # ...and on the same server again after a reset, which is how a suite runs it.
    assert run_scenario(ApiClient(second_app.test_client())) == first


def test_the_control_plane_needs_the_token(client):
    for method, path in [
        ("POST", "/__mock/reset"),
        ("GET", "/__mock/requests"),
        ("PUT", "/__mock/clock"),
        ("POST", "/__mock/ledger"),
        ("PUT", "/__mock/snapshots/x"),
        ("PUT", "/__mock/faults"),
    ]:
        answer = client.open(method, path, auth=False, json={})
        assert answer.status_code == 401, (method, path)


class ProcessClient:
    """The scenario's calls over HTTP to `mockserver serve`, answering as the test client does."""

    def __init__(self, server: ServerProcess):
        self.server = server

    def open(self, method, path, **kwargs):
        data = json.dumps(kwargs["json"]).encode() if kwargs.get("json") is not None else None
        request = urllib.request.Request(self.server.base + path, data=data, method=method, headers=dict(AUTH))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=patience(10)) as response:
                return _Answer(response.status, response.read())
        except urllib.error.HTTPError as e:
            return _Answer(e.code, e.read())


class _Answer:
    def __init__(self, status_code, data):
        self.status_code, self.data = status_code, data
        self.json = json.loads(data) if data else None


def test_a_served_process_gives_the_same_bytes_as_the_app_in_process(tmp_path):
    """What a CI job that starts the server as a process gets is what an in-process one gets."""
    in_process = run_scenario(ApiClient(make_app().test_client()))
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet") as server:
        assert run_scenario(ProcessClient(server)) == in_process
