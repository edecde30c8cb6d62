import argparse
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mockserver.cli import _size
from tests.conftest import fixture_rows
from tests.server_process import ServerProcess

NEW = {
    "business_name": "Process Ltd",
    "business_address": "",
    "business_phone": "",
    "business_email": "",
    "category_id": 1,
}


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=60)


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
    with ServerProcess("--db", db, "--max-body-size", "50", "--import-max-rows", "7") as server:
        status, body = server.call("POST", "/api/v3/clients", NEW)
        assert status == 413 and "limit of 50 bytes" in body["message"]
        assert server.call("GET", "/")[1]["limits"] == {"max_body_bytes": 50, "import_max_rows": 7}


@pytest.mark.parametrize(
    ("text", "size"), [("5000", 5000), ("5MB", 5_000_000), ("5 MiB", 5 * 1024**2), ("512kib", 512 * 1024), ("1K", 1000)]
)
def test_sizes_read_with_their_units(text, size):
    assert _size(text) == size


@pytest.mark.parametrize("text", ["five", "5GB", "-1", "1.5MB", ""])
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
