import pytest

from tests.conftest import ApiClient, by_id, fixture_rows
from tests.docs_samples import ARCHIVE_REQUEST, CREATED_CUSTOMER, CUSTOMER_LIST, TRANSACTIONS_SAMPLE

# The doc's create body with an existing category (its own "CAT-456" is tested below).
NEW_CUSTOMER = {
    "business_name": "Tech Solutions Inc.",
    "business_address": "123 Tech Street, Silicon Valley, CA",
    "business_phone": "+1-800-555-0199",
    "business_email": "contact@techsolutions.com",
    "category_id": 2683,
    "first_name": "John",
    "last_name": "Doe",
    "phone_number": "+1-800-555-0100",
}


# -- golden: the seeded store answers the docs' samples field for field


@pytest.mark.parametrize("sample", CUSTOMER_LIST, ids=lambda s: s["business_name"])
def test_list_holds_doc_sample_record(client, sample):
    assert by_id(client.get("/api/v3/clients").json)[sample["id"]] == sample


def test_get_equals_doc_create_response(client):
    assert client.get("/api/v3/clients/154184").json == CREATED_CUSTOMER


def test_transactions_sample_record_154186(client):
    assert client.get("/api/v3/clients/154186/transactions?from&to").json == TRANSACTIONS_SAMPLE


def test_list_keeps_doc_field_order(client):
    assert list(client.get("/api/v3/clients").json[0]) == list(CUSTOMER_LIST[0])


def test_list_is_ordered_by_business_name_as_the_docs_are(client):
    names = [c["business_name"] for c in client.get("/api/v3/clients").json]
    assert names == sorted(names, key=str.casefold)
    assert names.index("Abas two") < names.index("Abdul Rashid Enterprise")


def test_every_fixture_customer_is_listed(client):
    assert set(by_id(client.get("/api/v3/clients").json)) == {row["id"] for row in fixture_rows("customers")}


# -- derived figures


def test_balances_are_the_ledger_sums(client):
    customer = client.get("/api/v3/clients/779").json
    assert (customer["total_debit"], customer["total_credit"]) == ("43,228,120.29", "22,876,297.37")
    assert customer["unformated_balance"] == 20351822.92
    assert customer["balance"] == "20,351,822.92"


def test_summary_is_computed_from_the_store(client):
    customers = client.get("/api/v3/clients").json
    summary = client.get("/api/v3/clients/summary?category_id").json
    assert summary["customer_count"] == len(customers)
    assert summary["archived_customers"] + summary["unarchived_customers"] == len(customers)
    assert summary["total_balance"] == pytest.approx(sum(c["unformated_balance"] for c in customers))
    assert summary["total_deposits"] == pytest.approx(sum(c["deposit_amount"] for c in customers))


@pytest.mark.parametrize("query", ["", "?category_id", "?category_id="], ids=["none", "doc-literal", "empty"])
def test_summary_without_a_category_counts_everyone(client, query):
    assert client.get(f"/api/v3/clients/summary{query}").json["customer_count"] == len(fixture_rows("customers"))


def test_category_filter_on_list_and_summary(client):
    listed = client.get("/api/v3/clients?category_id=1224").json
    assert {c["category_id"] for c in listed} == {1224}
    assert client.get("/api/v3/clients/summary?category_id=1224").json["customer_count"] == len(listed)
    assert client.get("/api/v3/clients?category_id=999999").json == []
    # JSON Schema counts 1224.0 as an integer, so the spec accepts it too
    assert client.get("/api/v3/clients?category_id=1224.0").json == listed


# -- create, update, delete, archive change what later calls see


def test_create_changes_list_summary_and_category_count(client):
    def count(category_id):
        return by_id(client.get("/api/v3/clients/clients/categories").json)[category_id]["customer_count"]

    before = client.get("/api/v3/clients/summary").json["customer_count"]
    before_in_category = count(2683)
    created = client.post("/api/v3/clients", json=NEW_CUSTOMER)
    assert created.status_code == 201
    customer = created.json
    assert {k: customer[k] for k in NEW_CUSTOMER} == NEW_CUSTOMER
    assert customer["category"] == "JHS 3 - 2022"
    assert customer["balance"] == "0.00" and customer["archived"] is False
    assert customer["id"] in by_id(client.get("/api/v3/clients").json)
    assert client.get("/api/v3/clients/summary").json["customer_count"] == before + 1
    assert count(2683) == before_in_category + 1


def test_create_accepts_category_id_as_digit_string(client):
    created = client.post("/api/v3/clients", json={**NEW_CUSTOMER, "category_id": "1224"})
    assert created.status_code == 201
    assert created.json["category_id"] == 1224


def test_ids_are_never_reused_after_delete(client):
    first = client.post("/api/v3/clients", json=NEW_CUSTOMER).json["id"]
    client.delete(f"/api/v3/clients/{first}")
    second = client.post("/api/v3/clients", json=NEW_CUSTOMER).json["id"]
    assert second > first


def test_account_ids_follow_the_docs_highest_and_are_never_reused(client):
    highest = max(row["account_id"] for row in fixture_rows("customers"))
    first = client.post("/api/v3/clients", json=NEW_CUSTOMER).json
    assert first["account_id"] == highest + 1
    client.delete(f"/api/v3/clients/{first['id']}")
    assert client.post("/api/v3/clients", json=NEW_CUSTOMER).json["account_id"] == highest + 2


def test_update_replaces_fields_and_moves_updated_at(client):
    updated = client.post("/api/v3/clients/154184", json={**NEW_CUSTOMER, "business_name": "Echis Viper Ltd"})
    assert updated.status_code == 200
    assert updated.json["business_name"] == "Echis Viper Ltd"
    assert updated.json["created_at"] == CREATED_CUSTOMER["created_at"]
    assert updated.json["updated_at"] > CREATED_CUSTOMER["updated_at"]
    assert client.get("/api/v3/clients/154184").json == updated.json


def test_delete_then_get_is_404(client):
    assert client.delete("/api/v3/clients/779").json == {"message": "Customer 779 deleted"}
    gone = client.get("/api/v3/clients/779")
    assert gone.status_code == 404
    assert gone.json == {"message": "Customer 779 not found"}
    assert client.delete("/api/v3/clients/779").status_code == 404


def test_delete_removes_the_customers_ledger_from_the_summary(client):
    before = client.get("/api/v3/clients/summary").json["total_balance"]
    client.delete("/api/v3/clients/779")
    assert client.get("/api/v3/clients/summary").json["total_balance"] == pytest.approx(before - 20351822.92)


def test_archive_doc_sample_changes_summary_and_unarchive_restores(client):
    archived = client.post("/api/v3/clients/154186/archive", json=ARCHIVE_REQUEST)
    assert archived.status_code == 200 and archived.json["archived"] is True
    summary = client.get("/api/v3/clients/summary").json
    assert summary["archived_customers"] == 1
    client.post("/api/v3/clients/154186/archive", json={"archived": False})
    assert client.get("/api/v3/clients/summary").json["archived_customers"] == 0


def test_archive_body_id_must_match_path(client):
    answer = client.post("/api/v3/clients/779/archive", json={"id": 2319, "archived": True})
    assert answer.status_code == 422
    assert "id" in answer.json["errors"]
    assert client.get("/api/v3/clients/779").json["archived"] is False


# -- transactions


@pytest.mark.parametrize(
    ("query", "dates"),
    [
        ("", ["2020-08-01", "2021-01-10", "2022-03-15", "2023-06-30"]),
        ("?from=2021-01-10&to=2022-03-15", ["2021-01-10", "2022-03-15"]),
        ("?from=2022-01-01", ["2022-03-15", "2023-06-30"]),
        ("?to=2020-12-31", ["2020-08-01"]),
        ("?from=2024-01-01&to=2024-12-31", []),
    ],
    ids=["all", "inclusive-range", "from-only", "to-only", "empty-period"],
)
def test_transactions_are_the_ledger_entries_in_the_period(client, query, dates):
    [customer] = client.get(f"/api/v3/clients/779/transactions{query}").json
    assert [t["date"] for t in customer["transactions"]] == dates


def test_transactions_period_backwards_is_422(client):
    answer = client.get("/api/v3/clients/779/transactions?from=2024-02-01&to=2024-01-01")
    assert answer.status_code == 422 and "from" in answer.json["errors"]


# -- bad input: a 4xx that names the field, and nothing written


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category_id": "CAT-456"}, "category_id"),  # the doc's own sample value
        ({"category_id": 99999}, "category_id"),
        ({"business_email": "not-an-email"}, "business_email"),
        ({"business_name": 42}, "business_name"),
        ({"first_name": "x" * 256}, "first_name"),
        ({"buisness_name": "typo"}, "buisness_name"),
    ],
    ids=["doc-CAT-456", "unknown-category", "bad-email", "wrong-type", "too-long", "unknown-field"],
)
def test_create_rejects_bad_field_naming_it(client, change, field):
    before = len(client.get("/api/v3/clients").json)
    # strict: what Laravel would ignore (an unknown field) is refused, as the others are
    answer = client.post("/api/v3/clients", json={**NEW_CUSTOMER, **change}, headers={"Prefer": "strict"})
    assert answer.status_code == 422
    assert field in answer.json["errors"]
    assert field in answer.json["message"] or len(answer.json["errors"]) > 1
    assert len(client.get("/api/v3/clients").json) == before


def test_unknown_category_is_named_with_the_other_bad_fields(client):
    answer = client.post("/api/v3/clients", json={**NEW_CUSTOMER, "category_id": "99999", "business_email": "x"})
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"category_id", "business_email"}
    assert answer.json["errors"]["category_id"][0].startswith("no customer category 99999; existing ones include 1")


def test_create_names_every_missing_field(client):
    answer = client.post("/api/v3/clients", json={"business_name": "Only a name"})
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"business_address", "business_phone", "business_email", "category_id"}


def test_malformed_json_is_400(client):
    answer = client.post("/api/v3/clients", data="{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json["message"]


def test_non_json_body_is_415(client):
    answer = client.post("/api/v3/clients", data="business_name=x", headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415


def test_missing_body_is_422(client):
    answer = client.post("/api/v3/clients")
    assert answer.status_code == 422 and "body" in answer.json["errors"]


@pytest.mark.parametrize("path", ["/api/v3/clients/abc", "/api/v3/clients/0"], ids=["not-a-number", "zero"])
def test_bad_id_is_422_naming_it(client, path):
    answer = client.get(path)
    assert answer.status_code == 422 and "id" in answer.json["errors"]


def test_unknown_id_is_404_json(client):
    answer = client.get("/api/v3/clients/42")
    assert answer.status_code == 404
    assert answer.json == {"message": "Customer 42 not found"}


@pytest.mark.parametrize("value", ["abc", "1224.5", "1224.", "0x10"])
def test_bad_category_filter_is_422(client, value):
    answer = client.get(f"/api/v3/clients?category_id={value}")
    assert answer.status_code == 422 and "category_id" in answer.json["errors"]


# -- restart


def test_everything_survives_a_restart(file_app):
    first = ApiClient(file_app().test_client())
    created = first.post("/api/v3/clients", json=NEW_CUSTOMER).json
    first.post("/api/v3/clients/2319/archive", json={"archived": True})
    first.delete("/api/v3/clients/779")

    again = ApiClient(file_app().test_client())
    assert again.get(f"/api/v3/clients/{created['id']}").json == created
    assert again.get("/api/v3/clients/2319").json["archived"] is True
    assert again.get("/api/v3/clients/779").status_code == 404
    assert again.post("/api/v3/clients", json=NEW_CUSTOMER).json["id"] == created["id"] + 1


def test_bad_date_filter_says_what_a_date_is(client):
    answer = client.get("/api/v3/clients/779/transactions?from=01/02/2024")
    assert answer.status_code == 422
    assert answer.json["errors"]["from"] == ['must be a date YYYY-MM-DD, or empty (got "01/02/2024")']


@pytest.mark.parametrize(
    ("path", "field", "words"),
    [
        ("/api/v3/clients/99999999999999999999999999999999999", "id", "maximum"),
        ("/api/v3/clients?category_id=%00", "category_id", "a category id (a positive integer), or empty"),
    ],
    ids=["oversized-id", "nul-category"],
)
def test_bad_parameter_message_says_what_is_wanted(client, path, field, words):
    answer = client.get(path)
    assert answer.status_code == 422
    assert words in answer.json["errors"][field][0]


def test_transactions_year_0000_is_422_not_500(client):
    # a valid RFC 3339 date that Python's date (and any calendar the API uses) cannot hold
    answer = client.get("/api/v3/clients/779/transactions?from=0000-01-01")
    assert answer.status_code == 422
    assert "0000-01-01" in answer.json["errors"]["from"][0]
