from datetime import UTC, datetime

import pytest

from tests.conftest import by_id, fixture_rows
from tests.docs_samples import LEGACY_FILTER_REQUEST, REPORT, REPORT_FILTER_REQUEST
from tests.test_customers import NEW_CUSTOMER

DOC_PERIOD = "2024-11-01/2024-11-11"
REPORT_FIGURES = [
    "amount_due",
    "invoice_count",
    "balance",
    "amount_paid",
    "online_amount_paid",
    "dateFrom",
    "dateTo",
    "average_payment_terms",
    "owing",
    "total_paid",
    "invoices",
]


def figures(line):
    return {name: line[name] for name in REPORT_FIGURES}


# -- golden: the seeded report for the doc's period is the doc's sample


@pytest.mark.parametrize("path", ["/api/v3/reports/customers", "/api/analytics/customers"])
def test_seeded_report_for_doc_period_equals_doc_sample(client, path):
    report = client.get(f"{path}/{DOC_PERIOD}").json
    assert report[: len(REPORT)] == REPORT
    assert [list(line) for line in report[: len(REPORT)]] == [list(line) for line in REPORT]  # field order too


def test_report_has_every_customer_in_id_order(client):
    ids = [line["id"] for line in client.get(f"/api/v3/reports/customers/{DOC_PERIOD}").json]
    assert ids == sorted(row["id"] for row in fixture_rows("customers"))


@pytest.mark.parametrize(
    "period", [DOC_PERIOD, "2020-01-01/2023-12-31", "2021-02-01/2021-02-01", "0001-01-01/9999-12-31"]
)
def test_alias_answers_the_same_body(client, period):
    v3 = client.get(f"/api/v3/reports/customers/{period}")
    legacy = client.get(f"/api/analytics/customers/{period}")
    assert v3.status_code == legacy.status_code == 200
    assert v3.data == legacy.data


def test_balance_is_the_running_balance_at_the_period_end(client):
    # 779: invoices 20,000,000 (2020-08-01) and 23,228,120.29 (2022-03-15); payments
    # 12,000,000 (2021-01-10) and 10,876,297.37 (2023-06-30).
    def balance(period):
        return by_id(client.get(f"/api/v3/reports/customers/{period}").json)[779]["balance"]

    assert balance("2020-01-01/2020-12-31") == 20000000
    assert balance("2021-01-01/2021-12-31") == 8000000
    assert balance("2023-01-01/2023-12-31") == 20351822.92
    assert balance("2019-01-01/2019-12-31") == 0


# -- every figure computed from the ledger, entries moved in and out of the period

# Customer 2's own history ends in 2020; these entries are around the doc's period.
SCENARIO = [
    ("invoice", 1000, "2024-10-20", "2024-11-05", None),  # A: before the period
    ("invoice", 500, "2024-11-02", "2024-11-09", None),  # B: in it, falls due in it
    ("invoice", 300, "2024-11-10", "2024-12-10", None),  # C: in it, falls due after it
    ("invoice", 999, "2024-11-12", None, None),  # D: after it; no due date, due when issued
    ("payment", 1200, "2024-11-04", None, "online"),  # settles the rest of 2's history, then A, then 200 of B
    ("payment", 300, "2024-11-08", None, "bank"),  # the rest of B: B took 6 days to pay
    ("payment", 100, "2024-11-20", None, "cash"),  # after the period: 100 of C
]


@pytest.fixture
def scenario(client, add_entry):
    """Customer 2 with its seeded history settled first, so the scenario starts at balance 0."""
    seeded_balance = 8073384
    add_entry(2, "payment", seeded_balance, "2024-01-01", method="bank")
    for kind, amount, day, due, method in SCENARIO:
        add_entry(2, kind, amount, day, due, method)
    return client


def test_figures_for_the_doc_period(scenario):
    line = by_id(scenario.get(f"/api/v3/reports/customers/{DOC_PERIOD}").json)[2]
    assert figures(line) == {
        "invoice_count": 2,  # B and C
        "invoices": 800,
        "amount_paid": 500,  # all of B; nothing of C yet
        "online_amount_paid": 200,  # B's part of the online payment
        "owing": 300,  # C
        "amount_due": 0,  # C is not due until 2024-12-10
        "total_paid": 1500,  # both payments dated in the period, whatever they settled
        "average_payment_terms": 6,  # B: 2024-11-02 to 2024-11-08
        "balance": 300,  # 1800 invoiced - 1500 paid up to 2024-11-11
        "dateFrom": "2024-11-01",
        "dateTo": "2024-11-11",
    }


def test_figures_for_a_wider_period(scenario):
    line = by_id(scenario.get("/api/v3/reports/customers/2024-10-01/2024-12-31").json)[2]
    assert figures(line) == {
        "invoice_count": 4,
        "invoices": 2799,
        "amount_paid": 1600,  # A 1000, B 500, C 100
        "online_amount_paid": 1200,  # A 1000, B 200
        "owing": 1199,  # C 200, D 999
        "amount_due": 1199,  # both due by 2024-12-31
        "total_paid": 1600,
        "average_payment_terms": 10.5,  # A 15 days, B 6 days
        "balance": 1199,
        "dateFrom": "2024-10-01",
        "dateTo": "2024-12-31",
    }


def test_period_with_payments_but_no_invoices(scenario):
    line = by_id(scenario.get("/api/v3/reports/customers/2024-11-13/2024-11-30").json)[2]
    assert figures(line) == {
        "invoice_count": 0,
        "invoices": 0,
        "amount_paid": None,  # no invoices to have paid: null, as the doc's sample shows
        "online_amount_paid": None,
        "owing": 0,
        "amount_due": 0,
        "total_paid": 100,
        "average_payment_terms": 0,
        "balance": 1199,
        "dateFrom": "2024-11-13",
        "dateTo": "2024-11-30",
    }


def test_payment_made_before_the_invoice_settles_it_when_issued(client, add_entry):
    add_entry(3, "payment", 8002148.76, "2024-01-01")  # 3's seeded balance, settled
    add_entry(3, "payment", 500, "2024-11-01", method="online")  # paid ahead
    add_entry(3, "invoice", 400, "2024-11-03", "2024-11-30")
    line = by_id(client.get(f"/api/v3/reports/customers/{DOC_PERIOD}").json)[3]
    assert figures(line) | {"dateFrom": None, "dateTo": None} == {
        "invoice_count": 1,
        "invoices": 400,
        "amount_paid": 400,
        "online_amount_paid": 400,
        "owing": 0,
        "amount_due": 0,
        "total_paid": 500,
        "average_payment_terms": 0,
        "balance": -100,  # 100 of credit left
        "dateFrom": None,
        "dateTo": None,
    }


def test_other_customers_are_untouched_by_one_customers_entries(scenario):
    before = {k: v for k, v in by_id(scenario.get(f"/api/v3/reports/customers/{DOC_PERIOD}").json).items() if k != 2}
    assert before[1] == REPORT[0]


def test_created_customer_appears_in_the_report(client):
    created = client.post("/api/v3/clients", json=NEW_CUSTOMER).json
    line = by_id(client.get(f"/api/v3/reports/customers/{DOC_PERIOD}").json)[created["id"]]
    assert line["business_name"] == NEW_CUSTOMER["business_name"]
    assert line["category"] == "JHS 3 - 2022"
    assert line["archived"] == 0
    assert line["created_at"] == created["created_at"][:19].replace("T", " ")
    assert figures(line)["invoice_count"] == 0 and line["balance"] == 0


def test_archived_customer_is_reported_with_archived_1(client):
    client.post("/api/v3/clients/779/archive", json={"archived": True})
    assert by_id(client.get(f"/api/v3/reports/customers/{DOC_PERIOD}").json)[779]["archived"] == 1


def test_report_changes_with_the_ledger_and_keeps_nothing(client, add_entry):
    before = by_id(client.get(f"/api/v3/reports/customers/{DOC_PERIOD}").json)[1]
    add_entry(1, "invoice", 250.5, "2024-11-05", "2024-11-06")
    after = by_id(client.get(f"/api/v3/reports/customers/{DOC_PERIOD}").json)[1]
    assert (after["invoice_count"], after["invoices"], after["amount_due"]) == (1, 250.5, 250.5)
    assert after["balance"] == pytest.approx(before["balance"] + 250.5)


# -- bad periods


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v3/reports/customers/2024-11-12/2024-11-11", "from"),
        ("/api/v3/reports/customers/2024-13-01/2024-11-11", "from"),
        ("/api/v3/reports/customers/2024-11-01/yesterday", "to"),
        ("/api/v3/reports/customers/0000-01-01/2024-11-11", "from"),
        ("/api/analytics/customers/2024-11-12/2024-11-11", "startdate"),
        ("/api/analytics/customers/2024-11-01/2024-02-30", "enddate"),
        ("/api/v3/reports/customers/client/1/2024-11-12/2024-11-11", "from"),
    ],
)
def test_bad_period_is_422_naming_the_parameter(client, path, field):
    answer = client.get(path)
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == [field]


def test_report_needs_a_token(client):
    assert client.get(f"/api/v3/reports/customers/{DOC_PERIOD}", auth=False).status_code == 401


# -- one customer


def test_one_customer_is_its_line_of_the_report(client):
    line = client.get(f"/api/v3/reports/customers/client/779/{DOC_PERIOD}").json
    assert line == by_id(client.get(f"/api/v3/reports/customers/{DOC_PERIOD}").json)[779]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/v3/reports/customers/client/4242/{DOC_PERIOD}"),
        ("GET", "/api/client/4242"),
        ("POST", "/api/client/transactions/send/4242"),
        ("POST", "/api/v3/reports/customers/client/transactions/send/4242"),
    ],
)
def test_unknown_customer_is_404(client, method, path):
    answer = client.open(method, path, json={}) if method == "POST" else client.open(method, path)
    assert answer.status_code == 404 and answer.json["message"] == "Customer 4242 not found"


def test_filter_with_the_docs_body_answers_the_report_line(client):
    body = {**REPORT_FILTER_REQUEST, "id": 1}
    answer = client.post(f"/api/v3/reports/customers/client/1/{body['from']}/{body['to']}", json=body)
    assert answer.status_code == 200
    assert answer.json == [client.get(f"/api/v3/reports/customers/client/1/{body['from']}/{body['to']}").json]


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"id": 2}, ["id"]),
        ({"from": "2024-11-02"}, ["from"]),
        ({"to": "2024-11-30", "from": "2024-10-01"}, ["from", "to"]),
    ],
)
def test_filter_body_contradicting_the_path_is_422(client, change, fields):
    body = {"id": 1, "from": "2024-11-01", "to": "2024-11-11", **change}
    answer = client.post(f"/api/v3/reports/customers/client/1/{DOC_PERIOD}", json=body)
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == fields
    assert "the path says" in answer.json["errors"][fields[0]][0]


def test_filter_body_must_be_whole(client):
    answer = client.post(f"/api/v3/reports/customers/client/1/{DOC_PERIOD}", json={"id": 1})
    assert answer.status_code == 422 and set(answer.json["errors"]) == {"from", "to"}


# -- older paths


def test_legacy_client_is_the_whole_history_to_today(client):
    line = client.get("/api/client/779").json
    today = datetime.now(UTC).date().isoformat()
    assert (line["dateFrom"], line["dateTo"]) == ("2020-07-25", today)  # created 2020-07-25
    whole = client.get(f"/api/v3/reports/customers/client/779/2020-07-25/{today}").json
    assert line == whole
    assert (line["invoice_count"], line["invoices"], line["total_paid"]) == (2, 43228120.29, 22876297.37)


def test_legacy_client_reaches_back_to_entries_older_than_the_customer(client, add_entry):
    add_entry(779, "invoice", 10, "2019-05-01")
    assert client.get("/api/client/779").json["dateFrom"] == "2019-05-01"


def test_legacy_filter_takes_its_period_from_the_body(client):
    body = {**LEGACY_FILTER_REQUEST, "id": 779, "start_date": "2020-01-01", "end_date": "2021-12-31"}
    for query in ["", "?from&to", "?from=2020-01-01&to=2021-12-31", "?to=2021-12-31"]:
        answer = client.post(f"/api/client/transactions/779{query}", json=body)
        assert answer.status_code == 200, query
        assert answer.json == [client.get("/api/v3/reports/customers/client/779/2020-01-01/2021-12-31").json]


@pytest.mark.parametrize(
    ("query", "change", "fields"),
    [
        ("?from=2020-02-01", {}, ["start_date"]),
        ("?to=2022-01-01", {}, ["end_date"]),
        ("", {"id": 1}, ["id"]),
        ("?from=2020-02-01&to=2022-01-01", {"id": 1}, ["id", "start_date", "end_date"]),
    ],
)
def test_legacy_filter_query_contradicting_the_body_is_422(client, query, change, fields):
    body = {"id": 779, "start_date": "2020-01-01", "end_date": "2021-12-31", **change}
    answer = client.post(f"/api/client/transactions/779{query}", json=body)
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == fields


def test_legacy_filter_backwards_period_names_the_body_field(client):
    body = {"id": 779, "start_date": "2022-01-01", "end_date": "2021-12-31"}
    answer = client.post("/api/client/transactions/779", json=body)
    assert answer.status_code == 422 and list(answer.json["errors"]) == ["start_date"]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v3/reports/customers/client/1/2024-11-01/2024-11-30", ""),
        ("/api/client/transactions/1", "?from=2024-11-01&to=2024-11-30"),
    ],
    ids=["v3", "legacy"],
)
def test_a_filter_without_a_body_reads_the_path(client, path, query):
    with_body = client.post(
        path + query,
        json={"id": 1, "from": "2024-11-01", "to": "2024-11-30"}
        if "v3" in path
        else {"id": 1, "start_date": "2024-11-01", "end_date": "2024-11-30"},
    )
    without = client.post(path + query)
    assert without.status_code == with_body.status_code == 200 and without.json == with_body.json


def test_the_legacy_filter_without_body_or_period_is_the_whole_history(client):
    assert client.post("/api/client/transactions/1").json == [client.get("/api/client/1").json]
