"""Summit income entries: /api/income and /api/income/{incomeId} (doc 003)."""

from datetime import date

import hypothesis.strategies as st
import pycountry
import pytest
from hypothesis import HealthCheck, assume, given, settings

from mockserver.api.income import CATEGORIES, TABLE, add_months
from mockserver.state.sandbox import shared
from mockserver.web.spec import load_spec
from tests.conftest import ApiClient, fixture_rows, make_app
from tests.docs_samples import (
    INCOME_CREATED,
    INCOME_DELETED,
    INCOME_DETAIL,
    INCOME_LIST,
    INCOME_REQUEST,
    INCOME_UPDATE_REQUEST,
    INCOME_UPDATED,
)

LIST = "/api/income"
ENTRY = {"categoryId": 1, "source": "Retainer", "amount": 100, "currency": "USD", "incomeDate": "2024-01-31"}


def create(client, **fields):
    answer = client.post(LIST, json={**ENTRY, **fields})
    assert answer.status_code == 201, answer.json
    return answer.json


# -- the doc's curl samples, sent as written


def test_doc_list_sample(client):
    answer = client.get("/api/income?page=1&limit=10&categoryId=1")
    assert answer.status_code == 200 and answer.json == INCOME_LIST


def test_doc_samples_create_get_update_delete(client, set_now):
    set_now("2023-10-27T13:00:00Z")
    created = client.post(LIST, json=INCOME_REQUEST)
    assert created.status_code == 201 and created.json == INCOME_CREATED

    got = client.get("/api/income/2")
    assert got.status_code == 200 and got.json == INCOME_DETAIL

    set_now("2023-10-27T14:30:00Z")
    updated = client.put("/api/income/2", json=INCOME_UPDATE_REQUEST)
    assert updated.status_code == 200 and updated.json == INCOME_UPDATED

    deleted = client.delete("/api/income/2")
    assert deleted.status_code == 200 and deleted.json == INCOME_DELETED


def test_fixture_reproduces_doc_entry_one():
    assert fixture_rows("summit_income") == [INCOME_LIST["data"][0]["income"]]


def test_timestamps_have_milliseconds(client, set_now):
    set_now("2024-05-06T07:08:09.123456+00:00")
    entry = create(client)
    assert entry["createdAt"] == entry["updatedAt"] == "2024-05-06T07:08:09.123Z"


# -- Summit keeps its own references


def test_summit_client_is_not_the_built_customer(client):
    # Built's customer 2 is "AdMob Int."; Summit's client 2 is "Acme Corporation".
    assert client.get("/api/v3/clients/2").json["business_name"] == "AdMob Int."
    assert client.get("/api/income/1").json["client"] == {"id": 2, "name": "Acme Corporation"}


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [("clientId", 779, "client 779"), ("categoryId", 1224, "income category 1224")],
    ids=["built-customer-as-client", "built-category-as-income-category"],
)
def test_built_records_are_not_summit_references(client, field, value, named):
    answer = client.post(LIST, json={**ENTRY, field: value})
    assert answer.status_code == 422
    assert answer.json["errors"][field] == [f"no {named}; existing ones include {1 if field == 'categoryId' else 2}"]


def test_entry_without_client_shows_client_null(client):
    entry = create(client, clientId=None)
    detail = client.get(f"{LIST}/{entry['id']}").json
    assert entry["clientId"] is None and detail["client"] is None
    assert detail["category"] == {"id": 1, "name": "Consulting Services"}


# -- validation


def test_currency_codes_are_iso_4217():
    spec = load_spec()
    assert set(spec.resolve({"$ref": "#/components/schemas/CurrencyCode"})["enum"]) == {
        c.alpha_3 for c in pycountry.currencies
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 10.005}, "amount"),
        ({"amount": "100"}, "amount"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "ABC"}, "currency"),
        ({"incomeDate": "2023-02-29"}, "incomeDate"),
        ({"incomeDate": "2023-1-5"}, "incomeDate"),
        ({"nextDueDate": "2024-13-01", "recurring": "monthly"}, "nextDueDate"),
        ({"recurring": "fortnightly"}, "recurring"),
        ({"categoryId": 99}, "categoryId"),
        ({"clientId": 3}, "clientId"),
        ({"source": "  "}, "source"),
        ({"source": None}, "source"),
        ({"colour": "green"}, "colour"),
    ],
    ids=lambda v: str(v) if not isinstance(v, dict) else "-".join(f"{k}={v[k]}" for k in v),
)
def test_create_rejects_bad_field_and_writes_nothing(client, store, fields, field):
    before = store.all(TABLE)
    # strict: what Laravel would ignore (an unknown field) is refused, as the others are
    answer = client.post(LIST, json={**ENTRY, **fields}, headers={"Prefer": "strict"})
    assert answer.status_code == 422 and list(answer.json["errors"]) == [field]
    assert store.all(TABLE) == before


@pytest.mark.parametrize("field", ["categoryId", "source", "amount", "currency", "incomeDate"])
def test_create_requires(client, field):
    answer = client.post(LIST, json={k: v for k, v in ENTRY.items() if k != field})
    assert answer.status_code == 422 and answer.json["errors"] == {field: ["is required"]}


def test_every_bad_field_is_named_at_once(client):
    body = {**ENTRY, "amount": -1, "currency": "usd", "categoryId": 42, "clientId": 7, "extra": 1}
    answer = client.post(LIST, json=body, headers={"Prefer": "strict"})
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"amount", "currency", "categoryId", "clientId", "extra"}
    assert "ISO 4217" in answer.json["errors"]["currency"][0]
    assert "two decimals" in answer.json["errors"]["amount"][0]


def test_enum_problem_lists_every_choice(client):
    answer = client.post(LIST, json={**ENTRY, "recurring": "fortnightly"})
    assert answer.json["errors"] == {
        "recurring": ['must be one of none, daily, weekly, monthly, yearly (got "fortnightly")']
    }


def test_amount_keeps_cents(client):
    assert create(client, amount=19.99)["amount"] == 19.99
    assert create(client, amount=1234567.89)["amount"] == 1234567.89


def test_ids_are_not_spent_on_rejected_creates(client):
    client.post(LIST, json={**ENTRY, "amount": -1})
    client.post(LIST, json={**ENTRY, "nextDueDate": "2024-03-01"})  # not recurring: rejected
    assert create(client)["id"] == 2


# -- nextDueDate


@pytest.mark.parametrize(
    ("recurring", "income_date", "due"),
    [
        ("daily", "2023-12-31", "2024-01-01"),
        ("weekly", "2024-02-26", "2024-03-04"),
        ("monthly", "2023-10-15", "2023-11-15"),
        ("monthly", "2023-01-31", "2023-02-28"),
        ("monthly", "2024-01-31", "2024-02-29"),
        ("monthly", "2024-03-31", "2024-04-30"),
        ("monthly", "2024-12-31", "2025-01-31"),
        ("yearly", "2024-02-29", "2025-02-28"),
        ("yearly", "2023-06-30", "2024-06-30"),
    ],
)
def test_next_due_date_is_computed_from_income_date(client, recurring, income_date, due):
    entry = create(client, recurring=recurring, incomeDate=income_date)
    assert entry["nextDueDate"] == due


def test_add_months_clamps_to_month_end_and_crosses_years():
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 15), 24) == date(2025, 1, 15)


def test_next_due_date_sent_is_kept(client):
    assert create(client, recurring="monthly", nextDueDate="2024-02-15")["nextDueDate"] == "2024-02-15"


def test_non_recurring_entry_has_no_next_due_date(client):
    assert create(client)["recurring"] == "none"
    assert create(client)["nextDueDate"] is None
    answer = client.post(LIST, json={**ENTRY, "recurring": "none", "nextDueDate": "2024-02-28"})
    assert answer.status_code == 422 and list(answer.json["errors"]) == ["nextDueDate"]


def test_next_due_date_must_follow_income_date(client):
    answer = client.post(LIST, json={**ENTRY, "recurring": "monthly", "nextDueDate": "2024-01-31"})
    assert answer.status_code == 422
    assert answer.json["errors"]["nextDueDate"] == ["is 2024-01-31, but must come after incomeDate (2024-01-31)"]


def test_next_due_date_past_year_9999_is_422_not_500(client):
    answer = client.post(LIST, json={**ENTRY, "recurring": "daily", "incomeDate": "9999-12-31"})
    assert answer.status_code == 422 and "9999-12-31" in answer.json["errors"]["incomeDate"][0]


# -- update


def test_update_changes_only_fields_sent_and_moves_updated_at(client, set_now):
    set_now("2024-02-01T09:00:00Z")
    entry = create(client, recurring="monthly", clientId=2, description="Before")
    set_now("2024-02-02T10:30:00.250Z")
    answer = client.put(f"{LIST}/{entry['id']}", json={"description": "After", "amount": 250.5})
    assert answer.status_code == 200
    expected = {**entry, "description": "After", "amount": 250.5, "updatedAt": "2024-02-02T10:30:00.250Z"}
    assert answer.json == expected
    assert client.get(f"{LIST}/{entry['id']}").json["income"] == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [({"amount": 0}, "amount"), ({"softDelete": True}, "softDelete"), ({"id": 9}, "id")],
    ids=["bad-amount", "softDelete-not-writable-when-strict", "id-not-writable-when-strict"],
)
def test_update_rejects_and_leaves_entry(client, body, field):
    before = client.get(f"{LIST}/1").json
    answer = client.put(f"{LIST}/1", json=body, headers={"Prefer": "strict"})
    assert answer.status_code == 422 and field in answer.json["errors"]
    assert client.get(f"{LIST}/1").json == before


def test_an_empty_update_changes_nothing_not_even_updated_at(client):
    before = client.get(f"{LIST}/1").json
    answer = client.put(f"{LIST}/1", json={})
    assert answer.status_code == 200 and answer.json == before["income"]
    assert client.get(f"{LIST}/1").json == before


def test_update_with_unknown_reference_names_it(client):
    answer = client.put(f"{LIST}/1", json={"clientId": 5, "categoryId": 6})
    assert answer.status_code == 422 and set(answer.json["errors"]) == {"clientId", "categoryId"}


def test_update_can_clear_the_client(client):
    assert client.put(f"{LIST}/1", json={"clientId": None}).json["clientId"] is None
    assert client.get(f"{LIST}/1").json["client"] is None


def test_update_recurring_or_income_date_recomputes_next_due_date(client):
    entry = create(client)  # 2024-01-31, not recurring
    path = f"{LIST}/{entry['id']}"
    assert client.put(path, json={"recurring": "monthly"}).json["nextDueDate"] == "2024-02-29"
    assert client.put(path, json={"incomeDate": "2024-03-31"}).json["nextDueDate"] == "2024-04-30"
    assert client.put(path, json={"amount": 5}).json["nextDueDate"] == "2024-04-30"  # unrelated: kept
    assert client.put(path, json={"nextDueDate": "2024-05-01"}).json["nextDueDate"] == "2024-05-01"
    assert client.put(path, json={"recurring": "none"}).json["nextDueDate"] is None


def test_update_unknown_entry_is_404(client):
    answer = client.put(f"{LIST}/999", json={"amount": 1})
    assert answer.status_code == 404 and answer.json["message"] == "Income entry 999 not found"


# -- soft delete


def test_soft_delete_hides_entry_everywhere_but_store_keeps_it(client, store):
    entry = create(client)
    path = f"{LIST}/{entry['id']}"
    assert client.delete(path).json == INCOME_DELETED
    for method, kwargs in [("GET", {}), ("PUT", {"json": {"amount": 1}}), ("DELETE", {})]:
        answer = client.open(method, path, **kwargs)
        assert answer.status_code == 404, method
        assert answer.json == {"message": f"Income entry {entry['id']} not found"}
    listed = client.get(f"{LIST}?limit=100").json
    assert entry["id"] not in [d["income"]["id"] for d in listed["data"]] and listed["meta"]["total"] == 1
    kept = store.get(TABLE, entry["id"])
    assert kept["softDelete"] is True and {**kept, "softDelete": False, "updatedAt": None} == {
        **entry,
        "updatedAt": None,
    }


def test_ids_are_never_reused_after_delete_and_restart(file_app):
    api = ApiClient(file_app().test_client())
    last = create(api)
    assert api.delete(f"{LIST}/{last['id']}").status_code == 200
    api = ApiClient(file_app().test_client())  # restarted on the same file
    assert create(api)["id"] == last["id"] + 1
    assert api.get(f"{LIST}/{last['id']}").status_code == 404


def test_created_and_updated_entries_survive_restart(file_app):
    api = ApiClient(file_app().test_client())
    entry = create(api)
    updated = api.put(f"{LIST}/{entry['id']}", json={"source": "Renamed"}).json
    assert ApiClient(file_app().test_client()).get(f"{LIST}/{entry['id']}").json["income"] == updated


# -- list


def test_list_shows_newest_income_first_with_references(client):
    older = create(client, incomeDate="2022-01-01")
    newer = create(client, incomeDate="2025-01-01", clientId=2)
    data = client.get(LIST).json["data"]
    assert [d["income"]["id"] for d in data] == [newer["id"], 1, older["id"]]
    assert data[0]["client"] == {"id": 2, "name": "Acme Corporation"} and data[2]["client"] is None


def test_date_filters_are_inclusive(client):
    ids = [create(client, incomeDate=day)["id"] for day in ("2024-03-01", "2024-03-02", "2024-03-03")]
    page = client.get(f"{LIST}?startDate=2024-03-01&endDate=2024-03-02").json
    assert [d["income"]["id"] for d in page["data"]] == [ids[1], ids[0]]
    assert page["meta"] == {"total": 2, "page": 1, "limit": 10, "totalPages": 1}


def test_unknown_category_filter_matches_nothing(client):
    assert client.get(f"{LIST}?categoryId=77").json == {
        "data": [],
        "meta": {"total": 0, "page": 1, "limit": 10, "totalPages": 0},
    }


def test_page_past_the_end_is_empty_with_meta(client):
    for _ in range(4):
        create(client)
    assert client.get(f"{LIST}?page=7&limit=2").json == {
        "data": [],
        "meta": {"total": 5, "page": 7, "limit": 2, "totalPages": 3},
    }


@pytest.mark.parametrize(
    ("query", "field", "problem"),
    [
        ("limit=101", "limit", "101 is greater than the maximum of 100"),
        ("limit=0", "limit", "0 is less than the minimum of 1"),
        ("page=0", "page", "0 is less than the minimum of 1"),
        ("page=two", "page", '"two" is not of type "integer"'),
        ("startDate=2024-02-30", "startDate", 'must be a date YYYY-MM-DD, or empty (got "2024-02-30")'),
        ("startDate=2024-03-02&endDate=2024-03-01", "startDate", "is 2024-03-02, after endDate (2024-03-01)"),
    ],
)
def test_list_rejects_bad_query_naming_it(client, query, field, problem):
    answer = client.get(f"{LIST}?{query}")
    assert answer.status_code == 422 and answer.json["errors"] == {field: [problem]}


# -- pages partition the filtered set, for any entries and any page size (Hypothesis)

DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 1, 10))
ENTRIES = st.lists(st.tuples(DAYS, st.sampled_from([1, 2]), st.booleans()), max_size=30)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=ENTRIES,
    limit=st.one_of(st.integers(1, 7), st.integers(1, 100)),
    category=st.sampled_from([None, 1, 2, 3]),
    start=st.none() | DAYS,
    end=st.none() | DAYS,
)
def test_pages_partition_the_filtered_entries(entries, limit, category, start, end):
    assume(start is None or end is None or start <= end)
    app = make_app()
    shared(app).store.insert(CATEGORIES, {"name": "Sales"})  # id 2
    api = ApiClient(app.test_client())
    kept = [{"id": 1, "incomeDate": "2023-10-15", "categoryId": 1}]  # the fixture's entry
    for day, category_id, deleted in entries:
        entry = create(api, incomeDate=day.isoformat(), categoryId=category_id)
        if deleted:
            assert api.delete(f"{LIST}/{entry['id']}").status_code == 200
        else:
            kept.append(entry)
    expected = [
        e["id"]
        for e in sorted(kept, key=lambda e: (e["incomeDate"], e["id"]), reverse=True)
        if (category is None or e["categoryId"] == category)
        and (start is None or e["incomeDate"] >= start.isoformat())
        and (end is None or e["incomeDate"] <= end.isoformat())
    ]
    query = "&".join(
        f"{name}={value}"
        for name, value in [("limit", limit), ("categoryId", category), ("startDate", start), ("endDate", end)]
        if value is not None
    )
    pages = -(-len(expected) // limit)
    walked = []
    for page in range(1, pages + 2):  # one past the end
        answer = api.get(f"{LIST}?{query}&page={page}").json
        assert answer["meta"] == {"total": len(expected), "page": page, "limit": limit, "totalPages": pages}
        assert len(answer["data"]) == (min(limit, len(expected) - (page - 1) * limit) if page <= pages else 0)
        walked += [d["income"]["id"] for d in answer["data"]]
    assert walked == expected
    shared(app).store.close()


def test_empty_dates_are_no_bound(client):
    everything = client.get(f"{LIST}?limit=100").json["meta"]["total"]
    assert client.get(f"{LIST}?limit=100&startDate=&endDate=").json["meta"]["total"] == everything
