"""The app behind granian: each request's whole body is read first, on the event loop, and
only then is the Flask app run, in a pool of threads.

A WSGI app reads its body from a blocking stream, so under a WSGI server a client that
sends headers and then stalls holds a request thread for as long as it likes: with one
thread, one such connection froze the server. Read here, a stalled or trickling body costs
an idle coroutine, not a thread: it is answered 408 once it falls behind the minimum
rate, and 413 as soon as it passes the size limit, chunked or not, without waiting for
the rest. Every answer is sent after the whole body was read, or with `Connection: close`,
so a keep-alive connection never carries an unread body into its next request.

The app runs in a pool of `threads` threads, so one slow request (a large import, a whole
report) holds one of them while the others go on answering.
"""

import asyncio
import io
import json
import sys
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
WSGIApp = Callable[..., Iterable[bytes]]

# A body must arrive within `grace` seconds (serve --body-timeout) plus one second per
# MIN_RATE bytes of it: a 5 MiB import over a slow link gets minutes, a 1 KB body sent a
# byte every 2 s gets 408. (Kestrel's MinRequestBodyDataRate is the same idea.)
MIN_RATE = 10 * 1024


class BodyTooLarge(Exception):
    pass


class Buffered:
    """An ASGI app that serves `app` (WSGI) with the body read first."""

    def __init__(self, app: WSGIApp, threads: int, max_body: int | None, grace: float) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="mockserver")
        self.max_body = max_body
        self.grace = grace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        declared = _content_length(scope)
        if self.max_body is not None and declared is not None and declared > self.max_body:
            await _refuse(send, 413, self._too_large(declared))
            return
        try:
            body = await self._body(receive)
        except BodyTooLarge:
            await _refuse(send, 413, self._too_large(None))
            return
        except TimeoutError:
            await _refuse(send, 408, "The request body did not arrive in time; nothing was done.")
            return
        except Disconnected:
            return
        loop = asyncio.get_running_loop()
        status, headers, content = await loop.run_in_executor(self.pool, self._call, _environ(scope, body))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _body(self, receive: Receive) -> bytes:
        loop = asyncio.get_running_loop()
        started, parts, size = loop.time(), [], 0
        while True:
            deadline = started + self.grace + size / MIN_RATE
            message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            if message["type"] == "http.disconnect":
                raise Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if self.max_body is not None and size > self.max_body:
                raise BodyTooLarge
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    def _call(self, environ: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return lambda data: None  # the old write() callable; Flask never uses it

        result = self.app(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        return int(status[:3]), [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers], content

    def _too_large(self, size: int | None) -> str:
        shown = f" is {size:,} bytes, which" if size is not None else ""
        return (
            f"The request body{shown} is over this server's limit of {self.max_body:,} bytes "
            "(mockserver serve --max-body-size)."
        )


class Disconnected(Exception):
    pass


async def _refuse(send: Send, status: int, message: str) -> None:
    """An answer sent before the body was read whole: the connection is closed after it,
    since what is left of the body would otherwise be read as the next request."""
    body = json.dumps({"message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """PEP 3333's environ for an ASGI request whose body is `body`."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode().decode("latin-1"),
        # WSGI carries the decoded path as latin-1 text of its UTF-8 bytes
        "PATH_INFO": scope["path"].encode().decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "CONTENT_LENGTH": str(len(body)),  # a chunked body too, now that it is all here
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").upper().replace("-", "_"), raw_value.decode("latin-1")
        if name in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue  # the body is whole now, its length the one set above
        key = name if name == "CONTENT_TYPE" else f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ
