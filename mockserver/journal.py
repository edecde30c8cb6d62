"""The request journal: the last N API calls, as a frontend test asks about them.

"Did the app POST /api/v3/clients with this body?" is answered from here
(GET /__mock/requests). Each entry has the time by the app's clock, the request as sent
(the bearer token blanked), the answer, and how long it took. It is a ring held in memory:
the oldest entries go first, and a restart empties it.
"""

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from . import clock
from .patterns import path_matcher

JOURNAL = "mockserver.journal"  # the app's Journal, in Flask's app.extensions
DEFAULT_SIZE = 1000
MAX_BODY_BYTES = 16 * 1024  # of a body kept; a longer one is cut, saying so
HIDDEN = "[redacted]"


class Journal:
    def __init__(self, size: int = DEFAULT_SIZE):
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append({"id": next(self._ids), **entry})

    def clear(self) -> None:
        """Empty, and numbered from 1 again, as in a new server."""
        with self._lock:
            self._entries.clear()
            self._ids = itertools.count(1)

    def entries(
        self,
        method: str = "",
        path: str = "",
        status: str = "",
        operation: str = "",
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Oldest first; `limit` keeps the newest. `status` is 404 or a class such as 4xx."""
        with self._lock:
            entries = list(self._entries)
        matches_path = path_matcher(path) if path else None
        chosen = [
            e
            for e in entries
            if (not method or e["request"]["method"] == method.upper())
            and (matches_path is None or matches_path(e["request"]["path"]))
            and (not status or _status_matches(e["response"]["status"], status))
            and (not operation or e["operation_id"] == operation)
            and (since is None or datetime.fromisoformat(e["time"]) >= since)
        ]
        return chosen[-limit:] if limit else chosen


def _status_matches(actual: int | None, wanted: str) -> bool:
    if actual is None:  # a dropped connection answered nothing
        return wanted.lower() == "none"
    if wanted.lower().endswith("xx"):
        return str(actual)[0] == wanted[0]
    return str(actual) == wanted


def register_journal(app: Flask, journal: Journal, skip: Iterable[str]) -> None:
    """Record every request but the control plane's and the meta pages (`skip`: endpoints)."""
    skipped = set(skip)

    @app.after_request
    def _record(response: Response) -> Response:
        if request.endpoint in skipped or request.path.startswith("/__mock/"):
            return response
        op = g.get("operation")
        started = g.get("started", time.perf_counter())
        journal.record(
            {
                "time": clock.iso_ms(clock.now()),
                "operation_id": op.operation_id if op is not None else None,
                "request": {
                    "method": request.method,
                    "path": request.path,
                    "query": {k: v if len(v) > 1 else v[0] for k, v in request.args.to_dict(flat=False).items()},
                    "headers": _headers(request.headers.items()),
                    "body": _request_body(),
                },
                "response": _response(response),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "injected": g.get("injected"),
            }
        )
        return response


def _headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    shown = {}
    for name, value in items:
        if name.lower() == "authorization":
            scheme, _, token = value.partition(" ")
            value = f"{scheme} {HIDDEN}" if token else HIDDEN
        shown[name] = value
    return shown


def _request_body() -> Any:
    try:
        return _read_request_body()
    except HTTPException as e:  # a body over the size limit is refused unread (413)
        return f"<not read: {e.name}>"


def _read_request_body() -> Any:
    if request.mimetype == "multipart/form-data":
        form: dict[str, Any] = dict(request.form.items())
        for name, upload in request.files.items():
            upload.stream.seek(0, 2)
            size = upload.stream.tell()
            upload.stream.seek(0)
            form[name] = {"filename": upload.filename, "content_type": upload.mimetype, "size": size}
        return form
    return _body(request.get_data(cache=True), request.mimetype)


def _response(response: Response) -> dict[str, Any]:
    if (g.get("injected") or "").endswith("drop"):
        return {"status": None, "content_type": None, "body": None}
    if response.is_streamed:  # a file sent as it is read: reading it here would consume it
        size = f"{response.content_length:,} bytes" if response.content_length is not None else "streamed"
        body: Any = f"<{size} of {response.mimetype or 'unknown type'}>"
    else:
        body = _body(response.get_data(), response.mimetype or "")
    return {"status": response.status_code, "content_type": response.mimetype or None, "body": body}


def _body(raw: bytes, mimetype: str) -> Any:
    """JSON as its value, text as text, anything else as its size; a long body is cut so
    that a full ring stays a few megabytes."""
    if not raw:
        return None
    if len(raw) <= MAX_BODY_BYTES and (mimetype == "application/json" or mimetype.endswith("+json")):
        try:
            return json.loads(raw)
        except ValueError:
            pass
    try:
        text = raw[:MAX_BODY_BYTES].decode("utf-8", errors="strict" if len(raw) <= MAX_BODY_BYTES else "ignore")
    except UnicodeDecodeError:
        return f"<{len(raw):,} bytes of {mimetype or 'unknown type'}>"
    return text if len(raw) <= MAX_BODY_BYTES else text + f"… (cut: {len(raw):,} bytes in all)"
