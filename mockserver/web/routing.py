"""The specs are the router: every path in one becomes one Flask rule, and its operationId
names the handler in the spec's package (connexion's RelativeResolver): in openapi.yaml
`customers.get_customer` is `mockserver.api.customers.get_customer`, in control-plane.yaml
`outbox.list_messages` is `mockserver.control.outbox.list_messages`.

A request goes: rule -> method -> bearer token -> overrides (Prefer, faults) -> validation
-> handler -> JSON.
"""

import importlib
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request

from ..formats.encoding import encoded
from ..serving.front import KEPT
from ..state.quota import check_store
from ..state.sandbox import SANDBOXES, SandboxLimit
from .auth import check_bearer
from .errors import ApiError
from .spec import Operation, Spec
from .validation import validate_request

API_PACKAGE = "mockserver.api"
CONTROL_PACKAGE = "mockserver.control"
# Every rule takes every method so that a concrete path (/api/v3/clients/summary) answers
# 405 for a method it lacks instead of falling through to /api/v3/clients/{id}, as
# OpenAPI's "concrete paths first" rule requires.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

Handler = Callable[..., Any]


# Methods that may add to a sandbox's store, and the operations among them that do not (or
# that bring it back under its quota): refused only these, an owner over quota can recover.
_ADDING = frozenset({"POST", "PUT", "PATCH"})
_NOT_ADDING = frozenset(
    {"reset.reset_server", "snapshots.restore_snapshot", "snapshots.save_snapshot"}  # the last has its own
    | {"clock.set_clock", "faults.set_faults"}
)


_READING = frozenset({"GET", "HEAD"})


def resolve(operation_id: str, package: str = API_PACKAGE) -> Handler | None:
    module_name, _, function = operation_id.rpartition(".")
    qualified = f"{package}.{module_name}"
    try:
        module = importlib.import_module(qualified)
    except ModuleNotFoundError as e:
        if e.name == qualified:
            return None
        raise
    return getattr(module, function, None)


def handlers_for(spec: Spec, package: str) -> dict[str, Handler]:
    """operationId -> handler; an operation without one stops start-up."""
    handlers, missing = {}, []
    for op in spec.operations:
        handler = resolve(op.operation_id, package)
        if handler is None:
            missing.append(op.operation_id)
        else:
            handlers[op.operation_id] = handler
    if missing:
        raise LookupError(f"operations in {spec.name} with no handler in {package}: {', '.join(missing)}")
    return handlers


Intercept = Callable[[Spec, Operation], Response | None]


def register_routes(
    app: Flask, spec: Spec, handlers: dict[str, Handler], intercept: Intercept | None = None, lenient: bool = False
) -> None:
    """`intercept` may answer a request in the handler's place (overrides.intercept).
    `lenient`: unknown query parameters and body fields are ignored with a warning, as the
    real backend ignores them, unless the server is --strict or the request says
    `Prefer: strict` (validation.py)."""
    by_path: dict[str, dict[str, Operation]] = defaultdict(dict)
    for op in spec.operations:
        by_path[op.path][op.method] = op
    for path, operations in by_path.items():
        rule = re.sub(r"{(\w+)}", r"<\1>", path)
        wider = {m for other, ops in by_path.items() if other != path and _wider(other, path) for m in ops}
        view = _view(spec, path, operations, handlers, intercept, lenient, frozenset(wider))
        app.add_url_rule(rule, endpoint=path, view_func=view, methods=ALL_METHODS, provide_automatic_options=False)


def _view(
    spec: Spec,
    path: str,
    operations: dict[str, Operation],
    handlers: dict[str, Handler],
    intercept: Intercept | None,
    lenient: bool,
    wider: frozenset[str] = frozenset(),
):
    allowed = set(operations) | {"OPTIONS"} | ({"HEAD"} if "GET" in operations else set())
    allow = ", ".join(m for m in ALL_METHODS if m in allowed)
    # Laravel's router (READINGS=laravel): a method only a wider route takes reaches that
    # route, whose binding finds no record; its Allow names every route's methods.
    laravel_allowed = allowed | wider | ({"HEAD"} if "GET" in wider else set())
    laravel_allow = ", ".join(m for m in ALL_METHODS if m in laravel_allowed)

    def view(**path_args: str):
        # Each name looked up once: a lookup through Flask's proxies costs a microsecond,
        # and they were a fifth of a simple GET's time.
        req, state, app = request._get_current_object(), g._get_current_object(), current_app._get_current_object()  # type: ignore[attr-defined]
        method = req.method
        op = operations.get("GET" if method == "HEAD" else method)
        if op is None:
            if method == "OPTIONS":
                return Response(status=204, headers={"Allow": allow})
            if app.config.get("READINGS") == "laravel":
                if method in wider:
                    raise ApiError(404, f"No record for {req.path}.")
                raise ApiError(405, f"{method} {path} is not an operation.", headers={"Allow": laravel_allow})
            raise ApiError(405, f"{method} {path} is not an operation; it takes {allow}.", headers={"Allow": allow})
        state.operation, state.spec = op, spec
        state.token = token = check_bearer(req.environ.get("HTTP_AUTHORIZATION"), app.config["TOKEN"])
        try:
            state.sandbox = sandbox = app.extensions[SANDBOXES].get(token)
        except SandboxLimit:
            state.off_contract = True  # a limit of this server's deployment, not of the API
            raise
        if sandbox.quota.store_bytes is not None and method in _ADDING and op.operation_id not in _NOT_ADDING:
            state.off_contract = True  # a limit of this server's deployment, not of the API
            check_store(sandbox.quota, sandbox.store.disk_bytes())
            state.off_contract = False
        if intercept is not None and (overridden := intercept(spec, op)) is not None:
            return overridden
        # A GET the front may answer again from memory (serving/reuse.py): the version of
        # what it reads, taken before anything is read, so a write meanwhile outdates it.
        kept = req.environ.get(KEPT) if method == "GET" and intercept is not None else None
        if kept is not None and sandbox.faults.quiet and "prefer" not in state:
            kept["version"] = sandbox.version()
        prefer = state.get("prefer")  # parsed by intercept, where there is a Prefer header
        strict = not lenient or app.config["STRICT"] or (prefer is not None and prefer.strict)
        kwargs = validate_request(spec, op, req, path_args, sandbox.store, strict)
        handler = handlers[op.operation_id]
        if method in _READING:  # one state of the store throughout, however many reads it makes
            answer = to_response(sandbox.store.reading(lambda: handler(**kwargs)))
            if kept and state.get("timed"):  # it read the clock: it may differ a moment later
                kept.clear()
            return answer
        return to_response(handler(**kwargs))

    view.__name__ = f"view {path}"
    return view


class WholeResponse(Response):
    """A Response whose body, already in memory, goes to the WSGI server as a list: granian
    sends a list in one call, where an iterator costs it a wrapper and a call per chunk
    (about 3% of a GET by id's throughput)."""

    def get_app_iter(self, environ: dict) -> Any:
        # _on_close: what werkzeug's ClosingIterator would call after the last chunk
        if not self.is_sequence or self._on_close or self.direct_passthrough:
            return super().get_app_iter(environ)
        status = self.status_code
        if environ["REQUEST_METHOD"] == "HEAD" or 100 <= status < 200 or status in (204, 304):
            return []
        return list(self.iter_encoded())


def to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    status, headers = 200, None
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else None
    return WholeResponse(encoded(result), status=status, headers=headers, mimetype="application/json")


def check_response(response: Response) -> Response:
    """Hold our own answers to the spec (on in tests): drift fails loudly, here, not in a client.
    Answers to the test harness itself (a bad Prefer header, a fault with a status the spec
    does not give the operation) are off the contract on purpose."""
    op: Operation | None = g.get("operation")
    spec: Spec | None = g.get("spec")
    if op is None or response.status_code == 405 or request.method == "HEAD" or g.get("off_contract"):
        return response
    media = response.mimetype or ""
    body = response.get_json() if media == "application/json" else None
    problems = answer_problems(
        op, spec.name if spec else "its spec", response.status_code, media, body, response.get_data
    )
    if problems:
        raise AssertionError(problems[0])
    return response


def answer_problems(
    op: Operation, spec_name: str, status: int, media: str, body: Any, content: Callable[[], bytes]
) -> list[str]:
    """What is wrong with an answer of `op` against the spec: a status or media type it does
    not document, or a JSON `body` against the schema (our own answers, and, in the proxy,
    an upstream's). `content` is called only for a status documented without content (a
    streamed answer is not read here)."""
    if op.responses.get(str(status)) == {} and not content():
        return []  # documented without content (204), and none sent
    validator = op.response_validator(status, media)
    if validator is None:
        return [f"{op.operation_id} answered {status} {media}, which {spec_name} does not document"]
    if media == "application/json":
        problems = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(body)]
        if problems:
            return [f"{op.operation_id} answered {status} against its schema: {problems[:5]}"]
    return []


def _wider(template: str, path: str) -> bool:
    """Whether the route `template` also matches the concrete segments of `path`
    (/api/v3/clients/{id} matches /api/v3/clients/summary)."""
    a, b = template.split("/"), path.split("/")
    if len(a) != len(b) or template.count("{") <= path.count("{"):
        return False
    return all(x == y or (x.startswith("{") and not y.startswith("{")) for x, y in zip(a, b, strict=True))
