import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.patience import patience
from tests.server_process import ServerProcess, free_port, run_cli

SERVERS = ["granian", "waitress"]


@pytest.fixture
def db(tmp_path):
    return tmp_path / "store" / "db.json"


def refused(*args: str) -> str:
    """Runs `serve ARGS` expecting it to refuse to start: exit 1 and one line saying why."""
    result = run_cli("serve", *args)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mockserver: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("server", SERVERS)
def test_a_second_server_on_a_busy_port_exits_naming_the_holder(db, tmp_path, server):
    with ServerProcess("--db", str(db)) as first:
        line = refused("--port", str(first.port), "--db", str(tmp_path / "other.json"), "--server", server)
        assert f"port {first.port} is already in use by pid " in line and "mockserver serve" in line
        assert not (tmp_path / "other.json").exists()
        # every answer still comes from the first store
        for _ in range(10):
            assert first.call("GET", "/api/v3/clients/779")[0] == 200


def test_a_port_held_by_another_program_names_it(db):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        line = refused("--port", str(port), "--db", str(db))
    assert f"port {port} is already in use by pid {os.getpid()} (" in line


@pytest.mark.parametrize("server", SERVERS)
def test_a_store_in_use_is_refused_in_one_line(db, server):
    with ServerProcess("--db", str(db)) as first:
        line = refused("--port", str(free_port()), "--db", str(db), "--server", server)
        holder = _worker_of(first)
        assert line == f"mockserver: {db} is in use by mockserver pid {holder}; stop it or choose another --db"


def _worker_of(server: ServerProcess) -> int:
    """The pid that holds the store: granian's worker, a child of the process started."""
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
    return int(children[0]) if children else server.proc.pid


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder no write can reach, even root's: a read-only tmpfs where this runs as root
    and may mount, else a folder without write permission."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "db.json").write_text("{}")
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)]).returncode == 0
        if not mounted:
            pytest.skip("running as root without the right to mount a read-only tmpfs")
        yield folder
        subprocess.run(["umount", str(folder)], check=True)
    else:
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)


@pytest.mark.parametrize("server", SERVERS)
def test_an_unwritable_store_is_refused_in_one_line(read_only_folder, server):
    line = refused("--port", str(free_port()), "--db", str(read_only_folder / "db.json"), "--server", server)
    assert line.startswith(f"mockserver: cannot write the store's folder {read_only_folder}: ")


def test_a_folder_that_cannot_be_made_is_refused_in_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    line = refused("--port", str(free_port()), "--db", str(tmp_path / "file" / "db.json"))
    assert line == f"mockserver: the store's folder {tmp_path / 'file'} is a file, not a folder; choose another --db"


@pytest.mark.parametrize("server", SERVERS)
def test_a_corrupt_journal_stops_the_start_in_one_line_without_a_crash_loop(db, server):
    with ServerProcess("--db", str(db)):
        pass
    db.with_name("db.json.journal").write_text('{"generation": 1}\nnot json\n{}\n')
    db.write_text('{"__generation__": 1}')
    result = run_cli("serve", "--port", str(free_port()), "--db", str(db), "--server", server)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"mockserver: {db}.journal line 2 is not a list of changes (Expecting value: line 1 column 1 (char 0)); "
        "it was not torn by a crash, so the store is not opened without it and what follows: "
        f"run `mockserver repair --db {db}` to keep what is before that line and move the rest aside"
    ]


def test_a_port_that_is_no_port_is_refused_by_the_parser():
    result = run_cli("serve", "--port", "70000")
    assert result.returncode == 2 and "'70000' is not a port: write a number from 1 to 65535" in result.stderr


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_clean_stop_folds_the_journal_and_leaves_one_file(db, server, stop):
    with ServerProcess("--db", str(db), "--server", server) as running:
        assert running.call("DELETE", "/api/v3/clients/779")[0] == 200
        assert {p.name for p in db.parent.iterdir()} == {"db.json", "db.json.journal", "db.json.lock"}
        os.killpg(running.proc.pid, stop)
        assert running.proc.wait(patience(15)) == 0
    assert [p.name for p in db.parent.iterdir()] == ["db.json"]
    with ServerProcess("--db", str(db), "--server", server) as again:
        assert again.call("GET", "/api/v3/clients/779")[0] == 404


def test_a_clean_stop_folds_every_sandbox(db):
    with ServerProcess("--db", str(db), "--isolation", "token") as running:
        for token in ("alice", "bob"):
            status, _ = running.call("DELETE", "/api/v3/clients/779", headers={"Authorization": f"Bearer {token}"})
            assert status == 200
        os.killpg(running.proc.pid, signal.SIGTERM)
        assert running.proc.wait(patience(15)) == 0
    left = sorted(p.relative_to(db.parent).as_posix() for p in db.parent.rglob("*") if p.is_file())
    assert len(left) == 2 and all(name.startswith("db.sandboxes/") and name.endswith(".json") for name in left), left
