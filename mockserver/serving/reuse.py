"""GETs answered again from memory: the status, headers and bytes the app gave the last time
the same request came, while nothing they were made from has changed.

Nothing here makes an answer: each one kept is the app's own, whole, as it went out (the
CORS headers, an ignored parameter's warning). So the API has one code path per operation,
and an answer given again is the app's, byte for byte. It is kept when:
- the request is a GET with no body and no Prefer header, to an operation of openapi.yaml;
- the caller's sandbox has no fault rule and no --latency (`Faults.quiet`), then and now;
- the app answered 200 without reading the clock (`g.timed`: a report's "today" moves on);
- it is at most `largest` bytes.
The same request is the same path, query, scheme, address and every header, in order: the
bearer token (the sandbox, --token), Origin (CORS), Accept, Host (the links of a page) are
all in it.

An answer is good while its sandbox's version is the one the app read it at
(`Sandbox.version`): every write to the store moves it (a reset, a restore, an import
too), as does every change of the clock, and no two stores share one, so a sandbox made
again after it expired never meets an old sandbox's answers. Answering one again still
does what the app does around a request: the caller's sandbox is looked up (a sandbox's
last use is what keeps it from expiring), the journal records an entry of the fields the
app recorded for it, and the access log writes its line; both with the time taken now.

What is kept is bounded by `max_bytes`, the oldest dropped first.
"""

import time
from dataclasses import dataclass
from typing import Any

from .. import defaults
from ..web import access_log
from ..web.auth import check_bearer
from ..web.errors import ApiError
from .front import Answer

ENTRY_BYTES = 1024  # what a kept answer costs beside its bytes and its request's (near enough)


@dataclass(slots=True)
class _Kept:
    version: tuple[int, int]
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    journal: dict[str, Any] | None  # the journal's fields, less the times; None: not recorded
    log: tuple[str, str] | None  # the access log's line, less the time; None: no log
    size: int


class Reuse:
    """`sandboxes`: the app's (state/sandbox.py); `token`: the one token it accepts (--token)."""

    def __init__(
        self,
        sandboxes: Any,
        token: str | None,
        max_bytes: int = defaults.REUSE_MAX_BYTES,
        largest: int = defaults.REUSE_LARGEST,
    ) -> None:
        self.sandboxes, self.token = sandboxes, token
        self.max_bytes, self.largest = max_bytes, largest
        self._kept: dict[tuple, _Kept] = {}  # oldest first
        self._bytes = 0

    @staticmethod
    def key(scope: Any) -> tuple:
        return (scope.path, scope.query_string, scope.scheme, scope.server, tuple(scope.headers.items()))

    def answer(self, key: tuple, headers: Any) -> Answer | None:
        """The answer kept for this request, if it is still good: recorded in the journal and
        the log as the app would."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        started = time.perf_counter()
        try:
            sandbox = self.sandboxes.get(check_bearer(headers.get("authorization"), self.token))
        except ApiError:  # no sandbox left for this token: the app says so
            return None
        if not sandbox.faults.quiet:  # kept for when the rules are cleared
            return None
        if sandbox.version() != kept.version:
            self._drop(key)
            return None
        elapsed = (time.perf_counter() - started) * 1000
        if kept.journal is not None:
            sandbox.journal.record(sandbox.clock.now(), round(elapsed, 3), kept.journal)
        if kept.log is not None:
            access_log.write(access_log.line(kept.log, elapsed))
        return kept.status, kept.headers, kept.body

    def keep(self, key: tuple, status: int, headers: list[tuple[str, str]], body: bytes, kept: dict) -> None:
        """Keeps the app's answer to `key`, if it may be given again (`kept`: what the app
        filled in, front.KEPT)."""
        version = kept.get("version")
        if version is None or status != 200:
            return
        size = ENTRY_BYTES + len(body) + sum(len(name) + len(value) for name, value in key[4])
        journal = kept.get("journal")
        if journal is not None and isinstance(journal["response_body"], str):
            size += len(journal["response_body"])  # a big answer's cut text, not the body itself
        if size > self.largest:
            return
        self._drop(key)
        self._kept[key] = _Kept(version, status, headers, body, journal, kept.get("log"), size)
        self._bytes += size
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._kept)))

    def __len__(self) -> int:
        return len(self._kept)

    def _drop(self, key: tuple) -> None:
        gone = self._kept.pop(key, None)
        if gone is not None:
            self._bytes -= gone.size
