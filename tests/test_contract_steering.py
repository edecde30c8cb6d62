"""Data discovery: the contract run learns what exists on the target from its documented
lists and steers ids to it, on any backend."""

import io

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
