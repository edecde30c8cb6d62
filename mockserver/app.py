"""The app factory (flaskr's create_app): defaults, then the caller's overrides."""

import time
from collections.abc import Callable
from typing import Any

from flask import Flask, g, request

from . import defaults
from .dashboard.page import UI_PATH, register_dashboard
from .mocking.journal import Journal, register_journal
from .mocking.overrides import intercept
from .resources import CONTROL_SPEC_PATH, SPEC_PATH, seeded_business
from .state.clock import Clock
from .state.sandbox import SANDBOXES, of_request, open_sandboxes
from .web.access_log import register_access_log
from .web.auth import register_admin_check
from .web.cors import register_cors
from .web.docs import index_page, register_docs
from .web.errors import register_error_handlers
from .web.headers import register_header_limit
from .web.laravel import LaravelInput
from .web.routing import API_PACKAGE, CONTROL_PACKAGE, WholeResponse, check_response, handlers_for, register_routes
from .web.spec import Spec, load_spec
from .web.validation import register_warnings


class MockFlask(Flask):
    """Flask, minus a check it repeats: whether each hook and view is a coroutine, asked
    with `inspect` on every call (5 times a request, 5% of a simple GET); and with answers
    handed to the server whole (WholeResponse)."""

    response_class = WholeResponse

    def ensure_sync(self, func: Callable) -> Callable:
        known = self.__dict__.setdefault("_sync", {})
        if func not in known:
            known[func] = super().ensure_sync(func)
        return known[func]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """config keys: DB_PATH (None keeps the store in memory), TOKEN (None accepts any bearer
    token), VALIDATE_RESPONSES (check every answer against openapi.yaml; on in tests),
    ACCESS_LOG (a line per request on stderr), MAX_CONTENT_LENGTH (bytes; a larger body is
    413), MAX_HEADER_SIZE (bytes of the request line and headers; more is 431),
    IMPORT_MAX_ROWS (customers one import may hold), IMPORT_CPU_SECONDS, IMPORT_MEMORY
    (bytes) and IMPORT_SECONDS (what the process reading an import's sheet may spend, and how
    long it is waited for), IMPORT_MAX_TEXT (bytes of shared texts a sheet's cells may point
    at), JOURNAL_SIZE and JOURNAL_MAX_BYTES
    (requests the journal keeps, and their bytes, per sandbox), LATENCY ((min, max)
    milliseconds before every API answer, or None),
    CORS_ORIGINS (origins a browser page may call from; ["*"] for any, [] for none),
    ISOLATION ("shared": one store for all; "token": a sandbox per bearer token, see
    sandbox.py), MAX_SANDBOXES and SANDBOX_IDLE_SECONDS (its bounds), SANDBOX_MAX_STORE,
    SANDBOX_MAX_SNAPSHOTS and SANDBOX_MAX_SNAPSHOT_BYTES (what each of those sandboxes may
    keep, quota.py), ADMIN_TOKEN (the control plane then needs it in X-Mock-Admin; `serve`
    makes one when bound beyond localhost), STRICT (unknown query parameters and body fields
    refused with 422, not ignored with a warning), BUSINESS_ID (the one `bid` the export
    takes; None: any names the store's business), REDACT_HEADERS (request headers the
    journal keeps as "[redacted]", beside the credentials it always hides), BODY_TIMEOUT
    (seconds a request body may take, beyond a second per 10 KiB of it, before the server
    answers 408; read by the front in serving/front.py), READINGS ("mock", the mock's own
    readings of the docs' open points, or "laravel": web/laravel.py).
    `mockserver serve --fresh` resets the store before the app exists, so a respawned worker
    never wipes it."""
    app = MockFlask(__name__)
    app.config.from_mapping(
        DB_PATH=defaults.DB,
        TOKEN=None,
        VALIDATE_RESPONSES=False,
        ACCESS_LOG=False,
        MAX_CONTENT_LENGTH=defaults.MAX_BODY,
        MAX_HEADER_SIZE=defaults.MAX_HEADER_SIZE,
        IMPORT_MAX_ROWS=defaults.IMPORT_ROWS,
        IMPORT_CPU_SECONDS=defaults.IMPORT_CPU_SECONDS,
        IMPORT_MEMORY=defaults.IMPORT_MEMORY,
        IMPORT_SECONDS=defaults.IMPORT_SECONDS,
        IMPORT_MAX_TEXT=defaults.IMPORT_MAX_TEXT,
        JOURNAL_SIZE=defaults.JOURNAL_SIZE,
        JOURNAL_MAX_BYTES=defaults.JOURNAL_MAX_BYTES,
        LATENCY=None,
        CORS_ORIGINS=[defaults.ANY_ORIGIN],
        ISOLATION="shared",
        ADMIN_TOKEN=None,
        STRICT=False,
        BUSINESS_ID=None,
        REDACT_HEADERS=[],
        BODY_TIMEOUT=defaults.BODY_TIMEOUT,
        MAX_SANDBOXES=defaults.MAX_SANDBOXES,
        SANDBOX_MAX_STORE=defaults.SANDBOX_MAX_STORE,
        SANDBOX_MAX_SNAPSHOTS=defaults.SANDBOX_MAX_SNAPSHOTS,
        SANDBOX_MAX_SNAPSHOT_BYTES=defaults.SANDBOX_MAX_SNAPSHOT_BYTES,
        SANDBOX_IDLE_SECONDS=defaults.SANDBOX_IDLE,
        READINGS="mock",
    )
    app.config.update(config or {})
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the docs' field order

    spec, control = load_spec(SPEC_PATH), load_spec(CONTROL_SPEC_PATH)
    app.extensions[SANDBOXES] = open_sandboxes(app)

    @app.before_request
    def _start_timer() -> None:  # read by the journal and the access log
        g.started = time.perf_counter()

    register_header_limit(app, app.config["MAX_HEADER_SIZE"])
    register_error_handlers(app)
    register_warnings(app)
    if app.config["ADMIN_TOKEN"]:
        register_admin_check(app, app.config["ADMIN_TOKEN"])
    if app.config["CORS_ORIGINS"]:
        register_cors(app, app.config["CORS_ORIGINS"])
    register_routes(app, spec, handlers_for(spec, API_PACKAGE), intercept, lenient=True)
    register_routes(app, control, handlers_for(control, CONTROL_PACKAGE))
    if app.config["VALIDATE_RESPONSES"]:
        app.after_request(check_response)
    if app.config["ACCESS_LOG"]:
        register_access_log(app)
    meta = register_docs(app, spec, control) + register_dashboard(app)
    meta += _register_index(app, len(spec.operations), control)
    if app.config.get("READINGS") == "laravel":
        app.wsgi_app = LaravelInput(app.wsgi_app)  # type: ignore[method-assign]
    if app.config["JOURNAL_SIZE"]:  # 0 turns it off, for load tests: 18% of a simple GET in-process
        register_journal(app, lambda: _journal_of_request(app), skip=meta, redact=app.config["REDACT_HEADERS"])
    return app


def _journal_of_request(app: Flask) -> tuple[Journal, Clock] | None:
    sandbox = of_request(app)
    return (sandbox.journal, sandbox.clock) if sandbox is not None else None


def _register_index(app: Flask, operation_count: int, control: Spec) -> list[str]:
    """What a newcomer's first request shows; returns the endpoints the journal leaves out."""
    # What a newcomer can do to the mock itself, from the control plane's own summaries.
    controls = {f"{op.method} {op.path}": control.operation_definition(op)["summary"] for op in control.operations}
    bid = seeded_business()["encrypted_id"]

    @app.get("/")
    def index():
        about = {
            "name": "mockserver",
            "about": "A stateful mock of the Built Accounting and Summit APIs",
            "docs": request.host_url + "docs",
            "dashboard": request.host_url + UI_PATH.lstrip("/"),
            "spec": request.host_url + "openapi.yaml",
            "control_plane": request.host_url + "__mock/openapi.yaml",
            "controls": controls,
            "operations": operation_count,
            "auth": "Authorization: Bearer <token>",
            "sandboxes": app.extensions[SANDBOXES].describe(),
            "business_id": bid,  # the `bid` of the customer export, which no documented endpoint shows
            "customer_export": f"{request.host_url}api/v3/clients/clients-print/{bid}",
            "limits": {
                "max_body_bytes": app.config["MAX_CONTENT_LENGTH"],
                "max_header_bytes": app.config["MAX_HEADER_SIZE"],
                "import_max_rows": app.config["IMPORT_MAX_ROWS"],
                "import_cpu_seconds": app.config["IMPORT_CPU_SECONDS"],
                "import_memory_bytes": app.config["IMPORT_MEMORY"],
                "import_seconds": app.config["IMPORT_SECONDS"],
                "import_max_text_bytes": app.config["IMPORT_MAX_TEXT"],
            },
        }
        # a browser gets the same as a page of links; curl (*/*) and clients get JSON
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return index_page(about)
        return about

    return [index.__name__, "static"]
