"""GET/PUT/DELETE /__mock/clock: the time every stamp, default and sent mail reads."""

import io
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from mockserver.state.clock import Clock
from tests.conftest import ROOT

NEW = {
    "business_name": "Clock Ltd",
    "business_address": "",
    "business_phone": "",
    "business_email": "",
    "category_id": 1,
}
INCOME = {"categoryId": 1, "source": "Retainer", "amount": 10, "currency": "USD", "incomeDate": "2024-01-01"}


def set_clock(client, **body):
    answer = client.put("/__mock/clock", json=body)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_it_reads_real_time_until_set(client):
    state = client.get("/__mock/clock").json
    assert state["virtual"] is False and state["frozen"] is False
    assert state["now"][:4] == time.strftime("%Y", time.gmtime())


def test_frozen_time_stamps_every_record_kind(client):
    assert set_clock(client, now="2024-11-04T16:13:37Z") == {
        "now": "2024-11-04T16:13:37.000Z",
        "virtual": True,
        "frozen": True,
    }
    assert client.post("/api/v3/clients", json=NEW).json["created_at"] == "2024-11-04T16:13:37.000000Z"
    assert client.post("/api/v3/clients/2319", json=NEW).status_code == 200
    assert client.get("/api/v3/clients/2319").json["updated_at"] == "2024-11-04T16:13:37.000000Z"
    category = client.post("/api/v3/clients/category", json={"name": "Frozen"}).json
    assert category["created_at"] == "2024-11-04T16:13:37.000000Z"
    assert client.post("/api/income", json=INCOME).json["createdAt"] == "2024-11-04T16:13:37.000Z"
    client.post("/api/client/transactions/send/779", json={})
    [mail] = client.get("/__mock/outbox").json
    assert mail["sent_at"] == "2024-11-04T16:13:37Z" and mail["period"]["to"] == "2024-11-04"


def test_report_defaults_imports_and_export_names_read_it(client, add_entry):
    set_clock(client, now="2031-05-06T07:08:09Z")
    add_entry(779, "invoice", 100, "2031-05-01")
    assert client.get("/api/client/779").json["dateTo"] == "2031-05-06"
    sheet = (ROOT / "fixtures" / "customers_list.xlsx").read_bytes()
    client.post("/api/clients-import", data={"customers": (io.BytesIO(sheet), "c.xlsx"), "category_id": "1"})
    opening = client.get("/__mock/ledger?kind=invoice").json[-1]
    assert opening["date"] == opening["due_date"] == "2031-05-06"
    export = client.get("/api/v3/clients/clients-print/bz7Qm2xKp9LzR4vTn")
    assert "2031-05-06" in export.headers["Content-Disposition"]


def test_a_frozen_clock_stands_still_and_advance_moves_it(client):
    set_clock(client, now="2024-11-04T16:13:37Z")
    time.sleep(0.01)
    assert client.get("/__mock/clock").json["now"] == "2024-11-04T16:13:37.000Z"
    assert set_clock(client, advance="P1DT2H")["now"] == "2024-11-05T18:13:37.000Z"
    assert set_clock(client, advance="-PT30M")["now"] == "2024-11-05T17:43:37.000Z"
    assert set_clock(client, advance="P2W")["now"] == "2024-11-19T17:43:37.000Z"
    assert set_clock(client, advance="PT0.5S")["now"] == "2024-11-19T17:43:37.500Z"


def test_a_time_with_an_offset_is_kept_in_utc(client):
    assert set_clock(client, now="2024-11-04T18:13:37+02:00")["now"] == "2024-11-04T16:13:37.000Z"


def test_a_running_virtual_clock_moves_on_from_the_time_set(client):
    state = set_clock(client, now="2024-11-04T16:13:37Z", frozen=False)
    assert state["virtual"] is True and state["frozen"] is False
    time.sleep(0.02)
    assert client.get("/__mock/clock").json["now"] > "2024-11-04T16:13:37.000Z"
    assert client.get("/__mock/clock").json["now"] < "2024-11-04T16:14:37.000Z"


def test_advancing_real_time_gives_a_running_virtual_clock_and_delete_goes_back(client):
    state = set_clock(client, advance="P365D")
    assert state["virtual"] is True and state["frozen"] is False
    assert int(state["now"][:4]) >= int(time.strftime("%Y", time.gmtime()))
    assert set_clock(client, advance="PT0S", frozen=True)["frozen"] is True
    assert client.delete("/__mock/clock").status_code == 204
    assert client.get("/__mock/clock").json["virtual"] is False


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "body", "one of now"),
        ({"now": "2024-11-04T16:13:37Z", "advance": "P1D"}, "body", "not both"),
        ({"advance": "P1M"}, "advance", "months and years"),
        ({"advance": "P"}, "advance", "duration"),
        ({"advance": "1 day"}, "advance", "duration"),
        ({"now": "1969-12-31T23:59:59Z"}, "now", "1970 to 9999"),
        ({"now": "1970-01-01T00:30:00+01:00"}, "now", "1970 to 9999"),
        ({"now": "2024-13-01T00:00:00Z"}, "now", "RFC 3339"),
        ({"now": "yesterday"}, "now", "RFC 3339"),
        ({"frozen": True}, "body", "one of now"),
        ({"now": "2024-11-04T16:13:37Z", "speed": 2}, "speed", "not a field"),
    ],
)
def test_bad_settings_are_422_naming_the_field_and_change_nothing(client, body, field, words):
    answer = client.put("/__mock/clock", json=body)
    assert answer.status_code == 422, answer.json
    assert list(answer.json["errors"]) == [field] and words in str(answer.json["errors"][field])
    assert client.get("/__mock/clock").json["virtual"] is False


def test_advancing_past_the_clocks_range_is_422(client):
    set_clock(client, now="9999-12-30T00:00:00Z")
    answer = client.put("/__mock/clock", json={"advance": "P3D"})
    assert answer.status_code == 422 and "advance" in answer.json["errors"]
    huge = client.put("/__mock/clock", json={"advance": "P99999999999D"})
    assert huge.status_code == 422 and "advance" in huge.json["errors"]
    assert client.get("/__mock/clock").json["now"] == "9999-12-30T00:00:00.000Z"


def test_advances_at_once_all_count():
    clock, start = Clock(), datetime(2024, 1, 1, tzinfo=UTC)
    clock.set(start)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as CPython will, to meet the race
    try:
        threads = [
            threading.Thread(target=lambda: [clock.advance(timedelta(hours=1)) for _ in range(200)]) for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert clock.now() == start + timedelta(hours=8 * 200)


@pytest.mark.parametrize(
    "body",
    [
        {"now": "9999-12-31T23:59:59Z", "frozen": False},
        {"now": "9999-12-31T00:00:00Z", "frozen": False},
        {"now": "9999-12-31T23:59:59Z"},  # frozen, then set running
    ],
)
def test_a_running_clock_that_would_pass_9999_is_422_and_the_api_goes_on(client, body):
    """The review's clock ran past 9999-12-31 and every request answered 500 until deleted."""
    first = client.put("/__mock/clock", json=body)
    if first.status_code == 200:  # the frozen one is fine where it stands...
        answer = client.put("/__mock/clock", json={"advance": "PT0S", "frozen": False})  # ...not running
    else:
        answer = first
    assert answer.status_code == 422 and "would pass the last time it can show" in str(answer.json["errors"])
    assert client.put("/__mock/clock", json={"advance": "PT1S"}).status_code in (200, 422)
    for path in ("/api/v3/clients/779", "/api/income", "/__mock/requests", "/api/v3/clients/summary"):
        assert client.get(path).status_code == 200, path
    assert client.post("/api/v3/clients", json=NEW).status_code == 201


def test_a_clock_left_running_stops_at_its_end_and_never_fails(app, client):
    """Set running a day before the end, and the server left up for days after."""
    from mockserver.state.clock import LATEST
    from mockserver.state.sandbox import shared

    clock = shared(app).clock
    clock.set(datetime(9999, 12, 30, tzinfo=UTC), frozen=False)
    virtual, _, frozen = clock._state
    clock._state = (virtual, datetime.now(UTC) - timedelta(days=3), frozen)  # three days on
    assert clock.now() == LATEST
    assert client.get("/__mock/clock").json["now"] == "9999-12-31T23:59:59.999Z"
    assert client.post("/api/v3/clients", json=NEW).status_code == 201
    assert client.get("/api/v3/clients/779").status_code == 200
    assert client.get("/__mock/requests?limit=1").json[0]["time"] == "9999-12-31T23:59:59.999Z"
    clock._state = (datetime(1970, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=3), frozen)
    assert client.get("/api/v3/clients/779").status_code == 200  # a real clock stepped back
