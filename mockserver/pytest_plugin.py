"""The `mockserver` fixture for your own test suite (registered as a pytest11 plugin, so
installing mockserver is all it takes).

    def test_checkout(mockserver):
        api = MyClient(mockserver.base_url, token=mockserver.token)
        ...
        assert mockserver.requests(method="POST")[0]["response"]["status"] == 201

The server runs in this process on a free port, started once per session, on an
in-memory store; every test gets it reset to the docs' data (1.3 ms over HTTP here), with
an empty journal, a real-time clock and no fault rules. Override the
`mockserver_config` fixture to pass create_app settings (TOKEN, LATENCY, ...).
"""

import urllib.parse
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from .control.remote import ControlError, control

DEFAULT_TOKEN = "mockserver-pytest"


MockServerError = ControlError  # a control-plane call the server refused; the message is the server's


class MockServer:
    def __init__(self, base_url: str, token: str):
        self.base_url = base_url
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}
        self.clock = Clock(self)

    def url(self, path: str) -> str:
        return self.base_url + path

    def reset(self) -> dict[str, int]:
        """Back to the fixtures: store, journal, clock and fault rules. Returns records per table."""
        return self.control("POST", "/__mock/reset")["records"]

    def requests(self, **filters: Any) -> list[dict]:
        """The journal, oldest first: method=, path= (prefix or pattern), operation=, status=
        ("404", "4xx"), since=, limit=, as GET /__mock/requests takes them."""
        query = urllib.parse.urlencode({k: v for k, v in filters.items() if v is not None})
        return self.control("GET", "/__mock/requests" + (f"?{query}" if query else ""))

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Any control-plane call (see /__mock/openapi.yaml); JSON in, JSON out."""
        return control(self.base_url, self.token, method, path, body)


class Clock:
    """The server's virtual clock: what created_at, report defaults and journal times read."""

    def __init__(self, server: MockServer):
        self._server = server

    def set(self, now: str | datetime, frozen: bool = True) -> str:
        """Stand at `now` (RFC 3339, or an aware datetime); frozen=False runs on from there."""
        text = now.isoformat() if isinstance(now, datetime) else now
        return self._server.control("PUT", "/__mock/clock", {"now": text, "frozen": frozen})["now"]

    def advance(self, duration: str) -> str:
        """Move by an ISO 8601 duration: "P1D", "PT2H30M", "-PT30M"."""
        return self._server.control("PUT", "/__mock/clock", {"advance": duration})["now"]

    def real(self) -> None:
        self._server.control("DELETE", "/__mock/clock")

    def now(self) -> str:
        return self._server.control("GET", "/__mock/clock")["now"]


@pytest.fixture(scope="session")
def mockserver_config() -> dict[str, Any]:
    """create_app settings for the session's server; override it in your conftest.py."""
    return {}


@pytest.fixture(scope="session")
def mockserver_session(mockserver_config: dict[str, Any]) -> Iterator[MockServer]:
    """The server, started once: use it directly to keep state across tests."""
    from .app import create_app
    from .serving.threaded import serving

    config = {"DB_PATH": None, "ACCESS_LOG": False, **mockserver_config}
    with serving(create_app(config)) as base_url:
        yield MockServer(base_url, config.get("TOKEN") or DEFAULT_TOKEN)


@pytest.fixture
def mockserver(mockserver_session: MockServer) -> MockServer:
    """The session's server, reset to the docs' data for this test."""
    mockserver_session.reset()
    return mockserver_session
