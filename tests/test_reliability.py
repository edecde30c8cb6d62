"""Against a running server process: concurrent writers, and SIGKILL in the middle of a
write load. What a 2xx acknowledged must be there afterwards, every time."""

import http.client
import io
import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import openpyxl
import pytest
import requests

from mockserver.schemas.customer_sheet import COLUMNS
from mockserver.state.store import Store
from tests.patience import patience
from tests.server_process import AUTH, ServerProcess

NEW = {
    "business_name": "Load Ltd",
    "business_address": "1 Ring Road",
    "business_phone": "0244000000",
    "business_email": "load@example.com",
    "category_id": 1,
}


def post(conn: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, dict]:
    conn.request("POST", path, body=json.dumps(body), headers={**AUTH, "Content-Type": "application/json"})
    answer = conn.getresponse()
    return answer.status, json.loads(answer.read())


def test_8_threads_of_250_creates_are_all_acknowledged_stored_and_distinct(tmp_path):
    with ServerProcess("--db", str(tmp_path / "db.json"), "--threads", "8", "--quiet") as server:
        before = len(server.call("GET", "/api/v3/clients")[1])

        def creates(worker: int) -> list[int]:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=patience(30))
            ids = []
            for i in range(250):
                status, body = post(conn, "/api/v3/clients", {**NEW, "business_name": f"w{worker} n{i}"})
                assert status == 201, body
                ids.append(body["id"])
            conn.close()
            return ids

        with ThreadPoolExecutor(8) as pool:
            ids = [i for batch in pool.map(creates, range(8)) for i in batch]
        listed = server.call("GET", "/api/v3/clients")[1]
    assert len(ids) == 2000 and len(set(ids)) == 2000
    assert len(listed) == before + 2000
    assert {c["id"] for c in listed} >= set(ids)
    again = Store(tmp_path / "db.json")  # and after the restart
    try:
        assert {c["id"] for c in again.all("customers")} >= set(ids)
    finally:
        again.close()


def test_concurrent_payments_to_one_customer_all_count(tmp_path):
    with ServerProcess("--db", str(tmp_path / "db.json"), "--threads", "8", "--quiet") as server:
        before = server.call("GET", "/api/v3/clients/779")[1]["unformated_balance"]

        def pay(worker: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=patience(30))
            for _ in range(50):
                payment = {"customer_id": 779, "kind": "payment", "amount": 1.25, "date": "2024-05-01"}
                assert post(conn, "/__mock/ledger", payment)[0] == 201
            conn.close()

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(pay, range(8)))
        after = server.call("GET", "/api/v3/clients/779")[1]["unformated_balance"]
    assert round(before - after, 2) == 8 * 50 * 1.25


def write_until_killed(port: int, label: str, stop: threading.Event, acknowledged: list[int]) -> None:
    """POSTs customers until the server dies, noting the id of every 201."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=patience(5))
    try:
        n = 0
        while not stop.is_set():
            try:
                status, body = post(conn, "/api/v3/clients", {**NEW, "business_name": f"{label} {n}"})
            except (OSError, http.client.HTTPException, ValueError):
                return  # killed: this one was never acknowledged
            if status == 201:
                acknowledged.append(body["id"])  # list.append is atomic
            n += 1
    finally:
        conn.close()


def test_sigkill_during_a_write_load_loses_no_acknowledged_write(tmp_path):
    """20 rounds: writers hammer the server, it is killed at a random moment, and the store
    it leaves must load with every acknowledged customer in it."""
    db = tmp_path / "db.json"
    acknowledged: list[int] = []
    rng = random.Random(8)
    for round_ in range(20):
        server = ServerProcess("--db", str(db), "--threads", "4", "--quiet")
        stop = threading.Event()
        threads = [
            threading.Thread(target=write_until_killed, args=(server.port, f"r{round_} w{w}", stop, acknowledged))
            for w in range(4)
        ]
        for t in threads:
            t.start()
        stop.wait(rng.uniform(0.05, 0.4))
        server.kill()
        stop.set()
        for t in threads:
            t.join()
        server.stop()
        store = Store(db)  # loads (a torn last line is dropped), and holds every acknowledged write
        try:
            stored = {c["id"] for c in store.all("customers")}
        finally:
            store.close()
        missing = set(acknowledged) - stored
        assert not missing, f"round {round_}: {len(missing)} acknowledged creates lost"
    assert len(acknowledged) > 200  # the kills did land in the middle of a load


@pytest.mark.parametrize("host", ["0.0.0.0"])
def test_bound_beyond_loopback_the_control_plane_needs_the_admin_token(tmp_path, host):
    with ServerProcess("--db", str(tmp_path / "db.json"), "--host", host, "--admin-token", "root", "--quiet") as s:
        assert s.call("GET", "/api/v3/clients/779")[0] == 200  # the API as before
        status, body = s.call("POST", "/__mock/reset")
        assert status == 403 and "X-Mock-Admin" in body["message"]
        assert s.call("POST", "/__mock/reset", headers={"X-Mock-Admin": "wrong"})[0] == 403
        assert s.call("POST", "/__mock/reset", headers={"X-Mock-Admin": "root"})[0] == 200


def customer_sheet(rows: int, label: str) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Customers")
    sheet.append(list(COLUMNS))
    for i in range(rows):
        sheet.append([f"{label} {i} Ltd", "0244123456", f"c{i}@example.com", f"{i} Ring Road", i % 7])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_sheet(server: ServerProcess, data: bytes) -> list[int]:
    answer = requests.post(
        server.base + "/api/clients-import",
        headers=AUTH,
        files={"customers": ("customers.xlsx", data)},
        data={"category_id": "1"},
        timeout=patience(120),
    )
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()["ids"]


def test_sigkill_right_after_imports_loses_none_of_them(tmp_path):
    """A 10,000-row import's journal line is megabytes, so the second one starts a fold of the
    journal behind the requests: the server is killed right after its 2xx, the fold most likely
    under way; then once more after a third import. Every acknowledged customer is there."""
    db = tmp_path / "db.json"
    sheet = customer_sheet(10_000, "Imported")
    acknowledged: list[int] = []
    for imports in (2, 1):
        server = ServerProcess("--db", str(db), "--quiet")
        try:
            for _ in range(imports):
                acknowledged += import_sheet(server, sheet)
            server.kill()
        finally:
            server.stop()
        store = Store(db)
        try:
            stored = {c["id"] for c in store.all("customers")}
        finally:
            store.close()
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} imported customers lost"
    assert len(acknowledged) == 30_000


def test_imports_folds_resets_and_restores_racing_answer_no_5xx_and_lose_nothing(tmp_path):
    """Imports one after another (each big enough to start a fold) while other clients create,
    save and restore snapshots and reset: never a 5xx; then, killed, the store loads as it was
    last acknowledged."""
    db = tmp_path / "db.json"
    sheet = customer_sheet(10_000, "Raced")
    statuses: list[tuple[str, int]] = []
    with ServerProcess("--db", str(db), "--threads", "4", "--quiet") as server:
        server.call("PUT", "/__mock/snapshots/start")
        done = threading.Event()

        def importing() -> None:
            try:
                for _ in range(3):
                    import_sheet(server, sheet)
            finally:
                done.set()

        def meddling() -> None:
            steps = [
                ("POST", "/api/v3/clients", NEW),
                ("PUT", "/__mock/snapshots/mid", None),
                ("POST", "/__mock/snapshots/start/restore", None),
                ("POST", "/api/v3/clients", NEW),
                ("POST", "/__mock/snapshots/mid/restore", None),
                ("POST", "/__mock/reset", None),
            ]
            while not done.is_set():
                for method, path, body in steps:
                    statuses.append((path, server.call(method, path, body)[0]))

        threads = [threading.Thread(target=importing), threading.Thread(target=meddling)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        import_sheet(server, sheet)  # a last one, its fold started after the last reset
        records = server.call("PUT", "/__mock/snapshots/end")[1]["records"]
        server.kill()
    failed = [(path, status) for path, status in statuses if status >= 500]
    assert not failed and len(statuses) > 6
    store = Store(db)
    try:
        assert store.counts() == records
    finally:
        store.close()
