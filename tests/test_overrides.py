"""Prism's Prefer header: forced statuses, named examples, made-up bodies and delays.
A forced answer never runs the handler, so it writes nothing."""

import io
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.mocking import samples
from mockserver.mocking.overrides import parse_prefer, preferences
from mockserver.resources import CONTROL_SPEC_PATH, SPEC_PATH
from mockserver.web.errors import ApiError
from mockserver.web.spec import load_spec
from tests.conftest import ROOT, fixture_rows, make_app
from tests.docs_samples import CREATED_CUSTOMER
from tests.timing import assert_linear

NEW = {
    "business_name": "Forced Ltd",
    "business_address": "",
    "business_phone": "",
    "business_email": "",
    "category_id": 1,
}
CUSTOMERS = len(fixture_rows("customers"))


def prefer(client, method, path, value, **kwargs):
    return client.open(method, path, headers={"Prefer": value}, **kwargs)


def stored(client):
    return len(client.get("/api/v3/clients").json)


def test_code_answers_that_status_with_the_spec_example(client):
    answer = prefer(client, "GET", "/api/v3/clients/779", "code=404")
    assert answer.status_code == 404
    assert answer.json == {"message": "Customer 42 not found"}
    assert answer.headers["Preference-Applied"] == "code=404"


def test_a_forced_create_returns_the_doc_sample_and_writes_nothing(client):
    answer = prefer(client, "POST", "/api/v3/clients", "code=201", json=NEW)
    assert answer.status_code == 201 and answer.json == CREATED_CUSTOMER
    assert stored(client) == CUSTOMERS
    [entry] = client.get("/__mock/requests?method=POST").json
    assert entry["injected"] == "Prefer: code=201" and entry["response"]["status"] == 201


def test_a_forced_delete_deletes_nothing(client):
    answer = prefer(client, "DELETE", "/api/v3/clients/779", "code=200")
    assert answer.status_code == 200
    assert client.get("/api/v3/clients/779").status_code == 200


def test_example_picks_a_named_one_and_its_status_and_writes_nothing(client):
    sheet = (ROOT / "fixtures" / "customers_list.xlsx").read_bytes()
    upload = {"customers": (io.BytesIO(sheet), "list.xlsx"), "category_id": "1"}
    answer = prefer(client, "POST", "/api/clients-import", "example=notASheet", data=upload)
    assert answer.status_code == 422 and stored(client) == CUSTOMERS
    assert answer.json == samples.examples(*_op("customer_files.import_customers"), 422)["notASheet"][1]
    assert answer.headers["Preference-Applied"] == "example=notASheet"


def test_code_and_example_together(client):
    answer = prefer(client, "POST", "/api/clients-import", 'code=200, example="sampleSheet"', data={})
    assert answer.status_code == 200 and answer.json["count"] == 5
    assert stored(client) == CUSTOMERS


def test_dynamic_makes_a_schema_valid_body_repeatable_with_a_seed(client):
    # The test app checks every answer against openapi.yaml, so each of these is valid.
    one = prefer(client, "GET", "/api/v3/clients", "dynamic=true, seed=1")
    again = prefer(client, "GET", "/api/v3/clients", "dynamic=true; x=y, seed=1")
    other = prefer(client, "GET", "/api/v3/clients", "dynamic=true, seed=2")
    assert one.status_code == 200 and one.json == again.json != other.json
    assert one.json != client.get("/api/v3/clients").json
    created = prefer(client, "POST", "/api/v3/clients", "dynamic=true", json=NEW)
    assert created.status_code == 201 and created.json != CREATED_CUSTOMER
    assert stored(client) == CUSTOMERS


def test_dynamic_with_a_code(client):
    answer = prefer(client, "GET", "/api/v3/clients/779", "code=404, dynamic=true, seed=3")
    assert answer.status_code == 404 and isinstance(answer.json["message"], str)


def test_unknown_code_is_400_listing_the_documented_ones(client):
    answer = prefer(client, "GET", "/api/v3/clients/779", "code=418")
    assert answer.status_code == 400
    assert "code=418" in answer.json["message"] and "customers.get_customer" in answer.json["message"]
    assert "200, 401, 404, 422" in answer.json["message"]


def test_unknown_example_is_400_listing_the_examples(client):
    answer = prefer(client, "POST", "/api/clients-import", "example=nope")
    assert answer.status_code == 400
    assert "badRows (422)" in answer.json["message"] and "notASheet (422)" in answer.json["message"]
    wrong_status = prefer(client, "POST", "/api/clients-import", "code=200, example=notASheet")
    assert wrong_status.status_code == 400 and "for 200" in wrong_status.json["message"]


@pytest.mark.parametrize(
    "value",
    ["code=abc", "code=99", "code=²⁰⁰", "code=" + "4" * 5000, "delay=-5", "delay=60001", "dynamic=maybe", "example="],
)
def test_malformed_preferences_are_400_naming_them(client, value):
    answer = prefer(client, "POST", "/api/v3/clients", value, json=NEW)
    assert answer.status_code == 400
    assert f"Prefer: {value[:40]}" in answer.json["message"]
    assert stored(client) == CUSTOMERS


def test_other_preferences_are_ignored(client):
    answer = prefer(client, "POST", "/api/v3/clients", "return=minimal, respond-async", json=NEW)
    assert answer.status_code == 201 and stored(client) == CUSTOMERS + 1
    assert "Preference-Applied" not in answer.headers


def test_the_token_is_still_needed(client):
    answer = client.open("GET", "/api/v3/clients/779", auth=False, headers={"Prefer": "code=200"})
    assert answer.status_code == 401


def test_delay_waits_before_answering(client):
    answer = prefer(client, "GET", "/api/v3/clients/779", "delay=120")
    assert answer.status_code == 200 and answer.json["id"] == 779
    [entry] = client.get("/__mock/requests").json
    assert entry["duration_ms"] >= 120
    assert "Preference-Applied" not in answer.headers


def test_forced_answers_follow_accept_for_the_export(client):
    answer = client.open(
        "GET", "/api/v3/clients/clients-print/bz7Qm2xKp9LzR4vTn", headers={"Prefer": "code=200", "Accept": "text/csv"}
    )
    assert answer.status_code == 200 and answer.mimetype == "text/csv"


def _op(operation_id):
    spec = load_spec(SPEC_PATH)
    return spec, next(op for op in spec.operations if op.operation_id == operation_id)


@pytest.mark.parametrize("path", [SPEC_PATH, CONTROL_SPEC_PATH], ids=lambda p: p.name)
def test_every_documented_answer_can_be_made_valid(path):
    """Static and dynamic, for every operation and status of both specs."""
    spec = load_spec(path)
    for op in spec.operations:
        for status in samples.statuses(op):
            for dynamic in (False, True):
                made = samples.sample(spec, op, status, dynamic=dynamic)
                validator = op.response_validator(status, made.media_type or "")
                if made.media_type == "application/json":
                    assert validator.is_valid(json.loads(made.body)), (op.operation_id, status, dynamic)


APP = make_app()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_prefer_header_is_read_or_refused_with_400(header):
    with APP.test_request_context():
        try:
            parse_prefer([header])
        except ApiError as e:
            assert e.status == 400 and e.message.startswith("Prefer: ")


PREFER_INPUTS = {
    "one long word": lambda n: "a" * n + " !",  # the old pattern tried every start: quadratic
    "random": lambda n: "".join(random.Random(n).choice('a=;," \\\t1') for _ in range(n)),
    "quotes": lambda n: '"' * n,
    "equals": lambda n: "a=" * (n // 2),
    "backslashes": lambda n: '"' + "\\" * n,
    "many preferences": lambda n: "code=404, dynamic=true; x=y, " * (n // 30),
}


@pytest.mark.parametrize("make", PREFER_INPUTS.values(), ids=PREFER_INPUTS)
def test_reading_a_prefer_header_takes_time_linear_in_its_length(make):
    """A 16-32 KB Prefer header held the GIL for seconds; the headers limit is 16 KiB."""
    assert_linear(lambda header: list(preferences(header)), make, 2_000)


@pytest.mark.parametrize(
    ("header", "read"),
    [
        ('code=200, example="sampleSheet"', [("code", "200"), ("example", "sampleSheet")]),
        ("dynamic=true; x=y, seed=1", [("dynamic", "true"), ("seed", "1")]),
        ('strict; note="a, b", Seed = 3', [("strict", ""), ("seed", "3")]),
        ('example="a\\"b", code="404', [("example", 'a"b'), ("code", "404")]),  # a quote left open ends with it
        ("delay=100 200, code=500", [("code", "500")]),  # not token[=word]: left out
        ("example=, ;;,,==", [("example", "")]),
    ],
)
def test_a_prefer_header_is_read_left_to_right(header, read):
    assert list(preferences(header)) == read


# Every forced status of every operation: the operation's own example where its spec
# gives one, else a body made from its own schema for that status (issue 31: a forced 422
# on POST /api/income answered a Built customer's error).
SPEC = load_spec(SPEC_PATH)
FORCED = [(op, status) for op in SPEC.operations for status in samples.statuses(op)]
PATH_VALUES = {"from": "2024-11-01", "to": "2024-11-30", "startdate": "2024-11-01", "enddate": "2024-11-30"}


def _concrete(op) -> str:
    path = op.path
    for parameter in op.path_parameters:
        path = path.replace(f"{{{parameter.name}}}", PATH_VALUES.get(parameter.name, "779"))
    return path


def _own_examples(op, status: int) -> dict:
    return {name: value for name, (media, value) in samples.examples(SPEC, op, status).items() if "json" in media}


@pytest.mark.parametrize(("op", "status"), FORCED, ids=[f"{op.operation_id}-{status}" for op, status in FORCED])
def test_a_forced_status_answers_the_operations_own_example_or_a_body_of_its_own_schema(client, op, status):
    answer = prefer(client, op.method, _concrete(op), f"code={status}")
    assert answer.status_code == status
    documented = SPEC.resolve(SPEC.operation_definition(op)["responses"][str(status)]).get("content", {})
    if not documented:
        assert answer.data == b""
        return
    media = answer.mimetype
    assert media in documented
    if media != "application/json":
        return  # the export's sheet: a made file, of the documented type
    assert op.response_validator(status, media).is_valid(answer.json), answer.json
    if own := _own_examples(op, status):
        assert answer.json == next(iter(own.values()))


def _fields(op) -> set[str]:
    """What an operation's own error can name: its parameters and its body's fields."""
    fields = {parameter.name for parameter in op.parameters}
    if op.body is not None and op.body.schema:
        fields |= set(SPEC.resolve(op.body.schema).get("properties", {}))
    return fields | {"body"}


@pytest.mark.parametrize("op", SPEC.operations, ids=lambda op: op.operation_id)
def test_an_operations_error_examples_speak_of_that_operation(op):
    """A 422 names only fields the operation has (an import's also a sheet's rows, as
    `<row>.<column>`); a 404 names the record its path names; a 415 the media type it takes."""
    for status in samples.statuses(op):
        for name, example in _own_examples(op, status).items():
            where = f"{op.operation_id} {status} {name}"
            if status == 422:
                keys = example.get("errors", {})
                named = {key.split(".")[0] for key in keys if not key.split(".")[0].isdigit()}  # not a row's cell
                assert keys and named <= _fields(op), (where, named - _fields(op))
            elif status == 404:
                [path_id] = [p for p in op.path_parameters if p.references or p.name == "bid"]
                noun = path_id.references["noun"] if path_id.references else "Business"
                assert example["message"].startswith(f"{noun} "), (where, noun)
            elif status == 415:
                assert op.body is not None and any(media in example["message"] for media in op.body.media_types), where


def test_a_forced_422_on_an_income_create_is_an_income_error(client):
    answer = prefer(client, "POST", "/api/income", "code=422")
    income_fields = set(SPEC.resolve({"$ref": "#/components/schemas/IncomeInput"})["properties"])
    assert answer.status_code == 422 and set(answer.json["errors"]) <= income_fields
    assert "customer" not in answer.json["message"]
    assert prefer(client, "GET", "/api/income/1", "code=404").json == {"message": "Income entry 42 not found"}
