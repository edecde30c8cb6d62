"""Calls to a running server's control plane, from the CLI (`reset --url`, `snapshot --url`)
and the pytest fixture: JSON in, JSON out, and the server's own message in any error."""

import json
import os
import urllib.error
import urllib.request
from typing import Any


class ControlError(Exception):
    pass


ADMIN_HEADER = "X-Mock-Admin"
ADMIN_ENV = "MOCKSERVER_ADMIN_TOKEN"


def control(base_url: str, token: str, method: str, path: str, body: Any = None) -> Any:
    """The admin token, which a server bound beyond localhost asks for, comes from
    $MOCKSERVER_ADMIN_TOKEN."""
    url = base_url.rstrip("/") + path
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}"}
    if admin := os.environ.get(ADMIN_ENV):
        headers[ADMIN_HEADER] = admin
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        try:
            message = json.loads(e.read())["message"]
        except (ValueError, KeyError, TypeError):
            message = e.reason
        raise ControlError(f"{method} {url}: {e.code} {message}") from None
    except OSError as e:
        raise ControlError(f"cannot reach {base_url}: {getattr(e, 'reason', e)}") from None
    return json.loads(raw) if raw else None
