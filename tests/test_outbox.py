"""GET/DELETE /__mock/outbox, and the control plane's own spec served beside the product's."""

import yaml

from mockserver.state.sandbox import shared
from tests.conftest import ApiClient

SEND = "/api/client/transactions/send"


def test_outbox_starts_empty(client):
    assert client.get("/__mock/outbox").json == []


def test_outbox_filters_by_customer_and_recipient(client):
    client.post(f"{SEND}/779", json={"other_emails": ["Ops@Example.com"]})
    client.post(f"{SEND}/2319", json={})
    client.post(f"{SEND}/2", json={"other_emails": ["ops@example.com"]})
    assert [m["customer_id"] for m in client.get("/__mock/outbox").json] == [779, 2319, 2]
    assert [m["customer_id"] for m in client.get("/__mock/outbox?customer_id=2319").json] == [2319]
    assert [m["customer_id"] for m in client.get("/__mock/outbox?to=OPS@example.com").json] == [779, 2]
    assert client.get("/__mock/outbox?customer_id=1").json == []


def test_delete_empties_the_outbox(client):
    client.post(f"{SEND}/779", json={})
    answer = client.delete("/__mock/outbox")
    assert answer.status_code == 204 and answer.data == b""
    assert client.get("/__mock/outbox").json == []


def test_outbox_needs_the_token(client):
    assert client.get("/__mock/outbox", auth=False).status_code == 401
    assert client.delete("/__mock/outbox", auth=False).status_code == 401


def test_bad_filter_is_422_naming_it(client):
    answer = client.get("/__mock/outbox?customer_id=abc")
    assert answer.status_code == 422 and list(answer.json["errors"]) == ["customer_id"]


def test_outbox_survives_a_restart_and_reset_empties_it(file_app):
    ApiClient(file_app().test_client()).post(f"{SEND}/779", json={})
    app = file_app()
    client = ApiClient(app.test_client())
    assert len(client.get("/__mock/outbox").json) == 1
    shared(app).store.reset()
    assert client.get("/__mock/outbox").json == []


def test_control_plane_spec_is_served(client):
    answer = client.get("/__mock/openapi.yaml", auth=False)
    assert answer.status_code == 200
    assert "/__mock/outbox" in yaml.safe_load(answer.data)["paths"]
    assert client.get("/", auth=False).json["control_plane"].endswith("/__mock/openapi.yaml")


def test_an_unknown_control_path_points_to_the_control_planes_spec(client):
    answer = client.get("/__mock/nothing")
    assert answer.status_code == 404
    assert answer.json["message"] == "No route for GET /__mock/nothing. See /__mock/openapi.yaml for every operation."
