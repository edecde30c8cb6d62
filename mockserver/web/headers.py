"""The request's headers, all together, have a size limit (serve --max-header-size): 431
past it, answered as JSON by the app like any other error, so a browser page on another
origin can read it (CORS) whichever server runs the app.

The servers' own limits (granian's read buffer, waitress's max_request_header_size) are
set above it (serving/__init__.py), so only a request far past it gets their bare 431.
The size is counted as HTTP/1.1 sends it: the method and target, and each header's name,
value, ": " and line end; the only parse that meets a larger header is the server's own.
"""

from flask import Flask, g, request

from .errors import ApiError


def headers_size(environ: dict) -> int:
    """The request line's method and target, and every header line, in bytes (WSGI keeps
    each as latin-1 text of its bytes, so a character is a byte)."""
    size = len(environ.get("REQUEST_METHOD", "")) + len(environ.get("PATH_INFO", ""))
    size += len(environ.get("QUERY_STRING", ""))
    for key, value in environ.items():
        if key[:5] == "HTTP_":
            size += len(key) - 1 + len(value)  # the name is key[5:]; ": " and CRLF are 4
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            size += len(key) + 4 + len(value)
    return size


def register_header_limit(app: Flask, most: int) -> None:
    """Before any other hook, so no parse of a header (Prefer, Authorization, Origin) or
    lookup of a sandbox happens for a request over the limit."""

    @app.before_request
    def _headers_fit() -> None:
        size = headers_size(request.environ)
        if size > most:
            g.off_contract = True  # this server's --max-header-size, not the API's
            raise ApiError(
                431,
                f"The request's headers are {size:,} bytes, over this server's limit of {most:,} bytes "
                "(mockserver serve --max-header-size).",
            )
