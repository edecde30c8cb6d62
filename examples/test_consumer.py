"""A consumer's test suite: it needs only `pip install mockserver` and the `mockserver`
fixture (no conftest.py, no server to start). tests/test_pytest_plugin.py runs it."""

import json
import urllib.error
import urllib.request

FIXTURE_CUSTOMERS = 7  # the docs' sample customers


def call(mockserver, method, path, body=None):
    """What the app under test would do: any HTTP client, the fixture's URL and token."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {**mockserver.headers, "Content-Type": "application/json"}
    request = urllib.request.Request(mockserver.url(path), data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


NEW = {
    "business_name": "Consumer Ltd",
    "business_address": "",
    "business_phone": "",
    "business_email": "",
    "category_id": 1,
}


def test_a_created_customer_is_read_back(mockserver):
    status, made = call(mockserver, "POST", "/api/v3/clients", NEW)
    assert status == 201
    assert call(mockserver, "GET", f"/api/v3/clients/{made['id']}") == (200, made)


def test_every_test_starts_from_the_docs_data(mockserver):
    status, customers = call(mockserver, "GET", "/api/v3/clients")
    assert status == 200 and len(customers) == FIXTURE_CUSTOMERS
    assert "Consumer Ltd" not in {c["business_name"] for c in customers}


def test_the_journal_shows_what_the_app_sent(mockserver):
    call(mockserver, "POST", "/api/v3/clients", {**NEW, "category_id": "CAT-1"})
    [entry] = mockserver.requests(method="POST")
    assert entry["response"]["status"] == 422
    assert entry["request"]["body"]["category_id"] == "CAT-1"


def test_a_frozen_clock_stamps_new_records(mockserver):
    mockserver.clock.set("2030-01-02T09:00:00Z")
    _, made = call(mockserver, "POST", "/api/v3/clients", NEW)
    assert made["created_at"] == "2030-01-02T09:00:00.000000Z"
    assert mockserver.clock.advance("P1D").startswith("2030-01-03")
