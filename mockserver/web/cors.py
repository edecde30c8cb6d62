"""CORS, so a page on another origin (a dev server on :3000, Swagger UI elsewhere) can call
the API with its bearer token.

Every preflight is answered here, before routing, for any path: a preflight that failed
on an unknown path would show the browser's opaque "CORS error" where the real request
would have got a readable 404. An allowed origin is echoed (with Vary: Origin and
credentials allowed) rather than answered with `*`, because `*` does not cover the
Authorization header and forbids credentials.

What an answer carries is decided by one function, `answer_headers`, for the app's answers
(registered here) and for those the server's front sends before the app runs (a 413 for an
oversized upload, a 408 for a stalled body: serving/front.py); without them a page on
another origin sees "Network Error" instead of the message.
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
VARY = ("Vary", "Origin")  # what is allowed depends on the Origin: caches must keep them apart
MAX_AGE = "600"  # seconds a browser may reuse a preflight (Chromium caps it at 7200)


class Cors:
    """`origins`: exact origins such as http://localhost:3000, or `*` for any."""

    def __init__(self, origins: Iterable[str]) -> None:
        self.allowed = frozenset(origins)

    def allows(self, origin: str) -> bool:
        return ANY in self.allowed or origin in self.allowed

    def answer_headers(self, origin: str | None) -> list[tuple[str, str]]:
        """The CORS headers of any answer to a request from `origin` (None: it sent no
        Origin). `Vary: Origin` comes first, on every answer: a caller whose answer has a
        Vary already adds Origin to it."""
        if not origin or not self.allows(origin):
            return [VARY]
        return [
            VARY,
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", EXPOSED),
        ]


def register_cors(app: Flask, origins: Iterable[str]) -> None:
    """`origins`: exact origins such as http://localhost:3000, or `*` for any."""
    cors = Cors(origins)
    allowed, allows = cors.allowed, cors.allows

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
        headers = response.headers
        for name, value in cors.answer_headers(request.environ.get("HTTP_ORIGIN")):
            # Not response.vary.add: parsing the header set costs more than the rest of this.
            had = headers.get(name) if name == "Vary" else None
            headers[name] = f"{had}, {value}" if had else value
        return response
