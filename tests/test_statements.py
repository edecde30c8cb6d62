from datetime import UTC, datetime

import pytest

from tests.docs_samples import STATEMENT_REQUEST

SEND_PATHS = ["/api/v3/reports/customers/client/transactions/send", "/api/client/transactions/send"]


def outbox(client, query=""):
    answer = client.get(f"/__mock/outbox{query}")
    assert answer.status_code == 200
    return answer.json


@pytest.mark.parametrize("path", SEND_PATHS)
def test_sending_the_docs_request_answers_as_the_docs_and_lands_in_the_outbox(client, path):
    answer = client.post(f"{path}/779?from=2023-01-01&to=2023-12-31", json=STATEMENT_REQUEST)
    assert answer.status_code == 200
    assert answer.data == b'"Transactions sent"'
    [message] = outbox(client)
    assert message["customer_id"] == 779
    # 779's own business_email first, then the others
    assert message["to"] == ["test@gmail.com", "example@example.com", "another@example.com"]
    assert message["subject"] == "Statement of account for Abas two, 2023-01-01 to 2023-12-31"
    assert message["message"] == STATEMENT_REQUEST["message"]
    assert message["send_tome"] == "2024-11-07"
    assert message["period"] == {"from": "2023-01-01", "to": "2023-12-31"}
    sent = datetime.fromisoformat(message["sent_at"])
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 60


def test_statement_lists_the_periods_entries_with_running_balance(client, add_entry):
    add_entry(779, "invoice", 500, "2024-03-01", "2024-03-31", description="Invoice INV-9")
    add_entry(779, "payment", 200.25, "2024-03-15", method="online", description="Part payment")
    add_entry(779, "invoice", 70, "2024-05-01", description="Outside")
    client.post("/api/client/transactions/send/779?from=2024-01-01&to=2024-04-30", json={})
    [message] = outbox(client)
    assert message["statement"] == {
        "opening_balance": 20351822.92,  # 779's balance brought forward
        "lines": [
            {
                "date": "2024-03-01",
                "kind": "invoice",
                "description": "Invoice INV-9",
                "debit": 500,
                "credit": 0,
                "balance": 20352322.92,
            },
            {
                "date": "2024-03-15",
                "kind": "payment",
                "description": "Part payment",
                "debit": 0,
                "credit": 200.25,
                "balance": 20352122.67,
            },
        ],
        "closing_balance": 20352122.67,
    }


def test_without_a_period_the_statement_runs_from_the_first_entry_to_today(client):
    client.post("/api/client/transactions/send/779?from&to", json={})
    [message] = outbox(client)
    today = datetime.now(UTC).date().isoformat()
    assert message["period"] == {"from": None, "to": today}
    assert message["subject"] == f"Statement of account for Abas two, up to {today}"
    assert message["statement"]["opening_balance"] == 0
    assert len(message["statement"]["lines"]) == 4
    assert message["statement"]["closing_balance"] == 20351822.92
    assert message["send_tome"] is None


def test_each_address_is_sent_once_whatever_its_case(client):
    body = {"other_emails": ["TEST@gmail.com", "a@example.com", "A@Example.com"]}
    client.post("/api/client/transactions/send/779", json=body)
    assert outbox(client)[0]["to"] == ["test@gmail.com", "a@example.com"]


def test_customer_without_business_email_needs_other_emails(client):
    # customer 2's business_email is ""
    answer = client.post("/api/client/transactions/send/2", json={"message": "hi"})
    assert answer.status_code == 422 and list(answer.json["errors"]) == ["other_emails"]
    assert outbox(client) == []
    assert client.post("/api/client/transactions/send/2", json={"other_emails": ["x@y.com"]}).status_code == 200
    assert outbox(client)[0]["to"] == ["x@y.com"]


@pytest.mark.parametrize(
    ("body", "field", "named"),
    [
        ({"other_emails": ["ok@example.com", "not-an-email"]}, "other_emails.1", "not-an-email"),
        ({"other_emails": ["a@"]}, "other_emails.0", "a@"),
        ({"other_emails": "example@example.com"}, "other_emails", "example@example.com"),
        ({"send_tome": "next tuesday"}, "send_tome", "next tuesday"),
        ({"mesage": "typo"}, "mesage", ""),
    ],
    ids=["bad-address", "half-address", "not-a-list", "bad-send-time", "unknown-field"],
)
def test_bad_statement_request_is_422_naming_it_and_sends_nothing(client, body, field, named):
    # strict: what Laravel would ignore (an unknown field) is refused, as the others are
    answer = client.post(
        "/api/v3/reports/customers/client/transactions/send/779", json=body, headers={"Prefer": "strict"}
    )
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == [field]
    assert named in answer.json["errors"][field][0]
    assert outbox(client) == []


def test_backwards_period_is_422(client):
    answer = client.post("/api/client/transactions/send/779?from=2024-02-01&to=2024-01-01", json={})
    assert answer.status_code == 422 and list(answer.json["errors"]) == ["from"]
    assert outbox(client) == []
