"""granian's side of RSGI, faked, to drive the serving front in-process."""

import asyncio


class Scope:
    """granian's RSGI scope: the headers a mapping of lower-case names, in order."""

    proto, http_version, scheme = "http", "1.1", "http"
    server, client = "127.0.0.1:8000", "127.0.0.1:50000"

    def __init__(self, method, path, query, headers):
        self.method, self.path, self.query_string, self.headers = method, path, query, dict(headers)


class Proto:
    """granian's RSGIHTTPProtocol: the body in parts, the answer kept with its headers in order."""

    def __init__(self, parts):
        self.parts, self.answer = list(parts), None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.parts:
            raise StopAsyncIteration
        return self.parts.pop(0)

    def response_bytes(self, status, headers, body):
        self.answer = status, list(headers), body


def call(front, method, path, query, headers, parts=()):
    """One request through the front: (status, [(name, value)...], body)."""
    proto = Proto(parts)
    asyncio.run(front.__rsgi__(Scope(method, path, query, headers), proto))
    return proto.answer
