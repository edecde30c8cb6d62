"""CORS, so a page on another origin (a dev server on :3000, Swagger UI elsewhere) can call
the API with its bearer token.

Every preflight is answered here, before routing, for any path: a preflight that failed
on an unknown path would show the browser's opaque "CORS error" where the real request
would have got a readable 404. An allowed origin is echoed (with Vary: Origin and
credentials allowed) rather than answered with `*`, because `*` does not cover the
Authorization header and forbids credentials.
"""

import json
from collections.abc import Iterable

from flask import Flask, Response, request

from ..defaults import ANY_ORIGIN

ANY = ANY_ORIGIN
# What a browser hides from scripts unless told: the export's file name, the 401's
# challenge, a 405's methods, a forced answer's Preference-Applied, Retry-After, and what
# the mock ignored (X-Mock-Warning).
EXPOSED = (
    "Allow, Content-Disposition, Content-Length, Location, Preference-Applied, Retry-After, WWW-Authenticate, "
    "X-Mock-Warning"
)
METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
MAX_AGE = "600"  # seconds a browser may reuse a preflight (Chromium caps it at 7200)


def register_cors(app: Flask, origins: Iterable[str]) -> None:
    """`origins`: exact origins such as http://localhost:3000, or `*` for any."""
    allowed = set(origins)

    def allows(origin: str) -> bool:
        return ANY in allowed or origin in allowed

    @app.before_request
    def _preflight() -> Response | None:
        environ = request.environ  # read directly: request.headers builds a view on every call
        origin = environ.get("HTTP_ORIGIN")
        if (
            environ["REQUEST_METHOD"].upper() != "OPTIONS"
            or not origin
            or "HTTP_ACCESS_CONTROL_REQUEST_METHOD" not in environ
        ):
            return None
        if not allows(origin):
            message = f"Origin {origin} may not call this server; it allows {', '.join(sorted(allowed))}."
            return Response(json.dumps({"message": message}), status=403, mimetype="application/json")
        response = Response(status=204)
        del response.headers["Content-Type"]
        response.headers["Access-Control-Allow-Methods"] = METHODS
        requested = request.headers.get("Access-Control-Request-Headers")
        response.headers["Access-Control-Allow-Headers"] = requested or "Authorization, Content-Type, Prefer"
        response.headers["Access-Control-Max-Age"] = MAX_AGE
        return response

    @app.after_request
    def _allow(response: Response) -> Response:
        origin = request.environ.get("HTTP_ORIGIN")
        # Not response.vary.add: parsing the header set costs more than the rest of this.
        vary = response.headers.get("Vary")
        response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"
        if origin and allows(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Access-Control-Expose-Headers"] = EXPOSED
        return response
