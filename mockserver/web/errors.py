"""The one place that decides error bodies.

Every error is JSON, `{"message": ..., "errors": {field: [problems]}}` (Laravel's shape,
which the Built frontend already parses), and its message names its subject.
"""

import errno
import logging

from flask import Flask, Response, g, json, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}


def not_found(kind: str, ident: object) -> ApiError:
    return ApiError(404, f"{kind} {ident} not found")


def invalid(errors: dict[str, list[str]]) -> ApiError:
    """422 naming every field; the message repeats the first problem so a log line is useful alone."""
    field, problems = next(iter(errors.items()))
    more = len(errors) - 1
    summary = f"{field}: {problems[0]}" + (f" (and {more} more)" if more else "")
    return ApiError(422, f"The given data was invalid. {summary}", errors)


def error_response(status: int, message: str, errors=None, headers=None) -> Response:
    body = {"message": message}
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(e: ApiError):
        return error_response(e.status, e.message, e.errors, e.headers)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        # Keep werkzeug's headers (Allow on 405, ...) and swap only the HTML body for JSON.
        response = e.get_response()
        if e.code == 413:
            g.off_contract = True  # this server's --max-body-size, not the API's
        response.set_data(json.dumps({"message": _http_message(e)}))
        response.content_type = "application/json"
        return response

    @app.errorhandler(OSError)
    def _os_error(e: OSError):
        if disk_full(e):  # the store rolled the write back, in memory as on disk
            g.off_contract = True  # this server's disk, not the API
            return error_response(507, DISK_FULL)
        return _unexpected(e)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise e
        log.exception("unhandled error")
        return error_response(
            500, f"Internal server error: {type(e).__name__}. This is a mockserver bug; please report it."
        )


def _http_message(e: HTTPException) -> str:
    if e.code == 404:
        spec = "/__mock/openapi.yaml" if request.path.startswith("/__mock/") else "/openapi.yaml"
        return f"No route for {request.method} {request.path}. See {spec} for every operation."
    if e.code == 413:
        limit = request.max_content_length
        size = f" is {request.content_length:,} bytes, which" if request.content_length else ""
        return (
            f"The request body{size} is over this server's limit of {limit:,} bytes (mockserver serve --max-body-size)."
            if limit
            else "The request body is too large."
        )
    return e.description or e.name


# A write the disk refuses is rolled back in memory too (the storage), and the next is tried
# again as usual: this is the answer, not a state the server stays in.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
DISK_FULL = "The server's disk is full (or its quota reached): nothing was written. Try again once space is freed."


def disk_full(e: OSError) -> bool:
    return e.errno in DISK_ERRNOS or "disk full" in str(e)
