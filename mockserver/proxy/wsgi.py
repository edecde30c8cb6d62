"""The proxy as a WSGI app (served by waitress: a thread per request in flight, so clients
never wait on each other's forwarding). /__proxy/ is its own; every other path, /__mock/
included, goes to the upstream.

An answer is passed on as it arrives, chunk by chunk, while a copy of at most `most_checked`
bytes is kept for the checks; a longer one is forwarded whole and not checked. With
`fail_on_violation`, an answer that is checked is read whole first, and one that breaks a
rule is replaced by a 502 carrying the violations.
"""

import json
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

from .checks import Checker, Ticket
from .forward import Reply, Unreachable, Upstream, answer_of

MOST_CHECKED = 32 * 1024**2
OWN = "/__proxy"
StartResponse = Callable[..., Any]


class ProxyApp:
    def __init__(self, upstream: Upstream, checker: Checker, fail_on_violation: bool, most_checked: int = MOST_CHECKED):
        self.upstream, self.checker = upstream, checker
        self.fail_on_violation, self.most_checked = fail_on_violation, most_checked

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        target = request_target(environ)
        path = urlsplit(target).path
        if path == OWN or path.startswith(OWN + "/"):
            return self.own(method, path, start_response)
        headers = request_headers(environ)
        body = request_body(environ)
        ticket = self.checker.begin(method, target, headers, body)
        try:
            reply = self.upstream.send(method, target, headers, body)
        except Unreachable as e:
            self.checker.finish(ticket, None)
            return _json(start_response, 502, {"message": f"mockserver proxy: {e}"})
        except BaseException:
            self.checker.finish(ticket, None)
            raise
        if self.fail_on_violation and ticket.judged:
            return self._checked_first(reply, ticket, start_response)
        start_response(f"{reply.status} {reply.reason}", reply.headers)
        return self._streamed(reply, ticket)

    def _streamed(self, reply: Reply, ticket: Ticket) -> Iterator[bytes]:
        """The answer as it comes, its last chunk held back until the exchange is judged: a
        client that has a whole answer finds its violations listed already."""
        kept: list[bytes] | None = []
        size = 0
        finished = False
        chunks = reply.chunks()
        held = b""
        try:
            for chunk in chunks:
                if kept is not None:
                    size += len(chunk)
                    kept = kept + [chunk] if size <= self.most_checked else None
                if held:
                    yield held
                held = chunk
            finished = True
            content = b"".join(kept) if kept is not None else None
            self.checker.finish(
                ticket, answer_of(reply.status, reply.headers, content) if content is not None else None
            )
            if held:
                yield held
        finally:
            chunks.close()  # the upstream's connection: back for reuse, or closed
            if not finished:  # the client went away, or the upstream cut the answer
                self.checker.finish(ticket, None)

    def _checked_first(self, reply: Reply, ticket: Ticket, start_response: StartResponse) -> Iterable[bytes]:
        chunks = reply.chunks()
        kept: list[bytes] = []
        size = 0
        try:
            for chunk in chunks:
                kept.append(chunk)
                size += len(chunk)
                if size > self.most_checked:  # too long to check: the rest streams as it comes
                    self.checker.finish(ticket, None)
                    start_response(f"{reply.status} {reply.reason}", reply.headers)
                    return _then(kept, chunks)
        except BaseException:
            self.checker.finish(ticket, None)
            raise
        violations = self.checker.finish(ticket, answer_of(reply.status, reply.headers, b"".join(kept)))
        if violations:
            message = f"mockserver proxy: the upstream's answer broke {len(violations)} rule(s); it was not passed on"
            return _json(start_response, 502, {"message": message, "violations": violations})
        start_response(f"{reply.status} {reply.reason}", reply.headers)
        return kept

    # -- /__proxy/

    def own(self, method: str, path: str, start_response: StartResponse) -> Iterable[bytes]:
        endpoints: dict[str, dict[str, Callable[[], Any]]] = {
            f"{OWN}/violations": {"GET": lambda: list(self.checker.violations), "DELETE": self._clear},
            f"{OWN}/status": {"GET": self.checker.status},
        }
        allowed = endpoints.get(path.rstrip("/"))
        if allowed is None:
            listed = ", ".join(f"{m} {p}" for p, methods in endpoints.items() for m in methods)
            return _json(start_response, 404, {"message": f"No proxy endpoint {path}; there are: {listed}"})
        if method not in allowed:
            headers = [("Allow", ", ".join(allowed))]
            return _json(start_response, 405, {"message": f"{path} takes {', '.join(allowed)}"}, headers)
        result = allowed[method]()
        if result is None:
            start_response("204 No Content", [])
            return []
        return _json(start_response, 200, result)

    def _clear(self) -> None:
        self.checker.clear()


def _then(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


def _json(start_response: StartResponse, status: int, body: Any, headers: list | None = None) -> list[bytes]:
    from http import HTTPStatus

    content = json.dumps(body, default=str).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(content))), *(headers or [])],
    )
    return [content]


def request_target(environ: dict[str, Any]) -> str:
    """The path and query as the client sent them (waitress keeps them raw)."""
    raw = environ.get("REQUEST_URI")
    if raw:
        split = urlsplit(raw)  # absolute-form, from a client that treats us as its HTTP proxy
        return (split.path or "/") + (f"?{split.query}" if split.query else "") if split.scheme else raw
    path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING")
    return path + (f"?{query}" if query else "")


def request_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        headers.append(("-".join(part.capitalize() for part in name.split("_")), value))
    return headers


def request_body(environ: dict[str, Any]) -> bytes | None:
    """The whole body (the model needs it, and the upstream is sent its length)."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length and length.isdigit():
        return stream.read(int(length)) if int(length) else b""
    if environ.get("wsgi.input_terminated"):
        return stream.read() or None
    return None


def serve(app: ProxyApp, host: str, port: int, threads: int) -> None:
    """Until SIGINT or SIGTERM (waitress stops on SystemExit; serving/__init__.py says why
    both signals are turned into one)."""
    import waitress

    def stop(*_: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # ident "": no Server header of ours on an answer that has none (waitress adds Via to one that has)
    waitress.serve(app, host=host, port=port, threads=threads, ident="", channel_timeout=600)
