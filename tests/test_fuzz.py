"""The larger fuzzing budget (marker `fuzz`; `.ci/run` runs it with the rest, `pytest -m fuzz`
alone): Schemathesis's own CLI, through `mockserver contract`, over the whole openapi.yaml in
its fuzzing phase with every check, against a server process started as a user starts it.
Zero server errors and zero schema violations, or it fails. The other phases do not grow
with the budget (the examples and coverage phases are made from the spec, the stateful
phase's scenarios are set in schemathesis.toml): test_contract_command.py runs them."""

import re
import subprocess
import sys

import pytest

from tests.patience import patience
from tests.server_process import ServerProcess

MAX_EXAMPLES = 50  # the in-process suite (test_contract.py) runs 10


@pytest.mark.fuzz
def test_the_whole_spec_fuzzed_finds_nothing(tmp_path):
    with ServerProcess("--db", str(tmp_path / "db.json"), "--token", "fuzz", "--quiet") as server:
        run = subprocess.run(
            [sys.executable, "-m", "mockserver", "contract", "--base-url", server.base, "--token", "fuzz",
             "--max-examples", str(MAX_EXAMPLES), "--seed", "20261121",
             "--phases", "fuzzing"],
            capture_output=True, text=True, cwd=tmp_path, timeout=patience(600),
        )  # fmt: skip
    tally = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert run.returncode == 0 and tally, run.stdout[-5000:]
    generated, passed = map(int, tally.groups())
    # printed, not record_property: that one breaks a run with --junitxml (xunit2); `-rP` shows it
    print(f"fuzz: {generated:,} cases generated, {passed:,} passed")
    assert generated == passed and generated > 1_000
    assert "Internal server error" not in server.log
