"""Schemathesis holds the server to openapi.yaml: every implemented operation, all checks,
examples/coverage/fuzzing, then stateful sequences that follow the spec's links. The
control plane is held to control-plane.yaml the same way."""

import hypothesis.strategies as st
import schemathesis
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

from mockserver.api import PENDING
from mockserver.resources import CONTROL_SPEC_PATH, SPEC_PATH
from tests.conftest import AUTH, ROOT, fixture_rows, make_app

# With a fixed token a wrong one is really wrong, so the ignored_auth check means something.
APP = make_app(TOKEN=AUTH["Authorization"].removeprefix("Bearer "))


def _load(path):
    loaded = schemathesis.openapi.from_path(path, config=SchemathesisConfig.from_path(ROOT / "schemathesis.toml"))
    loaded.app = APP
    loaded.config.update(headers=AUTH)
    loaded.config.generation.update(max_examples=30, deterministic=True, database="none")
    loaded.config.phases.update(phases=["examples", "coverage", "fuzzing", "stateful"])
    loaded.config.seed = 20261121
    return loaded


schema = _load(SPEC_PATH).exclude(operation_id=list(PENDING))
control = _load(CONTROL_SPEC_PATH)

CATEGORY_IDS = [row["id"] for row in fixture_rows("categories")]
CUSTOMER_IDS = [row["id"] for row in fixture_rows("customers")]


@schema.hook
def flatmap_body(ctx, body):
    """Mostly existing categories, so creates succeed and the stateful phase has customers
    to follow links from; the generated id is kept a quarter of the time (422 path)."""
    if isinstance(body, dict) and type(body.get("category_id")) is int:
        return st.sampled_from([*CATEGORY_IDS, body["category_id"]]).map(lambda cid: {**body, "category_id": cid})
    return st.just(body)


@schema.hook
def flatmap_path_parameters(ctx, path):
    """A customer id drawn at random is nearly always unknown (404); mostly ask for a seeded
    customer so the reports and statements are exercised, keeping the drawn one sometimes.
    Out-of-range ids are negative cases and stay as drawn."""
    drawn = (path or {}).get("id")
    if type(drawn) is not int or not 1 <= drawn <= 2**31 - 1:
        return st.just(path)
    return st.sampled_from([*CUSTOMER_IDS, drawn]).map(lambda cid: {**path, "id": cid})


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


@schema.hook
def flatmap_case(ctx, case):
    agree = AGREEING.get(case.operation.definition.raw.get("operationId"))
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if agree is None or negative or not isinstance(case.body, dict):
        return st.just(case)
    return st.sampled_from([True, True, True, False]).map(lambda yes: agree(case) if yes else case)


@schema.parametrize()
def test_operation_conforms(case):
    # From the fixtures every time: otherwise the delete tests empty the store before the
    # reports are tested, and an example's answer would depend on the ones before it.
    APP.extensions["mockserver.store"].reset()
    case.call_and_validate()


@control.parametrize()
def test_control_plane_conforms(case):
    case.call_and_validate()


class Workflow(schema.as_state_machine()):
    def setup(self):
        # Each scenario starts from the fixtures, so Hypothesis sees the same answers when it
        # replays or shrinks one (state carried over made it report flaky generation).
        APP.extensions["mockserver.store"].reset()


TestStateful = Workflow.TestCase
TestStateful.settings = settings(max_examples=80, stateful_step_count=6, deadline=None)
