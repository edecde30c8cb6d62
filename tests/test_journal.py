"""GET/DELETE /__mock/requests: what the API was asked and what it answered."""

import io

import pytest

from tests.conftest import ROOT, ApiClient, make_app

NEW = {
    "business_name": "Journal Ltd",
    "business_address": "",
    "business_phone": "",
    "business_email": "",
    "category_id": 1,
}


def journal(client, query=""):
    answer = client.get(f"/__mock/requests{query}")
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_request_is_recorded_whole_with_the_token_blanked(client, set_now):
    set_now("2024-11-04T16:13:37Z")
    created = client.post("/api/v3/clients", json=NEW, headers={"X-Trace": "abc"})
    [entry] = journal(client)
    assert entry["id"] == 1 and entry["time"] == "2024-11-04T16:13:37.000Z"
    assert entry["operation_id"] == "customers.create_customer"
    assert entry["request"]["method"] == "POST" and entry["request"]["path"] == "/api/v3/clients"
    assert entry["request"]["query"] == {}
    assert entry["request"]["headers"]["X-Trace"] == "abc"
    assert entry["request"]["headers"]["Authorization"] == "Bearer [redacted]"
    assert "test-token" not in str(entry)
    assert entry["request"]["body"] == NEW
    assert entry["response"] == {"status": 201, "content_type": "application/json", "body": created.json}
    assert entry["duration_ms"] >= 0 and entry["injected"] is None
    client.get("/api/income?page=2&limit=5")
    assert journal(client)[-1]["request"]["query"] == {"page": "2", "limit": "5"}


def test_errors_and_unknown_paths_are_recorded_too(client):
    client.get("/api/v3/clients/999999")
    client.get("/api/nothing-here")
    client.get("/api/v3/clients", auth=False)
    client.get("/api/v3/clients?x=1&x=2")
    entries = journal(client)
    assert [e["response"]["status"] for e in entries] == [404, 404, 401, 200]
    assert entries[1]["operation_id"] is None
    assert "Authorization" not in entries[2]["request"]["headers"]
    assert entries[3]["request"]["query"] == {"x": ["1", "2"]}
    assert entries[3]["warnings"][0].startswith('ignored query parameter "x"; this operation takes: category_id')
    assert [e["warnings"] for e in entries[:3]] == [[], [], []]


def test_the_control_plane_and_the_meta_pages_are_not_recorded(client):
    client.get("/")
    client.get("/openapi.yaml")
    client.get("/__mock/openapi.yaml")
    client.get("/__mock/outbox")
    client.put("/__mock/clock", json={"advance": "PT1S"})
    assert journal(client) == []


@pytest.fixture
def busy(client):
    client.get("/api/v3/clients")
    client.post("/api/v3/clients", json=NEW)
    client.get("/api/v3/clients/779/transactions")
    client.get("/api/v3/clients/999999")
    client.post("/api/v3/clients", json={})
    client.get("/api/income")
    return client


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?method=post", ["POST /api/v3/clients 201", "POST /api/v3/clients 422"]),
        ("?path=/api/v3/clients/779", ["GET /api/v3/clients/779/transactions 200"]),
        ("?path=/api/v3/clients/*", ["GET /api/v3/clients/999999 404"]),
        ("?path=/api/v3/clients/{id}/transactions", ["GET /api/v3/clients/779/transactions 200"]),
        ("?path=/api/**/transactions", ["GET /api/v3/clients/779/transactions 200"]),
        ("?status=4xx", ["GET /api/v3/clients/999999 404", "POST /api/v3/clients 422"]),
        ("?status=201", ["POST /api/v3/clients 201"]),
        ("?operation=income.list_income", ["GET /api/income 200"]),
        ("?limit=2", ["POST /api/v3/clients 422", "GET /api/income 200"]),
        ("?method=GET&status=2xx&limit=1", ["GET /api/income 200"]),
    ],
)
def test_filters(busy, query, expected):
    shown = [f"{e['request']['method']} {e['request']['path']} {e['response']['status']}" for e in journal(busy, query)]
    assert shown == expected


def test_after_gives_only_the_ids_above_it_with_the_other_filters(busy):
    ids = [e["id"] for e in journal(busy)]
    assert [e["id"] for e in journal(busy, f"?after={ids[2]}")] == ids[3:]
    assert [e["response"]["status"] for e in journal(busy, f"?after={ids[2]}&status=4xx")] == [404, 422]
    assert journal(busy, f"?after={ids[-1]}") == []
    assert [e["id"] for e in journal(busy, "?after=0&limit=2")] == ids[-2:]


def test_since_filters_by_the_servers_clock(client, set_now):
    set_now("2024-01-01T00:00:00Z")
    client.get("/api/v3/clients/779")
    set_now("2024-06-01T00:00:00Z")
    client.get("/api/v3/clients/2319")
    found = journal(client, "?since=2024-03-01T00:00:00%2B00:00")
    assert [e["request"]["path"] for e in found] == ["/api/v3/clients/2319"]
    assert len(journal(client, "?since=2024-01-01T00:00:00Z")) == 2


@pytest.mark.parametrize("query", ["?status=abc", "?status=600", "?limit=0", "?since=yesterday", "?after=-1"])
def test_a_bad_filter_is_422_naming_it(client, query):
    answer = client.get(f"/__mock/requests{query}")
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == [query[1:].split("=")[0]]


def test_delete_empties_it_and_numbers_start_again(busy):
    assert busy.delete("/__mock/requests").status_code == 204
    assert journal(busy) == []
    busy.get("/api/v3/clients/779")
    assert [e["id"] for e in journal(busy)] == [1]


def test_it_is_a_ring_of_the_configured_size():
    client = ApiClient(make_app(JOURNAL_SIZE=3).test_client())
    for customer in (1, 2, 3, 779, 2319):
        client.get(f"/api/v3/clients/{customer}")
    entries = journal(client, "?limit=100")
    assert [e["request"]["path"].rsplit("/", 1)[1] for e in entries] == ["3", "779", "2319"]
    assert [e["id"] for e in entries] == [3, 4, 5]


def test_uploads_show_their_files_and_binary_answers_their_size(client):
    sheet = (ROOT / "fixtures" / "customers_list.xlsx").read_bytes()
    client.post("/api/clients-import", data={"customers": (io.BytesIO(sheet), "list.xlsx"), "category_id": "1"})
    client.get("/api/v3/clients/clients-print/bz7Qm2xKp9LzR4vTn")
    upload, export = journal(client)
    assert upload["request"]["body"] == {
        "category_id": "1",
        "customers": {
            "filename": "list.xlsx",
            "content_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "size": len(sheet),
        },
    }
    assert upload["response"]["status"] == 200
    assert (
        export["response"]["body"].startswith("<")
        and "bytes of application/vnd.openxmlformats" in (export["response"]["body"])
    )


def test_a_long_body_is_cut_saying_so(client):
    long_name = "x" * 40_000
    client.post("/api/v3/clients", json={**NEW, "business_name": long_name})
    [entry] = journal(client)
    assert isinstance(entry["request"]["body"], str)
    assert entry["request"]["body"].endswith("bytes in all)") and len(entry["request"]["body"]) < 17_000


def test_size_zero_keeps_no_journal():
    client = ApiClient(make_app(JOURNAL_SIZE=0).test_client())
    assert client.get("/api/v3/clients/779").status_code == 200
    assert journal(client) == []


def test_credentials_in_any_header_are_never_kept(client):
    client.raw.set_cookie("session", "s3cret")  # the test client sends its jar as Cookie
    secrets = {
        "X-Api-Key": "key-s3cret",
        "X-Mock-Admin": "admin-s3cret",
        "Proxy-Authorization": "Basic s3cret",
    }
    client.get("/api/v3/clients/779", headers=secrets)
    [entry] = journal(client)
    for name in [*secrets, "Cookie"]:
        assert entry["request"]["headers"][name] == "[redacted]"
    assert "s3cret" not in str(entry)


def test_a_header_named_by_the_option_is_redacted_too():
    client = ApiClient(make_app(REDACT_HEADERS=["X-Tenant-Secret"]).test_client())
    client.get("/api/v3/clients/779", headers={"X-Tenant-Secret": "t-s3cret", "X-Trace": "kept"})
    [entry] = journal(client)
    assert entry["request"]["headers"]["X-Tenant-Secret"] == "[redacted]"
    assert entry["request"]["headers"]["X-Trace"] == "kept"


def test_a_pattern_it_cannot_take_is_422_naming_path(client):
    answer = client.get("/__mock/requests?path=/api/v3/cl*")
    assert answer.status_code == 422 and "must be a whole segment" in answer.json["errors"]["path"][0]
    answer = client.get("/__mock/requests?path=" + "/x" * 251)
    assert answer.status_code == 422 and list(answer.json["errors"]) == ["path"]


def test_a_star_heavy_pattern_is_answered_at_once(client):
    """14 `/**` took the review 129 s against one path; now one pass over each path."""
    for n in range(20):
        client.get("/api/v3/clients/779" + "/a" * n)
    answer = client.get("/__mock/requests?path=" + "/**" * 14 + "/b")
    assert answer.status_code == 200 and answer.json == []
    answer = client.get("/__mock/requests?path=/**/a/**/a")
    assert [e["request"]["path"] for e in answer.json] == ["/api/v3/clients/779" + "/a" * n for n in range(2, 20)]


def test_an_entry_keeps_4_kib_of_headers_and_of_each_body_noting_what_was_sent():
    from mockserver.defaults import JOURNAL_ENTRY_KEEP

    client = ApiClient(make_app().test_client())
    long_name = "x" * 20_000
    client.post("/api/v3/clients", json={**NEW, "business_name": long_name}, headers={"X-Trace": "t" * 10_000})
    [entry] = journal(client)
    sent = entry["cut"]
    assert set(sent) == {"request.headers", "request.body", "response.body"}
    assert sent["request.headers"] > 10_000 and sent["request.body"] > 20_000 and sent["response.body"] > 20_000
    headers = entry["request"]["headers"]
    assert sum(len(k) + len(v) for k, v in headers.items()) < JOURNAL_ENTRY_KEEP + 100
    assert any(v.endswith(" bytes in all)") for v in headers.values())  # the one that passed it, cut
    body = entry["request"]["body"]
    assert len(body) < JOURNAL_ENTRY_KEEP + 100 and body.endswith(f"(cut: {sent['request.body']:,} bytes in all)")
    client.get("/api/v3/clients/779")
    assert "cut" not in journal(client)[-1]  # kept whole


def test_a_journal_holds_its_byte_budget_dropping_the_oldest_first():
    app = make_app(JOURNAL_MAX_BYTES=64 * 1024)
    client = ApiClient(app.test_client())
    for i in range(100):
        client.get(f"/api/v3/clients/779?n={i}", headers={"X-Pad": "p" * 3_000})
    from mockserver.state.sandbox import shared

    kept = shared(app).journal.kept_bytes()
    entries = journal(client, "?limit=1000")
    assert kept <= 64 * 1024 and len(entries) < 100
    assert [e["id"] for e in entries] == list(range(101 - len(entries), 101))  # the newest, in order
    assert len(entries) > 64 * 1024 // 5_000  # each about 4 KiB: the budget is spent, not wasted


def test_an_upload_with_a_part_without_a_name_is_recorded(client):
    body = (
        b'--b\r\nContent-Disposition: form-data; name="category_id"\r\n\r\n1\r\n'
        b"--b\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n--b--\r\n"
    )
    client.post("/api/clients-import", data=body, headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert journal(client)[-1]["request"]["body"]["category_id"] == "1"
