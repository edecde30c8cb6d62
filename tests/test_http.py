"""What every operation shares: auth, unknown routes and methods, the spec served."""

import pytest
from werkzeug.test import EnvironBuilder

from mockserver.resources import CONTROL_SPEC_PATH, seeded_business
from mockserver.state.sandbox import shared
from mockserver.web.routing import API_PACKAGE, handlers_for
from mockserver.web.spec import Spec, load_spec
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


def _wsgi(app, method: str, path: str) -> tuple[str, list, object]:
    """The app called as a WSGI server calls it: (status, headers, what it returned)."""
    started = []
    environ = EnvironBuilder(path=path, method=method, headers={"Authorization": "Bearer t"}).get_environ()
    body = app.wsgi_app(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    return started[0][0], started[0][1], body


def test_answers_in_memory_reach_the_server_as_one_list(app):
    status, headers, body = _wsgi(app, "GET", "/api/v3/clients/779")
    assert status == "200 OK" and isinstance(body, list)
    assert len(b"".join(body)) == int(dict(headers)["Content-Length"]) > 0
    status, headers, body = _wsgi(app, "HEAD", "/api/v3/clients/779")
    assert status == "200 OK" and body == [] and int(dict(headers)["Content-Length"]) > 0
    status, _, body = _wsgi(app, "GET", "/api/v3/clients/999999")
    assert status == "404 NOT FOUND" and b"999999" in b"".join(body)


def test_a_file_sent_as_it_is_read_is_still_streamed(app):
    status, _, body = _wsgi(app, "GET", f"/api/v3/clients/clients-print/{seeded_business()['encrypted_id']}")
    assert status == "200 OK" and not isinstance(body, list)
    assert b"".join(body)[:2] == b"PK"  # an .xlsx is a zip
    body.close()
