"""The journal under the store: what a process that starts after a crash finds."""

import json
import threading

import pytest

from mockserver.state.storage import cache as cache_module
from mockserver.state.storage import journaled as storage_module
from mockserver.state.storage import snapshot as snapshot_module
from mockserver.state.storage.cache import cache_of
from mockserver.state.storage.journal import JournalCorrupt, folding_of, journal_of
from mockserver.state.storage.journaled import JournaledStorage, JournaledTinyDB
from mockserver.state.storage.snapshot import GENERATION, write_atomic


def open_db(path, **kw):
    storage = JournaledStorage(path, **kw)
    return JournaledTinyDB(storage=lambda: storage), storage


def names(db):
    return [doc["name"] for doc in db.table("t").all()]


def test_writes_replay_from_the_journal_without_a_clean_close(tmp_path):
    db, _ = open_db(tmp_path / "db.json")
    table = db.table("t")
    table.insert({"name": "a"})
    ident = table.insert({"name": "b"})
    table.update({"name": "b2"}, doc_ids=[ident])
    table.insert({"name": "c"})
    table.remove(doc_ids=[1])
    assert not (tmp_path / "db.json").exists()  # nothing folded yet: all of it is in the journal
    again, _ = open_db(tmp_path / "db.json")  # the first one never closed: as after SIGKILL
    assert names(again) == ["b2", "c"]
    assert again.table("t").insert({"name": "d"}) == 4


def test_a_torn_last_line_is_dropped_and_cut_off(tmp_path):
    db, _ = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "acknowledged"})
    journal = journal_of(tmp_path / "db.json")
    whole = journal.read_bytes()
    with journal.open("ab") as f:
        f.write(b'[["put","t","2",{"name":"torn')
    again, _ = open_db(tmp_path / "db.json")
    assert names(again) == ["acknowledged"]
    assert journal.read_bytes() == whole
    again.table("t").insert({"name": "next"})
    third, _ = open_db(tmp_path / "db.json")
    assert names(third) == ["acknowledged", "next"]


def test_a_bad_line_in_the_middle_is_reported_not_skipped(tmp_path):
    db, _ = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "a"})
    journal = journal_of(tmp_path / "db.json")
    journal.write_bytes(journal.read_bytes() + b"not json\n" + b'[["put","t","9",{"name":"z"}]]\n')
    with pytest.raises(JournalCorrupt, match="line 3"):
        open_db(tmp_path / "db.json")


def test_the_journal_is_folded_into_the_snapshot_when_it_outgrows_it(tmp_path):
    db, storage = open_db(tmp_path / "db.json", compact_at_least=2_000)
    for i in range(300):
        db.table("t").insert({"name": f"n{i}"})
    storage.settle()
    snapshot = json.loads((tmp_path / "db.json").read_text())
    assert snapshot[GENERATION] > 1
    assert journal_of(tmp_path / "db.json").stat().st_size < 2_000 + 100
    again, _ = open_db(tmp_path / "db.json")
    assert names(again) == [f"n{i}" for i in range(300)]


def test_a_journal_already_folded_in_is_not_replayed_again(tmp_path):
    """A compaction that crashed after its snapshot but before its new journal."""
    db, storage = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "a"})
    db.table("t").insert({"name": "b"})
    # the snapshot of that compaction: generation moved on, and "a" since removed
    write_atomic(tmp_path / "db.json", {"t": {"2": {"name": "b"}}, GENERATION: 1})
    again, _ = open_db(tmp_path / "db.json")
    assert names(again) == ["b"]


def test_close_leaves_one_self_contained_snapshot(tmp_path):
    db, _ = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "a"})
    db.close()
    assert json.loads((tmp_path / "db.json").read_text())["t"] == {"1": {"name": "a"}}
    assert not journal_of(tmp_path / "db.json").exists()
    again, _ = open_db(tmp_path / "db.json")
    again.table("t").insert({"name": "b"})
    assert names(open_db(tmp_path / "db.json")[0]) == ["a", "b"]


def test_a_snapshot_is_read_back_a_chunk_at_a_time_and_is_still_one_json_document(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot_module, "FOLD_CHUNK", 3)  # several chunks in a table of 8
    tables = {
        "t": {str(i): {"name": f"n{i}", "note": "a\nline, },\n{"} for i in range(1, 9)},
        "empty": {},
        "u": {"1": {"nested": {"x": [1, {"y": None}]}}},
    }
    snapshot_module.write_snapshot(tmp_path / "db.json", tables, 4)
    text = (tmp_path / "db.json").read_text()
    assert json.loads(text) == {**tables, GENERATION: 4}
    assert len(text.splitlines()) == 12  # {, three headers, 3 + 0 + 1 chunks, three ends, the generation
    assert snapshot_module.read_snapshot(tmp_path / "db.json") == {**tables, GENERATION: 4}


def test_a_snapshot_in_one_line_as_earlier_versions_wrote_it_is_read(tmp_path):
    (tmp_path / "db.json").write_text(json.dumps({"t": {"1": {"name": "a"}}, GENERATION: 0}))
    db, _ = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "b"})
    assert names(db) == ["a", "b"]


@pytest.fixture
def cached(monkeypatch):
    """Every store big enough for a load cache, written two rows a piece."""
    monkeypatch.setattr(cache_module, "CACHE_AT_LEAST", 0)
    monkeypatch.setattr(cache_module, "CACHE_CHUNK", 2)


def test_a_clean_stop_leaves_a_load_cache_the_next_start_reads_instead_of_the_json(tmp_path, cached, monkeypatch):
    db, storage = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "a", "n": 1.5, "none": None, "list": [1, "x"]})
    db.table("t").insert_multiple([{"name": n} for n in "bcde"])
    db.table("emptied").insert({"name": "gone"})
    db.table("emptied").truncate()
    before = json.loads(json.dumps(storage.read()))
    db.close()
    assert cache_of(tmp_path / "db.json").exists()
    monkeypatch.setattr(storage_module, "read_snapshot", lambda path: pytest.fail("read the JSON"))
    again, storage = open_db(tmp_path / "db.json")
    assert storage.read() == before
    again.table("t").insert({"name": "f"})
    again.close()  # the snapshot is written again, and so is its cache
    assert names(open_db(tmp_path / "db.json")[0]) == list("abcdef")


def test_writes_after_a_start_from_the_cache_replay_after_a_crash(tmp_path, cached):
    db, _ = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "a"})
    db.close()
    again, _ = open_db(tmp_path / "db.json")
    again.table("t").insert({"name": "b"})  # in the journal; no clean stop
    assert names(open_db(tmp_path / "db.json")[0]) == ["a", "b"]


def test_a_cache_of_another_snapshot_is_not_read_and_goes(tmp_path, cached):
    db, _ = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "a"})
    db.close()
    cache = cache_of(tmp_path / "db.json").read_bytes()
    snapshot_module.write_snapshot(tmp_path / "db.json", {"t": {"1": {"name": "replaced"}}}, 0)
    cache_of(tmp_path / "db.json").write_bytes(cache)  # a stop's cache, beside a file put there since
    assert names(open_db(tmp_path / "db.json")[0]) == ["replaced"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda stamp, pieces: stamp + b"\x00garbage",  # a length past the end
        lambda stamp, pieces: stamp + pieces[:-1],  # cut short
        lambda stamp, pieces: stamp + pieces[:20] + bytes([pieces[20] ^ 1]) + pieces[21:],  # a bit flipped
    ],
    ids=["garbage", "cut short", "a bit flipped"],
)
def test_a_damaged_cache_falls_back_to_the_json(tmp_path, cached, damage):
    db, _ = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "a"})
    db.close()
    cache = cache_of(tmp_path / "db.json")
    stamp, _, pieces = cache.read_bytes().partition(b"\n")
    cache.write_bytes(damage(stamp + b"\n", pieces))
    assert names(open_db(tmp_path / "db.json")[0]) == ["a"]
    assert not cache.exists()


def test_a_small_store_keeps_no_cache(tmp_path):
    db, _ = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "a"})
    db.close()
    assert not cache_of(tmp_path / "db.json").exists()


def test_drop_and_truncate_survive_a_restart(tmp_path):
    db, _ = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "a"})
    db.table("u").insert({"name": "u"})
    db.table("t").truncate()
    db.table("t").insert({"name": "after"})
    db.drop_table("u")
    again, _ = open_db(tmp_path / "db.json")
    assert names(again) == ["after"] and "u" not in again.tables()


class HeldFold:
    """write_snapshot, held in a fold's thread until released (or failing with `error`):
    the moment a crash or a full disk could strike."""

    def __init__(self, monkeypatch, error: OSError | None = None):
        self.started, self.go, self.error = threading.Event(), threading.Event(), error
        real = storage_module.write_snapshot

        def held(path, tables, generation):
            if threading.current_thread().name != "mockserver-fold":
                return real(path, tables, generation)
            self.started.set()
            self.go.wait(30)
            if self.error is not None:
                raise self.error
            return real(path, tables, generation)

        monkeypatch.setattr(storage_module, "write_snapshot", held)


def fill_until_a_fold(db, storage, held):
    for i in range(1000):
        db.table("t").insert({"name": f"n{i}"})
        if held.started.is_set():
            return i + 1
    raise AssertionError("no fold started")


def test_writes_go_on_while_a_fold_writes_the_snapshot_behind_them(tmp_path, monkeypatch):
    held = HeldFold(monkeypatch)
    db, storage = open_db(tmp_path / "db.json", compact_at_least=2_000)
    written = fill_until_a_fold(db, storage, held)
    for i in range(written, written + 50):  # not held up by the fold
        db.table("t").insert({"name": f"n{i}"})
    assert folding_of(journal_of(tmp_path / "db.json")).exists()
    # a crash now: old snapshot (none), the set-aside journal, then the new one
    for name in ("db.json", "db.json.journal", "db.json.journal.folding"):
        if (tmp_path / name).exists():
            (tmp_path / name.replace("db.json", "crashed.json")).write_bytes((tmp_path / name).read_bytes())
    crashed, _ = open_db(tmp_path / "crashed.json")
    assert names(crashed) == [f"n{i}" for i in range(written + 50)]
    assert not folding_of(journal_of(tmp_path / "crashed.json")).exists()  # caught up on opening
    held.go.set()
    storage.settle()
    assert not folding_of(journal_of(tmp_path / "db.json")).exists()
    assert names(open_db(tmp_path / "db.json")[0]) == [f"n{i}" for i in range(written + 50)]


def test_a_fold_that_fails_loses_nothing_and_the_next_one_catches_up(tmp_path, monkeypatch):
    held = HeldFold(monkeypatch, error=OSError(28, "No space left on device"))
    db, storage = open_db(tmp_path / "db.json", compact_at_least=2_000)
    written = fill_until_a_fold(db, storage, held)
    held.go.set()
    storage.settle()
    assert folding_of(journal_of(tmp_path / "db.json")).exists()  # kept: nothing holds it yet
    for i in range(written, written + 300):  # outgrows the threshold again: folded here and now
        db.table("t").insert({"name": f"n{i}"})
    storage.settle()
    assert not folding_of(journal_of(tmp_path / "db.json")).exists()
    assert names(open_db(tmp_path / "db.json")[0]) == [f"n{i}" for i in range(written + 300)]


def test_a_batch_that_replaced_everything_is_undone_whole(tmp_path):
    """After a whole-database write in a batch its rows are neither journaled nor logged for
    undo one by one (seed puts 620,000 that way): undoing it still puts everything back."""
    db, storage = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "kept"})
    storage.begin()
    db.table("t").insert({"name": "before the reset, undone too"})
    db.drop_tables()
    db.table("t").insert({"name": "gone"})
    db.table("u").insert({"name": "gone too"})
    storage.rollback()
    assert names(db) == ["kept"] and "u" not in db.tables()
    assert names(open_db(tmp_path / "db.json")[0]) == ["kept"]
