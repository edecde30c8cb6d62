"""`mockserver contract`: hold any server, the real Built and Summit backends or this mock,
to openapi.yaml and to what the docs mean.

First the model's phase (phase.py): every answer predicted from a model of the docs and
compared field by field. Then Schemathesis, with all its checks and the checks of meaning,
in the docs' examples, fuzzing, and the stateful workflows the spec's links describe
(coverage on request), and the settings in schemathesis.toml, which say where a 422 is the
documented answer to schema-valid data. It is Schemathesis's own command line underneath,
so its report, its `st replay` hints and its exit code are what a CI job gets; anything
after `--` goes to `schemathesis run` as it is.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..resources import CONTRACT_CONFIG_PATH, SPEC_PATH
from ..web.spec import load_spec

# "model": the model's probe (phase.py); the others are Schemathesis's.
PHASES = ("model", "examples", "coverage", "fuzzing", "stateful")
SCHEMATHESIS_PHASES = PHASES[1:]
# A default run leaves out Schemathesis's coverage phase: the model's probe varies every
# parameter and body field over the same kinds of value (bounds, a step past them, left
# out, null, empty, of another type) with each answer predicted, where coverage holds them
# to shape; coverage was a third of a default run's time, and a default run must fit in a
# CI job's minute. `--phases` with coverage in it runs it.
DEFAULT_PHASES = ("model", "examples", "fuzzing", "stateful")
MAX_EXAMPLES = 10  # fuzzing cases per operation in a default run


def _operations() -> list[tuple[str, str, dict]]:
    paths = load_spec(SPEC_PATH).document["paths"].items()  # parsed once per process
    return [(method, path, op) for path, item in paths for method, op in item.items() if isinstance(op, dict)]


def alias_operations() -> list[str]:
    """The operations the spec marks x-alias-of: a second path the docs' prose gives."""
    return [op["operationId"] for _, _, op in _operations() if "x-alias-of" in op]


def links(aliases: bool = False) -> list[str]:
    """The spec's links between the operations a run tests, named as Schemathesis names them
    ("POST /a -> [201] GetIt -> GET /a/{id}")."""
    left_out = set() if aliases else set(alias_operations())
    return [
        name
        for (source, _), ends in link_ends().items()
        for name, target in ends
        if source not in left_out and target not in left_out
    ]


def link_ends() -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Every link of the spec by where it starts, (operationId, status): its name as
    Schemathesis names it, and the operationId it leads to."""
    label = {op["operationId"]: f"{method.upper()} {path}" for method, path, op in _operations()}
    ends: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for _, _, op in _operations():
        for status, answer in op.get("responses", {}).items():
            for name, link in (answer.get("links") or {}).items():
                if link.get("operationId") in label:
                    named = f"{label[op['operationId']]} -> [{status}] {name} -> {label[link['operationId']]}"
                    ends.setdefault((op["operationId"], str(status)), []).append((named, link["operationId"]))
    return ends


def focus(missed: list[str]) -> list[str]:
    """Schemathesis's arguments that keep a later stateful pass to the operations of the
    links not walked yet, and of the links that lead into those: a pass over every operation
    again spends most of its time on links already walked (a default run's pass is about a
    thousand cases)."""
    label = {f"{method.upper()} {path}": op["operationId"] for method, path, op in _operations()}
    left = [_ends(link) for link in missed]
    sources = {source for source, _ in left}
    wanted = {end for pair in left for end in pair}
    wanted |= {source for source, target in map(_ends, links(True)) if target in sources}
    return [arg for end in sorted(wanted) for arg in ("--include-operation-id", label[end])]


def _ends(link: str) -> tuple[str, str]:
    """A link's label, "POST /a -> [201] GetIt -> GET /a/{id}": its source and target operations."""
    parts = link.split(" -> ")
    return parts[0], parts[-1]


# Where the docs are open, the contract accepts each reasonable reading; the run says which.
READINGS = (
    "unknown body fields and query parameters ignored or refused with 422",
    "a path id looked up before the body is validated, or after",
    "404 or 405 for a method a path does not take where a wider route matches it",
    "the prose's alias paths served or not (--aliases to require them)",
    "422 for a schema-valid request that breaks a rule stated in words (an unknown reference, a duplicate name)",
)


def schemathesis_args(
    base_url: str,
    token: str,
    max_examples: int,
    seed: int | None,
    phases: list[str],
    workers: int,
    junit_xml: Path | None,
    extra: list[str],
    aliases: bool = False,
) -> list[str]:
    """Without `aliases`, the prose's second paths for an operation (x-alias-of in the spec)
    are left out: a backend serves the sample's path and need not serve both. No arguments
    at all when none of `phases` is Schemathesis's: it is not run."""
    phases = [phase for phase in phases if phase in SCHEMATHESIS_PHASES]
    if not phases:
        return []
    args = ["--config-file", str(CONTRACT_CONFIG_PATH), "run", str(SPEC_PATH)]
    if not aliases:
        for alias in alias_operations():
            args += ["--exclude-operation-id", alias]
    args += ["--url", base_url.rstrip("/"), "--header", f"Authorization: Bearer {token}"]
    args += ["--checks", "all", "--phases", ",".join(phases), "--max-examples", str(max_examples)]
    # A method a path does not take is the model's to judge (the probe sends one to every
    # path): 405, or 404 where a wider route matches (readings.py, wider_route).
    args += ["--exclude-checks", ",".join(EXCLUDED_CHECKS)]
    args += ["--workers", str(workers), "--generation-database", "none"]  # leave no .hypothesis/ behind
    if seed is not None:
        args += ["--seed", str(seed)]
    if junit_xml is not None:
        args += ["--report", "junit", "--report-junit-path", str(junit_xml)]
    return args + extra


EXCLUDED_CHECKS = ("unsupported_method",)
# Taken off when the model's phase finds the target reads the docs this way: Laravel's
# middleware trims strings and makes empty ones null before validating, so some bodies that
# Schemathesis draws as invalid are valid by the time the backend reads them.
OFF_FOR_READING = {"laravel_middleware": "negative_data_rejection"}


# Schemathesis exits 0, 1 (failures), 2 (an error in the run) or 130: this is none of them,
# so a CI job can tell "the contract was not tested" from "the server broke it".
NOT_RUN = 3


class NotRun(RuntimeError):
    pass


# The stateful phase walks links at random: it is run on its own, after the other phases,
# and a run that leaves some unwalked gets another stateful pass, up to this many in all,
# so a default run walks every link the spec defines. Five, not three: against a --strict
# server, where more creates are refused, a customer's delete-then-get was left unwalked
# after three passes in 4 runs of 4 (seed 1 needed five).
STATEFUL_PASSES = 5
# Scenarios (walks of up to max-steps links) in the first pass, and in each later one, which
# is kept to the operations of the links left (`focus`): 40 walked 17 to 19 of the 19 links
# in a pass over all operations; a later pass of 40 on the few left took as long as the
# first, when about ten walk what was left. 20, since the model's probe walks most links
# itself (credited in report.walked_by_model): 20 left none unwalked in three default runs
# against the mock, in 7-9 s of a run's 40-49.
STATEFUL_SCENARIOS = (20, 12)


def scenarios(n: int) -> int:
    """Stateful pass n's budget (from 1)."""
    return STATEFUL_SCENARIOS[0] if n == 1 else STATEFUL_SCENARIOS[1]


def run(
    args: list[str],
    base_url: str | None = None,
    token: str | None = None,
    aliases: bool = False,
    again: Callable[[int], list[str] | None] | None = None,
    seeded: bool = False,
    model: bool = True,
    max_failures: int | None = None,
) -> int:
    """Schemathesis's exit code: 0 when every check held; NotRun if it is not installed.
    With `base_url`, the checks of meaning run too, on what the target lists steered to, and
    `again(n)` gives the arguments of stateful pass n, run while links are left unwalked.
    `seeded`: the target holds the docs' sample records; its answers to the docs' sample
    requests are checked field for field first, before the run writes anything.
    `max_failures`: the run stops once that many requests have failed, in whichever phase."""
    try:
        from schemathesis.cli import schemathesis as cli
    except ImportError:
        raise NotRun(
            "Schemathesis is not installed, so no contract test ran; install the extra with "
            "pip install 'mockserver[contract]', or from a checkout: pip install -e '.[contract]'"
        ) from None
    if base_url is None:
        return _schemathesis(cli, args)
    from . import checks, golden, report, steering
    from .phase import model_phase

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    codes = []
    if seeded:
        wrong = golden.mismatches(base_url, headers)
        right, of = len(golden.SAMPLES) - len(wrong), len(golden.SAMPLES)
        print(f"mockserver contract: --seeded: {right} of the {of} docs' sample answers came back field for field")
        for mismatch in wrong:
            print(mismatch, flush=True)
        codes.append(1 if wrong else 0)
    report.install(links(aliases))
    known = steering.discover(base_url, headers)  # before the model's probe writes anything
    judge, failed = model_phase(base_url, headers, max_failures) if model else (None, 0)
    codes.append(1 if failed else 0)
    if judge is not None:
        report.walked_by_model(judge.walks.walked)
    stateful = again(1) is not None if again is not None else False
    if max_failures is not None and failed >= max_failures:
        args, stateful = [], False  # none left for Schemathesis: it is not run
    elif max_failures is not None and args:  # what is left goes to Schemathesis
        args = [*args, "--max-failures", str(max_failures - failed)]
    if not args and not stateful:  # no phase of Schemathesis's chosen, or none left to run
        return next((code for code in codes if code != 0), 0)
    # and the income entries the probe left: Schemathesis's own deletes would otherwise take
    # the few listed before it, and leave every later update of one a 404
    later = steering.discover(base_url, headers)
    known["income"] = sorted(set(known["income"]) | set(later["income"]))[-steering.MOST :]
    steering.install(known)
    counts = ", ".join(f"{len(ids)} {kind.replace('_', ' ')}" for kind, ids in known.items())
    print(f"mockserver contract: {len(checks.RULES)} checks of meaning, ids steered to the listed ones: {counts}")
    print(f"mockserver contract: readings allowed: {'; '.join(READINGS)}", flush=True)
    adapted = _adapted_to(judge)
    if args:
        codes.append(_schemathesis(cli, args + adapted))
    for n in range(1, STATEFUL_PASSES + 1):
        more = again(n) if again is not None else None
        if more is None or (n > 1 and not report.missed()) or codes[-1] not in (0, 1):
            break
        if max_failures is not None:
            if any(codes):
                break  # Schemathesis counted its failures against what was left; none remain
            more += ["--max-failures", str(max_failures - failed)]
        more += adapted
        if n > 1:
            more += focus(report.missed())
            steering.install(steering.discover(base_url, headers))  # not the ids the last pass deleted
            left = len(report.missed())
            print(f"mockserver contract: {left} links not walked yet; stateful pass {n} of at most {STATEFUL_PASSES}")
        codes.append(_schemathesis(cli, more))
    if judge is not None:
        taken = ", ".join(f"{name} ({count})" for name, count in sorted(judge.readings_taken.items())) or "none"
        print(
            f"mockserver contract: {judge.judged} answers judged against the model; readings the target took: {taken}"
        )
    return next((code for code in codes if code != 0), 0)


def _adapted_to(judge: Any) -> list[str]:
    """Schemathesis's own checks that would impose a reading the target was seen to take."""
    off = [check for reading, check in OFF_FOR_READING.items() if judge and judge.readings_taken.get(reading)]
    for check in off:
        print(f"mockserver contract: the target takes a reading under which {check} cannot hold: it is off")
    return ["--exclude-checks", ",".join((*EXCLUDED_CHECKS, *off))] if off else []


def _schemathesis(cli: Any, args: list[str]) -> int:
    try:
        cli.main(args=args, prog_name="mockserver contract", standalone_mode=True)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 1
    return 0
