"""Bearer tokens: any well-formed one is accepted unless the server was given --token."""

import hmac

from flask import Flask, request

from ..control.remote import ADMIN_HEADER
from ..dashboard.page import is_dashboard
from .errors import ApiError

_HINT = "Send an Authorization: Bearer <token> header."


def check_bearer(header: str | None, accepted: str | None) -> str:
    """Return the token, or raise 401 saying what is wrong with the header."""
    if not header:
        raise _unauthorized(f"Unauthenticated. {_HINT}")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _unauthorized(f"Unauthenticated. The Authorization header must be 'Bearer <token>'. {_HINT}")
    if accepted is not None and not hmac.compare_digest(token.encode(), accepted.encode()):
        raise _unauthorized("Unauthenticated. This server accepts only the token it was started with (--token).")
    return token


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": 'Bearer realm="mockserver"'})


def register_admin_check(app: Flask, admin_token: str) -> None:
    """The control plane (reset, snapshots, clock...) of a server others can reach answers
    only to whoever holds the admin token; its spec stays readable, as the API's is, and so
    does the dashboard's page, which holds no data and asks for the token itself."""

    @app.before_request
    def _admin_only() -> None:
        path = request.path
        if not path.startswith("/__mock/") or path.startswith("/__mock/openapi.") or request.method == "OPTIONS":
            return
        if is_dashboard(path):
            return
        given = request.headers.get(ADMIN_HEADER, "")
        if not hmac.compare_digest(given.encode(), admin_token.encode()):
            problem = "a wrong" if given else "no"
            raise ApiError(
                403,
                f"This server's control plane needs the header '{ADMIN_HEADER}: <admin token>' "
                f"(serve --admin-token, or the one it printed at start); this request sent {problem} admin token.",
            )
