"""mockserver serve | reset | snapshot | contract | seed."""

import argparse
import os
import re
import secrets
import shutil
import sys
from datetime import date
from pathlib import Path

from .. import defaults
from ..contract import PHASES
from ..control.remote import ADMIN_ENV, ADMIN_HEADER, ControlError, control
from ..resources import seeded_business
from ..serving.preflight import StartupError
from ..state.store import Store, StoreInUse

_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "KIB": 1024, "M": 1000**2, "MB": 1000**2, "MIB": 1024**2}
# One request thread answers fastest: CPython runs one thread at a time, and hands the
# GIL between busy ones only every few ms (README, "Choices"). Injected latency is a wait,
# so it gets threads to wait in.
LATENCY_THREADS = 8
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    argv, passthrough = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command's own parser, whose usage lists the options it takes
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")  # type: ignore[attr-defined]
    args.passthrough = passthrough
    if args.command == "contract" and not args.token:
        parser.error("contract needs --token (or $MOCKSERVER_TOKEN): the bearer token the server accepts")
    if args.command == "snapshot" and (args.name is None) != (args.action == "list"):
        parser.error(f"snapshot {args.action} {'takes no name' if args.action == 'list' else 'needs a NAME'}")
    try:
        return {"serve": _serve, "reset": _reset, "snapshot": _snapshot, "contract": _contract, "seed": _seed}[
            args.command
        ](args)
    except StoreInUse as e:
        hint = "" if args.command == "serve" else "; or pass --url to ask the server that holds it"
        print(f"mockserver: {e}{hint}", file=sys.stderr)
        return 1
    except (ControlError, StartupError) as e:
        print(f"mockserver: {e}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockserver", description="A stateful mock of the Built Accounting and Summit APIs."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    parser.commands = commands.choices  # type: ignore[attr-defined]

    serve = commands.add_parser("serve", help="serve the API (seeded from fixtures/ on first start)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000)")
    _db_option(serve)
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
        help="threads for requests with a body, heavy reports and lists, and delays (default 1, or 8 with "
        "--latency); requests without a body are answered meanwhile. Each extra one lets one more such request "
        "run or wait (a Prefer: delay) at once",
    )
    serve.add_argument(
        "--server",
        choices=["granian", "waitress"],
        default="granian",
        help="granian (default; a body is read whole before the app sees it) or waitress (pure Python)",
    )
    serve.add_argument("--quiet", action="store_true", help="no line per request")
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
        "--max-body-size",
        type=_size,
        default=defaults.MAX_BODY,
        metavar="SIZE",
        help=f"largest request body, an upload included: 413 above it (default {defaults.MAX_BODY // 1024**2}MiB; "
        "bytes, or with KB, MB, KiB, MiB)",
    )
    serve.add_argument(
        "--import-max-rows",
        type=int,
        default=defaults.IMPORT_ROWS,
        metavar="N",
        help=f"most customers one spreadsheet import takes (default {defaults.IMPORT_ROWS:,})",
    )

    serve.add_argument(
        "--latency",
        type=_latency,
        metavar="MS",
        help="wait before every API answer: 100 (ms) or a uniform range 50-200 (default none)",
    )
    serve.add_argument(
        "--journal-size",
        type=_count,
        default=defaults.JOURNAL_SIZE,
        metavar="N",
        help=f"API requests GET /__mock/requests keeps (default {defaults.JOURNAL_SIZE:,}; 0: no journal)",
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

    serve.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="let only this origin's pages call the API, e.g. http://localhost:3000 (repeatable; "
        "default: any origin; 'none': no CORS headers at all)",
    )

    serve.add_argument(
        "--isolation",
        choices=["shared", "token"],
        default="shared",
        help="shared: one store for every caller (default); token: a sandbox per bearer token, "
        "seeded from the fixtures on first use, which the control plane acts on",
    )
    serve.add_argument(
        "--max-sandboxes",
        type=_count,
        default=defaults.MAX_SANDBOXES,
        metavar="N",
        help=f"with --isolation token: most sandboxes at once; a new token beyond it gets 503 "
        f"(default {defaults.MAX_SANDBOXES})",
    )
    serve.add_argument(
        "--sandbox-idle",
        type=_duration,
        default=defaults.SANDBOX_IDLE,
        metavar="TIME",
        help="with --isolation token: delete a sandbox unused this long: 90s, 30m, 12h, 7d (default 24h)",
    )
    serve.add_argument(
        "--sandbox-max-store",
        type=_size,
        default=defaults.SANDBOX_MAX_STORE,
        metavar="SIZE",
        help="with --isolation token: a sandbox whose store files pass this gets 507 for what would add more "
        f"(default {defaults.SANDBOX_MAX_STORE // 1024**2}MiB)",
    )
    serve.add_argument(
        "--sandbox-max-snapshots",
        type=_count,
        default=defaults.SANDBOX_MAX_SNAPSHOTS,
        metavar="N",
        help=f"with --isolation token: snapshots a sandbox may keep (default {defaults.SANDBOX_MAX_SNAPSHOTS})",
    )
    serve.add_argument(
        "--sandbox-max-snapshot-bytes",
        type=_size,
        default=defaults.SANDBOX_MAX_SNAPSHOT_BYTES,
        metavar="SIZE",
        help="with --isolation token: the bytes of a sandbox's snapshots, all together "
        f"(default {defaults.SANDBOX_MAX_SNAPSHOT_BYTES // 1024**2}MiB)",
    )

    reset = commands.add_parser(
        "reset", help="put the store back to the fixtures (with --url: reset a running server, journal and all)"
    )
    _target_options(reset)

    snapshot = commands.add_parser("snapshot", help="save, restore, list or delete named copies of the store")
    snapshot.add_argument("action", choices=["save", "restore", "list", "delete"])
    snapshot.add_argument("name", nargs="?", help="the snapshot's name (not for list)")
    _target_options(snapshot)

    contract = commands.add_parser(
        "contract",
        help="contract-test any server (the real backends or this mock) against openapi.yaml with Schemathesis",
        description="Runs every Schemathesis check in every phase (examples, coverage, fuzzing, stateful "
        "links) against --base-url; exits non-zero on any failure. Arguments after -- go to "
        "`schemathesis run` as they are.",
    )
    contract.add_argument("--base-url", required=True, help="the server to test, e.g. https://api.example.com")
    contract.add_argument(
        "--token",
        default=os.environ.get("MOCKSERVER_TOKEN"),
        help="bearer token it accepts (default $MOCKSERVER_TOKEN); start a mock with --token so that "
        "Schemathesis's check that bad tokens are refused can pass",
    )
    contract.add_argument("--max-examples", type=_count, default=20, metavar="N", help="cases per operation (20)")
    contract.add_argument("--seed", type=int, help="make the run repeatable (default: random, printed at the end)")
    contract.add_argument(
        "--phases", type=_phases, default=list(PHASES), help=f"comma-separated, from {','.join(PHASES)} (all)"
    )
    contract.add_argument("--workers", type=_count, default=1, metavar="N", help="concurrent workers (1)")
    contract.add_argument("--junit-xml", type=Path, metavar="PATH", help="also write a JUnit XML report for CI")
    contract.add_argument(
        "--aliases",
        action="store_true",
        help="also require the second paths the docs' prose gives for two operations (/api/v3/clients/categories, "
        "/api/importcustomers); by default a backend need serve only the samples' paths",
    )
    contract.add_argument(
        "--seeded",
        action="store_true",
        help="the target was started from the docs' sample records (as `mockserver serve --fresh`): first check "
        "that it answers the docs' sample requests with the docs' sample answers, field for field",
    )

    seed = commands.add_parser(
        "seed", help="demo data at scale: the fixtures plus generated customers, ledger history and income"
    )
    _db_option(seed)
    seed.add_argument("--customers", type=_count, default=1000, metavar="N", help="customers to add (1000)")
    seed.add_argument("--income", type=_count, default=5000, metavar="N", help="Summit income entries to add (5000)")
    seed.add_argument("--seed", type=int, default=42, help="random seed: the same seed, the same data (42)")
    seed.add_argument(
        "--until",
        type=date.fromisoformat,
        default=defaults.SEED_UNTIL,
        metavar="DATE",
        help=f"last day of the generated history, which spans three years (default {defaults.SEED_UNTIL})",
    )
    seed.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=defaults.DB, help=f"TinyDB file (default {defaults.DB})")


def _target_options(parser: argparse.ArgumentParser) -> None:
    """Work on a store file directly, or (--url) through a running server's control plane."""
    _db_option(parser)
    parser.add_argument(
        "--url",
        default=os.environ.get("MOCKSERVER_URL"),
        help="a running server, e.g. http://localhost:8000 (default $MOCKSERVER_URL; none: work on --db)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("MOCKSERVER_TOKEN", "mockserver-cli"),
        help="bearer token for --url (default $MOCKSERVER_TOKEN)",
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mockserver")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _port(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: write a number from 1 to 65535")
    return int(text)


def _count(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a count: write a whole number, 0 or more")
    return int(text)


def _latency(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?(?:ms)?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a latency: write milliseconds, 100, or a range, 50-200")
    least, most = int(match.group(1)), int(match.group(2) or match.group(1))
    if least > most or most > 60_000:
        raise argparse.ArgumentTypeError(f"{text!r}: the range must run upwards and stay within 60000 ms")
    return least, most


def _duration(text: str) -> float:
    """90s, 30m, 12h, 7d, or plain seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text.lower())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time: write 90s, 30m, 12h or 7d")
    return float(int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)])


def _size(text: str) -> int:
    """5MB, 512KiB, 1000000: a size in bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).upper() if match else ""
    if not match or unit not in _UNITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: write bytes, or a number with KB, MB, KiB or MiB")
    return int(match.group(1)) * _UNITS[unit]


def _serve(args: argparse.Namespace) -> int:
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
        "IMPORT_MAX_ROWS": args.import_max_rows,
        "JOURNAL_SIZE": args.journal_size,
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
    }
    serving.preflight(config, args.host, args.port)
    if args.fresh:
        _reset_file(args.db)
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
    threads = args.threads or (LATENCY_THREADS if args.latency else 1)
    serving.run(config, args.host, args.port, threads, args.server)
    return 0


def _origins(given: list[str] | None) -> list[str]:
    if not given:
        return [defaults.ANY_ORIGIN]
    return [origin.rstrip("/") for origin in given if origin.lower() != "none"]


def _reset(args: argparse.Namespace) -> int:
    if args.url:
        result = control(args.url, args.token, "POST", "/__mock/reset")
        print(f"mockserver: {args.url} reset: {_counts(result['records'])}", flush=True)
    else:
        _reset_file(args.db)
    return 0


def _reset_file(db: Path) -> None:
    """The store back to the fixtures, and every token's sandbox gone."""
    store = Store(db)
    if not store.seeded:
        store.reset()
    store.close()
    from ..state.sandbox import sandbox_folder

    shutil.rmtree(sandbox_folder(db), ignore_errors=True)
    print(f"mockserver: {db} reset to the fixtures", flush=True)


def _phases(text: str) -> list[str]:
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PHASES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"{text!r}: phases are {', '.join(PHASES)}")
    return chosen


def _contract(args: argparse.Namespace) -> int:
    from .. import contract

    def schemathesis_args(phases: list[str], seed: int | None, junit_xml: Path | None) -> list[str]:
        return contract.schemathesis_args(
            args.base_url,
            args.token,
            args.max_examples,
            seed,
            phases,
            args.workers,
            junit_xml,
            args.passthrough,
            args.aliases,
        )

    def stateful_pass(n: int) -> list[str] | None:
        if "stateful" not in args.phases:
            return None
        junit_xml = args.junit_xml and args.junit_xml.with_name(f"{args.junit_xml.stem}-stateful-{n}.xml")
        return schemathesis_args(["stateful"], None if args.seed is None else args.seed + n, junit_xml)

    try:
        code = contract.run(
            schemathesis_args(args.phases, args.seed, args.junit_xml),
            args.base_url,
            args.token,
            args.aliases,
            again=stateful_pass,
            seeded=args.seeded,
        )
    except contract.NotRun as e:
        print(f"mockserver contract: {e}", file=sys.stderr, flush=True)
        return contract.NOT_RUN
    verdict = "conforms to" if code == 0 else f"does NOT conform to (exit {code})"
    report = f"; JUnit report: {args.junit_xml}" if args.junit_xml else ""
    print(f"mockserver contract: {args.base_url} {verdict} openapi.yaml{report}", flush=True)
    return code


def _seed(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..state.seeding import seed

    store = Store(args.db)
    try:
        with tqdm(
            total=args.customers + args.income,
            unit=" records",
            desc="mockserver seed",
            disable=args.quiet,
            file=sys.stderr,
        ) as bar:
            made = seed(store, args.customers, args.income, args.seed, args.until, bar.update)
    finally:
        store.close()
    print(
        f"mockserver: {args.db} is the fixtures plus {made.customers:,} customers with {made.ledger:,} ledger "
        f"entries and {made.income:,} income entries (seed {args.seed}, until {args.until})",
        flush=True,
    )
    return 0


def _snapshot(args: argparse.Namespace) -> int:
    if args.url:
        path = "/__mock/snapshots" + (f"/{args.name}" if args.name else "")
        method, path = {
            "save": ("PUT", path),
            "restore": ("POST", path + "/restore"),
            "list": ("GET", path),
            "delete": ("DELETE", path),
        }[args.action]
        result = control(args.url, args.token, method, path)
    else:
        from ..state.snapshots import SnapshotError  # it needs flask, which `serve` leaves to its worker

        try:
            result = _snapshot_offline(args.db, args.action, args.name)
        except SnapshotError as e:
            print(f"mockserver: {e}", file=sys.stderr)
            return 1
    if args.action == "list":
        for snapshot in result:
            print(f"{snapshot['name']}  {snapshot['created_at']}  {_counts(snapshot['records'])}")
    else:
        done = {"save": "saved", "restore": "restored", "delete": "deleted"}[args.action]
        print(f"mockserver: snapshot {args.name} {done}", flush=True)
    return 0


def _snapshot_offline(db: Path, action: str, name: str | None):
    from ..state.snapshots import SnapshotError, Snapshots

    store = Store(db)
    try:
        snapshots = Snapshots(store)
        if action == "list":
            return [s.summary() for s in snapshots.all()]
        assert name is not None
        if action == "save":
            return snapshots.save(name)[0].summary()
        found = snapshots.restore(name) if action == "restore" else snapshots.delete(name)
        if not found:
            raise SnapshotError(f"no snapshot {name!r} in {snapshots.folder}")
        return None
    finally:
        store.close()


def _counts(records: dict[str, int]) -> str:
    return ", ".join(f"{count} {table}" for table, count in records.items())
