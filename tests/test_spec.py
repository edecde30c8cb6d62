"""The specs themselves: valid, openapi.yaml complete against the docs, every operation
served, every example conforming."""

import pytest
import yaml
from openapi_spec_validator import validate

from mockserver.resources import CONTROL_SPEC_PATH, SPEC_PATH
from mockserver.web.routing import API_PACKAGE, CONTROL_PACKAGE, resolve
from mockserver.web.spec import Spec, load, load_spec

SPEC = load_spec(SPEC_PATH)
CONTROL = load_spec(CONTROL_SPEC_PATH)
OPERATIONS = {(op.method, op.path): op for op in SPEC.operations}
# spec -> the package its handlers live in
ROUTED = [(SPEC, API_PACKAGE), (CONTROL, CONTROL_PACKAGE)]
ALL_OPERATIONS = [(spec, package, op) for spec, package in ROUTED for op in spec.operations]

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


@pytest.mark.parametrize("path", [SPEC_PATH, CONTROL_SPEC_PATH], ids=lambda p: p.name)
def test_spec_is_valid_openapi(path):
    validate(load(path))


@pytest.mark.parametrize(("method", "path"), DOCUMENTED + TEXT_ALIASES, ids=lambda v: str(v))
def test_documented_operation_is_in_spec(method, path):
    assert (method, path) in OPERATIONS


def test_spec_has_no_undocumented_operation():
    assert set(OPERATIONS) == set(DOCUMENTED + TEXT_ALIASES)


@pytest.mark.parametrize(("spec", "package", "op"), ALL_OPERATIONS, ids=[o[2].operation_id for o in ALL_OPERATIONS])
def test_every_operation_has_its_handler(spec, package, op):
    assert resolve(op.operation_id, package) is not None


def test_control_plane_is_apart_from_the_product_contract():
    assert all(op.path.startswith("/__mock/") for op in CONTROL.operations)
    assert not any(op.path.startswith("/__mock/") for op in SPEC.operations)


def test_every_operation_answers_401_without_token():
    for spec, _, op in ALL_OPERATIONS:
        assert "401" in spec.document["paths"][op.path][op.method.lower()]["responses"], op.operation_id


def _examples(spec: Spec):
    """(where, spec, schema, example value) for every example in the spec's media types."""
    for item in spec.document["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            bodies = [("request", spec.resolve(op.get("requestBody", {})))]
            bodies += [(status, spec.resolve(r)) for status, r in op["responses"].items()]
            for where, body in bodies:
                for content in (body or {}).get("content", {}).values():
                    for name, example in content.get("examples", {}).items():
                        value = spec.resolve(example)["value"]
                        yield f"{op['operationId']} {where} {name}", spec, content["schema"], value
                    if "example" in content:
                        yield f"{op['operationId']} {where} example", spec, content["schema"], content["example"]


EXAMPLES = [*_examples(SPEC), *_examples(CONTROL)]


@pytest.mark.parametrize(("where", "spec", "schema", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_conforms_to_its_schema(where, spec, schema, value):
    validator = spec.validator(schema)
    assert [e.message for e in validator.iter_errors(value)] == []


def test_examples_are_many():
    # the docs' samples are the examples: losing them silently would weaken the contract
    assert len(EXAMPLES) >= 20


def test_strict_schema_rejects_an_unknown_field():
    customer = SPEC.validator({"$ref": "#/components/schemas/Customer"})
    sample = next(v for w, _, _, v in EXAMPLES if w.startswith("customers.get_customer 200"))
    assert customer.is_valid(sample)
    assert not customer.is_valid({**sample, "surprise": 1})
    assert not customer.is_valid({k: v for k, v in sample.items() if k != "balance"})


@pytest.mark.parametrize("path", [SPEC_PATH, CONTROL_SPEC_PATH], ids=lambda p: p.name)
def test_spec_reads_the_same_with_any_yaml_parser(path):
    # The server reads with libyaml; consumers' tools often use pure-Python parsers, which
    # once rejected a `?` inside a flow mapping that libyaml let through.
    text = path.read_text(encoding="utf-8")
    assert yaml.load(text, Loader=yaml.SafeLoader) == yaml.load(text, Loader=yaml.CSafeLoader)


# The edges every contract run sends, as whole request examples (Schemathesis's examples
# phase sends each as it is): each must reach a create on the seeded mock, so that what
# is behind the validation (the store, the figures, the read-back) sees it.
EDGE_CREATES = [("/api/v3/clients", "edgeEmpty"), ("/api/v3/clients", "edgeLongest")] + [
    ("/api/income", name) for name in ("edgeSmallest", "edgeLargest", "edgeLeapDay")
]


@pytest.mark.parametrize("path, name", EDGE_CREATES)
def test_each_edge_example_is_created_and_read_back_as_sent(client, path, name):
    body = SPEC.resolve(SPEC.document["paths"][path]["post"]["requestBody"])["content"]["application/json"]
    sent = body["examples"][name]["value"]
    created = client.post(path, json=sent)
    assert created.status_code == 201, created.json
    for field, value in sent.items():
        if field != "category_id":  # sent as a form would (a string), shown as the id it names
            assert created.json[field] == value, field


def test_the_edges_cover_what_a_backend_gets_wrong():
    examples = [
        SPEC.resolve(SPEC.document["paths"][path]["post"]["requestBody"])["content"]["application/json"]["examples"][
            name
        ]["value"]
        for path, name in EDGE_CREATES
    ]
    values = [v for example in examples for v in example.values()]
    strings = [v for v in values if isinstance(v, str)]
    assert {0.01, 1000000000000, 1234.56} <= set(values)  # smallest, largest, two decimals
    assert {"0001-01-01", "9999-12-31", "2024-02-29"} <= set(values)
    assert "" in strings and any(not s.isascii() for s in strings)
    assert any(len(s) == 255 and len(s.encode()) > 255 for s in strings)  # characters, not bytes


def test_a_specs_parse_is_kept_between_starts_and_made_anew_for_an_edit(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    copy = tmp_path / "openapi.yaml"
    copy.write_bytes(SPEC_PATH.read_bytes())
    parsed = yaml.load(SPEC_PATH.read_bytes(), Loader=yaml.SafeLoader)
    assert load(copy) == parsed  # parsed, and kept
    kept = list((tmp_path / "cache" / "mockserver" / "specs").iterdir())
    assert len(kept) == 1

    def refused(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(yaml, "load", refused)
    assert load(copy) == parsed  # from what was kept
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    copy.write_text(SPEC_PATH.read_text().replace("title:", "title: Edited", 1))
    assert load(copy)["info"]["title"].startswith("Edited")  # an edit is parsed anew
    kept[0].write_bytes(kept[0].read_bytes()[:100])  # damaged: parsed, and kept again
    copy.write_bytes(SPEC_PATH.read_bytes())
    assert load(copy) == parsed
    assert len(kept[0].read_bytes()) > 100


def test_a_spec_is_parsed_without_a_cache_folder_it_can_write(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # a file, not a folder
    assert load(SPEC_PATH) == yaml.load(SPEC_PATH.read_bytes(), Loader=yaml.SafeLoader)
