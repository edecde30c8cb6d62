"""The app behind granian: each request's whole body is read first, on the event loop, and
only then does the Flask app see the request.

A WSGI app reads its body from a blocking stream, so under a WSGI server a client that
sends headers and then stalls holds a request thread for as long as it likes: with one
thread, one such connection froze the server. Read here, a stalled or trickling body costs
an idle coroutine, not a thread: it is answered 408 once it falls behind the minimum rate,
and 413 as soon as it passes the size limit, chunked or not, without waiting for the rest.
Either early answer closes the connection; every other answer is sent after the whole
body was read, so a keep-alive connection never carries an unread body into its next
request.

Where the app runs: a request without a body is answered on the event loop's thread, as
granian's WSGI worker would (a hop to a thread costs a tenth of a GET's throughput); one
with a body (a write that waits for its fsync, an import that parses a sheet) and one of
an operation openapi.yaml marks `x-heavy` (a whole report, the customer list, an export:
their cost grows with the store) runs in a pool of `threads` threads, so the others go
on meanwhile.

An answer over spool.STREAM_FROM bytes is sent from a file, read as the client reads it
(spool.py): one held in memory stayed there, copied by granian, for as long as a client
took to read it, or did not.

A delay (`Prefer: delay`, a fault rule's latency, `--latency`) is never waited by the
app: it leaves the seconds in the environ's WAIT dict, and the answer it made waits here,
in an asyncio sleep, before it is sent. A thousand delayed requests hold no thread, and
the loop answers everyone else meanwhile (a sleep in the app held a thread, or the loop).

A GET asked again may be answered here from the app's own answer to it the last time,
without entering the app, while nothing it was made from has changed (reuse.py, given as
`reuse`; the app notes in the environ's KEPT dict whether its answer may be).

granian's RSGI interface, not ASGI: the same design measured 3,850 GETs/s over ASGI and
4,300 over RSGI here, whose headers and bodies cross from Rust without a dict per message.
"""

import asyncio
import io
import json
import re
import sys
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from .spool import STREAM_FROM, Spool

WSGIApp = Callable[..., Iterable[bytes]]
Answer = tuple[int, list[tuple[str, str]], bytes]

# A body must arrive within `grace` seconds (serve --body-timeout) plus one second per
# MIN_RATE bytes of it: a 5 MiB import over a slow link gets minutes, a 1 KB body sent a
# byte every 2 s gets 408. (Kestrel's MinRequestBodyDataRate is the same idea.)
MIN_RATE = 10 * 1024
# The environ's key for a dict the app may fill: "seconds" to wait before the answer is
# sent, and "then", called in the pool once the wait is over (a dropped connection's cut).
WAIT = "mockserver.wait"
TIMED_OUT = "The request body did not arrive in time; nothing was done."
# The environ's key for a dict the front gives a GET it may answer again from memory
# (reuse.py); the app fills it if its answer may be: "version", what the answer was made
# from; "journal" and "log", what the journal and the access log wrote of it, less the times.
KEPT = "mockserver.kept"


class Reuse(Protocol):
    """What the front asks of reuse.py's kept answers (a protocol, so this module imports
    nothing of the app's)."""

    def key(self, scope: Any) -> Any: ...

    def answer(self, key: Any, headers: Any) -> Answer | None: ...

    def keep(self, key: Any, status: int, headers: list[tuple[str, str]], body: bytes, kept: dict) -> None: ...


class TooLarge(Exception):
    pass


class Gone(Exception):
    """The client went away before its body was whole."""


class Front:
    """An RSGI app serving `app` (WSGI) with each body read first."""

    def __init__(
        self,
        app: WSGIApp,
        threads: int,
        max_body: int | None,
        grace: float,
        heavy: re.Pattern[str] | None = None,
        cors: Callable[[str | None], list[tuple[str, str]]] | None = None,
        reuse: Reuse | None = None,
    ) -> None:
        self.app = app
        self.reuse = reuse  # GETs answered again from memory; None: every request goes to the app
        # The CORS headers of an early answer, by the request's Origin: the app's own rule
        # (web/cors.py), so a page on another origin can read a 413 or a 408 as any answer.
        self.cors = cors
        self.heavy = heavy  # paths whose cost grows with the store: never run on the loop
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="mockserver")
        # Writes large answers to files, apart from the pool: an import there must not hold them up.
        self.spooler = ThreadPoolExecutor(1, thread_name_prefix="mockserver-spool")
        self._spool: Spool | None = None  # made with the first large answer
        self.max_body = max_body
        self.grace = grace
        self._constant = {
            "SCRIPT_NAME": "",
            "wsgi.version": (1, 0),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        pass

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.pool.shutdown(wait=False)
        self.spooler.shutdown(wait=False)
        if self._spool is not None:
            self._spool.close()

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":
            return
        headers = scope.headers
        declared = headers.get("content-length")
        reuse, key = self.reuse, None
        kept: dict[str, Any] | None = None  # the app's notes on its answer, if it may be given again
        if (
            reuse is not None
            and scope.method == "GET"
            and declared is None
            and "transfer-encoding" not in headers
            and "prefer" not in headers
        ):
            key = reuse.key(scope)
            if (again := reuse.answer(key, headers)) is not None:
                return proto.response_bytes(*again)
            kept = {}
        body = b""
        if declared is not None or "transfer-encoding" in headers:
            size = int(declared) if declared is not None and declared.isdigit() else None
            if self.max_body is not None and size is not None and size > self.max_body:
                return self._refuse(proto, headers, 413, self._too_large(size))
            try:
                body = await self._body(proto)
            except TooLarge:
                return self._refuse(proto, headers, 413, self._too_large(None))
            except TimeoutError:
                return self._refuse(proto, headers, 408, TIMED_OUT)
            except Gone:
                return None
        environ = self._environ(scope, headers, body)
        wait: dict[str, Any] = {}
        environ[WAIT] = wait
        if kept is not None:
            environ[KEPT] = kept
        loop = asyncio.get_running_loop()
        if body or (self.heavy is not None and self.heavy.fullmatch(scope.path)):
            status, sent, content = await loop.run_in_executor(self.pool, self._call, environ)
        else:
            status, sent, content = self._call(environ)
        spooled = None
        if len(content) > STREAM_FROM:
            spooled = await loop.run_in_executor(self.spooler, self._spooled, content)
            if spooled is not None:
                content = b""  # the file has it: nothing of it stays in memory meanwhile
        if wait:
            await asyncio.sleep(wait.get("seconds", 0))
            if (then := wait.get("then")) is not None:
                await loop.run_in_executor(self.pool, then)
        if kept and not wait and spooled is None and reuse is not None:
            reuse.keep(key, status, sent, content, kept)
        if spooled is not None:
            proto.response_file(status, sent, spooled)
        else:
            proto.response_bytes(status, sent, content)
        return None

    def _spooled(self, content: bytes) -> str | None:
        if self._spool is None:
            self._spool = Spool()
            weakref.finalize(self, self._spool.close)
        return self._spool.put(content)

    async def _body(self, proto: Any) -> bytes:
        loop = asyncio.get_running_loop()
        started, size = loop.time(), 0
        parts: list[bytes] = []
        chunks = proto.__aiter__()
        while True:
            deadline = started + self.grace + size / MIN_RATE
            try:
                chunk = await asyncio.wait_for(chunks.__anext__(), max(0.0, deadline - loop.time()))
            except StopAsyncIteration:
                return b"".join(parts)
            except RuntimeError as e:  # granian's ProtocolClosed: the client hung up
                raise Gone from e
            size += len(chunk)
            if self.max_body is not None and size > self.max_body:
                raise TooLarge
            parts.append(chunk)

    def _environ(self, scope: Any, headers: Any, body: bytes) -> dict[str, Any]:
        """PEP 3333's environ for an RSGI request whose body is `body`."""
        server_name, server_port = _address(scope.server)
        client_addr, client_port = _address(scope.client)
        environ = {
            **self._constant,
            "REQUEST_METHOD": scope.method,
            # WSGI carries the decoded path as latin-1 text of its UTF-8 bytes
            "PATH_INFO": scope.path.encode().decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": server_name,
            "SERVER_PORT": server_port,
            "REMOTE_ADDR": client_addr,
            "REMOTE_PORT": client_port,
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "CONTENT_LENGTH": str(len(body)),  # a chunked body too, now that it is all here
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body),
        }
        if (content_type := headers.get("content-type")) is not None:
            environ["CONTENT_TYPE"] = content_type  # first, where WSGI servers put it
        keys = _KEYS
        for name, value in headers.items():
            key = keys.get(name) or _key(name)
            if key is _SKIP:
                continue
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _call(self, environ: dict[str, Any]) -> Answer:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return None  # the old write() callable; Flask never uses it

        result = self.app(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        return int(status[:3]), headers, content

    def _refuse(self, proto: Any, headers: Any, status: int, message: str) -> None:
        cors = self.cors(headers.get("origin")) if self.cors is not None else []
        return _refuse(proto, status, message, cors)

    def _too_large(self, size: int | None) -> str:
        shown = f" is {size:,} bytes, which" if size is not None else ""
        return (
            f"The request body{shown} is over this server's limit of {self.max_body:,} bytes "
            "(mockserver serve --max-body-size)."
        )


def _refuse(proto: Any, status: int, message: str, extra: Sequence[tuple[str, str]] = ()) -> None:
    """An answer sent before the body was read whole: the connection is closed after it,
    since what is left of the body would otherwise be read as the next request."""
    body = json.dumps({"message": message}).encode()
    proto.response_bytes(status, [("content-type", "application/json"), ("connection", "close"), *extra], body)


# A header's name -> its environ key, each worked out once: a tenth of the front's time.
_KEYS: dict[str, str] = {}
_SKIP = ""


def _key(name: str) -> str:
    key = name.upper().replace("-", "_")
    key = _SKIP if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING", "CONTENT_TYPE") else "HTTP_" + key  # set apart
    if len(_KEYS) < 1000:  # names are the client's to choose: keep the memo bounded
        _KEYS[name] = key
    return key


def heavy_paths(operations: Iterable[Any]) -> re.Pattern[str]:
    """The paths of the operations marked `x-heavy` (spec.Operation), as one pattern."""
    templates = [op.path for op in operations if op.heavy]
    alternatives = [re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) for path in templates]
    return re.compile("|".join(alternatives) or "(?!)")


def _address(text: str) -> tuple[str, str]:
    """'127.0.0.1:8000' or '[::1]:8000' -> (host, port)."""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), port
