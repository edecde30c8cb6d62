"""One line per request in the terminal, with the reason on errors (as Prism prints):

POST /api/v3/clients 422 1.9ms  The given data was invalid. category_id: ...
GET /api/v3/clients/779 404 0.4ms  [Prefer: code=404]  Customer 42 not found
POST /api/v3/clients 201 2.3ms  [ignored body field "buisness_name"]

A server (serving/__init__.py) writes them in batches, off the request path: a request
leaves its line and its time in a queue, and a thread writes what gathered every
BATCH_EVERY seconds, in one write; a write and a flush per request were a tenth of a
simple GET's time. Elsewhere (tests, waitress) each line is written as it comes.
"""

import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable

from flask import Flask, Response, g, request

from ..serving.front import KEPT
from .validation import warnings

BATCH_EVERY = 0.05  # seconds a line may wait for the ones after it

_lock = threading.Lock()
_queue: deque[tuple[float, str]] | None = None  # (time, line), while batched
_wake = threading.Event()


def write(line: str) -> None:
    """A line on stderr, whole. Not through `logging`: its records cost about a tenth of
    a simple GET's time (measured with py-spy under wrk)."""
    queue = _queue
    if queue is not None:
        queue.append((time.time(), line))
        if not _wake.is_set():
            _wake.set()
        return
    text = _stamped(time.time(), line)
    with _lock:
        sys.stderr.write(text)
        sys.stderr.flush()


def batched() -> Callable[[], None]:
    """From now on lines are written in batches by a thread of their own; returns what
    writes the lines still waiting (to call before the process ends)."""
    global _queue
    if _queue is None:
        _queue = deque()
        threading.Thread(target=_write_batches, name="mockserver-log", daemon=True).start()
    return _flush


def _write_batches() -> None:
    while True:
        _wake.wait()
        time.sleep(BATCH_EVERY)  # the lines of a burst go out together
        _wake.clear()  # before the queue is read: a line put after it wakes the next round
        _flush()


def _flush() -> None:
    queue = _queue
    if not queue:
        return
    lines, second, clock = [], -1, ""
    while queue:
        moment, line = queue.popleft()
        if int(moment) != second:  # a burst's lines share their second: its text made once
            second = int(moment)
            clock = time.strftime("%H:%M:%S", time.localtime(moment))
        lines.append(f"{clock} {_printable(line)}\n")
    with _lock:
        sys.stderr.write("".join(lines))
        sys.stderr.flush()


def _stamped(moment: float, line: str) -> str:
    return f"{time.strftime('%H:%M:%S', time.localtime(moment))} {_printable(line)}\n"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(line: str) -> str:
    """Control characters as escapes (\\n, \\x1b): a request's path or a message quoting
    a client's input cannot start a line of its own or move the terminal's cursor."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), line)


def line(parts: tuple[str, str], elapsed_ms: float) -> str:
    """A request's line from what `register_access_log` made of it, and its time."""
    head, tail = parts
    return f"{head} {elapsed_ms:.1f}ms{tail}"


def register_access_log(app: Flask) -> None:
    @app.after_request
    def _log(response: Response) -> Response:
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        elapsed += g.get("waited_ms", 0)  # a delay the front waits out after this line
        injected, dropped = g.get("injected"), g.get("dropped", False)
        status = "dropped" if dropped else response.status_code
        head, tail = f"{request.method} {request.full_path.rstrip('?')} {status}", ""
        if injected:  # so a forced or faulted answer is not mistaken for the handler's
            tail += f"  [{injected}]"
        if ignored := warnings():  # a misspelt field the backend would drop silently
            tail += f"  [{'; '.join(ignored)}]"
        if not dropped and response.status_code >= 400 and response.mimetype == "application/json":
            body = response.get_json(silent=True)
            if isinstance(body, dict) and "message" in body:
                tail += f"  {body['message']}"
        write(line((head, tail), elapsed))
        if (kept := request.environ.get(KEPT)) is not None:
            kept["log"] = (head, tail)  # the same again, should the front answer it again
        return response
