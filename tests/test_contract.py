"""Schemathesis holds the server to openapi.yaml: every implemented operation, all checks,
examples/coverage/fuzzing, then stateful sequences that follow the spec's links."""

import hypothesis.strategies as st
import schemathesis
from hypothesis import settings
from schemathesis.config import SchemathesisConfig

from mockserver.api import PENDING
from mockserver.resources import SPEC_PATH
from tests.conftest import AUTH, ROOT, fixture_rows, make_app

config = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
schema = schemathesis.openapi.from_path(SPEC_PATH, config=config).exclude(operation_id=list(PENDING))
# With a fixed token a wrong one is really wrong, so the ignored_auth check means something.
schema.app = make_app(TOKEN=AUTH["Authorization"].removeprefix("Bearer "))
schema.config.update(headers=AUTH)
schema.config.generation.update(max_examples=30, deterministic=True, database="none")
schema.config.phases.update(phases=["examples", "coverage", "fuzzing", "stateful"])
schema.config.seed = 20261121

CATEGORY_IDS = [row["id"] for row in fixture_rows("categories")]


@schema.hook
def flatmap_body(ctx, body):
    """Mostly existing categories, so creates succeed and the stateful phase has customers
    to follow links from; the generated id is kept a quarter of the time (422 path)."""
    if isinstance(body, dict) and type(body.get("category_id")) is int:
        return st.sampled_from([*CATEGORY_IDS, body["category_id"]]).map(lambda cid: {**body, "category_id": cid})
    return st.just(body)


@schema.parametrize()
def test_operation_conforms(case):
    case.call_and_validate()


class Workflow(schema.as_state_machine()):
    def setup(self):
        # Each scenario starts from the fixtures, so Hypothesis sees the same answers when it
        # replays or shrinks one (state carried over made it report flaky generation).
        schema.app.extensions["mockserver.store"].reset()


TestStateful = Workflow.TestCase
TestStateful.settings = settings(max_examples=80, stateful_step_count=6, deadline=None)
