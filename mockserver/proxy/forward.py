"""Requests to the upstream, with http.client: its connections kept alive and reused, its
answers read in chunks as the client takes them, never whole unless asked (`get`).

Hop-by-hop headers (RFC 9110, 7.6.1) belong to one connection and are left out both ways;
every other header passes as it came, Host aside: the upstream is asked for its own name,
as a reverse proxy does, so a backend behind a virtual host answers.
"""

import http.client
import json
import queue
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..contract.model import Answer

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers"}
    | {"transfer-encoding", "upgrade", "proxy-connection"}
)
# Said anew for the upstream: its own name, and the length of the body as sent on.
RESTATED = frozenset({"host", "content-length"})
CHUNK = 64 * 1024
IDLE = 16  # kept-alive connections at most
# Errors of a kept-alive connection the upstream closed while it was idle: the request never
# reached it, so it is sent again on a new connection.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


class Unreachable(ConnectionError):
    """The upstream did not answer."""


def end_to_end(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` without the hop-by-hop ones, and without those the Connection header names."""
    named = {
        token.strip().lower() for name, value in headers if name.lower() == "connection" for token in value.split(",")
    }
    return [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP | named]


@dataclass
class Reply:
    """The upstream's answer, its body still to be read (`chunks`)."""

    status: int
    reason: str
    headers: list[tuple[str, str]]  # end to end
    response: http.client.HTTPResponse
    connection: http.client.HTTPConnection
    upstream: "Upstream"

    def chunks(self) -> Generator[bytes, None, None]:
        """The body as it arrives; the connection goes back for reuse once it is read whole."""
        whole = False
        try:
            while chunk := self.response.read1(CHUNK) if not self.response.isclosed() else b"":
                yield chunk
            whole = True
            self.response.close()  # read whole: the connection is idle again, ready for reuse
        finally:
            self.upstream.release(self.connection, whole and not self.response.will_close)


class Upstream:
    def __init__(self, url: str, timeout: float = 300.0):
        split = urlsplit(url)
        if split.scheme not in ("http", "https") or not split.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// URL")
        self.url = url.rstrip("/")
        self.scheme, self.host, self.port = split.scheme, split.hostname, split.port
        self.host_header = split.netloc.rpartition("@")[2]
        self.prefix = split.path.rstrip("/")  # an upstream mounted under a path
        self.timeout = timeout
        self._idle: queue.LifoQueue[http.client.HTTPConnection] = queue.LifoQueue(IDLE)

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        try:
            return self._idle.get_nowait(), True
        except queue.Empty:
            kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            return kind(self.host, self.port, timeout=self.timeout), False

    def release(self, connection: http.client.HTTPConnection, reusable: bool) -> None:
        if reusable:
            try:
                self._idle.put_nowait(connection)
                return
            except queue.Full:
                pass
        connection.close()

    def send(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None) -> Reply:
        """`target`: the path with its query, as the client sent it. Unreachable when the
        upstream cannot be reached or gives no answer."""
        for _ in range(IDLE + 1):  # each stale kept-alive connection is tried once, then a new one
            connection, reused = self._connection()
            try:
                connection.putrequest(method, self.prefix + target, skip_host=True, skip_accept_encoding=True)
                connection.putheader("Host", self.host_header)
                for name, value in end_to_end(headers):
                    if name.lower() not in RESTATED:
                        connection.putheader(name, value)
                if body or method in ("POST", "PUT", "PATCH"):
                    connection.putheader("Content-Length", str(len(body or b"")))
                connection.endheaders(body or None)
                response = connection.getresponse()
            except STALE as e:
                connection.close()
                if reused:
                    continue
                raise Unreachable(f"{self.url} closed the connection: {e or type(e).__name__}") from None
            except (OSError, http.client.HTTPException) as e:
                connection.close()
                raise Unreachable(f"{self.url} did not answer: {e or type(e).__name__}") from None
            return Reply(
                response.status, response.reason, end_to_end(response.getheaders()), response, connection, self
            )
        raise Unreachable(f"{self.url} kept closing the connection")

    def get(self, path: str, headers: dict[str, str]) -> Answer:
        """A whole answer (the model's reads of the upstream)."""
        reply = self.send("GET", path, list(headers.items()), None)
        content = b"".join(reply.chunks())
        return answer_of(reply.status, reply.headers, content)


def answer_of(status: int, headers: list[tuple[str, str]], content: bytes) -> Answer:
    shown: dict[str, str] = {}
    for name, value in headers:  # repeated headers joined, as one field (RFC 9110, 5.3)
        shown[name] = f"{shown[name]}, {value}" if name in shown else value
    kind = next((v for k, v in shown.items() if k.lower() == "content-type"), "")
    parsed: Any = None
    if "json" in kind:
        try:
            parsed = json.loads(content)
        except ValueError:
            parsed = None
    return Answer(status, shown, content, parsed)
