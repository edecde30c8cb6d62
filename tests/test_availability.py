"""No client can stall, starve or exhaust the server, and none can forge or read what it
should not: the limits a shared demo server needs."""

import contextlib
import http.client
import json
import os
import socket
import subprocess
import time

import pytest

from bench import hostile_sheets
from tests.conftest import ApiClient, fixture_rows, make_app
from tests.patience import patience
from tests.rsgi import call as rsgi_call
from tests.server_process import ServerProcess

NEW = {
    "business_name": "Slow Ltd",
    "business_address": "",
    "business_phone": "",
    "business_email": "",
    "category_id": 1,
}


def test_a_control_character_in_a_path_cannot_forge_a_log_line(capsys):
    client = ApiClient(make_app(ACCESS_LOG=True).test_client())
    client.get("/api/v3/clients/779%0A12:00:00 GET /api/v3/clients 200 0.1ms%1b[2J")
    logged = capsys.readouterr().err
    assert logged.count("\n") == 1  # one request, one line
    assert "779\\n12:00:00 GET" in logged and "\\x1b[2J" in logged and "\x1b" not in logged


@pytest.mark.parametrize("how", ["env", "option"])
def test_an_empty_admin_token_is_no_token_so_one_is_made(tmp_path, how, monkeypatch):
    """Bound beyond loopback, an empty token must not leave the control plane open."""
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", "")
    extra = ["--admin-token", ""] if how == "option" else []
    with ServerProcess("--db", str(tmp_path / "db.json"), "--host", "0.0.0.0", *extra) as server:
        status, body = server.call("POST", "/__mock/reset")
        assert status == 403 and "X-Mock-Admin" in body["message"]
        assert server.call("POST", "/__mock/reset", headers={"X-Mock-Admin": ""})[0] == 403


# -- bodies: read whole before any thread runs the app


def raw(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=patience(30))
    return conn


def answer_of(conn: socket.socket) -> bytes:
    """What the server sent until it closed the connection or went quiet."""
    chunks = []
    try:
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        pass
    return b"".join(chunks)


POST_HEAD = b"POST /api/v3/clients HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n"


def test_stalled_and_trickling_bodies_hold_up_nobody_and_are_answered_408(tmp_path):
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet", "--body-timeout", "2") as server:
        stalled = [raw(server.port) for _ in range(50)]
        for conn in stalled:
            conn.sendall(POST_HEAD + b"Content-Length: 1000\r\n\r\n{")
        trickling = raw(server.port)
        trickling.sendall(POST_HEAD + b"Content-Length: 1000\r\n\r\n")
        started = time.monotonic()
        for _ in range(20):  # while they hang, everyone else is answered
            assert server.call("GET", "/api/v3/clients/779")[0] == 200
            trickling.sendall(b" ")
        assert time.monotonic() - started < patience(5)
        answered = answer_of(stalled[0])
        assert answered.startswith(b"HTTP/1.1 408 ") and b"connection: close" in answered.lower()
        assert b'"message": "The request body did not arrive in time; nothing was done."' in answered
        assert answer_of(trickling).startswith(b"HTTP/1.1 408 ")  # 1 KB at a byte a call is too slow
        for conn in [*stalled, trickling]:
            conn.close()
        assert len(server.call("GET", "/api/v3/clients")[1]) == len(fixture_rows("customers"))  # nothing written


def test_a_chunked_body_over_the_limit_is_413_without_being_read_whole(tmp_path):
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet", "--max-body-size", "64KiB") as server:
        conn = raw(server.port)
        conn.sendall(POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 16384
        try:
            for _ in range(10):  # 160 KiB, more than the 64 KiB allowed
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end, as it should be
        answered = answer_of(conn)
        assert answered.startswith(b"HTTP/1.1 413 ") and b"limit of 65,536 bytes" in answered
        conn.close()
        # under the limit, chunked is fine
        conn = raw(server.port)
        body = json.dumps(NEW).encode()
        conn.sendall(POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        assert conn.recv(65536).startswith(b"HTTP/1.1 201 ")
        conn.close()


def test_an_early_401_leaves_the_connection_usable(tmp_path):
    """The body is read before the app answers, so the next request on a keep-alive
    connection starts where it should."""
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet", "--journal-size", "0", "--token", "t") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=patience(10))
        body = json.dumps(NEW)
        conn.request(
            "POST",
            "/api/v3/clients",
            body=body,
            headers={"Authorization": "Bearer", "Content-Type": "application/json"},
        )
        first = conn.getresponse()
        assert first.status == 401 and b"Bearer" in first.read()
        conn.request("GET", "/api/v3/clients/779", headers={"Authorization": "Bearer t"})
        second = conn.getresponse()
        assert second.status == 200 and json.loads(second.read())["id"] == 779
        conn.close()


# -- the front itself, driven as granian drives it (RSGI)


def rsgi(front, method, path, parts=(), headers=None, query=""):
    """One request through the front: (status, headers, body)."""
    status, answered, body = rsgi_call(
        front, method, path, query, {"authorization": "Bearer t", **(headers or {})}, parts
    )
    return status, dict(answered), body


@pytest.fixture
def front():
    from mockserver.serving.front import Front

    return Front(make_app(), threads=2, max_body=1024, grace=5)


def test_the_front_answers_as_the_app_does(front):
    status, headers, body = rsgi(front, "GET", "/api/v3/clients/779", query="x=1")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == ApiClient(make_app().test_client()).get("/api/v3/clients/779").json
    status, _, body = rsgi(front, "GET", "/api/v3/clientsé")  # a decoded path, non-ASCII
    assert status == 404 and "No route for GET /api/v3/clientsé" in json.loads(body)["message"]


def test_the_front_joins_a_body_sent_in_parts(front):
    sent = json.dumps(NEW).encode()
    headers = {"content-type": "application/json", "transfer-encoding": "chunked"}
    status, _, body = rsgi(front, "POST", "/api/v3/clients", [sent[:10], sent[10:]], headers)
    assert status == 201 and json.loads(body)["business_name"] == "Slow Ltd"


def test_the_front_refuses_a_body_over_the_limit_and_closes(front):
    status, headers, body = rsgi(front, "POST", "/api/v3/clients", [b"x" * 1000] * 2, {"transfer-encoding": "chunked"})
    assert status == 413 and headers["connection"] == "close"
    assert json.loads(body)["message"].startswith("The request body is over this server's limit of 1,024 bytes")
    declared = rsgi(front, "POST", "/api/v3/clients", [], {"content-length": "5000"})
    assert declared[0] == 413 and b"is 5,000 bytes" in declared[2]


# -- imports: bounded whatever the file


def upload(server: ServerProcess, data: bytes) -> tuple[int, bytes]:
    boundary = "hostile"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="category_id"\r\n\r\n1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="customers"; filename="c.xlsx"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=patience(60))
    conn.request(
        "POST",
        "/api/clients-import",
        body=body,
        headers={"Authorization": "Bearer t", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    answer = conn.getresponse()
    result = answer.status, answer.read()
    conn.close()
    return result


@pytest.fixture(scope="module")
def import_server(tmp_path_factory):
    with ServerProcess("--db", str(tmp_path_factory.mktemp("imports") / "db.json"), "--quiet") as server:
        yield server


def test_an_amplifying_sheet_gets_a_short_answer(import_server):
    """An 18 KB file pointing 3,000 bad cells at one 100 KB text was answered with 300 MB
    (300 of them, 30 MB of text, are still under the limit on shared text: read, and cut)."""
    status, body = upload(import_server, hostile_sheets.amplifying(rows=100, size=100_000))
    answer = json.loads(body)
    assert status == 422 and len(body) < 64 * 1024
    assert "100 of 100 rows have problems (300 cells; the first 100 are listed)" in answer["message"]
    assert len(answer["errors"]) == 100
    assert all(len(message) < 300 for messages in answer["errors"].values() for message in messages)
    assert "... (100,000 characters)" in str(answer["errors"])  # the value quoted, cut


@pytest.mark.parametrize(
    "sheet, refusal",
    [
        (lambda: hostile_sheets.wide_row(5_000), "has a row (row 2 of the sheet) of more than 1,024 cells"),
        (lambda: hostile_sheets.many_strings(200_000), "holds more than 192,016 distinct texts"),
        (lambda: hostile_sheets.no_dimension(13_000), "has more than 12,001 rows; an import reads at most 10,000"),
        # issue 30, row 13: one long text pointed at by every cell (50-55 s of CPU before)
        (lambda: hostile_sheets.amplifying(rows=1_000, size=100_000), "shared texts add up to more than 33,554,432"),
        # row 14: the same, its parts renamed and found through the relationships (22.7 s, +1.3 GB before)
        (lambda: hostile_sheets.renamed(hostile_sheets.wide_row(5_000)), "of more than 1,024 cells"),
        (lambda: hostile_sheets.renamed(hostile_sheets.amplifying(1_000, 100_000)), "shared texts add up"),
    ],
    ids=["wide-row", "many-strings", "no-dimension", "repeated-long-string", "renamed-wide", "renamed-repeated"],
)
def test_an_absurd_sheet_is_refused_before_it_is_parsed(import_server, sheet, refusal):
    before = len(import_server.call("GET", "/api/v3/clients")[1])
    data = sheet()
    started = time.perf_counter()
    status, body = upload(import_server, data)
    assert status == 422 and refusal in json.loads(body)["errors"]["customers"][0]
    assert time.perf_counter() - started < patience(5)  # a scan of the raw XML, not a parse
    assert len(import_server.call("GET", "/api/v3/clients")[1]) == before  # nothing imported


# -- disk: what one sandbox may keep, and a disk that is full


def create(server: ServerProcess, token: str, name: str = "Quota Ltd") -> tuple[int, dict]:
    return server.call(
        "POST", "/api/v3/clients", {**NEW, "business_name": name}, headers={"Authorization": f"Bearer {token}"}
    )


def test_a_sandbox_over_its_store_quota_gets_507_and_can_get_back_under_it(tmp_path):
    quota = ("--isolation", "token", "--sandbox-max-store", "200KiB")
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet", *quota) as server:
        big = "x" * 200
        status, made = 201, []
        while status == 201 and len(made) < 2000:
            status, body = create(server, "alice", big + str(len(made)))
            made.append(body)
        assert status == 507 and "over its quota of 200 KiB" in body["message"]
        assert "(mockserver serve --sandbox-max-store); nothing was written" in body["message"]
        alice = {"Authorization": "Bearer alice"}
        count = len(server.call("GET", "/api/v3/clients", headers=alice)[1])
        assert create(server, "alice")[0] == 507
        assert len(server.call("GET", "/api/v3/clients", headers=alice)[1]) == count  # reads go on, nothing added
        assert create(server, "bob")[0] == 201  # another sandbox is not held to alice's
        assert server.call("POST", "/__mock/reset", headers=alice)[0] == 200
        assert create(server, "alice")[0] == 201  # back under it


def test_a_sandbox_keeps_at_most_its_quota_of_snapshots(tmp_path):
    quota = ("--isolation", "token", "--sandbox-max-snapshots", "2")
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet", *quota) as server:
        alice = {"Authorization": "Bearer alice"}
        for name in ("one", "two", "two"):  # saving over a name takes no more room
            assert server.call("PUT", f"/__mock/snapshots/{name}", headers=alice)[0] in (200, 201)
        status, body = server.call("PUT", "/__mock/snapshots/three", headers=alice)
        assert status == 507 and "holds 2 snapshots, its quota" in body["message"]
        assert server.call("DELETE", "/__mock/snapshots/one", headers=alice)[0] == 204
        assert server.call("PUT", "/__mock/snapshots/three", headers=alice)[0] == 201


def test_snapshot_bytes_are_a_quota_too(tmp_path):
    quota = ("--isolation", "token", "--sandbox-max-snapshot-bytes", "10KiB")
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet", *quota) as server:
        alice = {"Authorization": "Bearer alice"}
        assert server.call("PUT", "/__mock/snapshots/one", headers=alice)[0] == 201  # the fixtures: about 6 KB
        status, body = server.call("PUT", "/__mock/snapshots/two", headers=alice)
        assert status == 507 and "would pass this sandbox's quota of" in body["message"]


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs: a disk that can really fill, where this runs as root and may mount."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)]).returncode:
        pytest.skip("a full disk needs a tmpfs, which needs root and the right to mount")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_full_disk_is_507_with_nothing_written_and_writes_come_back_once_freed(small_disk):
    with ServerProcess("--db", str(small_disk / "db.json"), "--quiet") as server:
        filler = small_disk / "filler"
        with open(filler, "wb") as f, contextlib.suppress(OSError):  # every free byte taken
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        for attempt in range(100):  # the journal's last page may still have room for a few
            before = len(server.call("GET", "/api/v3/clients")[1])
            status, body = create(server, "t", f"Full Ltd {attempt}")
            if status != 201:
                break
        assert status == 507 and "nothing was written" in body["message"]
        assert len(server.call("GET", "/api/v3/clients")[1]) == before  # not even in memory
        filler.unlink()
        status, body = create(server, "t", "After Ltd")
        assert status == 201 and server.call("GET", f"/api/v3/clients/{body['id']}")[0] == 200


def test_a_heavy_operation_a_body_or_a_delay_runs_off_the_loop_and_the_rest_on_it():
    import re
    import threading

    from mockserver.serving.front import Front, heavy_paths
    from mockserver.web.spec import load_spec

    def where(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [threading.current_thread().name.encode()]

    front = Front(where, threads=1, max_body=None, grace=5, heavy=re.compile("/slow/[^/]+"))
    assert rsgi(front, "GET", "/fast")[2] == threading.current_thread().name.encode()  # the loop's
    assert rsgi(front, "GET", "/slow/1")[2].startswith(b"mockserver")
    assert rsgi(front, "POST", "/fast", [b"{}"], {"content-length": "2"})[2].startswith(b"mockserver")
    # a delay is waited by the front, not in a thread: the app runs where it would anyway
    assert rsgi(front, "GET", "/fast", headers={"prefer": "delay=10"})[2] == threading.current_thread().name.encode()
    # openapi.yaml's x-heavy: the whole report, the customer list, the export
    heavy = heavy_paths(load_spec().operations)
    assert heavy.fullmatch("/api/v3/reports/customers/2024-01-01/2024-11-30")
    assert heavy.fullmatch("/api/v3/clients") and not heavy.fullmatch("/api/v3/clients/779")
    # control-plane.yaml's too: the journal, up to --journal-max-bytes of it
    from mockserver.resources import CONTROL_SPEC_PATH

    control = heavy_paths(load_spec(CONTROL_SPEC_PATH).operations)
    assert control.fullmatch("/__mock/requests")
    # and the snapshots: a listing (an index rebuilt reads them all), a save, a restore
    assert control.fullmatch("/__mock/snapshots") and control.fullmatch("/__mock/snapshots/x")
    assert control.fullmatch("/__mock/snapshots/x/restore") and not control.fullmatch("/__mock/clock")


# -- a slow request beside fast ones


def test_gets_by_id_are_answered_while_a_10000_row_import_runs(import_server):
    """The import runs in the pool and commits without holding up reads of rows it does not
    touch: every GET sent after it started is answered before it is."""
    import threading

    from bench.benchmark import customer_sheet

    sheet = customer_sheet(10_000)
    done = threading.Event()
    status = {}

    def run_import():
        status["import"] = upload(import_server, sheet)[0]
        done.set()

    importer = threading.Thread(target=run_import)
    importer.start()
    conn = http.client.HTTPConnection("127.0.0.1", import_server.port, timeout=patience(60))
    answered_before = 0
    while not done.is_set():
        conn.request("GET", "/api/v3/clients/779", headers={"Authorization": "Bearer t"})
        answer = conn.getresponse()
        assert answer.status == 200 and json.loads(answer.read())["id"] == 779
        answered_before += 0 if done.is_set() else 1
    importer.join()
    conn.close()
    assert status["import"] == 200
    assert answered_before >= 10  # a held-up GET would have waited out the import: one, at most


# -- headers: bounded, and refused as JSON a page can read


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_headers_over_the_limit_are_431_json_with_cors_and_others_go_on(tmp_path, server):
    """The review sent 400 KiB headers (a Prefer among them) and the journal kept each."""
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet", "--server", server) as served:

        def get(**headers):
            conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=patience(30))
            conn.request("GET", "/api/v3/clients/779", headers={"Authorization": "Bearer t", **headers})
            answer = conn.getresponse()
            result = answer.status, answer.headers, answer.read()  # any case, as granian sends them
            conn.close()
            return result

        origin = {"Origin": "http://localhost:3000"}
        assert get(**origin, Prefer="code=200, " + "x" * 15_000)[0] == 200  # under 16 KiB in all
        for size in (17_000, 200_000):
            status, headers, body = get(**origin, Prefer="a" * size)
            assert status == 431, body[:200]
            assert headers["Content-Type"] == "application/json"
            assert headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
            message = json.loads(body)["message"]
            assert message.startswith(f"The request's headers are {size // 1000}")
            assert "over this server's limit of 16,384 bytes (mockserver serve --max-header-size)" in message
        assert get()[0] == 200
        journal = served.call("GET", "/__mock/requests")[1]
        assert [e["response"]["status"] for e in journal] == [200, 431, 431, 200]


# -- delays: waited without a thread, beside everyone else's answers

DELAY_S = 5


def test_delays_and_fault_latency_hold_no_thread_and_others_are_answered_at_once(tmp_path):
    """The review: a fault rule's latency slept on the event loop (everyone waited behind
    it), and three 10 s `Prefer: delay` made another user's create wait 29.5 s."""
    import threading

    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet") as server:  # one pool thread
        rule = {"path": "/api/v3/clients/2319", "latency_ms": {"min": DELAY_S * 1000}}
        assert server.call("PUT", "/__mock/faults", {"rules": [rule]})[0] == 200
        delayed = {"Prefer": f"delay={DELAY_S * 1000}"}
        hostile = [
            *[("GET", "/api/v3/clients/2319", None, None)] * 4,  # the rule's latency: was on the loop
            *[("POST", "/api/v3/clients", NEW, delayed)] * 4,  # with a body, in the pool: held its thread
            *[("GET", "/api/income", None, delayed)] * 4,
        ]
        answered: list[tuple[int, float]] = []

        def send(method, path, body, headers):
            started = time.monotonic()
            status = server.call(method, path, body, headers)[0]
            answered.append((status, time.monotonic() - started))

        threads = [threading.Thread(target=send, args=request) for request in hostile]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + patience(10)
        while len(server.call("GET", "/__mock/requests")[1]) < len(hostile):  # each is now waiting
            assert time.monotonic() < deadline, "the delayed requests never reached the app"
        took = []
        for i in range(60):
            started = time.monotonic()
            if i % 6 == 0:  # a create needs the pool's only thread
                assert server.call("POST", "/api/v3/clients", {**NEW, "business_name": f"Quick {i}"})[0] == 201
            else:
                assert server.call("GET", "/api/v3/clients/779")[0] == 200
            took.append(time.monotonic() - started)
        assert not answered, "the probes took as long as the delays"
        took.sort()
        p99 = took[int(len(took) * 0.99)]
        assert p99 < patience(0.1), f"p99 {p99 * 1000:.0f} ms beside {len(hostile)} delayed requests"
        for thread in threads:
            thread.join(patience(DELAY_S * 4))
        assert len(answered) == len(hostile)
        assert all(status in (200, 201) and DELAY_S * 0.9 < waited < DELAY_S * 3 for status, waited in answered)


def rss_mb(group: int) -> float:
    """The resident memory of a served process and its worker (granian's), in MB."""
    from pathlib import Path

    total = 0
    for process in Path("/proc").glob("[0-9]*"):
        try:
            if int((process / "stat").read_text().rpartition(")")[2].split()[2]) != group:
                continue
            status = (process / "status").read_text()
        except (OSError, ValueError):
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total / 1024


def test_the_journal_of_requests_with_huge_headers_stays_small(tmp_path):
    """3 x 1,000 GETs with a 400 KiB header took the review's server from 204 to 1,398 MB."""
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=patience(30))

        def get(header: str) -> int:
            conn.request("GET", "/api/v3/clients/779", headers={"Authorization": "Bearer t", "X-Big": header})
            answer = conn.getresponse()
            answer.read()
            return answer.status

        assert get("warm") == 200
        before = rss_mb(server.proc.pid)
        for size, status in ((400_000, 431), (15_000, 200)):
            assert all(get("a" * size) == status for _ in range(500))
        grown = rss_mb(server.proc.pid) - before
        conn.close()
        assert grown < 60, f"{grown:.0f} MB more after 1,000 requests with large headers"
        entries = server.call("GET", "/__mock/requests?limit=10000")[1]
        assert len(entries) == 1000 and entries[0]["cut"]["request.headers"] > 400_000


# -- large answers: a client that does not read holds a small buffer, not the answer

STALLED = 40


def test_clients_that_do_not_read_a_large_answer_hold_little_memory(tmp_path):
    """100 clients that never read a 14 MB answer took the review's server from 225 to
    1,632 MB: granian kept a copy of the answer for each. Now it is read from a file as the
    client reads; here 40 clients of a 3 MB list, which would hold 120 MB."""
    from tests.server_process import run_cli

    db = tmp_path / "db.json"
    assert run_cli("seed", "--db", str(db), "--customers", "5000", "--income", "0", "--quiet").returncode == 0
    with ServerProcess("--db", str(db), "--quiet") as server:
        whole = http.client.HTTPConnection("127.0.0.1", server.port, timeout=patience(60))

        def read_list() -> bytes:
            whole.request("GET", "/api/v3/clients", headers={"Authorization": "Bearer t"})
            answer = whole.getresponse()
            assert answer.status == 200
            return answer.read()

        size = len(read_list())
        assert size > 2_500_000 and len(json.loads(read_list())) > 5000  # whole, from the file, twice
        before = rss_mb(server.proc.pid)
        stalled = []
        for _ in range(STALLED):
            conn = socket.socket()
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel holds little of it
            conn.connect(("127.0.0.1", server.port))
            conn.sendall(b"GET /api/v3/clients HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n")
            stalled.append(conn)
        deadline = time.monotonic() + patience(60)
        while len(server.call("GET", "/__mock/requests?path=/api/v3/clients&limit=1000")[1]) < STALLED + 2:
            assert time.monotonic() < deadline, "the stalled requests were never answered"
        assert len(read_list()) == size  # after it, every answer before it is handed to granian
        grown = rss_mb(server.proc.pid) - before
        for conn in stalled:
            conn.close()
        whole.close()
        assert grown < STALLED * size / 1e6 / 4, f"{grown:.0f} MB more for {STALLED} clients of {size:,} bytes"
