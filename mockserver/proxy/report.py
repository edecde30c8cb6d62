"""A violation as GET /__proxy/violations lists it, and as its one line in the log: the
operation, the request (credentials hidden), what the docs' model or openapi.yaml expected,
what the upstream answered, the rule it broke, and a curl command that sends the request
again to the upstream."""

import json
import shlex
from dataclasses import dataclass
from typing import Any

from ..contract.judge import Verdict
from ..contract.model import Answer

HIDDEN = "[redacted]"
SECRET = frozenset({"cookie", "x-api-key", "x-mock-admin", "proxy-authorization"})
# Environment variables a reader sets to send the curl command with their own credentials.
TOKEN_VARIABLE = {"authorization": "TOKEN", "x-mock-admin": "MOCKSERVER_ADMIN_TOKEN"}
MOST_SHOWN = 64 * 1024  # bytes of a body a violation shows; a longer one is described
MOST_DETAILS = 50
CURL_LEFT_OUT = frozenset({"host", "content-length", "connection", "accept-encoding", "user-agent"})


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # the path with its query, as sent
    headers: list[tuple[str, str]]
    body: bytes | None


def describe_violation(
    ident: int, upstream: str, ticket: Request, verdict: Verdict, answer: Answer, rule: str, details: list[dict]
) -> dict[str, Any]:
    predicted = verdict.predicted
    return {
        "id": ident,
        "operation": verdict.operation,
        "rule": rule,
        "problem": _problem(rule, details),
        "differences": [_plain(d) for d in details[:MOST_DETAILS]],
        "request": {
            "method": ticket.method,
            "path": ticket.target,
            "headers": {name: _hidden(name, value) for name, value in ticket.headers},
            "body": _shown(ticket.body, _header(ticket.headers, "content-type")),
        },
        "expected": None if predicted is None else {"status": predicted.status, "body": _body(predicted)},
        "actual": {"status": answer.status, "headers": dict(answer.headers), "body": _body(answer)},
        "readings": verdict.readings,
        "curl": curl(upstream, ticket),
    }


def log_line(violation: dict[str, Any]) -> str:
    request = violation["request"]
    more = len(violation["differences"]) - 1
    also = f" (and {more} more)" if more > 0 else ""
    return (
        f"mockserver proxy: VIOLATION #{violation['id']} {violation['operation']} ({violation['rule']}): "
        f"{request['method']} {request['path']}: {violation['problem']}{also}"
    )


def curl(upstream: str, ticket: Request) -> str:
    parts = ["curl", "-X", ticket.method, shlex.quote(upstream + ticket.target)]
    for name, value in ticket.headers:
        lower = name.lower()
        if lower in CURL_LEFT_OUT:
            continue
        if lower in TOKEN_VARIABLE:
            scheme = value.split(" ", 1)[0] + " " if lower == "authorization" and " " in value else ""
            parts += ["-H", f'"{name}: {scheme}${TOKEN_VARIABLE[lower]}"']
        elif lower not in SECRET:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if ticket.body:
        text = _text(ticket.body)
        if text is not None and len(ticket.body) <= MOST_SHOWN:
            parts += ["--data-binary", shlex.quote(text)]
        else:
            parts += ["--data-binary", f"@request-body  # the {len(ticket.body)}-byte body, not shown"]
    return " ".join(parts)


def _problem(rule: str, details: list[dict]) -> str:
    if not details:
        return rule
    first = details[0]
    if "problem" in first:
        return str(first["problem"])
    return f"{first['where']}: expected {_short(first['expected'])}, got {_short(first['actual'])}"


def _plain(detail: dict) -> dict:
    """JSON for any value a difference holds (a date, a set)."""
    return json.loads(json.dumps(detail, default=str))


def _hidden(name: str, value: str) -> str:
    lower = name.lower()
    if lower == "authorization":  # its scheme kept: "was it a Bearer?" can still be answered
        return f"{value.split(' ', 1)[0]} {HIDDEN}" if " " in value else HIDDEN
    return HIDDEN if lower in SECRET else value


def _body(answer: Answer) -> Any:
    if answer.json is not None:
        size = len(answer.content)
        return answer.json if size <= MOST_SHOWN else f"<{size} bytes of JSON, not shown>"
    kind = next((v for k, v in answer.headers.items() if k.lower() == "content-type"), None)
    return _shown(answer.content, kind)


def _shown(body: bytes | None, kind: str | None) -> Any:
    if not body:
        return None
    if kind and "json" in kind and len(body) <= MOST_SHOWN:
        try:
            return json.loads(body)
        except ValueError:
            pass
    text = _text(body)
    if text is not None and len(body) <= MOST_SHOWN:
        return text
    return f"<{len(body)} bytes{f' of {kind}' if kind else ''}, not shown>"


def _text(body: bytes) -> str | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() or all(c.isprintable() or c in "\r\n\t" for c in text) else None


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _short(value: Any, most: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= most else text[: most - 3] + "..."
