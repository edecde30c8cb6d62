"""mockserver serve: the API on this machine (127.0.0.1 unless told otherwise)."""

import argparse
import os
import secrets

from .. import defaults
from ..control.remote import ADMIN_ENV, ADMIN_HEADER
from ..resources import seeded_business
from . import options
from .reset import reset_file

# One request thread answers fastest: CPython runs one thread at a time, and hands the
# GIL between busy ones only every few ms (docs/choices.md). Under granian a delay holds
# no thread (serving/front.py); under waitress it is a thread's sleep, so waitress with
# --latency gets threads to wait in.
LATENCY_THREADS = 8
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parser(commands) -> argparse.ArgumentParser:
    serve = commands.add_parser("serve", help="serve the API (seeded from fixtures/ on first start)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=options.port, default=8000, help="port to listen on (default 8000)")
    options.db_option(serve)
    serve.add_argument("--token", help="accept only this bearer token (default: any)")
    serve.add_argument(
        "--admin-token",
        default=os.environ.get(ADMIN_ENV),
        help=f"the control plane (/__mock/) then needs the header '{ADMIN_HEADER}: <this>' (default "
        f"${ADMIN_ENV}; bound beyond localhost without one, a random one is made and printed)",
    )
    serve.add_argument("--fresh", action="store_true", help="reset the store to the fixtures before serving")
    serve.add_argument(
        "--threads",
        type=int,
        help="threads for requests with a body and for heavy reports and lists (default 1); requests without a "
        "body are answered meanwhile, and a delay (Prefer: delay, a fault's latency, --latency) holds no thread. "
        "Under --server waitress, every request's thread, and a delay holds one (default 8 with --latency)",
    )
    serve.add_argument(
        "--server",
        choices=["granian", "waitress"],
        default="granian",
        help="granian (default; a body is read whole before the app sees it) or waitress (pure Python)",
    )
    serve.add_argument("--quiet", action="store_true", help="no line per request")
    serve.add_argument(
        "--readings",
        choices=["mock", "laravel"],
        default="mock",
        help="where the docs are open: this mock's readings (default), or a Laravel backend's defaults (strings "
        "trimmed and empty ones null, an update with no body taken as empty, 404 where a wider route matches)",
    )
    serve.add_argument(
        "--strict",
        action="store_true",
        help="refuse unknown query parameters and body fields with 422 (default: ignore them, as the Laravel "
        "backend does, saying so in an X-Mock-Warning header; a request can ask with 'Prefer: strict')",
    )
    serve.add_argument(
        "--business-id",
        metavar="BID",
        help="the export (/api/v3/clients/clients-print/BID) takes only this business id (default: any id "
        "exports the store's business)",
    )
    serve.add_argument(
        "--validate-responses", action="store_true", help="check every answer against openapi.yaml (slower)"
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="let only this origin's pages call the API, e.g. http://localhost:3000 (repeatable; "
        "default: any origin; 'none': no CORS headers at all)",
    )
    _limit_options(serve)
    _sandbox_options(serve)
    serve.set_defaults(run=run)
    return serve


def _limit_options(serve: argparse.ArgumentParser) -> None:
    """What one request may cost: its body, its rows, its wait; and what the journal keeps."""
    serve.add_argument(
        "--max-body-size",
        type=options.size,
        default=defaults.MAX_BODY,
        metavar="SIZE",
        help=f"largest request body, an upload included: 413 above it (default {defaults.MAX_BODY // 1024**2}MiB; "
        "bytes, or with KB, MB, KiB, MiB)",
    )
    serve.add_argument(
        "--max-header-size",
        type=options.size,
        default=defaults.MAX_HEADER_SIZE,
        metavar="SIZE",
        help="largest request line and headers, all together: 431 above it "
        f"(default {defaults.MAX_HEADER_SIZE // 1024}KiB)",
    )
    serve.add_argument(
        "--import-max-rows",
        type=int,
        default=defaults.IMPORT_ROWS,
        metavar="N",
        help=f"most customers one spreadsheet import takes (default {defaults.IMPORT_ROWS:,})",
    )
    _import_options(serve)

    serve.add_argument(
        "--latency",
        type=options.latency,
        metavar="MS",
        help="wait before every API answer: 100 (ms) or a uniform range 50-200 (default none)",
    )
    serve.add_argument(
        "--journal-size",
        type=options.count,
        default=defaults.JOURNAL_SIZE,
        metavar="N",
        help=f"API requests GET /__mock/requests keeps (default {defaults.JOURNAL_SIZE:,}; 0: no journal)",
    )
    serve.add_argument(
        "--journal-max-bytes",
        type=options.size,
        default=defaults.JOURNAL_MAX_BYTES,
        metavar="SIZE",
        help="what one sandbox's journal may hold, its oldest requests dropped first; each keeps "
        f"{defaults.JOURNAL_ENTRY_KEEP // 1024} KiB of headers and of each body at most "
        f"(default {defaults.JOURNAL_MAX_BYTES // 1024**2}MiB)",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        default=defaults.BODY_TIMEOUT,
        metavar="SECONDS",
        help=f"a request body must arrive within this, plus a second per 10 KiB of it, or is answered 408 "
        f"(default {defaults.BODY_TIMEOUT:g}); a slow body holds no request thread meanwhile",
    )
    serve.add_argument(
        "--redact-header",
        action="append",
        default=[],
        metavar="NAME",
        help="a request header the journal keeps as [redacted] (repeatable); Authorization's token, Cookie, "
        "Set-Cookie, X-Api-Key, X-Mock-Admin and Proxy-Authorization always are",
    )


def _import_options(serve: argparse.ArgumentParser) -> None:
    """What reading one import's sheet may cost (formats/sheet_worker.py): a bigger sheet, or
    a slow machine, may need more."""
    serve.add_argument(
        "--import-cpu-time",
        type=options.positive,
        default=defaults.IMPORT_CPU_SECONDS,
        metavar="SECONDS",
        help="CPU time the process reading an import's sheet may use: 422 past it "
        f"(default {defaults.IMPORT_CPU_SECONDS}; a 10,000-row sheet takes about 2)",
    )
    serve.add_argument(
        "--import-memory",
        type=options.positive_size,
        default=defaults.IMPORT_MEMORY,
        metavar="SIZE",
        help="memory the process reading an import's sheet may add: 422 past it "
        f"(default {defaults.IMPORT_MEMORY // 1024**3}GiB; a 10,000-row sheet needs under 10MB more)",
    )
    serve.add_argument(
        "--import-timeout",
        type=options.seconds,
        default=defaults.IMPORT_SECONDS,
        metavar="SECONDS",
        help="wall-clock time an import's sheet is waited for, then its reader killed: 503 with Retry-After "
        f"(default {defaults.IMPORT_SECONDS:g})",
    )
    serve.add_argument(
        "--import-max-text",
        type=options.positive_size,
        default=defaults.IMPORT_MAX_TEXT,
        metavar="SIZE",
        help="bytes of shared texts an import sheet's cells may point at, counted before it is parsed: 422 past "
        f"it (default {defaults.IMPORT_MAX_TEXT // 1024**2}MiB)",
    )


def _sandbox_options(serve: argparse.ArgumentParser) -> None:
    """--isolation token: a sandbox per bearer token, and what each may keep."""
    serve.add_argument(
        "--isolation",
        choices=["shared", "token"],
        default="shared",
        help="shared: one store for every caller (default); token: a sandbox per bearer token, "
        "seeded from the fixtures on first use, which the control plane acts on",
    )
    serve.add_argument(
        "--max-sandboxes",
        type=options.count,
        default=defaults.MAX_SANDBOXES,
        metavar="N",
        help=f"with --isolation token: most sandboxes at once; a new token beyond it gets 503 "
        f"(default {defaults.MAX_SANDBOXES})",
    )
    serve.add_argument(
        "--sandbox-idle",
        type=options.duration,
        default=defaults.SANDBOX_IDLE,
        metavar="TIME",
        help="with --isolation token: delete a sandbox unused this long: 90s, 30m, 12h, 7d (default 24h)",
    )
    serve.add_argument(
        "--sandbox-max-store",
        type=options.size,
        default=defaults.SANDBOX_MAX_STORE,
        metavar="SIZE",
        help="with --isolation token: a sandbox whose store files pass this gets 507 for what would add more "
        f"(default {defaults.SANDBOX_MAX_STORE // 1024**2}MiB)",
    )
    serve.add_argument(
        "--sandbox-max-snapshots",
        type=options.count,
        default=defaults.SANDBOX_MAX_SNAPSHOTS,
        metavar="N",
        help=f"with --isolation token: snapshots a sandbox may keep (default {defaults.SANDBOX_MAX_SNAPSHOTS})",
    )
    serve.add_argument(
        "--sandbox-max-snapshot-bytes",
        type=options.size,
        default=defaults.SANDBOX_MAX_SNAPSHOT_BYTES,
        metavar="SIZE",
        help="with --isolation token: the bytes of a sandbox's snapshots, all together "
        f"(default {defaults.SANDBOX_MAX_SNAPSHOT_BYTES // 1024**2}MiB)",
    )


def run(args: argparse.Namespace) -> int:
    from .. import serving

    if not args.admin_token and args.host not in LOOPBACK:
        # Reachable from other machines: anyone there could reset or rewind the store.
        args.admin_token = secrets.token_urlsafe(16)
    config = {
        "DB_PATH": args.db,
        "TOKEN": args.token,
        "ADMIN_TOKEN": args.admin_token,
        "VALIDATE_RESPONSES": args.validate_responses,
        "ACCESS_LOG": not args.quiet,
        "MAX_CONTENT_LENGTH": args.max_body_size,
        "MAX_HEADER_SIZE": args.max_header_size,
        "IMPORT_MAX_ROWS": args.import_max_rows,
        "IMPORT_CPU_SECONDS": args.import_cpu_time,
        "IMPORT_MEMORY": args.import_memory,
        "IMPORT_SECONDS": args.import_timeout,
        "IMPORT_MAX_TEXT": args.import_max_text,
        "JOURNAL_SIZE": args.journal_size,
        "JOURNAL_MAX_BYTES": args.journal_max_bytes,
        "REDACT_HEADERS": args.redact_header,
        "BODY_TIMEOUT": args.body_timeout,
        "LATENCY": args.latency,
        "CORS_ORIGINS": _origins(args.cors_origin),
        "ISOLATION": args.isolation,
        "MAX_SANDBOXES": args.max_sandboxes,
        "SANDBOX_IDLE_SECONDS": args.sandbox_idle,
        "SANDBOX_MAX_STORE": args.sandbox_max_store,
        "SANDBOX_MAX_SNAPSHOTS": args.sandbox_max_snapshots,
        "SANDBOX_MAX_SNAPSHOT_BYTES": args.sandbox_max_snapshot_bytes,
        "STRICT": args.strict,
        "BUSINESS_ID": args.business_id,
        "READINGS": args.readings,
    }
    serving.preflight(config, args.host, args.port)
    if args.fresh:
        reset_file(args.db)
    url = f"http://{'localhost' if args.host == '127.0.0.1' else args.host}:{args.port}"
    tokens = f"only 'Bearer {args.token}'" if args.token else "any 'Authorization: Bearer <token>'"
    print(f"mockserver on {url}  (store {args.db}, {args.server})", flush=True)
    print(f"  accepts {tokens}", flush=True)
    if args.isolation == "token":
        print(f"  a sandbox per token: at most {args.max_sandboxes}, deleted after {args.sandbox_idle:g}s idle")
    if args.admin_token:
        print(f"  control plane needs '{ADMIN_HEADER}: {args.admin_token}' (set ${ADMIN_ENV} for the CLI)", flush=True)
    print(f"  try: curl -H 'Authorization: Bearer {args.token or 'demo'}' {url}/api/v3/clients", flush=True)
    print(f"  docs: {url}/docs  (spec: {url}/openapi.yaml)", flush=True)
    print(f"  control plane (reset, snapshots, journal, clock, ledger, faults): {url}/__mock/openapi.yaml", flush=True)
    bid = args.business_id or seeded_business()["encrypted_id"]
    print(f"  business id (bid): {bid}, customers as .xlsx: {url}/api/v3/clients/clients-print/{bid}", flush=True)
    if args.strict:
        print("  strict: unknown query parameters and body fields get 422", flush=True)
    threads = args.threads or (LATENCY_THREADS if args.latency and args.server == "waitress" else 1)
    serving.run(config, args.host, args.port, threads, args.server)
    return 0


def _origins(given: list[str] | None) -> list[str]:
    if not given:
        return [defaults.ANY_ORIGIN]
    return [origin.rstrip("/") for origin in given if origin.lower() != "none"]
