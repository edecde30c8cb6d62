"""CORS as a browser sees it in headers; tests/test_browser.py proves it in Chromium."""

import pytest

from mockserver.web.cors import EXPOSED
from mockserver.web.spec import load_spec
from tests.conftest import ApiClient, make_app

PAGE = "http://localhost:3000"


def preflight(client, path, method="GET", origin=PAGE, headers="authorization, content-type"):
    return client.open(
        "OPTIONS",
        path,
        auth=False,
        headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
    )


def concrete(path: str) -> str:
    return path.replace("{", "").replace("}", "")


@pytest.mark.parametrize("op", load_spec().operations, ids=lambda op: op.operation_id)
def test_every_operation_answers_its_preflight_without_a_token(client, op):
    answer = preflight(client, concrete(op.path), op.method)
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == PAGE
    assert op.method in answer.headers["Access-Control-Allow-Methods"]
    assert answer.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    assert "Origin" in answer.headers["Vary"]


def test_preflight_of_an_unknown_path_succeeds_so_the_page_can_read_the_404(client):
    assert preflight(client, "/api/v3/nowhere").status_code == 204
    answer = client.get("/api/v3/nowhere", headers={"Origin": PAGE})
    assert answer.status_code == 404
    assert answer.headers["Access-Control-Allow-Origin"] == PAGE


def test_answers_and_errors_carry_the_origin_and_exposed_headers(client):
    ok = client.get("/api/v3/clients/779", headers={"Origin": PAGE})
    denied = client.get("/api/v3/clients/779", auth=False, headers={"Origin": PAGE})
    for answer in (ok, denied):
        assert answer.headers["Access-Control-Allow-Origin"] == PAGE
        assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert denied.status_code == 401
    # a script reads the export's file name and the 401's challenge only if they are exposed
    assert {"Content-Disposition", "WWW-Authenticate", "Preference-Applied"} <= set(EXPOSED.split(", "))


def test_a_request_without_origin_gets_no_cors_headers(client):
    answer = client.get("/api/v3/clients/779")
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_cors_origin_restricts_to_the_listed_origins():
    client = ApiClient(make_app(CORS_ORIGINS=[PAGE]).test_client())
    assert preflight(client, "/api/v3/clients").status_code == 204
    stranger = preflight(client, "/api/v3/clients", origin="http://evil.test")
    assert stranger.status_code == 403
    assert "http://evil.test may not call this server; it allows http://localhost:3000" in stranger.json["message"]
    answer = client.get("/api/v3/clients/779", headers={"Origin": "http://evil.test"})
    assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer.headers


def test_no_origins_turns_cors_off():
    client = ApiClient(make_app(CORS_ORIGINS=[]).test_client())
    answer = preflight(client, "/api/v3/clients/779")
    assert answer.status_code == 204 and "Access-Control-Allow-Origin" not in answer.headers
    assert answer.headers["Allow"] == "GET, HEAD, POST, DELETE, OPTIONS"
