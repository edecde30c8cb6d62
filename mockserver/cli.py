"""mockserver serve | reset."""

import argparse
import re
import sys
from pathlib import Path

from .app import DEFAULT_DB, DEFAULT_IMPORT_ROWS, DEFAULT_MAX_BODY
from .resources import seeded_business
from .store import Store, StoreInUse

_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "KIB": 1024, "M": 1000**2, "MB": 1000**2, "MIB": 1024**2}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mockserver", description="A stateful mock of the Built Accounting and Summit APIs."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API (seeded from fixtures/ on first start)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    _db_option(serve)
    serve.add_argument("--token", help="accept only this bearer token (default: any)")
    serve.add_argument("--fresh", action="store_true", help="reset the store to the fixtures before serving")
    serve.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    serve.add_argument(
        "--server", choices=["granian", "waitress"], default="granian", help="WSGI server (default granian)"
    )
    serve.add_argument("--quiet", action="store_true", help="no line per request")
    serve.add_argument(
        "--validate-responses", action="store_true", help="check every answer against openapi.yaml (slower)"
    )
    serve.add_argument(
        "--max-body-size",
        type=_size,
        default=DEFAULT_MAX_BODY,
        metavar="SIZE",
        help=f"largest request body, an upload included: 413 above it (default {DEFAULT_MAX_BODY // 1024**2}MiB; "
        "bytes, or with KB, MB, KiB, MiB)",
    )
    serve.add_argument(
        "--import-max-rows",
        type=int,
        default=DEFAULT_IMPORT_ROWS,
        metavar="N",
        help=f"most customers one spreadsheet import takes (default {DEFAULT_IMPORT_ROWS:,})",
    )

    reset = commands.add_parser("reset", help="put the store back to the fixtures")
    _db_option(reset)

    args = parser.parse_args(argv)
    try:
        return {"serve": _serve, "reset": _reset}[args.command](args)
    except StoreInUse as e:
        print(f"mockserver: {e}", file=sys.stderr)
        return 1


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"TinyDB file (default {DEFAULT_DB})")


def _size(text: str) -> int:
    """5MB, 512KiB, 1000000: a size in bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).upper() if match else ""
    if not match or unit not in _UNITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: write bytes, or a number with KB, MB, KiB or MiB")
    return int(match.group(1)) * _UNITS[unit]


def _serve(args: argparse.Namespace) -> int:
    from .server import run

    if args.fresh:
        _reset(args)
    url = f"http://{'localhost' if args.host == '127.0.0.1' else args.host}:{args.port}"
    tokens = f"only 'Bearer {args.token}'" if args.token else "any 'Authorization: Bearer <token>'"
    print(f"mockserver on {url}  (store {args.db}, {args.server})", flush=True)
    print(f"  accepts {tokens}", flush=True)
    print(f"  try: curl -H 'Authorization: Bearer demo' {url}/api/v3/clients", flush=True)
    print(f"  spec: {url}/openapi.yaml", flush=True)
    bid = seeded_business()["encrypted_id"]
    print(f"  business id (bid): {bid}, customers as .xlsx: {url}/api/v3/clients/clients-print/{bid}", flush=True)
    config = {
        "DB_PATH": args.db,
        "TOKEN": args.token,
        "VALIDATE_RESPONSES": args.validate_responses,
        "ACCESS_LOG": not args.quiet,
        "MAX_CONTENT_LENGTH": args.max_body_size,
        "IMPORT_MAX_ROWS": args.import_max_rows,
    }
    run(config, args.host, args.port, args.threads, args.server)
    return 0


def _reset(args: argparse.Namespace) -> int:
    store = Store(args.db)
    if not store.seeded:
        store.reset()
    store.close()
    print(f"mockserver: {args.db} reset to the fixtures", flush=True)
    return 0
