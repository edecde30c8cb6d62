"""`mockserver contract` holds a live server to openapi.yaml, and catches one that drifts."""

import json
import re
import sys
import xml.etree.ElementTree as ET

import pytest
from flask import request

from bench.mutants import DEFECTS
from bench.mutants import TOKEN as MUTANT_TOKEN
from mockserver import create_app
from mockserver.cli import main
from mockserver.contract import DEFAULT_PHASES, NOT_RUN, alias_operations, focus, links
from mockserver.serving.threaded import serving
from mockserver.web.spec import load_spec
from tests.server_process import ServerProcess, run_cli

TOKEN = "contract-token"
QUICK = ("--max-examples", "5", "--seed", "1")


def junit(path):
    suite = ET.parse(path).getroot()
    return int(suite.get("tests")), int(suite.get("failures")), suite


@pytest.fixture
def broken_server():
    """The mock with a drift a real backend could have: one customer read lost `balance`."""
    app = create_app({"DB_PATH": None, "TOKEN": TOKEN})

    @app.after_request
    def drift(response):
        if (
            request.method == "GET"
            and re.fullmatch(r"/api/v3/clients/\d+", request.path)
            and response.status == "200 OK"
        ):
            body = response.get_json()
            del body["balance"]
            response.set_data(json.dumps(body))
        return response

    with serving(app) as base_url:
        yield base_url


# Lenient (the Laravel backend's way: unknown fields ignored) and strict (refused) are both
# faithful readings of docs that say nothing on it; so are Laravel's default middleware and
# router (--readings laravel): the contract passes each, with no failure at all. The default
# reading gets a default run's phases, as a user runs it; each other gets the model's, the
# stateful one, and the phase whose drawn data its reading meets most: strict, the coverage
# phase (which only --phases runs) with its bodies that hold a property the schema does not
# name; Laravel's, the fuzzing phase's strings with spaces around them or none in them.
READINGS = {
    "lenient": ([], DEFAULT_PHASES),
    "strict": (["--strict"], ("model", "coverage", "stateful")),
    "laravel": (["--readings", "laravel"], ("model", "fuzzing", "stateful")),
}


@pytest.mark.parametrize("name", READINGS)
def test_a_live_mockserver_conforms(tmp_path, name):
    reading, phases = READINGS[name]
    work, reports = tmp_path / "work", tmp_path / "reports"
    work.mkdir()
    reports.mkdir()
    with ServerProcess("--db", str(tmp_path / "db.json"), "--token", TOKEN, "--quiet", *reading) as server:
        result = run_cli(
            "contract",
            "--base-url",
            server.base,
            "--token",
            TOKEN,
            *QUICK,
            "--phases",
            ",".join(phases),
            "--junit-xml",
            str(reports / "j.xml"),
            cwd=work,  # Schemathesis keeps its replay files in .schemathesis/ under the working folder
        )
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"mockserver contract: {server.base} conforms to openapi.yaml" in result.stdout
    # a passing run leaves the working folder as it was (no .hypothesis/, .schemathesis/), and
    # writes the one report asked for, its later stateful passes folded in
    assert list(work.iterdir()) == [] and [p.name for p in reports.iterdir()] == ["j.xml"]
    # generated data is mostly accepted by every operation (the steering hooks), in every phase;
    # under Laravel's middleware an empty string is null, which the steering does not foresee
    if name != "laravel":
        assert "mostly rejected generated data" not in result.stdout, result.stdout[result.stdout.find("WARNINGS") :]
    assert "model phase: 0 of the probe's requests answered otherwise" in result.stdout
    tests, failures, _ = junit(reports / "j.xml")
    # every operation but the prose's alias paths, and the stateful phase
    assert failures == 0 and tests == len(load_spec().operations) - len(alias_operations()) + 1
    # the run's own table: a row for each operation tested, and every link walked
    table = result.stdout.split("what was sent and checked, by operation")[1]
    for operation in load_spec().operations:
        if operation.operation_id not in alias_operations():
            assert f"\n{operation.method} {operation.path} " in table
    walked = f"links walked: {len(links())} of the {len(links())} the spec defines"
    assert walked in result.stdout, result.stdout[result.stdout.rfind("links walked") :]


def test_a_broken_server_fails_with_a_readable_report(broken_server, tmp_path):
    report = tmp_path / "j.xml"
    result = run_cli(
        "contract",
        "--base-url",
        broken_server,
        "--token",
        TOKEN,
        *QUICK,
        "--phases",
        "examples",
        "--junit-xml",
        str(report),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "does NOT conform to (exit 1) openapi.yaml" in result.stdout
    assert "Response violates schema" in result.stdout and '"balance" is a required property' in result.stdout
    tests, failures, suite = junit(report)
    assert (tmp_path / ".schemathesis").is_dir()  # where the report's `st replay` ids are kept
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failures >= 1 and "GET /api/v3/clients/{id}" in failed


def test_max_failures_stops_the_run_at_the_first_that_fails(broken_server, tmp_path):
    result = run_cli(
        "contract", "--base-url", broken_server, "--token", TOKEN, "--max-failures", "1", *QUICK, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "model phase: 1 of the probe's requests answered otherwise" in result.stdout
    assert "stopped at --max-failures 1" in result.stdout
    assert "what was sent and checked" not in result.stdout  # Schemathesis's phases were not run
    assert "does NOT conform to (exit 1)" in result.stdout
    refused = run_cli("contract", "--base-url", broken_server, "--token", TOKEN, "--max-failures", "0")
    assert refused.returncode == 2 and "not a positive count" in refused.stderr


def test_max_failures_with_no_schemathesis_phase_runs_none(capsys):
    """--phases model --max-failures 1 against a target that passes: Schemathesis is not
    called with only the budget left (it refused that as a usage error, exit 2)."""
    from mockserver import contract

    app = create_app({"DB_PATH": None, "TOKEN": TOKEN})
    with serving(app) as base_url:
        code = contract.run([], base_url, TOKEN, model=False, max_failures=1)
    assert code == 0 and "Usage" not in capsys.readouterr().out


def test_a_later_stateful_pass_is_kept_to_the_links_left_and_what_leads_into_them():
    by_id = {op.operation_id: f"{op.method} {op.path}" for op in load_spec().operations}
    for link in links():
        args = focus([link])
        kept = {by_id[value] for flag, value in zip(args[::2], args[1::2], strict=True)}
        assert set(args[::2]) == {"--include-operation-id"}
        source, target = link.split(" -> ")[0], link.split(" -> ")[-1]
        leading = {other.split(" -> ")[0] for other in links(True) if other.split(" -> ")[-1] == source}
        assert kept == {source, target} | leading, link


def test_contract_needs_a_token_and_known_phases():
    no_token = run_cli("contract", "--base-url", "http://127.0.0.1:9")
    assert no_token.returncode == 2 and "contract needs --token" in no_token.stderr
    bad_phase = run_cli("contract", "--base-url", "http://127.0.0.1:9", "--token", "t", "--phases", "examples,smoke")
    assert bad_phase.returncode == 2 and "phases are model, examples, coverage, fuzzing, stateful" in bad_phase.stderr


def test_without_schemathesis_it_says_no_run_happened_with_its_own_status(monkeypatch, capsys):
    for name in [m for m in sys.modules if m == "schemathesis" or m.startswith("schemathesis.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if the extra were not installed
    code = main(["contract", "--base-url", "http://127.0.0.1:9", "--token", TOKEN])
    out, err = capsys.readouterr()
    assert code == NOT_RUN and code not in (0, 1, 2)
    assert "no contract test ran" in err and "pip install -e '.[contract]'" in err
    assert "conform" not in out + err


def test_a_defect_of_meaning_fails_the_run_naming_the_rule(tmp_path):
    """A balance with its sign flipped is well-formed: only a check of meaning sees it."""
    [defect] = [d for d in DEFECTS if d.name == "balance-sign-flipped"]
    app = create_app({"DB_PATH": None, "TOKEN": MUTANT_TOKEN})
    defect.plant(app)
    with serving(app) as base_url:
        # Schemathesis's examples alone, where the rule is one of its checks (the model's
        # phase would catch it too, as test_contract_model shows of every kind of view)
        result = run_cli(
            "contract", "--base-url", base_url, "--token", MUTANT_TOKEN, *QUICK, "--phases", "examples", cwd=tmp_path
        )
    assert result.returncode == 1, result.stdout[-3000:]
    assert "checks of meaning, ids steered to the listed ones: 7 customers" in result.stdout
    assert "MS100 customer_figures_agree: customer " in result.stdout
    assert "expected: " in result.stdout and "actual: " in result.stdout


def _report(path, *cases):
    """A JUnit report as Schemathesis writes one: (name, failure message or None) each."""
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name="schemathesis")
    for name, failure in cases:
        case = ET.SubElement(suite, "testcase", name=name, time="1.000000")
        if failure:
            ET.SubElement(case, "failure", type="failure", message=failure).text = failure
    failed = str(sum(1 for _, f in cases if f))
    for element in (suites, suite):
        element.attrib.update(tests=str(len(cases)), failures=failed, errors="0", skipped="0")
    ET.ElementTree(suites).write(path)


def test_later_stateful_passes_are_folded_into_the_one_report_asked_for(tmp_path):
    from mockserver.cli.contract import _fold_junit

    report, second, third = tmp_path / "j.xml", tmp_path / "s2.xml", tmp_path / "s3.xml"
    _report(report, ("GET /a", None), ("Stateful tests", None))
    _report(second, ("Stateful tests", None))
    _report(third, ("Stateful tests", "ST201 in pass 3"))
    _fold_junit(report, [second, third])
    tests, failures, suite = junit(report)
    assert (tests, failures) == (2, 1)  # the stateful phase stays one test case, failed in pass 3
    [stateful] = [case for case in suite.iter("testcase") if case.get("name") == "Stateful tests"]
    assert stateful.find("failure").get("message") == "ST201 in pass 3" and stateful.get("time") == "3.000000"
    assert suite.find("testsuite").get("failures") == "1"
