"""What every operation shares: auth, unknown routes and methods, the spec served."""

import pytest

from mockserver.resources import CONTROL_SPEC_PATH
from mockserver.routing import API_PACKAGE, handlers_for
from mockserver.sandbox import shared
from mockserver.spec import Spec, load_spec
from tests.conftest import ApiClient, make_app


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, "Send an Authorization"),
        ("Basic dXNlcjpwYXNz", "must be 'Bearer <token>'"),
        ("Bearer", "must be 'Bearer <token>'"),
        ("Bearer ", "must be 'Bearer <token>'"),
        ("Bearer two words", "must be 'Bearer <token>'"),
    ],
    ids=["missing", "basic", "no-token", "empty-token", "spaces"],
)
def test_missing_or_malformed_bearer_is_401(client, header, problem):
    headers = {"Authorization": header} if header else {}
    answer = client.get("/api/v3/clients", auth=False, headers=headers)
    assert answer.status_code == 401
    assert problem in answer.json["message"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("op", load_spec().operations, ids=lambda op: op.operation_id)
def test_every_operation_needs_a_token(client, op):
    path = op.path.replace("{id}", "779").replace("{incomeId}", "1").replace("{bid}", "b")
    path = path.replace("{from}", "2024-11-01").replace("{to}", "2024-11-11")
    path = path.replace("{startdate}", "2024-11-01").replace("{enddate}", "2024-11-11")
    assert client.open(op.method, path, auth=False).status_code == 401


def test_any_token_is_accepted_by_default(client):
    assert client.get("/api/v3/clients", headers={"Authorization": "Bearer anything-at-all"}).status_code == 200


def test_token_option_rejects_other_tokens():
    client = ApiClient(make_app(TOKEN="s3cret").test_client())
    assert client.get("/api/v3/clients", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/api/v3/clients").status_code == 401


def test_unknown_route_is_404_json(client):
    answer = client.get("/api/v3/nothing-here")
    assert answer.status_code == 404
    assert "/api/v3/nothing-here" in answer.json["message"]


def test_undocumented_method_is_405_json_with_allow(client):
    answer = client.put("/api/v3/clients/summary")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert "PUT /api/v3/clients/summary" in answer.json["message"]


def test_concrete_path_wins_over_template(client):
    # /api/v3/clients/category only takes POST; GET must not fall through to /clients/{id}
    assert client.get("/api/v3/clients/category").status_code == 405


def test_options_lists_methods(client):
    answer = client.open("OPTIONS", "/api/v3/clients/779")
    assert answer.status_code == 204
    assert answer.headers["Allow"] == "GET, HEAD, POST, DELETE, OPTIONS"


def test_head_answers_like_get_without_body(client):
    answer = client.open("HEAD", "/api/v3/clients/779")
    assert answer.status_code == 200 and answer.data == b""


def test_operation_without_handler_stops_start_up():
    spec = Spec({"paths": {"/x": {"get": {"operationId": "customers.nowhere", "responses": {}}}}}, "test.yaml")
    with pytest.raises(LookupError, match=r"test\.yaml with no handler in mockserver\.api: customers\.nowhere"):
        handlers_for(spec, API_PACKAGE)


def test_spec_and_index_are_served_without_token(client):
    spec = client.get("/openapi.yaml", auth=False)
    assert spec.status_code == 200 and spec.data.startswith(b"openapi: 3.1.0")
    index = client.get("/", auth=False).json
    assert index["operations"] == len(load_spec().operations)
    assert client.get(index["customer_export"].removeprefix("http://localhost")).status_code == 200
    assert index["controls"]["POST /__mock/reset"] == "Back to a fresh server"
    assert len(index["controls"]) == len(load_spec(CONTROL_SPEC_PATH).operations)


def test_unexpected_error_is_500_json_not_html():
    app = make_app(VALIDATE_RESPONSES=False, PROPAGATE_EXCEPTIONS=False)
    shared(app).store.all = None  # any handler that reads will now fail
    answer = app.test_client().get("/api/v3/clients", headers={"Authorization": "Bearer t"})
    assert answer.status_code == 500
    assert "mockserver bug" in answer.json["message"]
