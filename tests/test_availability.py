"""No client can stall, starve or exhaust the server, and none can forge or read what it
should not: the limits a shared demo server needs."""

import pytest

from tests.conftest import ApiClient, make_app
from tests.server_process import ServerProcess


def test_a_control_character_in_a_path_cannot_forge_a_log_line(capsys):
    client = ApiClient(make_app(ACCESS_LOG=True).test_client())
    client.get("/api/v3/clients/779%0A12:00:00 GET /api/v3/clients 200 0.1ms%1b[2J")
    logged = capsys.readouterr().err
    assert logged.count("\n") == 1  # one request, one line
    assert "779\\n12:00:00 GET" in logged and "\\x1b[2J" in logged and "\x1b" not in logged


@pytest.mark.parametrize("how", ["env", "option"])
def test_an_empty_admin_token_is_no_token_so_one_is_made(tmp_path, how, monkeypatch):
    """Bound beyond loopback, an empty token must not leave the control plane open."""
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", "")
    extra = ["--admin-token", ""] if how == "option" else []
    with ServerProcess("--db", str(tmp_path / "db.json"), "--host", "0.0.0.0", *extra) as server:
        status, body = server.call("POST", "/__mock/reset")
        assert status == 403 and "X-Mock-Admin" in body["message"]
        assert server.call("POST", "/__mock/reset", headers={"X-Mock-Admin": ""})[0] == 403
