"""What the checks of meaning share: a broken rule as a failure a backend developer can act
on, and the follow-up requests a rule needs (the GET after a create, the list beside a
summary), sent the way the case itself was sent (over HTTP, or to an in-process app) with
the credentials the case was accepted with."""

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import schemathesis
from schemathesis.core.failures import Failure

from ...web.laravel import laravel_strings

RULES: list = []  # every check of meaning, in the order their modules define them


def rule(check):
    """A check of meaning: registered with Schemathesis (so every run of it checks it) and
    listed in RULES; its failures are titled with its name, so a report says which rule."""

    @functools.wraps(check)
    def named(ctx, response, case):
        try:
            return check(ctx, response, case)
        except BrokenRule as failure:
            failure.title = f"{check.__name__}: {failure.title}"
            raise

    RULES.append(schemathesis.check(named))
    return named


class BrokenRule(Failure):
    """A rule the docs state, broken by an answer of the right shape."""

    code = "MS100"
    checks = ()
    kind_title = "Broken rule"


def broken(case, rule: str, expected: Any, actual: Any, *steps: "Step") -> BrokenRule:
    """The failure, naming the rule, what it expected and what came, and the requests after
    the case's own that showed it, each as a curl command."""
    shown = "".join(f"\n\nthen:\n    {step.curl}\n  -> {step.status} {_short(step.body)}" for step in steps)
    return BrokenRule(
        operation=case.operation.label,
        title=rule,
        message=f"expected: {_short(expected)}\nactual:   {_short(actual)}{shown}",
    )


@dataclass(frozen=True)
class Step:
    curl: str
    status: int
    body: Any


def follow(case, response, operation_id: str, path: dict | None = None, query: dict | None = None) -> Step:
    """Another documented operation, called as the case was (its base URL or app, and the
    Authorization it was answered with): the answer, and how to repeat it."""
    operation = case.operation.schema.find_operation_by_id(operation_id)
    sent = response.request.headers if response.request is not None else {}
    auth = {"Authorization": sent["Authorization"]} if "Authorization" in sent else {}
    other = operation.Case(path_parameters=path or {}, query=query or {}, headers=auth)
    answer = other.call()
    try:
        body = answer.json()
    except ValueError:
        body = answer.content[:200].decode(errors="replace")
    return Step(other.as_curl_command(headers=auth), answer.status_code, body)


def json_body(response) -> Any:
    """The answer's JSON, or None where it has none (shape checks report that)."""
    try:
        return response.json()
    except (ValueError, TypeError):
        return None


def ok(response) -> bool:
    return 200 <= response.status_code < 300


def _short(value: Any, most: int = 600) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= most else text[: most - 3] + "..."


def operation_id(case) -> str | None:
    return case.operation.definition.raw.get("operationId")


def answered(case, response, *operation_ids: str) -> Any:
    """The JSON of a 2xx answer to one of these operations, else None: a rule of meaning
    is about a request the server accepted, in the shape the shape checks hold it to."""
    if operation_id(case) not in operation_ids or not ok(response):
        return None
    return json_body(response)


def sent_fields(case, known: tuple[str, ...]) -> dict[str, Any]:
    """The body's fields among `known`, as sent."""
    body = case.body if isinstance(case.body, dict) else {}
    return {name: body[name] for name in known if name in body}


def answers_404(case, response, get_operation: str, noun: str) -> None:
    """After a 2xx delete: the record, fetched by the same path, must be gone."""
    fetched = follow(case, response, get_operation, case.path_parameters)
    if fetched.status != 404:
        raise broken(case, f"a deleted {noun} answers 404", 404, fetched.status, fetched)


def _same(name: str, value: Any) -> Any:
    return value


def not_as_sent(sent: dict, record: dict, read: Callable[[str, Any], Any] = _same) -> dict:
    """The sent fields the record does not show as sent (`read`: what a sent value should
    show as), each with what was sent and what is shown."""
    return {
        n: {"sent": v, "shown": record.get(n)}
        for n, v in sent.items()
        if record.get(n) not in (read(n, v), read(n, laravel_strings(v)))  # readings.py, laravel_middleware
    }


def answers_as_sent(case, what: str, noun: str, sent: dict, answer: dict, read=_same) -> None:
    """The answer to a write shows what was sent."""
    if wrong := not_as_sent(sent, answer, read):
        raise broken(case, f"{what} answers the {noun} as sent", sent, wrong)


def fetched_as_sent(
    case, response, what: str, noun: str, sent: dict, get_operation: str, path: dict, unwrap=None, read=_same
) -> None:
    """A GET of the record written shows what was sent (`unwrap`: the record in its answer)."""
    fetched = follow(case, response, get_operation, path)
    record = fetched.body if unwrap is None or not isinstance(fetched.body, dict) else unwrap(fetched.body)
    if fetched.status != 200 or not isinstance(record, dict) or not_as_sent(sent, record, read):
        raise broken(case, f"a GET after {what} shows the {noun} as sent", sent, fetched.body, fetched)


def day(value: Any) -> date | None:
    """A YYYY-MM-DD value as a date; None for anything else."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None
