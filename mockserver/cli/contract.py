"""mockserver contract: any server held to openapi.yaml and to what the docs mean."""

import argparse
import os
import sys
from pathlib import Path

from ..contract import PHASES
from . import options


def add_parser(commands) -> argparse.ArgumentParser:
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
    contract.add_argument(
        "--max-examples", type=options.count, default=20, metavar="N", help="cases per operation (20)"
    )
    contract.add_argument("--seed", type=int, help="make the run repeatable (default: random, printed at the end)")
    contract.add_argument(
        "--phases", type=phases, default=list(PHASES), help=f"comma-separated, from {','.join(PHASES)} (all)"
    )
    contract.add_argument("--workers", type=options.count, default=1, metavar="N", help="concurrent workers (1)")
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
    contract.set_defaults(run=run)
    return contract


def check(args: argparse.Namespace) -> str | None:
    if not args.token:
        return "contract needs --token (or $MOCKSERVER_TOKEN): the bearer token the server accepts"
    return None


def phases(text: str) -> list[str]:
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PHASES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"{text!r}: phases are {', '.join(PHASES)}")
    return chosen


def run(args: argparse.Namespace) -> int:
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
            model="model" in args.phases,
        )
    except contract.NotRun as e:
        print(f"mockserver contract: {e}", file=sys.stderr, flush=True)
        return contract.NOT_RUN
    verdict = "conforms to" if code == 0 else f"does NOT conform to (exit {code})"
    report = f"; JUnit report: {args.junit_xml}" if args.junit_xml else ""
    print(f"mockserver contract: {args.base_url} {verdict} openapi.yaml{report}", flush=True)
    return code
