"""GET/POST /__mock/ledger, DELETE /__mock/ledger/{id}: scenario data for balances and reports."""

import pytest

from tests.conftest import by_id, fixture_rows

INVOICE = {"customer_id": 2, "kind": "invoice", "amount": 500, "date": "2024-03-01", "due_date": "2024-03-31"}


def add(client, **fields):
    answer = client.post("/__mock/ledger", json={**INVOICE, **fields})
    assert answer.status_code == 201, answer.json
    return answer.json


def test_an_invoice_shows_in_the_list_the_summary_the_transactions_and_the_report(client):
    before = by_id(client.get("/api/v3/clients").json)[2]["unformated_balance"]
    summary = client.get("/api/v3/clients/summary").json["total_balance"]
    entry = add(client)
    assert entry == {
        "id": len(fixture_rows("ledger")) + 1,
        **{k: v for k, v in INVOICE.items()},
        "method": None,
        "description": f"Invoice INV-{len(fixture_rows('ledger')) + 1:04d}",
    }
    assert by_id(client.get("/api/v3/clients").json)[2]["unformated_balance"] == before + 500
    assert client.get("/api/v3/clients/summary").json["total_balance"] == pytest.approx(summary + 500)
    assert entry in client.get("/api/v3/clients/2/transactions?from=2024-03-01&to=2024-03-31").json[0]["transactions"]
    line = by_id(client.get("/api/v3/reports/customers/2024-03-01/2024-04-30").json)[2]
    assert line["invoice_count"] == 1 and line["owing"] == 500 and line["amount_due"] == 500


def test_a_payment_defaults_to_bank_and_online_ones_count_as_online(client):
    fresh = {"business_name": "New", "business_address": "", "business_phone": "", "business_email": ""}
    cid = client.post("/api/v3/clients", json={**fresh, "category_id": 1}).json["id"]
    add(client, customer_id=cid)
    bank = add(client, customer_id=cid, kind="payment", amount=200, date="2024-03-05", due_date=None)
    assert bank["method"] == "bank" and bank["description"].startswith("Payment PMT-")
    add(client, customer_id=cid, kind="payment", amount=100, date="2024-03-06", due_date=None, method="online")
    line = by_id(client.get("/api/v3/reports/customers/2024-03-01/2024-03-31").json)[cid]
    assert line["amount_paid"] == 300 and line["online_amount_paid"] == 100 and line["owing"] == 200


def test_list_filters_and_delete(client):
    mine = add(client, customer_id=779, description="Term fees")
    assert mine["description"] == "Term fees"
    assert client.get("/__mock/ledger?customer_id=779&kind=invoice").json[-1] == mine
    assert all(e["kind"] == "payment" for e in client.get("/__mock/ledger?kind=payment").json)
    everything = client.get("/__mock/ledger").json
    assert len(everything) == len(fixture_rows("ledger")) + 1
    assert everything == sorted(everything, key=lambda e: (e["date"], e["id"]))
    assert client.delete(f"/__mock/ledger/{mine['id']}").status_code == 204
    assert mine not in client.get("/__mock/ledger?customer_id=779").json
    assert client.delete(f"/__mock/ledger/{mine['id']}").status_code == 404


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"customer_id": 999999}, "customer_id", "no customer 999999"),
        ({"kind": "refund"}, "kind", "invoice, payment"),
        ({"amount": 0}, "amount", "positive"),
        ({"amount": 10.005}, "amount", "2 decimal"),
        ({"amount": "500"}, "amount", "positive"),
        ({"date": "2024-02-30"}, "date", "YYYY-MM-DD"),
        ({"due_date": "2024-02-01"}, "due_date", "before the entry's date"),
        ({"kind": "payment", "due_date": "2024-04-01"}, "due_date", "for invoices"),
        ({"method": "bank"}, "method", "for payments"),
        ({"kind": "payment", "due_date": None, "method": "bitcoin"}, "method", "one of cash"),
        ({"note": "x"}, "note", "not a field"),
    ],
)
def test_bad_entries_are_422_naming_the_field_and_write_nothing(client, fields, field, words):
    answer = client.post("/__mock/ledger", json={**INVOICE, **fields})
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"] and words in str(answer.json["errors"][field])
    assert len(client.get("/__mock/ledger").json) == len(fixture_rows("ledger"))
