import os
import shutil
import threading

import pytest

from mockserver.state.files import StoreInUse, data_files_of
from mockserver.state.indexes import Ordering
from mockserver.state.storage import journal as storage
from mockserver.state.storage.journal import journal_of
from mockserver.state.storage.journaled import JournaledStorage
from mockserver.state.store import Store
from tests.conftest import fixture_rows


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "db.json")
    yield opened
    opened.close()


def on_disk(store):
    """What a process started now would load: the files copied aside, opened there."""
    aside = store.path.parent / "aside"
    aside.mkdir(exist_ok=True)
    for file in data_files_of(store.path):
        shutil.copy(file, aside / file.name)
    return JournaledStorage(aside / store.path.name).read()


def journal_lines(store):
    return journal_of(store.path).read_bytes().count(b"\n")


def test_fresh_store_is_seeded_from_fixtures(store):
    assert store.seeded
    assert [c["id"] for c in store.all("customers")] == [row["id"] for row in fixture_rows("customers")]
    assert store.get("customers", 779) == next(r for r in fixture_rows("customers") if r["id"] == 779)


def test_reopened_store_keeps_its_data_and_is_not_reseeded(tmp_path):
    first = Store(tmp_path / "db.json")
    first.insert("categories", {"name": "Kept"})
    first.close()
    again = Store(tmp_path / "db.json")
    try:
        assert not again.seeded
        assert [c["name"] for c in again.all("categories")][-1] == "Kept"
    finally:
        again.close()


def test_every_write_is_on_disk_when_it_returns(store):
    created = store.insert("categories", {"name": "Durable"})
    assert on_disk(store)["categories"][str(created["id"])]["name"] == "Durable"


def test_failed_write_leaves_files_and_memory_as_they_were(store, monkeypatch):
    files = [f.read_bytes() for f in data_files_of(store.path)]
    sequences = store.export()["_sequences"]

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.insert("categories", {"name": "Lost"})
    monkeypatch.undo()
    assert "Lost" not in [c["name"] for c in store.all("categories")]
    assert store.export()["_sequences"] == sequences
    # written to the file but never acknowledged: it must not come back at the next start
    assert [f.read_bytes() for f in data_files_of(store.path)] == files


def test_a_short_write_is_cut_off_before_the_error(store, monkeypatch):
    before = journal_of(store.path).read_bytes()
    real_write = os.write
    monkeypatch.setattr(storage.os, "write", lambda fd, data: real_write(fd, data[:10]))
    with pytest.raises(OSError, match="only 10 of"):
        store.insert("categories", {"name": "Half"})
    monkeypatch.undo()
    assert journal_of(store.path).read_bytes() == before
    assert store.insert("categories", {"name": "Whole"})["name"] == "Whole"
    assert [c["name"] for c in on_disk(store)["categories"].values()][-1] == "Whole"


def test_batch_writes_one_line_or_nothing(store):
    lines = journal_lines(store)
    with store.batch():
        store.remove_by("ledger", "customer_id", 779)
        store.remove("customers", 779)
    assert journal_lines(store) == lines + 1
    assert store.get("customers", 779) is None and "779" not in on_disk(store)["customers"]

    with pytest.raises(RuntimeError), store.batch():
        store.remove_by("ledger", "customer_id", 2319)
        store.update("customers", 2319, {"business_name": "half way"})
        raise RuntimeError("handler failed half way")
    assert journal_lines(store) == lines + 1
    assert store.find_by("ledger", "customer_id", 2319) != []
    assert store.get("customers", 2319)["business_name"] != "half way"


def test_a_memory_store_rolls_back_too():
    memory = Store(None)
    try:
        with pytest.raises(RuntimeError), memory.batch():
            memory.insert("categories", {"name": "gone"})
            memory.remove("customers", 779)
            raise RuntimeError
        assert memory.get("customers", 779) is not None
        assert "gone" not in [c["name"] for c in memory.all("categories")]
    finally:
        memory.close()


def test_a_write_costs_the_change_not_the_store(store):
    store.insert_many("customers", [{"business_name": f"filler {i}", "category_id": 1} for i in range(20_000)])
    snapshot, journal = store.path.stat().st_size, journal_of(store.path).stat().st_size
    assert snapshot + journal > 500_000
    store.insert("customers", {"business_name": "one more", "category_id": 1})
    store.update("customers", 779, {"archived": True})
    store.remove("customers", 2319)
    assert store.path.stat().st_size == snapshot
    assert 0 < journal_of(store.path).stat().st_size - journal < 1_000


def test_ids_grow_past_deleted_ones_across_restarts(tmp_path):
    first = Store(tmp_path / "db.json")
    made = first.insert("customers", {"business_name": "x"})["id"]
    first.remove("customers", made)
    first.close()
    again = Store(tmp_path / "db.json")
    try:
        assert again.insert("customers", {"business_name": "y"})["id"] == made + 1
    finally:
        again.close()


def test_insert_many_takes_consecutive_new_ids_in_one_write(store):
    lines = journal_lines(store)
    last = max(r["id"] for r in fixture_rows("categories"))
    made = store.insert_many("categories", [{"name": "A"}, {"id": 1, "name": "B"}, {"name": "C"}])
    assert [(r["id"], r["name"]) for r in made] == [(last + 1, "A"), (last + 2, "B"), (last + 3, "C")]
    assert journal_lines(store) == lines + 1
    assert store.get("categories", 1)["name"] != "B"  # an id in a row is not a request for that id
    assert on_disk(store)["categories"][str(last + 3)] == {"name": "C"}
    assert store.insert("categories", {"name": "D"})["id"] == last + 4
    assert store.insert_many("categories", []) == []
    assert store.reserve_ids("categories", 1)[0] == last + 5


def test_reset_restores_fixtures_and_sequences(store):
    store.insert("customers", {"business_name": "gone after reset"})
    store.remove("customers", 779)
    store.reset()
    assert [c["id"] for c in store.all("customers")] == [row["id"] for row in fixture_rows("customers")]
    assert (
        store.insert("customers", {"business_name": "z"})["id"] == max(r["id"] for r in fixture_rows("customers")) + 1
    )


def test_update_and_remove_of_missing_record_say_so(store):
    assert store.update("customers", 424242, {"archived": True}) is None
    assert store.remove("customers", 424242) is False


def test_second_store_on_same_file_is_refused(store):
    with pytest.raises(StoreInUse, match="in use"):
        Store(store.path)


def test_concurrent_inserts_lose_nothing(store):
    def work(n):
        for i in range(50):
            store.insert("categories", {"name": f"t{n}-{i}"})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    names = [c["name"] for c in store.all("categories") if c["name"].startswith("t")]
    ids = [c["id"] for c in store.all("categories")]
    assert len(names) == 400 and len(set(ids)) == len(ids)
    assert len(on_disk(store)["categories"]) == len(ids)


def test_memory_store_needs_no_file():
    memory = Store(None)
    assert memory.insert("categories", {"name": "m"})["id"] > 0
    memory.close()


def test_export_is_a_copy_and_replace_brings_it_back_as_a_new_snapshot(store):
    saved = store.export()
    saved["customers"]["779"]["business_name"] = "changed in the copy only"
    assert store.get("customers", 779)["business_name"] == "Abas two"
    saved = store.export()
    store.remove("customers", 779)
    store.insert("outbox", {"to": ["x@example.com"]})
    store.replace(saved)
    assert journal_lines(store) == 1  # the header: everything is in the snapshot
    assert on_disk(store) == saved and store.export() == saved
    assert store.get("customers", 779)["business_name"] == "Abas two"
    assert store.all("outbox") == []
    assert store.reserve_ids("customers", 1)[0] == max(int(i) for i in saved["customers"]) + 1


def test_counts_leave_out_the_stores_bookkeeping(store):
    counts = store.counts()
    assert counts["customers"] == len(fixture_rows("customers"))
    assert not any(name.startswith("_") for name in counts)


def test_find_by_follows_every_kind_of_write(store):
    def ledger_ids(customer):
        return [e["id"] for e in store.find_by("ledger", "customer_id", customer)]

    assert ledger_ids(779) == [e["id"] for e in store.find("ledger", lambda e: e["customer_id"] == 779)] != []
    moved = ledger_ids(779)[0]
    store.update("ledger", moved, {"customer_id": 2319})
    assert moved not in ledger_ids(779) and moved in ledger_ids(2319)
    made = store.insert("ledger", {"customer_id": 779, "kind": "invoice", "amount": 1, "date": "2024-01-01"})
    assert made["id"] in ledger_ids(779)
    store.remove_by("ledger", "customer_id", 2319)
    assert ledger_ids(2319) == [] and store.find("ledger", lambda e: e["customer_id"] == 2319) == []
    with pytest.raises(RuntimeError), store.batch():
        store.remove("ledger", made["id"])
        raise RuntimeError
    assert made["id"] in ledger_ids(779)
    store.reset()
    assert ledger_ids(779) == [e["id"] for e in fixture_rows("ledger") if e["customer_id"] == 779]


def test_ordered_follows_every_kind_of_write(store):
    by_date = Ordering("ledger", key=lambda e: e["date"], keep=lambda e: e["kind"] != "void")

    def scanned(low=None, high=None, where=None):
        rows = store.find(
            "ledger",
            lambda e: (
                e["kind"] != "void"
                and (low is None or e["date"] >= low)
                and (high is None or e["date"] <= high)
                and all(e[f] == v for f, v in (where or {}).items())
            ),
        )
        return [e["id"] for e in sorted(rows, key=lambda e: (e["date"], e["id"]))]

    def ids() -> list[int]:
        return store.ordered(by_date)[1]

    def agrees() -> bool:
        days = sorted({e["date"] for e in store.all("ledger")})
        low, high = days[1], days[-2]
        windows = [(False, 0, None), (True, 0, None), (False, 1, 2), (True, 1, 2), (True, 0, 999)]
        for bounds in [{}, {"low": low}, {"high": high}, {"low": low, "high": high}, {"low": high, "high": low}]:
            for where in [None, {"customer_id": 779}]:
                expected = scanned(**bounds, where=where)
                for reverse, skip, take in windows:
                    window = (expected[::-1] if reverse else expected)[skip : None if take is None else skip + take]
                    got = store.ordered(by_date, **bounds, where=where, reverse=reverse, skip=skip, take=take)
                    if got != (len(expected), window):
                        return False
        return True

    assert len(ids()) == len(store.all("ledger")) > 2 and agrees()
    first = ids()[0]
    store.update("ledger", first, {"date": "2099-01-01"})
    assert ids()[-1] == first and agrees()
    store.update("ledger", first, {"kind": "void"})
    assert first not in ids() and agrees()
    made = store.insert("ledger", {"customer_id": 779, "kind": "invoice", "amount": 1, "date": "1999-01-01"})
    assert ids()[0] == made["id"] and agrees()
    with pytest.raises(RuntimeError), store.batch():
        store.remove("ledger", made["id"])
        raise RuntimeError
    assert ids()[0] == made["id"] and agrees()
    store.remove("ledger", made["id"])
    assert made["id"] not in ids() and agrees()
    store.reset()
    assert len(ids()) == len(fixture_rows("ledger")) and agrees()


class HeldBatch:
    """A batch another thread opens, writes in, and holds open until told to commit or fail:
    a long import's commit, frozen at its worst moment for the readers."""

    def __init__(self, store, write, fail=False):
        self.written, self.go, self.done = threading.Event(), threading.Event(), threading.Event()
        self.result = None

        def run():
            try:
                with store.batch():
                    self.result = write()
                    self.written.set()
                    self.go.wait(30)
                    if fail:
                        raise RuntimeError("refused half-way")
            except RuntimeError:
                pass
            finally:
                self.done.set()

        self.thread = threading.Thread(target=run)
        self.thread.start()
        assert self.written.wait(30)

    def finish(self):
        self.go.set()
        self.thread.join()


def read_beside(read):
    """`read` in a thread of its own: (finished, result) as the thread ends."""
    out = {}
    thread = threading.Thread(target=lambda: out.update(value=read()))
    thread.start()
    return thread, out


def test_a_row_no_write_under_way_touches_is_read_without_waiting_for_it(store):
    held = HeldBatch(store, lambda: store.insert("categories", {"name": "in flight"}))
    thread, out = read_beside(lambda: (store.get("customers", 779), store.exists("customers", 2319)))
    thread.join(10)
    assert not thread.is_alive() and not held.done.is_set()  # answered while the batch is open
    assert out["value"][0]["business_name"] == "Abas two" and out["value"][1] is True
    held.finish()


@pytest.mark.parametrize("fail", [False, True], ids=["committed", "undone"])
def test_a_row_a_write_under_way_touched_is_read_after_it_never_half_way(store, fail):
    held = HeldBatch(store, lambda: (store.insert("categories", {"name": "new"}), store.remove("customers", 779)), fail)
    made = held.result[0]
    thread, out = read_beside(lambda: (store.get("categories", made["id"]), store.exists("customers", 779)))
    thread.join(0.5)
    assert thread.is_alive()  # waits: neither the new row nor the removal is durable yet
    held.finish()
    thread.join(10)
    assert out["value"] == ((None, True) if fail else (made, False))


def test_a_customers_totals_are_read_beside_a_write_unless_it_changes_them(store):
    from mockserver.state import ledger

    before = ledger.totals_of(store, 154184)
    entry = {"customer_id": 154184, "kind": "invoice", "amount": 10, "date": "2024-11-04"}
    held = HeldBatch(store, lambda: store.insert("ledger", entry))
    other, other_out = read_beside(lambda: ledger.totals_of(store, 779))
    same, same_out = read_beside(lambda: ledger.totals_of(store, 154184))
    other.join(10)
    same.join(0.5)
    assert not other.is_alive() and other_out["value"].balance == ledger.decimal("20351822.92")
    assert same.is_alive()
    held.finish()
    same.join(10)
    assert same_out["value"].debit == before.debit + 10
