"""A big store answers point reads before it is loaded, and those answers are the loaded
store's (mockserver/state/storage/early.py)."""

import json
import threading
from datetime import date

import pytest

from bench.peers import without_index
from mockserver.state import ledger
from mockserver.state.sandbox import shared
from mockserver.state.seeding import seed
from mockserver.state.storage import early as early_module
from mockserver.state.storage import snapshot as snapshot_module
from mockserver.state.storage.snapshot import INDEX
from mockserver.state.store import Store
from tests.conftest import ApiClient, make_app


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    """A store of 60 seeded customers with their ledgers, stopped cleanly, in chunks of 7 rows;
    and any store counts as big."""
    monkeypatch.setattr(snapshot_module, "FOLD_CHUNK", 7)
    monkeypatch.setattr(early_module, "EARLY_AT_LEAST", 0)
    path = tmp_path / "db.json"
    store = Store(path, kept=ledger.KEPT)
    seed(store, 60, 40, 3, date(2024, 11, 30), lambda n: None)
    with store.batch():  # a change after the seed's snapshot: folded in by the clean stop
        store.remove(ledger.TABLE, store.ids(ledger.TABLE)[0])
    store.close()
    return path


class HeldLoad:
    """The whole store's read, refused until `allow()`: any answer given meanwhile was given
    without it."""

    def __init__(self, monkeypatch):
        self.allowed = threading.Event()
        self.loads = 0
        for name in ("read_snapshot", "read_cache"):
            real = getattr(early_module, name)
            monkeypatch.setattr(early_module, name, self._held(real))

    def _held(self, real):
        def read(path):
            if not self.allowed.is_set():
                raise AssertionError("the whole store was read")
            tables = real(path)
            self.loads += tables is not None  # no cache beside it: None
            return tables

        return read

    def allow(self):
        self.allowed.set()


def answers(client, paths):
    return {path: (got.status_code, got.data) for path in paths if (got := client.get(path))}


def customer_paths(path):
    ids = json.loads(path.read_bytes())["customers"]
    return [f"/api/v3/clients/{i}" for i in ids] + ["/api/v3/clients/99999999"]


def test_every_customer_is_answered_before_the_load_as_after_it(seeded, monkeypatch):
    paths = customer_paths(seeded)
    held = HeldLoad(monkeypatch)
    app = make_app(seeded)
    try:
        client = ApiClient(app.test_client())
        early = answers(client, paths)
        assert held.loads == 0
        held.allow()
        assert client.get("/api/v3/clients/summary").status_code == 200  # needs every table: loads
        assert held.loads == 1
        assert answers(client, paths) == early
    finally:
        shared(app).store.close()
    assert sum(status == 200 for status, _ in early.values()) == len(paths) - 1
    balances = [json.loads(body)["unformated_balance"] for status, body in early.values() if status == 200]
    assert any(balance != 0 for balance in balances)  # the ledgers' totals are in these answers


def test_a_write_before_the_load_waits_for_it_and_is_kept(seeded, monkeypatch):
    held = HeldLoad(monkeypatch)
    held.allow()
    app = make_app(seeded)
    try:
        client = ApiClient(app.test_client())
        made = client.post(
            "/api/v3/clients",
            json={
                "business_name": "Late Ltd",
                "business_address": "1 Road",
                "business_phone": "0200000000",
                "business_email": "late@example.com",
                "category_id": 1,
            },
        )
        assert made.status_code == 201
        assert held.loads == 1
    finally:
        shared(app).store.close()
    again = make_app(seeded)
    try:
        got = ApiClient(again.test_client()).get(f"/api/v3/clients/{made.json['id']}")
        assert got.status_code == 200 and got.json["business_name"] == "Late Ltd"
    finally:
        shared(again).store.close()


def test_the_kept_totals_are_what_the_ledger_adds_up_to(seeded):
    """Each customer's kept totals, read from the file, against Books built from the tables."""
    early = early_module.Early.open(seeded)
    store = Store(seeded, kept=ledger.KEPT)
    try:
        customers = store.ids("customers")
        books = {i: ledger.totals_of(store, i) for i in [*customers, 99999999]}
        assert {i: early.view(ledger.Books).totals(i) for i in [*customers, 99999999]} == books
        assert any(total.balance for total in books.values())
    finally:
        store.close()
        early.close()


def test_a_store_loaded_behind_the_requests_tells_when_it_is_loaded(seeded):
    store = Store(seeded, kept=ledger.KEPT)
    loaded, failed = threading.Event(), []
    try:
        store.load_behind(loaded.set, failed.append)
        assert loaded.wait(30) and not failed
        assert store.counts()["customers"] > 60
    finally:
        store.close()


def test_a_store_whose_file_changed_before_its_load_says_so(seeded):
    store = Store(seeded, kept=ledger.KEPT)
    text = seeded.read_bytes()
    seeded.write_bytes(text.replace(b'"__generation__":', b'"__generation__":7'))  # another snapshot's
    failed = []
    done = threading.Event()
    try:
        store.load_behind(lambda: None, lambda e: (failed.append(e), done.set()))
        assert done.wait(30)
        assert isinstance(failed[0], snapshot_module.StoreDamaged)
    finally:
        store.close()


def test_a_store_written_before_the_index_loads_as_it_was(seeded, monkeypatch):
    paths = customer_paths(seeded)
    app = make_app(seeded)
    try:
        before = answers(ApiClient(app.test_client()), paths)
    finally:
        shared(app).store.close()
    without_index(seeded, seeded)  # as the version before the index wrote it
    assert INDEX.encode() not in seeded.read_bytes()
    app = make_app(seeded)
    try:
        assert shared(app).store._storage.early is None  # read whole, as it was
        assert answers(ApiClient(app.test_client()), paths) == before
    finally:
        shared(app).store.close()
    assert INDEX.encode() in seeded.read_bytes()  # its clean stop wrote it anew


def test_a_small_store_is_read_whole_at_once(tmp_path, monkeypatch):
    store = Store(tmp_path / "db.json", kept=ledger.KEPT)
    store.close()
    again = Store(tmp_path / "db.json", kept=ledger.KEPT)
    try:
        assert again._storage.early is None
    finally:
        again.close()
