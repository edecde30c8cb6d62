import argparse
import http.client
import json
import re
import shlex
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from bench import hostile_sheets
from mockserver.cli.options import duration as _duration
from mockserver.cli.options import latency as _latency
from mockserver.cli.options import size as _size
from mockserver.state.storage.journal import entry
from tests.conftest import ROOT, fixture_rows
from tests.patience import patience
from tests.server_process import AUTH, ServerProcess, free_port, run_cli
from tests.test_reliability import customer_sheet

NEW = {
    "business_name": "Process Ltd",
    "business_address": "",
    "business_phone": "",
    "business_email": "",
    "category_id": 1,
}


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "store" / "db.json")


def test_serve_answers_seeded_data_and_keeps_writes_across_restart(db):
    with ServerProcess("--db", db) as server:
        status, customer = server.call("GET", "/api/v3/clients/779")
        assert status == 200 and customer["business_name"] == "Abas two"
        status, created = server.call("POST", "/api/v3/clients", NEW)
        assert status == 201
        assert server.call("DELETE", "/api/v3/clients/2319")[0] == 200
    assert "mockserver on http://localhost:" in server.log and db in server.log
    bid = fixture_rows("businesses")[0]["encrypted_id"]
    assert f"business id (bid): {bid}, customers as .xlsx: http://localhost:" in server.log
    assert f"/api/v3/clients/clients-print/{bid}\n" in server.log

    with ServerProcess("--db", db) as again:
        assert again.call("GET", f"/api/v3/clients/{created['id']}") == (200, created)
        assert again.call("GET", "/api/v3/clients/2319")[0] == 404


@pytest.mark.parametrize("restore", ["reset-command", "fresh-flag"])
def test_fixtures_can_be_restored(db, restore):
    with ServerProcess("--db", db) as server:
        server.call("DELETE", "/api/v3/clients/779")
    if restore == "reset-command":
        result = run_cli("reset", "--db", db)
        assert result.returncode == 0, result.stderr
    with ServerProcess("--db", db, *(["--fresh"] if restore == "fresh-flag" else [])) as server:
        assert server.call("GET", "/api/v3/clients/779")[0] == 200


def test_token_option_accepts_only_that_token(db):
    with ServerProcess("--db", db, "--token", "process-token") as server:
        assert server.call("GET", "/api/v3/clients/779")[0] == 200
        status, body = server.call("GET", "/api/v3/clients/779", headers={"Authorization": "Bearer other"})
        assert status == 401 and "--token" in body["message"]
    assert "only 'Bearer process-token'" in server.log


def test_binds_loopback_only_by_default(db):
    with ServerProcess("--db", db) as server:
        listening = [
            line.split()[1]
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
            if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == server.port
        ]
        assert listening == [f"0100007F:{server.port:04X}"]  # 127.0.0.1, little-endian


def test_second_server_on_same_db_is_refused(db):
    with ServerProcess("--db", db):
        result = run_cli("reset", "--db", db)
        assert result.returncode == 1 and "in use" in result.stderr


def test_body_and_import_limits_are_options(db):
    limits = ("--max-body-size", "50", "--import-max-rows", "7", "--max-header-size", "1KiB")
    with ServerProcess("--db", db, *limits) as server:
        status, body = server.call("POST", "/api/v3/clients", NEW)
        assert status == 413 and "limit of 50 bytes" in body["message"]
        shown = {"max_body_bytes": 50, "max_header_bytes": 1024, "import_max_rows": 7}
        assert server.call("GET", "/")[1]["limits"].items() >= shown.items()
        status, body = server.call("GET", "/api/v3/clients/779", headers={"X-Long": "x" * 1000})
        assert status == 431 and "limit of 1,024 bytes" in body["message"]


@pytest.fixture(scope="module")
def big_sheet() -> bytes:
    return customer_sheet(10_000, "Limited")


@pytest.mark.parametrize(
    ("option", "value", "status", "problem"),
    [
        ("--import-cpu-time", "1", 422, "took more than the 1 s of CPU time an import may use"),
        ("--import-timeout", "0.1", 503, "took longer than 0.1 s"),
    ],
    ids=["cpu", "wall-clock"],
)
def test_the_limits_of_reading_a_sheet_are_options(db, big_sheet, option, value, status, problem):
    # a 10,000-row sheet takes its reader about 2 s of CPU. Its memory, a few MiB more than the
    # server's, is mostly found free in what the forked reader shares with it: that limit is held
    # in test_customer_files.py, and shown by test_the_limits_set_are_shown.
    with ServerProcess("--db", db, "--quiet", option, value) as server:
        assert post_sheet(server, big_sheet, problem) == (status, problem)


def test_the_shared_text_an_import_sheet_may_point_at_is_an_option(db):
    sheet = hostile_sheets.amplifying(rows=10, size=100_000)  # 30 cells pointing at one 100 KB text
    with ServerProcess("--db", db, "--quiet", "--import-max-text", "1MB") as server:
        problem = "shared texts add up to more than 1,000,000 bytes"
        assert post_sheet(server, sheet, problem) == (422, problem)
    with ServerProcess("--db", db, "--quiet") as server:  # 32 MiB by default: read, and its bad cells named
        assert post_sheet(server, sheet, "Nothing was imported") == (422, "Nothing was imported")


def post_sheet(server: ServerProcess, sheet: bytes, problem: str) -> tuple[int, str]:
    """An import's status, and `problem` if its answer says it; nothing imported either way."""
    before = len(server.call("GET", "/api/v3/clients")[1])
    answer = requests.post(
        server.base + "/api/clients-import",
        headers=AUTH,
        files={"customers": ("customers.xlsx", sheet)},
        data={"category_id": "1"},
        timeout=patience(120),
    )
    assert len(server.call("GET", "/api/v3/clients")[1]) == before
    return answer.status_code, problem if problem in answer.text else answer.text[:300]


def test_the_limits_set_are_shown(db):
    limits = (
        "--import-cpu-time",
        "7",
        "--import-memory",
        "64MiB",
        "--import-timeout",
        "2.5",
        "--import-max-text",
        "1MB",
    )
    with ServerProcess("--db", db, "--quiet", *limits) as server:
        shown = server.call("GET", "/")[1]["limits"]
    assert shown["import_cpu_seconds"] == 7 and shown["import_memory_bytes"] == 64 * 2**20
    assert shown["import_seconds"] == 2.5 and shown["import_max_text_bytes"] == 1_000_000


@pytest.mark.parametrize("option", ["--import-cpu-time", "--import-timeout", "--import-memory", "--import-max-text"])
@pytest.mark.parametrize("value", ["0", "-1", "lots"])
def test_a_sheet_limit_of_nothing_is_refused_naming_the_option(db, option, value):
    result = run_cli("serve", "--db", db, option, value)
    assert result.returncode == 2 and f"argument {option}" in result.stderr


def test_isolation_token_gives_each_token_its_own_store_until_fresh(db):
    alice, bob = {"Authorization": "Bearer alice"}, {"Authorization": "Bearer bob"}
    with ServerProcess("--db", db, "--isolation", "token", "--max-sandboxes", "5", "--sandbox-idle", "1h") as server:
        status, created = server.call("POST", "/api/v3/clients", NEW, headers=alice)
        assert status == 201
        assert server.call("GET", f"/api/v3/clients/{created['id']}", headers=bob)[0] == 404
        assert server.call("GET", "/", headers=bob)[1]["sandboxes"]["max_sandboxes"] == 5
    assert "a sandbox per token: at most 5, deleted after 3600s idle" in server.log
    with ServerProcess("--db", db, "--isolation", "token") as server:
        assert server.call("GET", f"/api/v3/clients/{created['id']}", headers=alice) == (200, created)
    with ServerProcess("--db", db, "--isolation", "token", "--fresh") as server:
        assert server.call("GET", f"/api/v3/clients/{created['id']}", headers=alice)[0] == 404


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("12h", 43200), ("7d", 604800)])
def test_idle_times_read_with_their_units(text, seconds):
    assert _duration(text) == seconds


@pytest.mark.parametrize("text", ["0", "1w", "-5m", "1.5h", ""])
def test_other_idle_times_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError, match="is not a time"):
        _duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("5000", 5000),
        ("5MB", 5_000_000),
        ("5 MiB", 5 * 1024**2),
        ("512kib", 512 * 1024),
        ("1K", 1000),
        ("5GB", 5 * 1000**3),
        ("2GiB", 2 * 1024**3),
    ],
)
def test_sizes_read_with_their_units(text, size):
    assert _size(text) == size


@pytest.mark.parametrize("text", ["five", "5TB", "-1", "1.5MB", ""])
def test_other_sizes_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError, match="is not a size"):
        _size(text)


def test_waitress_is_available_as_server(db):
    with ServerProcess("--db", db, "--server", "waitress") as server:
        assert server.call("GET", "/api/v3/clients/779")[0] == 200


def test_concurrent_creates_are_all_acknowledged_and_stored(db):
    with ServerProcess("--db", db) as server, ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda i: server.call("POST", "/api/v3/clients", {**NEW, "business_name": f"c{i}"}), range(200))
        )
        ids = [body["id"] for status, body in answers if status == 201]
        assert len(ids) == 200 and len(set(ids)) == 200
        listed = {c["id"] for c in server.call("GET", "/api/v3/clients")[1]}
        assert set(ids) <= listed
        journal = server.call("GET", "/__mock/requests?method=POST&limit=1000")[1]
        assert len(journal) == 200 and len({e["id"] for e in journal}) == 200
        assert {e["response"]["body"]["id"] for e in journal} == set(ids)


def test_each_request_is_logged_with_the_reason_on_errors(db):
    with ServerProcess("--db", db) as server:
        server.call("GET", "/api/v3/clients/779")
        server.call("POST", "/api/v3/clients", {**NEW, "category_id": "CAT-456"})
    assert "GET /api/v3/clients/779 200" in server.log
    assert "POST /api/v3/clients 422" in server.log and "category_id: must be the id" in server.log


def test_quiet_logs_no_requests(db):
    with ServerProcess("--db", db, "--quiet") as server:
        server.call("GET", "/api/v3/clients/779")
    assert "/api/v3/clients/779" not in server.log


def test_reset_and_snapshots_work_on_the_store_file(db):
    with ServerProcess("--db", db) as server:
        server.call("DELETE", "/api/v3/clients/779")
    saved = run_cli("snapshot", "save", "no-779", "--db", db)
    assert saved.returncode == 0 and "snapshot no-779 saved" in saved.stdout
    assert run_cli("reset", "--db", db).returncode == 0
    listed = run_cli("snapshot", "list", "--db", db)
    assert listed.stdout.startswith("no-779  ") and f"{len(fixture_rows('customers')) - 1} customers" in listed.stdout
    assert run_cli("snapshot", "restore", "no-779", "--db", db).returncode == 0
    with ServerProcess("--db", db) as server:
        assert server.call("GET", "/api/v3/clients/779")[0] == 404
    assert run_cli("snapshot", "delete", "no-779", "--db", db).returncode == 0
    missing = run_cli("snapshot", "restore", "no-779", "--db", db)
    assert missing.returncode == 1 and "no snapshot 'no-779'" in missing.stderr
    assert run_cli("snapshot", "save", "edited", "--db", db).returncode == 0
    file = Path(db).with_name("db.snapshots") / "edited.json"
    file.write_text(file.read_text().replace('"Amin"', '"Amen"'))
    edited = run_cli("snapshot", "restore", "edited", "--db", db)
    assert edited.returncode == 1 and "checksum does not match" in edited.stderr
    for name in ("../x", "ok\n"):  # a trailing newline too: the name is matched whole
        bad = run_cli("snapshot", "save", name, "--db", db)
        assert bad.returncode == 1 and "not a snapshot name" in bad.stderr


def test_reset_and_snapshots_reach_a_running_server_with_url(db):
    with ServerProcess("--db", db, "--token", "process-token") as server:
        url = ("--url", server.base, "--token", "process-token")
        in_use = run_cli("snapshot", "save", "s", "--db", db)
        assert in_use.returncode == 1 and "--url" in in_use.stderr
        assert run_cli("snapshot", "save", "before", *url).returncode == 0
        server.call("DELETE", "/api/v3/clients/779")
        assert run_cli("snapshot", "restore", "before", *url).returncode == 0
        assert server.call("GET", "/api/v3/clients/779")[0] == 200
        server.call("DELETE", "/api/v3/clients/779")
        reset = run_cli("reset", *url)
        assert reset.returncode == 0 and f"{len(fixture_rows('customers'))} customers" in reset.stdout
        assert server.call("GET", "/api/v3/clients/779")[0] == 200
        assert "before  " in run_cli("snapshot", "list", *url).stdout
        wrong = run_cli("snapshot", "restore", "nope", *url)
        assert wrong.returncode == 1 and "404 Snapshot nope not found" in wrong.stderr
        refused = run_cli("reset", "--url", server.base, "--token", "other")
        assert refused.returncode == 1 and "401" in refused.stderr
    gone = run_cli("reset", "--url", server.base)
    assert gone.returncode == 1 and "cannot reach" in gone.stderr


@pytest.mark.parametrize(("text", "span"), [("100", (100, 100)), ("50-200", (50, 200)), (" 5 - 6 ms", (5, 6))])
def test_latency_reads_a_number_or_a_range(text, span):
    assert _latency(text) == span


@pytest.mark.parametrize("text", ["fast", "200-50", "1-70000", "-5"])
def test_other_latencies_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        _latency(text)


@pytest.mark.parametrize("server_name", ["granian", "waitress"])
def test_a_dropped_connection_ends_without_a_whole_answer(db, server_name):
    with ServerProcess("--db", db, "--server", server_name, "--latency", "20-30") as server:
        assert server.call("GET", "/__mock/faults")[1]["server_latency_ms"] == {"min": 20, "max": 30}
        rule = {"method": "POST", "path": "/api/v3/clients", "drop_rate": 1}
        assert server.call("PUT", "/__mock/faults", {"rules": [rule]})[0] == 200
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=patience(10))
        body = json.dumps(NEW)
        headers = {**AUTH, "Content-Type": "application/json"}
        started = time.monotonic()
        with pytest.raises((http.client.RemoteDisconnected, http.client.IncompleteRead)):
            connection.request("POST", "/api/v3/clients", body=body, headers=headers)
            connection.getresponse().read()
        assert time.monotonic() - started >= 0.02  # cut after the latency, not before
        connection.close()
        assert len(server.call("GET", "/api/v3/clients")[1]) == len(fixture_rows("customers"))
        status, [entry] = server.call("GET", "/__mock/requests?status=none")
        assert entry["injected"] == "fault rule 1: drop" and entry["duration_ms"] >= 20
        server.call("GET", "/api/v3/clients/779", headers={"Prefer": "code=404"})
    assert "POST /api/v3/clients dropped " in server.log and "[fault rule 1: drop]" in server.log
    assert "GET /api/v3/clients/779 404 " in server.log and "[Prefer: code=404]  Customer 42 not found" in server.log


def test_version_is_the_installed_one():
    from importlib.metadata import version

    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"mockserver {version('mockserver')}"


def test_a_mistyped_option_is_named_with_the_commands_own_usage():
    result = run_cli("serve", "--prot", "5000")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: mockserver serve [-h] [--host HOST] [--port PORT]")
    assert "mockserver serve: error: unrecognized arguments: --prot 5000" in result.stderr


def test_port_has_help_with_its_default():
    assert "port to listen on (default 8000)" in " ".join(run_cli("serve", "--help").stdout.split())


def test_the_banner_suggests_the_token_the_server_accepts(db):
    with ServerProcess("--db", db, "--token", "s3cret") as server:
        pass
    assert "try: curl -H 'Authorization: Bearer s3cret'" in server.log and "Bearer demo" not in server.log


DOCS_FAULTS = re.search(r"```sh\n(mockserver fault .*?)```", (ROOT / "docs" / "control-plane.md").read_text(), re.S)


def test_fault_makes_one_endpoint_slow_or_failing_in_one_line(db, monkeypatch):
    with ServerProcess("--db", db, "--quiet") as server:
        monkeypatch.setenv("MOCKSERVER_URL", server.base)  # the default --url
        slow = run_cli("fault", "--path", "/api/income", "--latency", "400")
        assert slow.returncode == 0, slow.stderr
        assert slow.stdout == "1. any method /api/income: waits 400 ms\n"
        failing = run_cli("fault", "--path", "/api/v3/clients", "--method", "post", "--status", "503")
        assert failing.stdout.splitlines() == [
            "1. POST /api/v3/clients: answers 503 every time",
            "2. any method /api/income: waits 400 ms",
        ]
        started = time.monotonic()
        assert server.call("GET", "/api/income")[0] == 200
        assert time.monotonic() - started >= 0.4
        assert server.call("POST", "/api/v3/clients", NEW)[0] == 503
        assert server.call("GET", "/api/v3/clients/779")[0] == 200  # another method: no rule
        # the same method and path again: replaced, not added
        sometimes = run_cli("fault", "--path", "/api/v3/clients", "--method", "POST", "--status", "503", "--status",
                            "500", "--probability", "0.25", "--seed", "7")  # fmt: skip
        assert sometimes.stdout.splitlines()[0] == "1. POST /api/v3/clients: answers 500, 503 25% of the time"
        rules = server.call("GET", "/__mock/faults")[1]
        assert rules["seed"] == 7 and len(rules["rules"]) == 2
        assert rules["rules"][0] == {
            "path": "/api/v3/clients",
            "method": "POST",
            "latency_ms": None,
            "error_rate": 0.25,
            "statuses": [500, 503],
            "drop_rate": 0.0,
        }
        assert run_cli("fault", "--list").stdout == sometimes.stdout
        cleared = run_cli("fault", "--clear")
        assert cleared.returncode == 0 and cleared.stdout == "mockserver: fault rules cleared\n"
        assert server.call("GET", "/__mock/faults")[1]["rules"] == []
        assert run_cli("fault", "--list", "--url", server.base).stdout == "mockserver: no fault rules\n"


def test_the_docs_fault_commands_do_what_they_say(db):
    assert DOCS_FAULTS is not None
    commands = [shlex.split(line) for line in DOCS_FAULTS[1].splitlines()]
    with ServerProcess("--db", db, "--quiet") as server:
        done = [run_cli(*words[1:], "--url", server.base) for words in commands]
    assert [result.returncode for result in done] == [0] * len(commands), [r.stderr for r in done]
    slow, failing, listed, cleared = (result.stdout for result in done)
    assert slow == "1. any method /api/income: waits 2000 ms\n"
    assert failing.startswith("1. POST /api/v3/clients/*: answers 503 50% of the time\n")
    assert listed == failing and cleared == "mockserver: fault rules cleared\n"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([], "fault needs --path (with --latency, --status or --drop), --list or --clear"),
        (["--path", "/api/income"], "fault --path needs what to do there"),
        (["--path", "api/income", "--drop"], "must start with /"),
        (["--path", "/api/income", "--latency", "5", "--probability", "0.5"], "--probability is how often"),
        (["--list", "--status", "503"], "--list and --clear take no rule options"),
        (["--path", "/api/income", "--status", "200"], "'200' is not an error status"),
        (["--path", "/api/income", "--drop", "--probability", "2"], "'2' is not a probability"),
        (["--list", "--clear"], "not allowed with argument"),
    ],
)
def test_fault_refuses_what_it_cannot_do_naming_why(args, said):
    result = run_cli("fault", *args, "--url", "http://127.0.0.1:9")
    assert result.returncode == 2 and said in result.stderr, result.stderr


def test_fault_without_a_server_says_it_cannot_reach_it():
    result = run_cli("fault", "--list", "--url", "http://127.0.0.1:9")
    assert result.returncode == 1 and "mockserver: cannot reach http://127.0.0.1:9" in result.stderr


def flip_digit(line: bytes, after: bytes) -> bytes:
    at = line.index(after) + len(after)
    while not line[at : at + 1].isdigit():
        at += 1
    return line[:at] + (b"1" if line[at : at + 1] != b"1" else b"2") + line[at + 1 :]


JOURNAL_DAMAGE = {  # the journal's lines -> damaged ones; the line a refusal names; the writes before it
    "a digit of the header": (lambda ls: [flip_digit(ls[0], b'"generation":'), *ls[1:]], 1, 0),
    "a digit in a middle line": (lambda ls: [*ls[:20], flip_digit(ls[20], b'"crc":'), *ls[21:]], 21, 19),
    "a middle line deleted": (lambda ls: [*ls[:20], *ls[21:]], 21, 19),
    "a wrong-shaped line": (lambda ls: [*ls[:20], entry(20, "ops", b'{"put":1}'), *ls[21:]], 21, 19),
}


@pytest.mark.parametrize(("damage", "number", "kept"), JOURNAL_DAMAGE.values(), ids=JOURNAL_DAMAGE.keys())
def test_a_damaged_journal_stops_the_start_and_repair_keeps_what_is_before_it(db, damage, number, kept):
    with ServerProcess("--db", db, "--quiet") as server:
        created = [server.call("POST", "/api/v3/clients", {**NEW, "business_name": f"w{i}"})[1] for i in range(40)]
        server.kill()  # as a crash: all 40 acknowledged writes are in the journal alone
    journal = Path(db + ".journal")
    lines = journal.read_bytes().splitlines(keepends=True)
    assert len(lines) == 41
    journal.write_bytes(b"".join(damage(lines)))

    refused = run_cli("serve", "--port", str(free_port()), "--db", db)
    assert refused.returncode == 1
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith(f"mockserver: {journal} line {number} ")
    assert f"run `mockserver repair --db {db}`" in line

    repaired = run_cli("repair", "--db", db)
    assert repaired.returncode == 0, repaired.stderr
    assert f"damage found: {journal} line {number} " in repaired.stdout
    assert f"kept: {kept} change{'' if kept == 1 else 's'} from before it, folded into {db}" in repaired.stdout
    [aside] = Path(db).parent.glob("db.json.journal.damaged-*")
    assert f"moved aside: db.json.journal from line {number} on " in repaired.stdout and str(aside) in repaired.stdout
    assert aside.read_bytes() == b"".join(damage(lines)[number - 1 :])  # byte for byte
    with ServerProcess("--db", db, "--quiet") as server:
        for customer in created[:kept]:
            assert server.call("GET", f"/api/v3/clients/{customer['id']}") == (200, customer)
        for customer in created[kept:]:
            assert server.call("GET", f"/api/v3/clients/{customer['id']}")[0] == 404
        assert server.call("POST", "/api/v3/clients", NEW)[0] == 201


def test_repair_leaves_a_store_a_server_holds_alone(db):
    with ServerProcess("--db", db, "--quiet"):
        busy = run_cli("repair", "--db", db)
    assert busy.returncode == 1 and "in use" in busy.stderr
    whole = run_cli("repair", "--db", db)
    assert whole.returncode == 0 and "no damage found" in whole.stdout
