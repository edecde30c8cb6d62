"""`mockserver contract`: hold any server, the real Built and Summit backends or this mock,
to openapi.yaml with Schemathesis.

All checks, all four phases (the docs' examples, coverage, fuzzing, and the stateful
workflows the spec's links describe), and the settings in schemathesis.toml, which say
where a 422 is the documented answer to schema-valid data. It is Schemathesis's own
command line underneath, so its report, its `st replay` hints and its exit code are
what a CI job gets; anything after `--` goes to `schemathesis run` as it is.
"""

from pathlib import Path

from .resources import CONTRACT_CONFIG_PATH, SPEC_PATH

PHASES = ("examples", "coverage", "fuzzing", "stateful")


def schemathesis_args(
    base_url: str,
    token: str,
    max_examples: int,
    seed: int | None,
    phases: list[str],
    workers: int,
    junit_xml: Path | None,
    extra: list[str],
) -> list[str]:
    args = ["--config-file", str(CONTRACT_CONFIG_PATH), "run", str(SPEC_PATH)]
    args += ["--url", base_url.rstrip("/"), "--header", f"Authorization: Bearer {token}"]
    args += ["--checks", "all", "--phases", ",".join(phases), "--max-examples", str(max_examples)]
    args += ["--workers", str(workers), "--generation-database", "none"]  # leave no .hypothesis/ behind
    if seed is not None:
        args += ["--seed", str(seed)]
    if junit_xml is not None:
        args += ["--report", "junit", "--report-junit-path", str(junit_xml)]
    return args + extra


# Schemathesis exits 0, 1 (failures), 2 (an error in the run) or 130: this is none of them,
# so a CI job can tell "the contract was not tested" from "the server broke it".
NOT_RUN = 3


class NotRun(RuntimeError):
    pass


def run(args: list[str]) -> int:
    """Schemathesis's exit code: 0 when every check held; NotRun if it is not installed."""
    try:
        from schemathesis.cli import schemathesis as cli
    except ImportError:
        raise NotRun(
            "Schemathesis is not installed, so no contract test ran; install the extra with "
            "pip install 'mockserver[contract]', or from a checkout: pip install -e '.[contract]'"
        ) from None
    try:
        cli.main(args=args, prog_name="mockserver contract", standalone_mode=True)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 1
    return 0
