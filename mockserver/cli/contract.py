"""mockserver contract: any server held to openapi.yaml and to what the docs mean."""

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from ..contract import DEFAULT_PHASES, MAX_EXAMPLES, PHASES
from ..resources import cache_folder
from . import options


def add_parser(commands) -> argparse.ArgumentParser:
    contract = commands.add_parser(
        "contract",
        help="contract-test any server (the real backends or this mock) against openapi.yaml with Schemathesis",
        description="Predicts every answer of --base-url from a model of the docs and compares it field by "
        "field (the model's phase), then runs every Schemathesis check in its examples, fuzzing and stateful "
        "phases (coverage on request); exits non-zero on any failure. Arguments after -- go to "
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
        "--max-examples",
        type=options.count,
        default=MAX_EXAMPLES,
        metavar="N",
        help=f"cases per operation in the fuzzing phase ({MAX_EXAMPLES}); the stateful phase has a budget of its own",
    )
    contract.add_argument("--seed", type=int, help="make the run repeatable (default: random, printed at the end)")
    contract.add_argument(
        "--phases",
        type=phases,
        default=list(DEFAULT_PHASES),
        help=f"comma-separated, from {','.join(PHASES)} (default: {','.join(DEFAULT_PHASES)}; "
        "Schemathesis's coverage phase adds about 20 s)",
    )
    contract.add_argument(
        "--max-failures",
        type=options.positive,
        metavar="N",
        help="stop the run after N failed requests, the model's and Schemathesis's together (default: run it all)",
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

    def schemathesis_args(
        phases: list[str], seed: int | None, junit_xml: Path | None, max_examples: int | None = None
    ) -> list[str]:
        return contract.schemathesis_args(
            args.base_url,
            args.token,
            max_examples or args.max_examples,
            seed,
            phases,
            args.workers,
            junit_xml,
            args.passthrough,
            args.aliases,
        )

    replay_was_there = REPLAY_FOLDER.exists()
    with _scratch() as scratch:
        # the stateful phase is run on its own, in passes with a budget of their own (contract.scenarios)
        others = [phase for phase in args.phases if phase != "stateful"]
        first = schemathesis_args(others, args.seed, args.junit_xml)

        def stateful_pass(n: int) -> list[str] | None:
            if "stateful" not in args.phases:
                return None
            # written aside, then folded into the one report asked for (_fold_junit)
            junit_xml = args.junit_xml and (scratch / f"stateful-{n}.xml" if first or n > 1 else args.junit_xml)
            seed = None if args.seed is None else args.seed + n - 1
            return schemathesis_args(["stateful"], seed, junit_xml, contract.scenarios(n))

        try:
            code = contract.run(
                first,
                args.base_url,
                args.token,
                args.aliases,
                again=stateful_pass,
                seeded=args.seeded,
                model="model" in args.phases,
                max_failures=args.max_failures,
            )
        except contract.NotRun as e:
            print(f"mockserver contract: {e}", file=sys.stderr, flush=True)
            return contract.NOT_RUN
        if args.junit_xml:
            _fold_junit(args.junit_xml, sorted(scratch.glob("stateful-*.xml")))
    if code == 0 and not replay_was_there:
        shutil.rmtree(REPLAY_FOLDER, ignore_errors=True)  # nothing to replay: the folder left as it was
    verdict = "conforms to" if code == 0 else f"does NOT conform to (exit {code})"
    report = f"; JUnit report: {args.junit_xml}" if args.junit_xml else ""
    print(f"mockserver contract: {args.base_url} {verdict} openapi.yaml{report}", flush=True)
    return code


# Schemathesis keeps its crash files in .schemathesis/ under the working folder: what the
# report's `st replay <id>` hints read, so a failing run keeps them there; a passing run
# removes the folder it made, which held nothing to replay.
REPLAY_FOLDER = Path(".schemathesis")


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A folder for what the run writes that nobody asked for: the later stateful passes'
    reports. Hypothesis's own files, which went to .hypothesis/ in the working folder
    (--generation-database none does not cover the constants it finds in the source), go to
    the user's cache folder instead (_hypothesis_home)."""
    from hypothesis import configuration

    home = configuration.storage_directory(intent_to_write=False).home_directory
    with tempfile.TemporaryDirectory(prefix="mockserver-contract-") as scratch:
        configuration.set_hypothesis_home_dir(_hypothesis_home(Path(scratch)))
        try:
            yield Path(scratch)
        finally:
            configuration.set_hypothesis_home_dir(home)


def _hypothesis_home(scratch: Path) -> Path:
    """Where Hypothesis keeps its files for this run: the user's cache folder, where the
    Unicode tables it makes on first use stay for the next run (made again in a scratch
    folder every time, they were a third of the examples phase, about 3 s of a run); the
    scratch folder where that cannot be made (a read-only home)."""
    cache = cache_folder("hypothesis")
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return scratch / ".hypothesis"
    return cache


def _fold_junit(report: Path, later: list[Path]) -> None:
    """The later stateful passes' JUnit reports folded into the one asked for: a run writes
    the one file named, not one more per pass beside it. A test case of the same name (the
    stateful phase) gathers every pass's failures; the counts are made again as Schemathesis
    makes them."""
    if not later or not report.exists():
        return
    tree = ET.parse(report)
    suites = tree.getroot()
    suite = suites.find("testsuite")
    if suite is None:
        return
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    for path in later:
        for case in ET.parse(path).getroot().iter("testcase"):
            mine = cases.get(case.get("name"))
            if mine is None:
                suite.append(case)
                cases[case.get("name")] = case
                continue
            mine.extend(list(case))
            mine.set("time", f"{float(mine.get('time', 0)) + float(case.get('time', 0)):.6f}")
    counts = {
        "errors": sum(1 for case in cases.values() if case.find("error") is not None),
        "failures": sum(1 for case in cases.values() if case.find("failure") is not None),
        "skipped": sum(1 for case in cases.values() if case.find("skipped") is not None),
        "tests": len(cases),
    }
    time = f"{sum(float(case.get('time', 0)) for case in cases.values()):.6f}"
    for element in (suites, suite):
        element.attrib.update({name: str(count) for name, count in counts.items()}, time=time)
    ET.indent(suites)
    tree.write(report, encoding="utf-8", xml_declaration=True)
