"""Data discovery: the contract run learns what exists on the target from its documented
lists and steers ids to it, on any backend."""

import io
import random

import hypothesis.strategies as st
from hypothesis import find, given, settings

from mockserver import create_app
from mockserver.contract import steering
from mockserver.serving.threaded import serving
from tests.conftest import fixture_rows


def test_discovery_reads_the_ids_the_target_lists():
    with serving(create_app({"DB_PATH": None})) as base_url:
        known = steering.discover(base_url, {"Authorization": "Bearer any"})
    assert set(known["customers"]) == {r["id"] for r in fixture_rows("customers")}
    assert set(known["categories"]) == {1, *(r["id"] for r in fixture_rows("categories"))}
    live = [r for r in fixture_rows("summit_income") if not r["softDelete"]]
    assert set(known["income"]) == {r["id"] for r in live}
    assert set(known["income_categories"]) == {r["categoryId"] for r in live}


def test_a_target_that_lists_nothing_steers_nothing():
    known = steering.discover("http://127.0.0.1:9", {})  # nothing listens there
    assert known and all(ids == [] for ids in known.values())


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_steering_keeps_what_makes_a_case_negative_and_mostly_picks_known_ids(data):
    steering.KNOWN.clear()
    steering.KNOWN.update({"customers": [779, 2319]})
    drawn = data.draw(st.one_of(st.integers(1, 2**31 - 1), st.text(max_size=3), st.integers(-5, 0)))
    steered = data.draw(steering._steer({"id": drawn}, steering.PATH))
    if type(drawn) is int and drawn >= 1:
        assert steered["id"] in (779, 2319, drawn)
    else:
        assert steered == {"id": drawn}  # a mistyped or out-of-range id stays what it is


def test_an_import_sends_a_sheet_the_target_can_read_or_the_drawn_bytes():
    """Random bytes are never a workbook: without this no import succeeds, and the links
    from an import are never walked. The drawn bytes, a negative case, stay possible."""
    drawn = {"customers": b"not a sheet", "category_id": 1}
    steered = steering._readable_files(drawn)
    assert find(steered, lambda body: body["customers"] == drawn["customers"]) == drawn
    sheet = find(steered, lambda body: body["customers"] != drawn["customers"])
    assert sheet["category_id"] == 1
    answer = (
        create_app({"DB_PATH": None})
        .test_client()
        .post(
            "/api/clients-import",
            data={"customers": (io.BytesIO(sheet["customers"]), "customers.xlsx"), "category_id": "1"},
            headers={"Authorization": "Bearer a"},
        )
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["count"] == 1


class _Context:
    """What a Schemathesis hook is told of the operation it draws for."""

    def __init__(self, method, path):
        self.operation = type("Operation", (), {"method": method, "path": path})()


def test_a_body_with_undocumented_fields_is_sometimes_sent_with_only_the_documented_ones():
    create = _Context("post", "/api/v3/clients")
    drawn = {"business_name": "Kofi", "category_id": 1, "nickname": "extra"}
    bodies = steering._documented_part_of_the_time(create, drawn)
    assert find(bodies, lambda body: "nickname" not in body) == {"business_name": "Kofi", "category_id": 1}
    assert find(bodies, lambda body: "nickname" in body) == drawn  # the lenient reading is still tried


def test_a_documented_body_and_an_operation_without_one_are_sent_as_drawn():
    documented = {"business_name": "Kofi", "category_id": 1}
    assert (
        find(steering._documented_part_of_the_time(_Context("post", "/api/v3/clients"), documented), bool) == documented
    )
    assert find(steering._documented_part_of_the_time(_Context("get", "/api/v3/clients"), {"x": 1}), bool) == {"x": 1}


class _Case:
    """A Schemathesis case as the hooks see it: the parts of the request and its operation."""

    meta = None  # Schemathesis's metadata: which phase, which mode

    def __init__(self, method, path, path_parameters=None, query=None, body=None):
        self.operation = type("Operation", (), {"method": method, "path": path, "label": f"{method} {path}"})()
        self.path_parameters, self.query, self.body = path_parameters, query, body


def test_a_body_that_repeats_the_path_and_the_query_is_made_to_agree_with_them():
    """The legacy filter refuses (422) a body whose id, start_date or end_date differ from
    the path's id and ?from= / ?to=: drawn apart, they almost never agree."""
    case = _Case(
        "POST",
        "/api/client/transactions/{id}",
        path_parameters={"id": "779"},  # a coverage case's parameters are text
        query={"from": "2000-01-01", "to": ""},
        body={"id": 1, "start_date": "2024-11-30", "end_date": "2024-11-01"},
    )
    steering._agree(case)
    assert case.body == {"id": 779, "start_date": "2024-11-01", "end_date": "2024-11-30"}  # a period runs forwards
    assert case.query == {"from": "2024-11-01", "to": ""}  # an empty bound is no bound: left so


def test_a_period_in_the_path_runs_forwards_and_the_body_repeating_it_agrees():
    period = {"id": "779", "from": "2024-11-30", "to": "2024-11-01"}
    body = {"id": 1, "from": "0001-01-01", "to": "9999-12-31"}
    case = _Case("POST", "/api/v3/reports/customers/client/{id}/{from}/{to}", period, None, body)
    steering._agree(case)
    assert case.path_parameters == {"id": "779", "from": "2024-11-01", "to": "2024-11-30"}
    assert case.body == {"id": 779, "from": "2024-11-01", "to": "2024-11-30"} and case.query is None


def test_what_makes_a_body_negative_is_not_made_to_agree():
    body = {"id": "AAA", "start_date": 0, "end_date": "2024-11-01"}
    case = _Case("POST", "/api/client/transactions/{id}", {"id": 779}, {"from": "2024-11-01"}, dict(body))
    steering._agree(case)
    assert case.body == body and case.query == {"from": "2024-11-01"}


def test_a_coverage_case_is_steered_to_listed_ids_and_a_readable_sheet(monkeypatch):
    monkeypatch.setattr(steering, "KNOWN", {"customers": [779, 2319], "categories": [1224]})
    picked = [
        steering._pick({"id": "5", "other": "x"}, steering.PATH, random.Random(n), as_text=True) for n in range(40)
    ]
    assert {p["id"] for p in picked} >= {"779", "2319", "5"} and all(p["other"] == "x" for p in picked)
    bodies = [steering._pick_files({"customers": b"junk", "category_id": 1}, random.Random(n)) for n in range(40)]
    assert {body["customers"] == b"junk" for body in bodies} == {True, False}  # mostly a sheet, now and then as drawn
    # a delete is steered to every other listed id only, so reads after it still find some
    deleting = [steering._pick({"id": 5}, steering.PATH, random.Random(n), deleting=True)["id"] for n in range(40)]
    assert set(deleting) == {2319, 5}


def test_the_listed_ids_follow_what_the_run_creates_and_deletes(monkeypatch):
    monkeypatch.setattr(steering, "KNOWN", {"customers": [779, 2319], "income": [1]})
    answer = type("Response", (), {"status_code": 201, "content": b'{"id": 154200, "business_name": "x"}'})
    steering.after_call(None, _Case("POST", "/api/v3/clients"), answer)
    answer.status_code, answer.content = 200, b'{"message": "deleted"}'
    steering.after_call(None, _Case("DELETE", "/api/v3/clients/{id}", {"id": "779"}), answer)
    steering.after_call(None, _Case("DELETE", "/api/income/{incomeId}", {"incomeId": 1}), answer)
    answer.status_code = 404
    steering.after_call(None, _Case("DELETE", "/api/v3/clients/{id}", {"id": 2319}), answer)  # refused: still there
    assert steering.KNOWN == {"customers": [2319, 154200], "income": []}
