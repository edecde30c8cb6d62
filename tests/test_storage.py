"""The journal under the store: what a process that starts after a crash finds."""

import json
import re
import threading
import zlib

import pytest

from mockserver.state.storage import cache as cache_module
from mockserver.state.storage import early as early_module
from mockserver.state.storage import journaled as storage_module
from mockserver.state.storage import snapshot as snapshot_module
from mockserver.state.storage.cache import cache_of
from mockserver.state.storage.journal import JournalCorrupt, entry, folding_of, header_of, journal_of
from mockserver.state.storage.journaled import JournaledStorage, JournaledTinyDB
from mockserver.state.storage.snapshot import CRC, GENERATION, INDEX, SnapshotCorrupt, write_atomic


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
    # folded whenever it passed the threshold or the snapshot's size: never more than a line over
    threshold = max(2_000, (tmp_path / "db.json").stat().st_size)
    assert journal_of(tmp_path / "db.json").stat().st_size < threshold + 100
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
    body, _, last = text.rpartition("\n")
    crc = zlib.crc32(b"4", zlib.crc32(body.encode() + b"\n"))  # the lines before the last, and the generation
    document = json.loads(text)
    index = document.pop(INDEX)
    assert document == {**tables, CRC: crc, GENERATION: 4}
    assert last == f'"{CRC}":{crc},"{GENERATION}":4}}'
    # {, three headers, 3 + 0 + 1 chunks, three ends, the index, the CRC and generation
    assert len(text.splitlines()) == 13
    raw = text.encode()
    for name, rows in tables.items():  # each chunk where the index says, its ids in its span
        found = {}
        for offset, length, first, last_id in index["tables"][name]:
            chunk = json.loads(b"{" + raw[offset : offset + length].strip().lstrip(b",") + b"}")
            assert all(first <= int(key) <= last_id for key in chunk)
            found.update(chunk)
        assert found == rows
    assert snapshot_module.read_snapshot(tmp_path / "db.json") == {**tables, GENERATION: 4}


@pytest.mark.parametrize("layout", ["in chunks", "in one line", "first rows over chunks"])
def test_a_loaded_store_holds_one_object_per_repeated_value(tmp_path, monkeypatch, layout):
    """Repeated short values (dates, kinds) are most of a big store's memory when each is an
    object of its own; whichever layout the file has, each is loaded as one, with every
    value as written, the rows read before its fields were known too."""
    monkeypatch.setattr(snapshot_module, "FOLD_CHUNK", 5)
    if layout == "first rows over chunks":  # the fields are known after the third chunk
        monkeypatch.setattr(snapshot_module.Interned, "SAMPLE", 12)
    tables = {"t": {str(i): {"day": f"2024-01-0{i % 3 + 1}", "note": f"once {i}", "n": i} for i in range(1, 40)}}
    if layout != "in one line":
        snapshot_module.write_snapshot(tmp_path / "db.json", tables, 1)
    else:
        (tmp_path / "db.json").write_text(json.dumps({**tables, GENERATION: 1}))
    loaded = snapshot_module.read_snapshot(tmp_path / "db.json")
    assert loaded == {**tables, GENERATION: 1}
    assert len({id(row["day"]) for row in loaded["t"].values()}) == 3


def stopped_store(tmp_path):
    """A store stopped cleanly after two writes: db.json alone, its journal folded in."""
    db, _ = open_db(tmp_path / "db.json")
    db.table("t").insert({"name": "a", "amount": 100})
    db.table("t").insert({"name": "b", "amount": 200})
    db.close()
    return (tmp_path / "db.json").read_bytes()


SNAPSHOT_DAMAGE = {  # db.json's bytes -> damaged ones; the line named
    "a digit of a value": (lambda b: b.replace(b'"amount":200', b'"amount":208'), 6),  # the CRC's line
    "a digit of the generation": (lambda b: b.replace(b'"__generation__":1}', b'"__generation__":2}'), 6),
    "a digit of the CRC": (lambda b: b[: b.index(b'"__crc__":') + 10] + b"9" + b[b.index(b'"__crc__":') + 11 :], 6),
    "a digit of the index": (lambda b: b.replace(b'"tables":{"t":[[', b'"tables":{"t":[[9'), 6),
    "not JSON": (lambda b: b.replace(b'"name":"a"', b'"name":a"'), 3),
    "cut short": (lambda b: b[: b.index(b"},")], 3),
}


@pytest.fixture(params=["loaded at once", "opened early"])
def opening(request, monkeypatch):
    """Either way a store is opened: read whole, or (a big one) early, loaded behind."""
    if request.param == "opened early":
        monkeypatch.setattr(early_module, "EARLY_AT_LEAST", 0)
    return request.param


@pytest.mark.parametrize(("damage", "number"), SNAPSHOT_DAMAGE.values(), ids=SNAPSHOT_DAMAGE.keys())
def test_a_damaged_store_file_is_refused_naming_its_line(tmp_path, damage, number, opening):
    (tmp_path / "db.json").write_bytes(damage(stopped_store(tmp_path)))
    with pytest.raises(SnapshotCorrupt) as refused:
        open_db(tmp_path / "db.json")
    assert str(refused.value).startswith(f"{tmp_path / 'db.json'} line {number} ")
    assert "\n" not in str(refused.value)


def test_a_store_file_edited_with_its_crc_deleted_is_taken_as_it_is(tmp_path, opening):
    text = stopped_store(tmp_path).replace(b'"name":"b"', b'"name":"edited"')
    (tmp_path / "db.json").write_bytes(re.sub(rb'"__crc__":\d+,', b"", text))
    assert names(open_db(tmp_path / "db.json")[0]) == ["a", "edited"]


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
    monkeypatch.setattr(early_module, "read_snapshot", lambda path: pytest.fail("read the JSON"))
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
        self.gave_up = threading.Event()  # the fold was overtaken while held, before `go`
        real = storage_module.write_snapshot

        def held(path, tables, generation, cancelled=lambda: False, kept=None):
            if threading.current_thread().name != "mockserver-fold":
                return real(path, tables, generation, cancelled, kept)
            self.started.set()
            for _ in range(3000):  # 30 s at most, whatever happens
                if self.go.wait(0.01):
                    break
                if cancelled():
                    self.gave_up.set()
                    break
            if self.error is not None:
                raise self.error
            return real(path, tables, generation, cancelled, kept)

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


@pytest.mark.parametrize("crash", [False, True], ids=["then-a-clean-stop", "then-a-crash"])
def test_a_reset_during_a_fold_overtakes_it_and_loses_nothing(tmp_path, monkeypatch, crash):
    """A whole-database write (a reset, a restore) under way while a fold writes the snapshot
    gives the fold up instead of waiting for it under the store's lock; its snapshot holds it all."""
    held = HeldFold(monkeypatch)
    db, storage = open_db(tmp_path / "db.json", compact_at_least=2_000)
    written = fill_until_a_fold(db, storage, held)
    replaced = {"t": {"1": {"name": "reset"}}, "u": {"1": {"name": "kept"}}}
    storage.write(replaced)  # `go` is never set: only giving the fold up lets this return
    assert held.gave_up.is_set() and written > 0
    assert not folding_of(journal_of(tmp_path / "db.json")).exists()  # the reset's snapshot holds it
    db.table("t").insert({"name": "after"})
    if not crash:
        db.close()
    again, _ = open_db(tmp_path / "db.json")
    assert names(again) == ["reset", "after"] and again.table("u").all() == [{"name": "kept"}]


def test_writes_resets_and_folds_interleaved_leave_a_store_that_loads_as_it_was(tmp_path):
    """Folds started by writes (a small threshold), resets between them that overtake any fold
    still under way, writes going on: after each round the files load as the state acknowledged."""
    db, storage = open_db(tmp_path / "db.json", compact_at_least=500)
    expected: list[str] = []
    for round_ in range(40):
        for i in range(round_ % 7 * 5):
            db.table("t").insert({"name": f"r{round_} n{i}"})
            expected.append(f"r{round_} n{i}")
        if round_ % 3 == 0:
            storage.write({"t": {"1": {"name": f"reset {round_}"}}})
            expected = [f"reset {round_}"]
        crashed = tmp_path / f"crash{round_}"
        crashed.mkdir()
        storage.settle()  # the files as a crash would find them between two writes
        for name in ("db.json", "db.json.journal", "db.json.journal.folding"):
            if (tmp_path / name).exists():
                (crashed / name).write_bytes((tmp_path / name).read_bytes())
        assert names(open_db(crashed / "db.json")[0]) == expected, f"round {round_}"
    db.close()
    assert names(open_db(tmp_path / "db.json")[0]) == expected


def test_a_half_written_snapshot_a_crash_left_goes_at_the_next_start(tmp_path, monkeypatch):
    held = HeldFold(monkeypatch)
    db, storage = open_db(tmp_path / "db.json", compact_at_least=2_000)
    fill_until_a_fold(db, storage, held)
    half = tmp_path / ".db.json.x1y2z3.tmp"  # as replace_file names it
    half.write_bytes(b'{\n"t":{\n"1":{"name":"n0"}')
    (tmp_path / ".other.json.a1b2c3.tmp").write_bytes(b"another store's")
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for path in tmp_path.iterdir():
        if path.is_file():
            (crashed / path.name).write_bytes(path.read_bytes())
    again, _ = open_db(crashed / "db.json")
    assert names(again)[0] == "n0"
    assert [path.name for path in crashed.glob("*.tmp")] == [".other.json.a1b2c3.tmp"]
    held.go.set()
    storage.settle()


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


# -- damage: every line is checked (seq and CRC-32), and only a torn last line is dropped


def journaled(tmp_path, writes=4):
    """A store of `writes` acknowledged writes, all still in its journal (as after SIGKILL):
    the header, then a line per write. Returns the journal's lines, each with its newline."""
    db, _ = open_db(tmp_path / "db.json")
    for i in range(writes):
        db.table("t").insert({"name": f"n{i}", "amount": 100 + i})
    return journal_of(tmp_path / "db.json").read_bytes().splitlines(keepends=True)


def flip_digit(line: bytes, after: bytes) -> bytes:
    """The first digit after `after` changed to another digit."""
    at = line.index(after) + len(after)
    while not line[at : at + 1].isdigit():
        at += 1
    return line[:at] + (b"1" if line[at : at + 1] != b"1" else b"2") + line[at + 1 :]


def flip_bit(line: bytes, at: int) -> bytes:
    return line[:at] + bytes([line[at] ^ 0x04]) + line[at + 1 :]


DAMAGE = {  # lines -> lines, and the line number the refusal must name
    "a digit of the header's generation": (lambda ls: [flip_digit(ls[0], b'"generation":'), *ls[1:]], 1),
    "a digit of the header's CRC": (lambda ls: [flip_digit(ls[0], b'"crc":'), *ls[1:]], 1),
    "the header deleted": (lambda ls: ls[1:], 1),
    "a digit of a value in a middle line": (lambda ls: [*ls[:2], flip_digit(ls[2], b'"amount":'), *ls[3:]], 3),
    "a bit in a middle line's name": (lambda ls: [*ls[:2], flip_bit(ls[2], ls[2].index(b'"n1"') + 1), *ls[3:]], 3),
    "a digit of a middle line's seq": (lambda ls: [*ls[:2], flip_digit(ls[2], b'"seq":'), *ls[3:]], 3),
    "a middle line deleted": (lambda ls: [*ls[:2], *ls[3:]], 3),
    "two lines swapped": (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], 2),
    "the last line's newline damaged": (lambda ls: [*ls[:-1], ls[-1][:-1] + b"\x0e"], 5),
    "a wrong-shaped line with a good CRC": (lambda ls: [*ls[:2], entry(2, "ops", b'{"put":1}'), *ls[3:]], 3),
    "a change of an unknown kind with a good CRC": (
        lambda ls: [*ls[:2], entry(2, "ops", b'[["put","t","x1",{}]]'), *ls[3:]],
        3,
    ),
    "a header of a newer snapshot than the store's": (lambda ls: [header_of(5), *ls[1:]], 1),
    "garbage": (lambda ls: [*ls[:4], b"not json\n", *ls[4:]], 5),
}


@pytest.mark.parametrize(("damage", "number"), DAMAGE.values(), ids=DAMAGE.keys())
def test_damage_anywhere_in_the_journal_is_refused_naming_its_line(tmp_path, damage, number):
    lines = journaled(tmp_path)
    journal = journal_of(tmp_path / "db.json")
    journal.write_bytes(b"".join(damage(lines)))
    before = journal.read_bytes()
    with pytest.raises(JournalCorrupt) as refused:
        open_db(tmp_path / "db.json")
    assert refused.value.number == number
    message = str(refused.value)
    assert message.startswith(f"{journal} line {number} ") and "\n" not in message
    assert f"mockserver repair --db {tmp_path / 'db.json'}" in message
    assert journal.read_bytes() == before  # refused, not changed
    assert not (tmp_path / "db.json").exists()


def test_a_line_torn_just_before_its_newline_is_dropped_as_torn(tmp_path):
    lines = journaled(tmp_path)
    journal = journal_of(tmp_path / "db.json")
    journal.write_bytes(b"".join(lines) + entry(5, "ops", b'[["put","t","5",{"name":"never acknowledged"}]]')[:-1])
    assert names(open_db(tmp_path / "db.json")[0]) == ["n0", "n1", "n2", "n3"]
    assert journal.read_bytes() == b"".join(lines)


def test_each_line_carries_its_seq_and_a_crc_and_stays_json(tmp_path):
    lines = journaled(tmp_path, writes=2)
    parsed = [json.loads(line) for line in lines]
    assert [list(p) for p in parsed] == [["seq", "crc", "generation"], ["seq", "crc", "ops"], ["seq", "crc", "ops"]]
    assert [p["seq"] for p in parsed] == [0, 1, 2]
    assert parsed[1]["ops"] == [["put", "t", "1", {"name": "n0", "amount": 100}]]
    assert lines[1] == entry(1, "ops", b'[["put","t","1",{"name":"n0","amount":100}]]')


def test_a_journal_written_before_lines_carried_checks_still_loads_and_is_folded_in(tmp_path):
    write_atomic(tmp_path / "db.json", {"t": {"1": {"name": "a"}}, GENERATION: 3})
    journal = journal_of(tmp_path / "db.json")
    journal.write_text('{"generation": 3}\n[["put","t","2",{"name":"b"}]]\n[["del","t","1"]]\n[["put","t","3",{"na')
    db, _ = open_db(tmp_path / "db.json")
    assert names(db) == ["b"]
    assert json.loads(journal.read_bytes().splitlines()[0])["seq"] == 0  # a checked journal from now on
    db.table("t").insert({"name": "c"})
    assert names(open_db(tmp_path / "db.json")[0]) == ["b", "c"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ('{"generation": 3}\n{"a": 1}\n', 2),
        ('{"generation": 3}\n[["put","t","2",{"name":"b"}]]\n[["put","t","2"]]\n', 3),
        ('{"generation": 3}\n[["put","t","02",{"name":"b"}]]\n', 2),
        ('{"generation": 3}\n[["put","t","2",[1]]]\n', 2),
        ('{"generation": 4}\n[["put","t","2",{"name":"b"}]]\n', 1),
        ('{"generation": "3"}\n', 1),
        ('{"generatio": 3}\n', 1),
    ],
)
def test_an_old_journal_of_the_wrong_shape_is_refused_too(tmp_path, text, number):
    write_atomic(tmp_path / "db.json", {"t": {"1": {"name": "a"}}, GENERATION: 3})
    journal_of(tmp_path / "db.json").write_text(text)
    with pytest.raises(JournalCorrupt) as refused:
        open_db(tmp_path / "db.json")
    assert refused.value.number == number


def test_a_checked_header_of_an_older_generation_was_folded_in(tmp_path):
    """What a compaction that crashed between its snapshot and its new journal leaves: the
    header checks out and names the generation before the snapshot's."""
    lines = journaled(tmp_path)
    write_atomic(tmp_path / "db.json", {"t": {"1": {"name": "folded"}}, GENERATION: 1})
    journal_of(tmp_path / "db.json").write_bytes(b"".join(lines))  # generation 0
    assert names(open_db(tmp_path / "db.json")[0]) == ["folded"]
