"""What a test can make the API do instead of its handler, decided after the bearer token
and before validation, so an overridden request never reaches the store.

In order: the delay (`Prefer: delay=300`, else the matching fault rule's latency, else
the server-wide `--latency`), then a fault rule's drop or error, then a forced response
(`Prefer: code=404`, `example=NAME`, `dynamic=true`; Prism's Prefer header). Anything
else goes on to the handler; `Prefer: strict` is read on the way by validation.

The delay is decided here and waited by the front (serving/front.py) after the app has
answered, before the answer is sent: an asyncio sleep, which holds no thread and leaves
the event loop free, however many requests wait. A dropped connection is cut after the
wait. Under waitress or another WSGI server there is no front, and the delay is a sleep
of the request's thread, before the handler.
"""

import os
import random
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import NoReturn

from flask import Response, g, request

from ..serving.front import WAIT
from ..state.sandbox import current
from ..web.errors import ApiError, error_response
from ..web.spec import Operation, Spec
from .faults import DROP, Faults
from .samples import Sample, examples, sample, statuses

MAX_DELAY_MS = 60_000
# RFC 7240: preferences separated by commas, each token[=value], value maybe quoted, then
# ;params. Read as a run of lexemes, each a single character class or a quoted string: the
# alternatives start with different characters and none can match an empty string, so the
# scan never backtracks and costs one step per character (a findall over one pattern for
# the whole preference, as before, tried every start again: 16 KB took seconds).
_LEXEME = re.compile(r'\s+|[^\s,;="]+|"(?:[^"\\]|\\.)*"?|[,;=]')


class ConnectionDropped(ConnectionError):
    """Raised while sending a dropped response: the server closes the connection unanswered."""


@dataclass
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    delay_ms: int | None = None
    seed: int | None = None
    strict: bool = False  # unknown query parameters and body fields refused (validation.py)
    applied: list[str] = field(default_factory=list)

    @property
    def forced(self) -> bool:
        return self.code is not None or self.example is not None or self.dynamic


def intercept(spec: Spec, op: Operation) -> Response | None:
    faults: Faults = current().faults
    if "HTTP_PREFER" not in request.environ and faults.quiet:
        return None  # the common case, answered before any parsing
    prefer = g.prefer = parse_prefer(request.headers.getlist("Prefer"))
    number, rule = faults.rule_for(request.method, request.path) or (0, None)
    delay = prefer.delay_ms if prefer.delay_ms is not None else faults.delay_ms(rule)
    if delay:
        wait = request.environ.get(WAIT)
        if wait is not None:  # the front waits, holding no thread
            wait["seconds"] = delay / 1000
            g.waited_ms = delay  # counted in the journal's and the log's duration
        else:
            time.sleep(delay / 1000)
    if rule is not None:
        outcome = faults.draw(rule, statuses(op))
        if outcome == DROP:
            # Read by the journal and the access log: no status was ever sent.
            g.injected, g.dropped, g.off_contract = f"fault rule {number}: drop", True, True
            return dropped(op)
        if isinstance(outcome, int):
            g.injected = f"fault rule {number}: {outcome}"
            return _fault_response(spec, op, outcome, number)
    if prefer.forced:
        return forced(spec, op, prefer)
    return None


def parse_prefer(headers: list[str]) -> Preferences:
    """The preferences this server acts on; others (return=minimal, ...) are ignored, as RFC 7240 asks."""
    prefer = Preferences()
    for header in headers:
        for name, value in preferences(header):
            if name == "code":
                prefer.code = _number(name, value, 100, 599)
            elif name == "example":
                prefer.example = value or _bad(name, value, "an example's name")
            elif name == "dynamic":
                if value.lower() not in ("true", "false"):
                    _bad(name, value, "true or false")
                prefer.dynamic = value.lower() == "true"
            elif name == "delay":
                prefer.delay_ms = _number(name, value, 0, MAX_DELAY_MS)
            elif name == "seed":
                prefer.seed = _number(name, value, 0, 2**63 - 1)
            elif name == "strict" and not value:
                prefer.strict = True
            else:
                continue
            prefer.applied.append(f"{name}={value}")
    return prefer


def preferences(header: str) -> Iterator[tuple[str, str]]:
    """(name in lower case, value unquoted) of each well-formed preference, left to right in
    one pass; its parameters are skipped, and an element that does not read as
    `token[=word]` is left out, as RFC 7240 lets a server ignore what it does not
    understand."""
    name, value, state = "", "", _NAME  # what the next lexeme may be
    for match in _LEXEME.finditer(header):
        lexeme = match.group()
        first = lexeme[0]
        if first == ",":
            if state in (_EQUALS, _VALUE, _AFTER) and name:
                yield name.lower(), value
            name, value, state = "", "", _NAME
        elif first.isspace() or state == _SKIP:
            continue
        elif state == _NAME:
            name, state = lexeme, (_EQUALS if first not in '=;"' else _SKIP)
        elif state == _EQUALS and first == "=":
            state = _VALUE
        elif state == _VALUE and first not in ",;=":
            value, state = _unquoted(lexeme), _AFTER
        elif first == ";" and state != _NAME:  # parameters: read past, up to the next comma
            if state in (_EQUALS, _VALUE, _AFTER):
                yield name.lower(), value
            name, state = "", _SKIP
        else:
            state = _SKIP  # not a preference this server can read
    if state in (_EQUALS, _VALUE, _AFTER) and name:
        yield name.lower(), value


_NAME, _EQUALS, _VALUE, _AFTER, _SKIP = range(5)


def _unquoted(word: str) -> str:
    if word[0] != '"':
        return word
    inner = word[1:-1] if len(word) > 1 and word[-1] == '"' else word[1:]
    return re.sub(r"\\(.)", r"\1", inner) if "\\" in inner else inner


def _number(name: str, value: str, least: int, most: int) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 20) or not least <= int(value) <= most:
        _bad(name, value, f"a whole number from {least} to {most:,}")
    return int(value)


def _bad(name: str, value: str, wanted: str) -> NoReturn:
    g.off_contract = True
    raise ApiError(400, f"Prefer: {name}={value} is not understood: {name} must be {wanted}.")


def forced(spec: Spec, op: Operation, prefer: Preferences) -> Response:
    documented = statuses(op)
    where = f"{op.operation_id} ({op.method} {op.path})"
    if prefer.code is not None and prefer.code not in documented:
        g.off_contract = True
        raise ApiError(
            400,
            f"Prefer: code={prefer.code} is not a response of {where}; it documents {', '.join(map(str, documented))}.",
        )
    status = prefer.code
    if prefer.example is not None:
        having = [s for s in ([status] if status else documented) if prefer.example in examples(spec, op, s)]
        if not having:
            g.off_contract = True
            available = [f"{name} ({s})" for s in documented for name in examples(spec, op, s)]
            listed = ", ".join(available) if available else "none"
            raise ApiError(
                400,
                f"Prefer: example={prefer.example} is not an example of {where}"
                f"{f' for {status}' if status else ''}; its examples are: {listed}.",
            )
        status = having[0]
    if status is None:
        status = next((s for s in documented if 200 <= s < 300), documented[0])
    rng = random.Random(prefer.seed) if prefer.seed is not None else random.Random()
    made = sample(
        spec, op, status, example=prefer.example, dynamic=prefer.dynamic, rng=rng, accept=_accepted(op, status)
    )
    g.injected = "Prefer: " + ", ".join(prefer.applied)
    return _send(made, {"Preference-Applied": ", ".join(p for p in prefer.applied if not p.startswith("delay="))})


def _accepted(op: Operation, status: int) -> list[str]:
    offered = list(op.responses.get(str(status), {}))
    return [m for m, _ in request.accept_mimetypes if m in offered]


def _fault_response(spec: Spec, op: Operation, status: int, number: int) -> Response:
    if status in statuses(op):
        return _send(sample(spec, op, status, accept=_accepted(op, status)), {})
    g.off_contract = True  # asked for a status the spec does not give this operation
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return error_response(status, f"{status} {reason}: injected by mockserver fault rule {number} (PUT /__mock/faults)")


def _send(made: Sample, headers: dict[str, str]) -> Response:
    headers = {k: v for k, v in headers.items() if v}
    return Response(made.body or None, status=made.status, headers=headers, mimetype=made.media_type)


def dropped(op: Operation) -> Response:
    """End the connection without a whole response, as a failing network or proxy would.

    Where the server tells the app the client's port (waitress, and granian through the
    front), the client's socket is shut down and nothing is sent: the client sees
    the connection closed unanswered (RemoteDisconnected, "socket hang up"). Where it does
    not, the status line and headers go out, promising a body that never comes, and the
    connection closes: the client fails reading the body (IncompleteRead; fetch's body read
    rejects). In Flask's test client, sending it raises ConnectionDropped."""
    environ = request.environ
    wait = environ.get(WAIT)
    if wait is not None and wait.get("seconds") and environ.get("REMOTE_PORT"):
        wait["then"] = lambda: _shut_connection(environ)  # cut once the delay is over
        return Response(status=204)  # nobody will be left to read it
    if environ.get("REMOTE_PORT") and _shut_connection(environ):
        return Response(status=204)  # nobody is left to read it

    def cut():
        raise ConnectionDropped("connection dropped on purpose by a mockserver fault rule (PUT /__mock/faults)")
        yield b""  # a generator: the WSGI server runs it only when it starts to send

    status = next((s for s in statuses(op) if 200 <= s < 300), 200)
    return Response(cut(), status=status, headers={"Content-Length": "1"}, mimetype="application/json")


def _shut_connection(environ: dict) -> bool:
    """Shut down the socket whose peer is this request's client. WSGI hands an app no socket,
    so it is found among the process's open files by its two addresses; shutdown, unlike
    close, leaves the server's own handle valid, so the server just sees the peer gone."""
    peer = (environ.get("REMOTE_ADDR"), str(environ.get("REMOTE_PORT", "")))
    port = str(environ.get("SERVER_PORT", ""))
    folder = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    if not all(peer) or not os.path.isdir(folder):
        return False
    for name in os.listdir(folder):
        try:
            conn = socket.socket(fileno=os.dup(int(name)))
        except (OSError, ValueError):
            continue
        with conn:
            try:
                if conn.type != socket.SOCK_STREAM or conn.family not in (socket.AF_INET, socket.AF_INET6):
                    continue  # a pipe to granian's supervisor is a stream too
                here, there = conn.getsockname(), conn.getpeername()
            except (OSError, ValueError):
                continue
            if (there[0], str(there[1])) == peer and str(here[1]) == port:
                conn.shutdown(socket.SHUT_RDWR)
                return True
    return False
