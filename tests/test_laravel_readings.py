"""Where the docs are silent the mock answers as the Laravel backend does: what it does not
know it ignores (saying so in X-Mock-Warning, the journal and the log), strict on request;
a path id is looked up before anything else is validated; and the open readings of the
docs (the transactions' ?id=, any bid, send_tome's forms, a string categoryId)."""

import pytest

from mockserver.resources import SPEC_PATH
from mockserver.web.spec import load_spec
from tests.conftest import ApiClient, make_app

WARNING = "X-Mock-Warning"
NEW_CUSTOMER = {"business_name": "Laravel Ltd", "business_address": "", "business_phone": "", "business_email": ""}
NEW_CUSTOMER["category_id"] = 1
NEW_INCOME = {"categoryId": 1, "source": "Retainer", "amount": 10, "currency": "USD", "incomeDate": "2024-01-02"}
STRICT = {"Prefer": "strict"}


@pytest.fixture
def strict_client():
    return ApiClient(make_app(STRICT=True).test_client())


def test_a_fetched_customer_posted_back_updates_with_each_extra_field_named(client):
    fetched = client.get("/api/v3/clients/779").json
    answer = client.post("/api/v3/clients/779", json={**fetched, "business_name": "Renamed"})
    assert answer.status_code == 200 and answer.json["business_name"] == "Renamed"
    extras = [name for name in fetched if name not in {*NEW_CUSTOMER, "first_name", "last_name", "phone_number"}]
    assert answer.headers.getlist(WARNING) == [f'ignored body field "{name}"' for name in extras]
    assert answer.json["created_at"] == fetched["created_at"]  # nothing sent beyond the body was applied


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v3/clients", NEW_CUSTOMER),
        ("POST", "/api/income", NEW_INCOME),
        ("PUT", "/api/income/1", {"amount": 12}),
        ("POST", "/api/v3/clients/category", {"name": "Laravel category"}),
    ],
    ids=["customer-create", "income-create", "income-put", "category-create"],
)
def test_unknown_body_fields_are_ignored_with_a_warning_or_refused_when_strict(client, method, path, body):
    sent = {**body, "createdAt": "2020-01-01", "id": 999}
    answer = client.open(method, path, json=sent)
    assert answer.status_code in (200, 201), answer.json
    assert answer.headers.getlist(WARNING) == ['ignored body field "createdAt"', 'ignored body field "id"']
    assert answer.json.get("id") != 999 and answer.json.get("createdAt") != "2020-01-01"
    [entry] = client.get(f"/__mock/requests?method={method}&limit=1").json
    assert entry["warnings"] == answer.headers.getlist(WARNING)

    refused = client.open(method, path, json=sent, headers=STRICT)
    assert refused.status_code == 422 and refused.headers["Preference-Applied"] == "strict"
    assert refused.json["errors"] == {
        "createdAt": ["is not a field of this request"],
        "id": ["is not a field of this request"],
    }  # noqa: E501
    assert WARNING not in refused.headers


def test_unknown_query_parameters_are_ignored_with_a_warning_or_refused_when_strict(client):
    answer = client.get("/api/income?page=1&limt=1")
    assert answer.status_code == 200 and answer.json["meta"]["limit"] == 10
    assert answer.headers[WARNING].startswith('ignored query parameter "limt"; this operation takes: ')
    refused = client.get("/api/income?page=1&limt=1", headers=STRICT)
    assert refused.status_code == 422 and "limit" in refused.json["errors"]["limt"][0]
    undocumented = client.get("/api/v3/clients/categories?x=1", headers=STRICT)  # documents no 422
    assert undocumented.status_code == 400 and "'x'" in undocumented.json["message"]


def test_serve_strict_refuses_unknown_fields_and_parameters_without_asking(strict_client):
    assert strict_client.get("/api/income?limt=1").status_code == 422
    answer = strict_client.post("/api/v3/clients", json={**NEW_CUSTOMER, "buisness_name": "typo"})
    assert answer.status_code == 422 and answer.json["errors"]["buisness_name"] == ["is not a field of this request"]
    assert "Preference-Applied" not in answer.headers  # the server's setting, not the request's


def test_warnings_are_json_quoted_and_bounded_whatever_the_names(client):
    odd = {"new\nline": 1, "café": 2, **{f"x{i}": i for i in range(30)}}
    answer = client.post("/api/v3/clients", json={**NEW_CUSTOMER, **odd})
    assert answer.status_code == 201
    warnings = answer.headers.getlist(WARNING)
    assert warnings[:2] == ['ignored body field "new\\nline"', 'ignored body field "caf\\u00e9"']
    assert len(warnings) == 21 and warnings[-1] == "and 12 more ignored"


def test_the_log_line_names_what_was_ignored(capsys):
    client = ApiClient(make_app(ACCESS_LOG=True).test_client())
    client.post("/api/v3/clients", json={**NEW_CUSTOMER, "buisness_name": "typo"})
    assert "POST /api/v3/clients 201" in capsys.readouterr().err
    client.get("/api/income?limt=1")
    assert '[ignored query parameter "limt"; this operation takes:' in capsys.readouterr().err


def test_other_prefer_values_do_not_make_it_strict(client):
    answer = client.post(
        "/api/v3/clients", json={**NEW_CUSTOMER, "x": 1}, headers={"Prefer": "strict=0, return=minimal"}
    )
    assert answer.status_code == 201 and answer.headers[WARNING] == 'ignored body field "x"'


# Every operation whose path names a record, with a body or query that is invalid as well:
# the unknown record is what it hears about first, as route-model binding answers first.
SPEC = load_spec(SPEC_PATH)
LOOKED_UP = [op for op in SPEC.operations if any(p.references for p in op.path_parameters)]


def _path(op, ident):
    values = {"id": ident, "incomeId": ident, "from": "2024-01-01", "to": "2023-01-01", "bid": "x"}
    values |= {"startdate": "2024-01-01", "enddate": "2023-01-01"}
    return op.path.format(**values)


@pytest.mark.parametrize("op", LOOKED_UP, ids=[op.operation_id for op in LOOKED_UP])
def test_an_unknown_path_id_is_404_before_the_body_or_query_is_validated(client, op):
    answer = client.open(op.method, _path(op, 99999) + "?from=not-a-date&to=no", json={"bad": [1]})
    noun = next(p.references["noun"] for p in op.path_parameters if p.references)
    assert (answer.status_code, answer.json["message"]) == (404, f"{noun} 99999 not found")


def test_a_deleted_income_entry_is_404_before_its_body_is_validated(client):
    assert client.delete("/api/income/1").status_code == 200
    answer = client.put("/api/income/1", json={"amount": -1})
    assert (answer.status_code, answer.json["message"]) == (404, "Income entry 1 not found")


def test_the_transactions_id_narrows_to_that_transaction(client, add_entry):
    first = add_entry(779, "invoice", 500, "2024-03-01")
    add_entry(779, "payment", 200, "2024-03-02")
    [customer] = client.get(f"/api/v3/clients/779/transactions?id={first['id']}").json
    assert [t["id"] for t in customer["transactions"]] == [first["id"]]
    [customer] = client.get("/api/v3/clients/779/transactions?id=abc").json
    assert customer["transactions"] == []
    [customer] = client.get(f"/api/v3/clients/2319/transactions?id={first['id']}").json  # not 2319's
    assert customer["transactions"] == []
    [everything] = client.get("/api/v3/clients/779/transactions?from&to&id").json
    assert len(everything["transactions"]) > 2


def test_any_bid_exports_the_business_unless_one_is_pinned(client):
    answer = client.get("/api/v3/clients/clients-print/the-real-business-bid?format=csv")
    assert answer.status_code == 200 and answer.data.count(b"\n") > 5
    pinned = ApiClient(make_app(BUSINESS_ID="pinned-bid").test_client())
    assert pinned.get("/api/v3/clients/clients-print/pinned-bid").status_code == 200
    refused = pinned.get("/api/v3/clients/clients-print/other")
    assert refused.status_code == 404 and "takes only the business id pinned-bid" in refused.json["message"]


@pytest.mark.parametrize(
    "send_tome",
    [
        "2024-11-07",
        "2024-11-07T10:00:00Z",
        "2024-11-07T10:00:00+01:00",
        "2024-11-07 10:00:00",
        "2024-11-07T10:00",
        "",
        None,
    ],
)
def test_send_tome_takes_laravels_and_the_browsers_forms_and_is_echoed(client, send_tome):
    answer = client.post("/api/client/transactions/send/779", json={"send_tome": send_tome})
    assert answer.status_code == 200, answer.json
    [message] = client.get("/__mock/outbox").json
    assert message["send_tome"] == send_tome


@pytest.mark.parametrize("send_tome", ["2024-02-30 10:00", "2024-11-07T25:00", "tomorrow", "07/11/2024"])
def test_send_tome_that_no_calendar_has_is_422(client, send_tome):
    answer = client.post("/api/client/transactions/send/779", json={"send_tome": send_tome})
    assert answer.status_code == 422 and "send_tome" in answer.json["errors"]


def test_income_category_is_read_as_the_docs_string(client):
    everything = client.get("/api/income?limit=100").json["meta"]["total"]
    assert client.get("/api/income?categoryId=1&limit=100").json["meta"]["total"] == everything  # all in 1
    assert client.get("/api/income?categoryId=01").json["meta"]["total"] == everything
    for unknown in ("abc", "99999", "1.5"):
        answer = client.get(f"/api/income?categoryId={unknown}")
        assert answer.status_code == 200 and answer.json["data"] == [] and answer.json["meta"]["total"] == 0
    assert client.get("/api/income?categoryId=").json["meta"]["total"] == everything
