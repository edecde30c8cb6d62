"""Schemathesis holds the server to openapi.yaml: every implemented operation, all checks,
examples/coverage/fuzzing, then stateful sequences that follow the spec's links. The
control plane is held to control-plane.yaml the same way."""

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import settings
from schemathesis.config import SchemathesisConfig
from schemathesis.transport.serialization import Binary

from mockserver.contract.checks import NAMES as MEANING
from mockserver.resources import CONTROL_SPEC_PATH, SPEC_PATH
from mockserver.state.sandbox import shared
from mockserver.web.spec import load_spec
from tests.conftest import AUTH, ROOT, fixture_rows, make_app

# Under pytest-xdist the per-operation cases of @schema.parametrize() pass without running
# (a planted failure went unseen): make test runs this file in a process of its own.
pytestmark = pytest.mark.serial

# With a fixed token a wrong one is really wrong, so the ignored_auth check means something.
APP = make_app(TOKEN=AUTH["Authorization"].removeprefix("Bearer "))


def _load(path):
    loaded = schemathesis.openapi.from_path(path, config=SchemathesisConfig.from_path(ROOT / "schemathesis.toml"))
    loaded.app = APP
    loaded.config.update(headers=AUTH)
    loaded.config.generation.update(max_examples=10, deterministic=True, database="none")
    loaded.config.phases.update(phases=["examples", "coverage", "fuzzing", "stateful"])
    loaded.config.seed = 20261121
    # The checks of meaning make requests of their own per answer; the mock is held to them
    # through `mockserver contract` (test_contract_command.py) and test_contract_checks.py.
    loaded.config.checks.update(excluded_check_names=list(MEANING))
    return loaded


schema = _load(SPEC_PATH)
control = _load(CONTROL_SPEC_PATH)
# Resetting the store or restoring a snapshot taken earlier removes what a sequence created
# on the way, as it should: a later 404 for that ledger entry is right, not the "created
# resource not found" Schemathesis would call it. tests/test_control_ledger.py checks an
# entry is there to delete.
control.config.checks.update(excluded_check_names=["ensure_resource_availability", *MEANING])


def _references(node) -> dict[str, str]:
    """Body field -> the table its ids name, from the spec's `x-references`."""
    found = {}
    if isinstance(node, dict):
        for name, field in node.get("properties", {}).items():
            if isinstance(field, dict) and "x-references" in field:
                found[name] = field["x-references"]["table"]
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            found.update(_references(child))
    return found


# Ids the fixtures hold, by the body field or path parameter that names them.
REFERENCES = {
    name: [row["id"] for row in fixture_rows(table)]
    for path in (SPEC_PATH, CONTROL_SPEC_PATH)
    for name, table in _references(load_spec(path).document).items()
}
PATH_IDS = {
    "id": [row["id"] for row in fixture_rows("customers")],
    "incomeId": [row["id"] for row in fixture_rows("summit_income")],
}
BID = fixture_rows("businesses")[0]["encrypted_id"]
# A drawn file is nearly never a workbook: the sample sheet makes imports succeed too.
SAMPLE_SHEET = Binary((ROOT / "fixtures" / "customers_list.xlsx").read_bytes())


def _steerable(drawn):
    # An out-of-range or mistyped id is what makes a negative case negative: keep it.
    return type(drawn) is int and 1 <= drawn <= 2**31 - 1


def _mostly_stored(drawn, ids):
    """An id drawn at random nearly always names nothing (422 in a body, 404 in a path): draw
    among the stored ones, keeping the drawn one a fraction of the time."""
    return st.sampled_from([*ids, drawn])


@control.hook
@schema.hook
def flatmap_body(ctx, body):
    """Mostly existing references, so creates succeed and the stateful phase has records to
    follow links from."""
    if not isinstance(body, dict):
        return st.just(body)
    chosen = {name: _mostly_stored(body[name], ids) for name, ids in REFERENCES.items() if _steerable(body.get(name))}
    if isinstance(body.get("customers"), Binary):
        chosen["customers"] = st.sampled_from([SAMPLE_SHEET, body["customers"]])
    return st.fixed_dictionaries(chosen).map(lambda ids: {**body, **ids}) if chosen else st.just(body)


@schema.hook
def flatmap_path_parameters(ctx, path):
    """Mostly a stored customer or entry, so the reports, statements and updates run on real
    data."""
    for name, ids in PATH_IDS.items():
        drawn = (path or {}).get(name)
        if _steerable(drawn):
            return _mostly_stored(drawn, ids).map(lambda value, name=name: {**path, name: value})
    drawn = (path or {}).get("bid")
    if isinstance(drawn, str) and 1 <= len(drawn) <= 200:
        return st.sampled_from([BID, drawn]).map(lambda value: {**path, "bid": value})
    return st.just(path)


def _v3_filter(case):
    path = case.path_parameters
    case.body = {**case.body, "id": path["id"], "from": path["from"], "to": path["to"]}
    return case


def _legacy_filter(case):
    case.body = {**case.body, "id": case.path_parameters["id"]}
    case.query = {**(case.query or {}), "from": case.body["start_date"], "to": case.body["end_date"]}
    return case


# The report filters repeat the path (and query) in the body; a body that contradicts them
# is answered 422. Independent draws nearly always contradict, so most positive cases are
# made to agree, as a client following the docs would send them, and reach the report.
AGREEING = {
    "reports.filter_customer_income": _v3_filter,
    "reports.filter_client_transactions_legacy": _legacy_filter,
}


FORM_OPERATIONS = {op.operation_id for op in load_spec().operations if op.body is not None and op.body.is_form}


def _sendable(case):
    """An empty list is no part at all in multipart/form-data, so a negative form that
    breaks the schema only with an extra `[]` field reached the server valid (and was
    rightly accepted). Sent as one empty part, it stays what the case means."""
    case.body = {name: [""] if value == [] else value for name, value in case.body.items()}
    return case


@schema.hook
def flatmap_case(ctx, case):
    operation_id = case.operation.definition.raw.get("operationId")
    agree = AGREEING.get(operation_id)
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if negative and operation_id in FORM_OPERATIONS and isinstance(case.body, dict):
        return st.just(_sendable(case))
    if agree is None or negative or not isinstance(case.body, dict):
        return st.just(case)
    return st.sampled_from([True, True, True, False]).map(lambda yes: agree(case) if yes else case)


def fresh_server():
    """The fixtures, and no clock, faults or journal left by the case before: otherwise the
    delete tests empty the store before the reports are tested, a control-plane case's
    frozen clock or fault rule reaches the API's cases, and an answer depends on the ones
    before it (Hypothesis then reports flaky generation when it replays one). Snapshots
    outlive a reset, so they are deleted too."""
    with APP.app_context():
        shared(APP).reset()
    snapshots = shared(APP).snapshots
    for snapshot in snapshots.all():
        snapshots.delete(snapshot.name)


@schema.parametrize()
def test_operation_conforms(case):
    fresh_server()
    case.call_and_validate()


@control.parametrize()
def test_control_plane_conforms(case):
    fresh_server()
    case.call_and_validate()


class Workflow(schema.as_state_machine()):
    def setup(self):
        fresh_server()


class ControlWorkflow(control.as_state_machine()):
    def setup(self):
        fresh_server()


# derandomize: the same sequences every run, like the seeded cases above, so CI cannot go red
# on a draw it never made before; widen max_examples locally to explore.
TestStateful = Workflow.TestCase
TestStateful.settings = settings(max_examples=80, stateful_step_count=6, deadline=None, derandomize=True)
TestControlStateful = ControlWorkflow.TestCase
TestControlStateful.settings = settings(max_examples=40, stateful_step_count=6, deadline=None, derandomize=True)
