import json
import threading

import pytest

from mockserver import storage
from mockserver.store import Store, StoreInUse
from tests.conftest import fixture_rows


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "db.json")
    yield opened
    opened.close()


def on_disk(store):
    return json.loads(store.path.read_text())


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


def test_failed_write_leaves_old_file_and_memory_as_on_disk(store, monkeypatch):
    before = store.path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.json, "dump", disk_full)
    with pytest.raises(OSError):
        store.insert("categories", {"name": "Lost"})
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert "Lost" not in [c["name"] for c in store.all("categories")]
    assert list(store.path.parent.glob("*.tmp")) == []


def test_batch_writes_once_or_not_at_all(store):
    writes = []
    original = store._storage._flush
    store._storage._flush = lambda: (writes.append(1), original())
    with store.batch():
        store.remove_where("ledger", lambda e: e["customer_id"] == 779)
        store.remove("customers", 779)
    assert len(writes) == 1
    assert store.get("customers", 779) is None

    with pytest.raises(RuntimeError), store.batch():
        store.remove_where("ledger", lambda e: e["customer_id"] == 2319)
        raise RuntimeError("handler failed half way")
    assert len(writes) == 1
    assert store.find("ledger", lambda e: e["customer_id"] == 2319) != []


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
    writes = []
    original = store._storage._flush
    store._storage._flush = lambda: (writes.append(1), original())
    last = max(r["id"] for r in fixture_rows("categories"))
    made = store.insert_many("categories", [{"name": "A"}, {"id": 1, "name": "B"}, {"name": "C"}])
    assert [(r["id"], r["name"]) for r in made] == [(last + 1, "A"), (last + 2, "B"), (last + 3, "C")]
    assert len(writes) == 1
    assert store.get("categories", 1)["name"] != "B"  # an id in a row is not a request for that id
    assert on_disk(store)["categories"][str(last + 3)] == {"name": "C"}
    assert store.insert("categories", {"name": "D"})["id"] == last + 4
    assert store.insert_many("categories", []) == []
    assert store.next_id("categories") == last + 5


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


def test_export_is_a_copy_and_replace_brings_it_back_in_one_write(store, monkeypatch):
    saved = store.export()
    saved["customers"]["779"]["business_name"] = "changed in the copy only"
    assert store.get("customers", 779)["business_name"] == "Abas two"
    saved = store.export()
    store.remove("customers", 779)
    store.insert("outbox", {"to": ["x@example.com"]})
    writes = []
    real_write = storage.write_atomic
    monkeypatch.setattr(storage, "write_atomic", lambda *a: (writes.append(1), real_write(*a)))
    store.replace(saved)
    assert len(writes) == 1
    assert on_disk(store) == saved and store.export() == saved
    assert store.get("customers", 779)["business_name"] == "Abas two"
    assert store.all("outbox") == []
    assert store.next_id("customers") == max(int(i) for i in saved["customers"]) + 1


def test_counts_leave_out_the_stores_bookkeeping(store):
    counts = store.counts()
    assert counts["customers"] == len(fixture_rows("customers"))
    assert not any(name.startswith("_") for name in counts)
