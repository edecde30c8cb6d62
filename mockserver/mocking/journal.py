"""The request journal: the last N API calls, as a frontend test asks about them.

"Did the app POST /api/v3/clients with this body?" is answered from here
(GET /__mock/requests). Each entry has the time by the app's clock, the request as sent
(the bearer token blanked), the answer, and how long it took. It is a ring held in memory:
the oldest entries go first, and a restart empties it.

Its memory is bounded: an entry keeps at most KEEP bytes of headers, and of each body
(the sizes sent noted in `cut`), and a sandbox's journal at most `max_bytes` in all
(serve --journal-max-bytes), its oldest entries dropped first. Sizes are counted as the
text kept, plus a fixed share for the entry itself.
"""

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from .. import defaults
from ..serving.front import KEPT
from ..state.clock import Clock, iso_ms
from ..web.validation import too_deep, warnings
from .patterns import path_matcher

KEEP = defaults.JOURNAL_ENTRY_KEEP  # bytes of headers, and of each body, an entry keeps
ENTRY_BYTES = 400  # what an entry costs beside the text it keeps (its object, the fields'):
HIDDEN = "[redacted]"
# Credentials a journal reader (anyone with the API token) must not see; Authorization
# keeps its scheme, so "was it a Bearer?" can still be answered. `serve --redact-header`
# adds more.
SECRET_HEADERS = ("Cookie", "Set-Cookie", "X-Api-Key", "X-Mock-Admin", "Proxy-Authorization")
# Sent by `mockserver proxy` on the reads its model makes of this server: they are not the
# consumer's requests, so a test that reads the journal through the proxy sees only its own.
MODEL_READ_HEADER = "X-Mockserver-Model-Read"


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ takes 3x as long
class _Entry:
    """A request as it came, kept raw: turned into JSON only when the journal is read, so
    recording costs the API little. Never changed once made."""

    id: int
    time: datetime
    operation_id: str | None
    method: str
    path: str
    query: str  # as sent, decoded when read
    headers: list[tuple[str, str]]  # the environ's CGI names, made header names when read
    request_body: Any  # bytes, or a form already described
    request_type: str  # the Content-Type headers as sent: parsed when read
    status: int | None
    response_body: Any  # bytes, or a description
    response_type: str | None
    duration_ms: float
    injected: str | None
    warnings: list[str]  # what was ignored (validation.warnings)
    cut: dict[str, int]  # request.headers, request.body, response.body -> their size, when cut
    size: int = 0  # what it costs of the journal's budget

    def to_json(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        for name, value in parse_qsl(self.query, keep_blank_values=True):
            if name not in query:
                query[name] = value
            elif isinstance(query[name], list):
                query[name].append(value)
            else:
                query[name] = [query[name], value]
        response_type = _mimetype(self.response_type or "")
        return {
            "id": self.id,
            "time": iso_ms(self.time),
            "operation_id": self.operation_id,
            "request": {
                "method": self.method,
                "path": self.path,
                "query": query,
                "headers": _headers((_header_name(key), value) for key, value in self.headers),
                "body": _body(self.request_body, _mimetype(self.request_type)),
            },
            "response": {
                "status": self.status,
                "content_type": response_type or None,
                "body": _body(self.response_body, response_type),
            },
            "duration_ms": self.duration_ms,
            "injected": self.injected,
            "warnings": self.warnings,
            **({"cut": self.cut} if self.cut else {}),
        }


class Journal:
    def __init__(self, size: int = defaults.JOURNAL_SIZE, max_bytes: int = defaults.JOURNAL_MAX_BYTES):
        self.size, self.max_bytes = size, max_bytes
        self._entries: deque[_Entry] = deque()
        self._bytes = 0  # the sizes of the entries kept
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, time: datetime, duration_ms: float, fields: dict[str, Any]) -> None:
        """An entry of `fields` (what `register_journal` takes of a request and its answer,
        less the times), kept as they are: the same dict may make many entries (reuse.py),
        so its cost is worked out once and noted in it."""
        entry = _Entry(0, time, duration_ms=duration_ms, **fields)
        if not entry.size:
            entry.size = fields["size"] = _cost(entry)
        with self._lock:
            entry.id = next(self._ids)
            self._entries.append(entry)
            self._bytes += entry.size
            while self._entries and (len(self._entries) > self.size or self._bytes > self.max_bytes):
                self._bytes -= self._entries.popleft().size

    def kept_bytes(self) -> int:
        """What the entries kept cost of the budget."""
        return self._bytes

    def clear(self) -> None:
        """Empty, and numbered from 1 again, as in a new server."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._ids = itertools.count(1)

    def entries(
        self,
        method: str = "",
        path: str = "",
        status: str = "",
        operation: str = "",
        since: datetime | None = None,
        limit: int | None = None,
        after: int = 0,
    ) -> list[dict[str, Any]]:
        """Oldest first; `limit` keeps the newest. `status` is 404 or a class such as 4xx.
        `after`: only ids above it, what a poller (the dashboard) has not seen yet."""
        with self._lock:
            entries = list(self._entries)
        matches_path = path_matcher(path) if path else None
        chosen = [
            e
            for e in entries
            if e.id > after
            and (not method or e.method == method.upper())
            and (not status or _status_matches(e.status, status))
            and (not operation or e.operation_id == operation)
            and (since is None or e.time >= since)
            and (matches_path is None or matches_path(e.path))  # the dearest test last
        ]
        return [e.to_json() for e in (chosen[-limit:] if limit else chosen)]


def _status_matches(actual: int | None, wanted: str) -> bool:
    if actual is None:  # a dropped connection answered nothing
        return wanted.lower() == "none"
    if wanted.lower().endswith("xx"):
        return str(actual)[0] == wanted[0]
    return str(actual) == wanted


def register_journal(
    app: Flask,
    pick: Callable[[], tuple[Journal, Clock] | None],
    skip: Iterable[str],
    redact: Iterable[str] = (),
) -> None:
    """Record every request but the control plane's and the meta pages (`skip`: endpoints)
    in the journal `pick` gives, stamped by the clock beside it: the caller's sandbox's, so a
    401 or an unknown path is timed by the same clock as the requests around it. The values
    of SECRET_HEADERS and of the headers named in `redact` are never kept."""
    skipped = set(skip)
    secret = {"HTTP_" + name.upper().replace("-", "_") for name in (*SECRET_HEADERS, *redact)}

    @app.after_request
    def _record(response: Response) -> Response:
        req, state = request._get_current_object(), g._get_current_object()  # type: ignore[attr-defined]
        if req.endpoint in skipped or req.path.startswith("/__mock/") or MODEL_READ_HEADER in req.headers:
            return response
        picked = pick()
        if picked is None:  # isolated by token, and this caller has no sandbox
            return response
        journal, its_clock = picked
        op = state.get("operation")
        dropped = state.get("dropped", False)
        environ = req.environ
        content_type = None if dropped else response.headers.get("Content-Type")
        cut: dict[str, int] = {}
        headers = [
            (k, HIDDEN if k in secret else v) for k, v in environ.items() if k[:5] == "HTTP_" or k in _UNPREFIXED
        ]
        fields = {
            "operation_id": op.operation_id if op is not None else None,
            "method": req.method,
            "path": req.path,
            "query": environ.get("QUERY_STRING", ""),
            "headers": _kept_headers(headers, cut),
            "request_body": _request_body(cut),
            "request_type": environ.get("CONTENT_TYPE", ""),
            "status": None if dropped else response.status_code,
            "response_body": None if dropped else _response_body(response, content_type or "", cut),
            "response_type": content_type,
            "injected": state.get("injected"),
            "warnings": warnings(),
            "cut": cut,
        }
        journal.record(its_clock.now(), round(_elapsed_ms(state), 3), fields)
        if (kept := environ.get(KEPT)) is not None:
            kept["journal"] = fields  # the same again, should the front answer it again
        return response


_UNPREFIXED = ("CONTENT_TYPE", "CONTENT_LENGTH")


def _elapsed_ms(state: Any) -> float:
    """Since the request came, and the delay the front will wait before answering."""
    return (time.perf_counter() - state.get("started", time.perf_counter())) * 1000 + state.get("waited_ms", 0)


def _header_name(key: str) -> str:
    """HTTP_X_TRACE -> X-Trace, as werkzeug names them."""
    return key.removeprefix("HTTP_").replace("_", "-").title()


def _headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    shown = {}
    for name, value in items:
        if name.lower() == "authorization":
            scheme, _, token = value.partition(" ")
            value = f"{scheme} {HIDDEN}" if token else HIDDEN
        shown[name] = value
    return shown


def _kept_headers(headers: list[tuple[str, str]], cut: dict[str, int]) -> list[tuple[str, str]]:
    """The headers in order while they fit in KEEP bytes; the one that passes it cut,
    saying so, and the rest left out (their size noted in `cut`)."""
    sizes = [len(key) + len(value) for key, value in headers]
    if sum(sizes) <= KEEP:
        return headers
    cut["request.headers"] = sum(sizes)
    kept, room = [], KEEP
    for (key, value), size in zip(headers, sizes, strict=True):
        if size > room:
            if room > len(key):
                kept.append((key, value[: room - len(key)] + f"… (cut: {len(value):,} bytes in all)"))
            break
        kept.append((key, value))
        room -= size
    return kept


def _request_body(cut: dict[str, int]) -> Any:
    environ = request.environ
    if environ.get("CONTENT_LENGTH", "0") in ("", "0") and "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", ""):
        return None
    try:
        return _read_request_body(cut)
    except HTTPException as e:  # a body over the size limit is refused unread (413)
        return f"<not read: {e.name}>"


def _read_request_body(cut: dict[str, int]) -> Any:
    if request.mimetype == "multipart/form-data":
        form: dict[str, Any] = {}
        room, size = KEEP, 0
        for name, value in request.form.items():  # text fields, while they fit (a part may have no name)
            text = len(name or "") + len(value)
            size += text
            if text <= room:
                form[name], room = value, room - text
        for name, upload in request.files.items():
            upload.stream.seek(0, 2)
            file_size = upload.stream.tell()
            upload.stream.seek(0)
            filename = upload.filename or ""
            text = len(name or "") + len(filename) + len(upload.mimetype)
            size += text
            if text <= room:
                form[name] = {"filename": filename, "content_type": upload.mimetype, "size": file_size}
                room -= text
        if size > KEEP:
            cut["request.body"] = size
        return form
    return _kept(request.get_data(cache=True), request.environ.get("CONTENT_TYPE", ""), cut, "request.body")


def _response_body(response: Response, content_type: str, cut: dict[str, int]) -> Any:
    if response.is_streamed:  # a file sent as it is read: reading it here would consume it
        size = f"{response.content_length:,} bytes" if response.content_length is not None else "streamed"
        return f"<{size} of {response.mimetype or 'unknown type'}>"
    parts = response.response
    if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], bytes):
        return _kept(parts[0], content_type, cut, "response.body")  # not joined: no copy of a big one
    return _kept(response.get_data(), content_type, cut, "response.body")


def _kept(raw: bytes, content_type: str, cut: dict[str, int], what: str) -> Any:
    """The bytes to keep: a body over KEEP bytes is cut now, saying so, and its size noted
    in `cut` under `what`."""
    if len(raw) <= KEEP:
        return bytes(raw)
    cut[what] = len(raw)
    text = raw[:KEEP].decode("utf-8", errors="ignore")
    if _is_binary(text):
        return f"<{len(raw):,} bytes of {_mimetype(content_type) or 'unknown type'}>"
    return text + f"… (cut: {len(raw):,} bytes in all)"


def _cost(entry: _Entry) -> int:
    """The bytes an entry holds, near enough: the text it keeps and a fixed share."""
    size = ENTRY_BYTES + len(entry.path) + len(entry.query) + len(entry.request_type)
    size += sum(len(key) + len(value) for key, value in entry.headers) + sum(len(w) for w in entry.warnings)
    for body in (entry.request_body, entry.response_body):
        if isinstance(body, (bytes, str)):
            size += len(body)
        elif isinstance(body, dict):  # a form: its text fields and its files' descriptions
            size += sum(len(k or "") + (len(v) if isinstance(v, str) else 100) for k, v in body.items())
    return size


def _body(raw: Any, mimetype: str) -> Any:
    """JSON as its value, text as text, anything else as its size. A form, a cut body or a
    description is already shown as it will be."""
    if not isinstance(raw, bytes):
        return raw
    if not raw:
        return None
    if mimetype == "application/json" or mimetype.endswith("+json"):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            pass
        else:
            if not too_deep(value):  # one the API refused as too deep is shown as its text
                return value
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(raw):,} bytes of {mimetype or 'unknown type'}>"
    return f"<{len(raw):,} bytes of {mimetype or 'unknown type'}>" if _is_binary(text) else text


def _mimetype(content_type: str) -> str:
    """application/json; charset=utf-8 -> application/json, as werkzeug's `mimetype` reads it."""
    return content_type.partition(";")[0].strip().lower()


def _is_binary(text: str) -> bool:
    return "\x00" in text
