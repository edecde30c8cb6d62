"""openapi.yaml itself: valid, complete against the docs, every operation served or pending."""

import pytest
from openapi_spec_validator import validate

from mockserver.api import PENDING
from mockserver.routing import resolve
from mockserver.spec import load, load_spec

SPEC = load_spec()
OPERATIONS = {(op.method, op.path): op for op in SPEC.operations}

# shared/API-SURFACE.md, every row, plus the second paths the docs' text names.
DOCUMENTED = [
    ("GET", "/api/v3/clients"),
    ("GET", "/api/v3/clients/summary"),
    ("POST", "/api/v3/clients"),
    ("GET", "/api/v3/clients/{id}"),
    ("POST", "/api/v3/clients/{id}"),
    ("DELETE", "/api/v3/clients/{id}"),
    ("GET", "/api/v3/clients/{id}/transactions"),
    ("POST", "/api/clients-import"),
    ("GET", "/api/v3/clients/clients-print/{bid}"),
    ("GET", "/api/v3/clients/clients/categories"),
    ("POST", "/api/v3/clients/category"),
    ("POST", "/api/v3/clients/{id}/archive"),
    ("GET", "/api/v3/reports/customers/{from}/{to}"),
    ("GET", "/api/v3/reports/customers/client/{id}/{from}/{to}"),
    ("POST", "/api/v3/reports/customers/client/{id}/{from}/{to}"),
    ("POST", "/api/v3/reports/customers/client/transactions/send/{id}"),
    ("GET", "/api/analytics/customers/{startdate}/{enddate}"),
    ("GET", "/api/client/{id}"),
    ("POST", "/api/client/transactions/{id}"),
    ("POST", "/api/client/transactions/send/{id}"),
    ("GET", "/api/income"),
    ("POST", "/api/income"),
    ("GET", "/api/income/{incomeId}"),
    ("PUT", "/api/income/{incomeId}"),
    ("DELETE", "/api/income/{incomeId}"),
]
TEXT_ALIASES = [("GET", "/api/v3/clients/categories"), ("POST", "/api/importcustomers")]


def test_spec_is_valid_openapi():
    validate(load())


@pytest.mark.parametrize(("method", "path"), DOCUMENTED + TEXT_ALIASES, ids=lambda v: str(v))
def test_documented_operation_is_in_spec(method, path):
    assert (method, path) in OPERATIONS


def test_spec_has_no_undocumented_operation():
    assert set(OPERATIONS) == set(DOCUMENTED + TEXT_ALIASES)


@pytest.mark.parametrize("op", SPEC.operations, ids=lambda op: op.operation_id)
def test_operation_has_handler_or_is_pending_never_both(op):
    has_handler = resolve(op.operation_id) is not None
    assert has_handler != (op.operation_id in PENDING)


def test_pending_names_only_operations_in_spec():
    assert set(PENDING) <= {op.operation_id for op in SPEC.operations}


def test_every_operation_answers_401_without_token():
    for op in SPEC.operations:
        assert "401" in SPEC.document["paths"][op.path][op.method.lower()]["responses"], op.operation_id


def _examples():
    """(where, schema, example value) for every example in the spec's media types."""
    for item in SPEC.document["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            bodies = [("request", SPEC.resolve(op.get("requestBody", {})))]
            bodies += [(status, SPEC.resolve(r)) for status, r in op["responses"].items()]
            for where, body in bodies:
                for content in (body or {}).get("content", {}).values():
                    for name, example in content.get("examples", {}).items():
                        yield f"{op['operationId']} {where} {name}", content["schema"], SPEC.resolve(example)["value"]
                    if "example" in content:
                        yield f"{op['operationId']} {where} example", content["schema"], content["example"]


EXAMPLES = list(_examples())


@pytest.mark.parametrize(("where", "schema", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_conforms_to_its_schema(where, schema, value):
    validator = SPEC.validator(schema)
    assert [e.message for e in validator.iter_errors(value)] == []


def test_examples_are_many():
    # the docs' samples are the examples: losing them silently would weaken the contract
    assert len(EXAMPLES) >= 20


def test_strict_schema_rejects_an_unknown_field():
    customer = SPEC.validator({"$ref": "#/components/schemas/Customer"})
    sample = next(v for w, _, v in EXAMPLES if w.startswith("customers.get_customer 200"))
    assert customer.is_valid(sample)
    assert not customer.is_valid({**sample, "surprise": 1})
    assert not customer.is_valid({k: v for k, v in sample.items() if k != "balance"})
