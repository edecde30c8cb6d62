"""The checks of meaning (mockserver/contract/checks/), as a consumer's own pytest run uses
them: they hold for the mock, and each planted defect below breaks the rule it should,
named in the failure. The whole set of defects runs through `mockserver contract` in
`make mutants` (bench/mutants.py); these few run here."""

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from bench.mutants import DEFECTS, TOKEN
from mockserver import create_app
from mockserver.contract.checks import NAMES, RULES, BrokenRule
from mockserver.resources import SPEC_PATH
from tests.conftest import ROOT

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONFIG = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")

# (defect, operation, the request that shows it)
SHOWN_BY = {
    "balance-sign-flipped": ("customers.get_customer", {"path_parameters": {"id": 779}}),
    "delete-leaves-customer": ("customers.delete_customer", {"path_parameters": {"id": 2319}}),
    "summary-count-off": ("customers.get_summary", {}),
    "category-count-off": ("categories.list_categories", {}),
    "report-ignores-period": (
        "reports.income_by_customers",
        {"path_parameters": {"from": "2024-01-01", "to": "2024-01-31"}},
    ),
    "statement-sent-to-nobody": ("statements.send_statement", {"path_parameters": {"id": 99999}, "body": {}}),
    "total-counts-deleted": ("income.list_income", {"query": {"page": 1, "limit": 10}}),
    "income-ignores-start-date": ("income.list_income", {"query": {"startDate": "2024-01-01"}}),
    "update-not-stored": ("income.update_income", {"path_parameters": {"incomeId": 1}, "body": {"amount": 12.5}}),
}


def _defect(name: str, operation_id: str):
    """The defect of that name (two share a name: update-not-stored, for customers and income)."""
    matching = [d for d in DEFECTS if d.name == name]
    return next((d for d in matching if operation_id.split(".")[0] in d.group), matching[0])


def _case(operation_id: str, parts: dict, defect=None):
    """A request to the mock served in-process, with the defect planted if one is given."""
    app = create_app({"DB_PATH": None, "TOKEN": TOKEN})
    if defect is not None:
        defect.plant(app)
    schema = schemathesis.openapi.from_path(SPEC_PATH, config=CONFIG)
    schema.app = app
    return schema.find_operation_by_id(operation_id).Case(headers=AUTH, **parts)


def test_every_rule_is_registered_and_named():
    assert len(RULES) == len(NAMES) >= 15 and len(set(NAMES)) == len(NAMES)
    assert {d.expected for d in DEFECTS if not d.expected.startswith("ST")} <= set(NAMES)
    assert len(DEFECTS) >= 30 and len({d.group for d in DEFECTS}) == 4


@pytest.mark.parametrize(("name", "shown_by"), SHOWN_BY.items(), ids=list(SHOWN_BY))
def test_the_unchanged_mock_keeps_the_rule(name, shown_by):
    operation_id, parts = shown_by
    _case(operation_id, parts).call_and_validate(checks=RULES)


@pytest.mark.parametrize(("name", "shown_by"), SHOWN_BY.items(), ids=list(SHOWN_BY))
def test_a_planted_defect_breaks_the_rule_that_names_it(name, shown_by):
    operation_id, parts = shown_by
    defect = _defect(name, operation_id)
    with pytest.raises(FailureGroup) as failed:
        _case(operation_id, parts, defect).call_and_validate(checks=RULES)
    titles = [f.title for f in failed.value.exceptions]
    assert any(title.startswith(f"{defect.expected}: ") for title in titles), titles


def test_a_failure_says_the_rule_expected_and_actual_and_how_to_repeat_it():
    defect = _defect("delete-leaves-customer", "customers")
    case = _case("customers.delete_customer", {"path_parameters": {"id": 2319}}, defect)
    with pytest.raises(FailureGroup) as failed:
        case.call_and_validate(checks=RULES)
    [broken] = [f for f in failed.value.exceptions if isinstance(f, BrokenRule)]
    assert broken.title == "deleted_customer_is_gone: a deleted customer answers 404"
    assert "expected: 404\nactual:   200" in broken.message
    assert "curl -X GET" in broken.message and "/api/v3/clients/2319" in broken.message
