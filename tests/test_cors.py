"""CORS as a browser sees it in headers; tests/test_browser.py proves it in Chromium."""

import socket

import pytest

from mockserver.web.cors import EXPOSED
from mockserver.web.spec import load_spec
from tests.conftest import ApiClient, make_app
from tests.patience import patience
from tests.server_process import ServerProcess

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


def _raw(port: int, request: bytes) -> tuple[int, dict[str, str]]:
    """What the server answers `request`, sent whole or in part on a socket of its own."""
    with socket.create_connection(("127.0.0.1", port), timeout=patience(10)) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    return int(head[0].split()[1]), {k.lower(): v for k, v in (line.split(": ", 1) for line in head[1:])}


def _cors_of(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith("access-control-") or k == "vary"}


def test_the_fronts_early_answers_carry_the_apps_cors_headers(tmp_path):
    """The 413 and the 408 are sent before the app runs (serving/front.py), by the same rule."""
    only = ("--cors-origin", PAGE, "--max-body-size", "1KB", "--body-timeout", "0.5")
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet", *only) as server:
        port = server.port

        def post(origin: str, length: int, sent: bytes) -> tuple[int, dict[str, str]]:
            head = f"POST /api/income HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nAuthorization: Bearer t\r\n"
            head += f"Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
            return _raw(port, head.encode() + sent)

        app_status, app_headers = post(PAGE, 2, b"{}")
        too_large = post(PAGE, 5000, b"")
        stalled = post(PAGE, 100, b"{")  # then nothing: 408 after the body timeout
        stranger = post("http://evil.test", 5000, b"")
    assert app_status == 422  # the app's own answer, for comparison
    assert (too_large[0], stalled[0]) == (413, 408)
    expected = _cors_of(app_headers)
    assert expected["access-control-allow-origin"] == PAGE and expected["vary"] == "Origin"
    assert _cors_of(too_large[1]) == expected and _cors_of(stalled[1]) == expected
    assert _cors_of(stranger[1]) == {"vary": "Origin"}  # an origin not allowed gets none, as from the app
