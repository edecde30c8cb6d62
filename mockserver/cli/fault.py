"""mockserver fault: make one endpoint slow, failing or dropped, in one line, on a running
server (PUT /__mock/faults takes the whole rule list as JSON; this writes it for you).

A new rule goes first, replacing any rule for the same method and path, so the latest
command wins where patterns overlap (the first matching rule applies); the others stay.
"""

import argparse
import os
from typing import Any

from ..control.remote import control
from . import options

DEFAULT_URL = "http://localhost:8000"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def add_parser(commands) -> argparse.ArgumentParser:
    fault = commands.add_parser(
        "fault",
        help="make an endpoint slow or failing on a running server (--path ... --latency 2000), --list, --clear",
        description="Adds a fault rule to a running server (--url), lists its rules, or clears them. "
        "Example: mockserver fault --path /api/income --latency 2000",
    )
    what = fault.add_mutually_exclusive_group()
    what.add_argument("--path", help="the path or pattern the rule aims at: /api/income, /api/v3/clients/*")
    what.add_argument("--list", action="store_true", help="show the server's fault rules")
    what.add_argument("--clear", action="store_true", help="remove every fault rule (--latency of serve stays)")
    fault.add_argument("--method", type=str.upper, choices=METHODS, help="only this method (default: any)")
    fault.add_argument(
        "--latency", type=options.latency, metavar="MS", help="wait before answering: 2000 (ms) or a range, 500-2000"
    )
    fault.add_argument(
        "--status",
        type=_status,
        action="append",
        metavar="CODE",
        help="answer this error status instead (repeatable: one drawn at random), e.g. 503",
    )
    fault.add_argument("--drop", action="store_true", help="close the connection unanswered instead")
    fault.add_argument(
        "--probability",
        type=_probability,
        metavar="P",
        help="how often --status or --drop happens, from 0 to 1 (default 1: every time)",
    )
    fault.add_argument("--seed", type=options.count, help="make the random draws repeatable")
    fault.add_argument(
        "--url",
        default=os.environ.get("MOCKSERVER_URL") or DEFAULT_URL,
        help=f"the running server (default $MOCKSERVER_URL, or {DEFAULT_URL})",
    )
    fault.add_argument(
        "--token",
        default=os.environ.get("MOCKSERVER_TOKEN", "mockserver-cli"),
        help="bearer token for --url (default $MOCKSERVER_TOKEN)",
    )
    fault.set_defaults(run=run)
    return fault


def check(args: argparse.Namespace) -> str | None:
    acts = args.latency is not None or args.status or args.drop
    if args.path is None:
        if not (args.list or args.clear):
            return "fault needs --path (with --latency, --status or --drop), --list or --clear"
        if acts or args.method or args.probability is not None or args.seed is not None:
            return "--list and --clear take no rule options (--method, --latency, --status, --drop, ...)"
        return None
    if not args.path.startswith("/"):
        return f"--path {args.path!r} must start with /, such as /api/income or /api/v3/clients/*"
    if not acts:
        return "fault --path needs what to do there: --latency MS, --status CODE or --drop"
    if args.probability is not None and not (args.status or args.drop):
        return "--probability is how often --status or --drop happens: give one of them"
    return None


def run(args: argparse.Namespace) -> int:
    if args.clear:
        control(args.url, args.token, "DELETE", "/__mock/faults")
        print("mockserver: fault rules cleared", flush=True)
        return 0
    state = control(args.url, args.token, "GET", "/__mock/faults")
    if args.path is not None:
        rule = _rule(args)
        kept = [r for r in map(_input, state["rules"]) if (r["path"], r.get("method")) != (rule["path"], args.method)]
        seed = args.seed if args.seed is not None else state.get("seed")
        state = control(args.url, args.token, "PUT", "/__mock/faults", {"seed": seed, "rules": [rule, *kept]})
    _show(state)
    return 0


def _rule(args: argparse.Namespace) -> dict[str, Any]:
    rule: dict[str, Any] = {"path": args.path}
    if args.method:
        rule["method"] = args.method
    if args.latency is not None:
        rule["latency_ms"] = {"min": args.latency[0], "max": args.latency[1]}
    chance = 1.0 if args.probability is None else args.probability
    if args.status:
        rule["statuses"] = sorted(set(args.status))
        rule["error_rate"] = chance
    if args.drop:
        rule["drop_rate"] = chance
    return rule


def _input(shown: dict[str, Any]) -> dict[str, Any]:
    """A rule as GET /__mock/faults shows it -> as PUT takes it (no nulls, no defaults)."""
    rule: dict[str, Any] = {"path": shown["path"]}
    if shown.get("method"):
        rule["method"] = shown["method"]
    if shown.get("latency_ms"):
        rule["latency_ms"] = shown["latency_ms"]
    if shown.get("error_rate"):
        rule["error_rate"] = shown["error_rate"]
    if shown.get("statuses"):
        rule["statuses"] = shown["statuses"]
    if shown.get("drop_rate"):
        rule["drop_rate"] = shown["drop_rate"]
    return rule


def _show(state: dict[str, Any]) -> None:
    rules = state["rules"]
    if not rules:
        print("mockserver: no fault rules", flush=True)
    for number, rule in enumerate(rules, 1):
        print(f"{number}. {_describe(rule)}", flush=True)
    if latency := state.get("server_latency_ms"):
        print(f"   every other request: {_span(latency)} (serve --latency)", flush=True)


def _describe(rule: dict[str, Any]) -> str:
    parts = [f"{rule.get('method') or 'any method'} {rule['path']}:"]
    if rule.get("latency_ms"):
        parts.append(f"waits {_span(rule['latency_ms'])}")
    if rule.get("error_rate"):
        statuses = ", ".join(map(str, rule.get("statuses") or [])) or "a documented error"
        parts.append(f"answers {statuses} {_share(rule['error_rate'])}")
    if rule.get("drop_rate"):
        parts.append(f"drops the connection {_share(rule['drop_rate'])}")
    return " ".join(parts) if len(parts) > 1 else parts[0] + " nothing"


def _span(latency: dict[str, int]) -> str:
    least, most = latency["min"], latency.get("max", latency["min"])
    return f"{least} ms" if least == most else f"{least}-{most} ms"


def _share(rate: float) -> str:
    return "every time" if rate >= 1 else f"{rate:.0%} of the time"


def _status(text: str) -> int:
    if not text.strip().isdigit() or not 400 <= int(text) <= 599:
        raise argparse.ArgumentTypeError(f"{text!r} is not an error status: write one from 400 to 599, such as 503")
    return int(text)


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability: write a number from 0 to 1, such as 0.5")
    return value
