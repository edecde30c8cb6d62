"""mockserver proxy --upstream URL: a validating proxy in front of a backend (the real one,
or this mock), which checks every exchange against openapi.yaml and the docs' model
(mockserver/proxy/) and lists what breaks them at /__proxy/violations."""

import argparse
import os
import socket
from urllib.parse import urlsplit

from . import options

DEFAULT_PORT = 8002  # beside serve's 8000 (the upstream it is most often put in front of) and make docs' 8001


def add_parser(commands) -> argparse.ArgumentParser:
    proxy = commands.add_parser(
        "proxy", help="forward every request to --upstream, checking each answer against the docs"
    )
    proxy.add_argument(
        "--upstream", required=True, metavar="URL", help="the backend to forward to, e.g. http://localhost:8000"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    proxy.add_argument(
        "--port", type=options.port, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    proxy.add_argument(
        "--token",
        default=os.environ.get("MOCKSERVER_TOKEN"),
        help="bearer token the model reads the upstream's state with; only requests with it are judged "
        "(default $MOCKSERVER_TOKEN, or the Authorization of the first request checked)",
    )
    proxy.add_argument(
        "--fail-on-violation",
        action="store_true",
        help="answer 502 with the violations instead of an upstream answer that breaks a rule (for CI)",
    )
    proxy.add_argument("--threads", type=options.count, default=16, help="requests forwarded at once (default 16)")
    proxy.add_argument(
        "--max-checked-size",
        type=options.size,
        default="32MiB",
        metavar="SIZE",
        help="longest answer checked; a longer one is forwarded unchecked (default 32MiB)",
    )
    proxy.set_defaults(run=run)
    return proxy


def check(args: argparse.Namespace) -> str | None:
    split = urlsplit(args.upstream)
    if split.scheme not in ("http", "https") or not split.hostname:
        return f"--upstream {args.upstream!r} is not a URL: write http://host:port, e.g. http://localhost:8000"
    if split.query or split.fragment:
        return f"--upstream {args.upstream!r}: give the backend's base URL, with no query or fragment"
    if args.threads < 1:
        return "--threads must be 1 or more"
    return None


def run(args: argparse.Namespace) -> int:
    from ..proxy.checks import Checker
    from ..proxy.forward import Upstream
    from ..proxy.wsgi import ProxyApp, serve
    from ..serving.preflight import StartupError, check_port

    check_port(args.host, args.port)
    if _same_place(args.upstream, args.host, args.port):
        raise StartupError(f"--upstream {args.upstream} is this proxy's own address; it would forward to itself")
    upstream = Upstream(args.upstream)
    checker = Checker(upstream.get, upstream.url, args.token)
    app = ProxyApp(upstream, checker, args.fail_on_violation, args.max_checked_size)
    url = f"http://{'localhost' if args.host == '127.0.0.1' else args.host}:{args.port}"
    print(f"mockserver proxy on {url}, forwarding to {upstream.url}", flush=True)
    print("  checks every answer against openapi.yaml and the docs' model (the contract's readings allowed)")
    print(f"  violations: {url}/__proxy/violations (DELETE it to clear), counts: {url}/__proxy/status")
    if args.fail_on_violation:
        print("  --fail-on-violation: an answer that breaks a rule is replaced by a 502 naming it")
    print("", flush=True)
    serve(app, args.host, args.port, args.threads)
    return 0


def _same_place(upstream: str, host: str, port: int) -> bool:
    split = urlsplit(upstream)
    their_port = split.port or (443 if split.scheme == "https" else 80)
    if their_port != port:
        return False
    try:
        theirs = {a[4][0] for a in socket.getaddrinfo(split.hostname, their_port)}
        ours = {a[4][0] for a in socket.getaddrinfo(host, port)}
    except OSError:
        return False
    local = {"127.0.0.1", "::1"}
    return bool(theirs & ours) or (host in ("0.0.0.0", "::") and bool(theirs & local))
