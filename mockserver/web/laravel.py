"""The other reasonable readings of the docs, served on request (config READINGS="laravel",
`mockserver serve --readings laravel`): what a backend built on Laravel's defaults answers
where the docs are open. The mock's own readings are the default; this one exists so that
the contract can be held to passing a correct backend that reads the docs otherwise.

- TrimStrings and ConvertEmptyStringsToNull, Laravel's default middleware: every string of
  a JSON body trimmed as PHP's trim() trims, and an empty one made null;
- a write with no body at all taken as an empty object (an update of nothing);
- a method only a wider route takes reaches that route and answers 404, and a 405's Allow
  names every matching route's methods (web/routing.py).
"""

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

PHP_TRIM = " \t\n\r\0\x0b"


def laravel_strings(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip(PHP_TRIM) or None
    if isinstance(value, dict):
        return {k: laravel_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [laravel_strings(v) for v in value]
    return value


class LaravelInput:
    """WSGI middleware: the request body as Laravel's default middleware leaves it."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method in ("POST", "PUT", "PATCH"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            kind = environ.get("CONTENT_TYPE", "")
            if length == 0 and not kind:
                self._replace(environ, b"{}", "application/json")
            elif kind.startswith("application/json") and length:
                raw = environ["wsgi.input"].read(length)
                try:
                    body = json.dumps(laravel_strings(json.loads(raw))).encode()
                except ValueError:
                    body = raw  # not JSON: the validation says so, as it would have
                self._replace(environ, body, kind)
        return self.app(environ, start_response)

    @staticmethod
    def _replace(environ: dict, body: bytes, kind: str) -> None:
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = kind
