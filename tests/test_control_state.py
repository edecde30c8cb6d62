"""POST /__mock/reset and /__mock/snapshots: back to the fixtures, or to a saved state."""

import json
import sys
import threading
import zlib

import pytest

from mockserver.state.snapshots import Snapshot, written
from tests.conftest import ApiClient, fixture_rows

NEW = {
    "business_name": "Snap Ltd",
    "business_address": "",
    "business_phone": "",
    "business_email": "",
    "category_id": 1,
}


def count(client, path="/api/v3/clients"):
    return len(client.get(path).json)


def test_reset_puts_back_the_fixtures_and_clears_the_running_state(client):
    client.post("/api/v3/clients", json=NEW)
    client.delete("/api/v3/clients/779")
    assert client.post("/api/client/transactions/send/2319", json={}).status_code == 200
    client.put("/__mock/clock", json={"now": "2030-01-01T00:00:00Z"})
    client.put("/__mock/faults", json={"rules": [{"path": "/api/income", "error_rate": 1}]})
    client.put("/__mock/snapshots/kept", json=None)

    answer = client.post("/__mock/reset")
    assert answer.status_code == 200
    assert answer.json["records"]["customers"] == len(fixture_rows("customers"))
    assert answer.json["records"]["ledger"] == len(fixture_rows("ledger"))
    assert "outbox" not in answer.json["records"]
    assert client.get("/__mock/requests").json == []
    assert count(client) == len(fixture_rows("customers"))
    assert client.get("/api/v3/clients/779").status_code == 200
    assert client.get("/__mock/outbox").json == []
    assert client.get("/__mock/clock").json["virtual"] is False
    assert client.get("/__mock/faults").json["rules"] == []
    assert client.get("/api/income").status_code == 200
    assert [s["name"] for s in client.get("/__mock/snapshots").json] == ["kept"]


def test_reset_gives_the_fixtures_ids_again(client):
    first = client.post("/api/v3/clients", json=NEW).json["id"]
    client.post("/__mock/reset")
    assert client.post("/api/v3/clients", json=NEW).json["id"] == first


def test_snapshot_save_list_get_restore_delete(client, set_now):
    set_now("2024-11-04T16:13:37Z")
    saved = client.put("/__mock/snapshots/before")
    assert saved.status_code == 201
    assert saved.json == {
        "name": "before",
        "created_at": "2024-11-04T16:13:37.000Z",
        "records": client.post("/__mock/reset").json["records"],
    }
    created = client.post("/api/v3/clients", json=NEW).json
    client.delete("/api/v3/clients/779")
    assert client.put("/__mock/snapshots/after").status_code == 201
    assert [s["name"] for s in client.get("/__mock/snapshots").json] == ["after", "before"]
    assert client.get("/__mock/snapshots/after").json["records"]["customers"] == len(fixture_rows("customers"))

    restored = client.post("/__mock/snapshots/before/restore")
    assert restored.status_code == 200 and restored.json["name"] == "before"
    assert client.get(f"/api/v3/clients/{created['id']}").status_code == 404
    assert client.get("/api/v3/clients/779").status_code == 200

    client.post("/__mock/snapshots/after/restore")
    assert client.get(f"/api/v3/clients/{created['id']}").json["business_name"] == "Snap Ltd"
    assert client.get("/api/v3/clients/779").status_code == 404

    assert client.delete("/__mock/snapshots/after").status_code == 204
    assert client.get("/__mock/snapshots/after").status_code == 404
    assert client.delete("/__mock/snapshots/after").status_code == 404
    assert client.post("/__mock/snapshots/after/restore").status_code == 404


def test_saving_again_replaces_the_snapshot(client):
    assert client.put("/__mock/snapshots/s").status_code == 201
    client.post("/api/v3/clients", json=NEW)
    replaced = client.put("/__mock/snapshots/s")
    assert replaced.status_code == 200
    assert replaced.json["records"]["customers"] == len(fixture_rows("customers")) + 1


def test_restore_brings_back_the_id_sequences_too(client):
    """The store exactly as it was: the next customer gets the id it would have got then."""
    client.put("/__mock/snapshots/s")
    next_id = client.post("/api/v3/clients", json=NEW).json["id"]
    client.post("/api/v3/clients", json=NEW)
    client.post("/__mock/snapshots/s/restore")
    assert client.post("/api/v3/clients", json=NEW).json["id"] == next_id


def test_restore_drops_tables_made_after_the_snapshot(client):
    client.put("/__mock/snapshots/s")
    client.post("/api/client/transactions/send/779", json={})
    assert len(client.get("/__mock/outbox").json) == 1
    client.post("/__mock/snapshots/s/restore")
    assert client.get("/__mock/outbox").json == []


@pytest.mark.parametrize("name", [".hidden", "-dash", "a" * 65, "semi;colon", "sp ace", "%2e%2e", "..", "ü"])
def test_names_that_could_be_path_tricks_are_refused(client, name):
    answer = client.put(f"/__mock/snapshots/{name}")
    assert answer.status_code in (404, 422), answer.json  # "..": no such route once normalised
    if answer.status_code == 422:
        assert "name" in answer.json["errors"]
    assert client.get("/__mock/snapshots").json == []


def test_snapshots_survive_a_restart_beside_the_store(file_app, tmp_path):
    client = ApiClient(file_app().test_client())
    client.post("/api/v3/clients", json=NEW)
    client.put("/__mock/snapshots/demo-1.0_x")
    assert (tmp_path / "db.snapshots" / "demo-1.0_x.json").exists()
    assert not list((tmp_path / "db.snapshots").glob("*.tmp"))

    client = ApiClient(file_app().test_client())
    client.post("/__mock/reset")
    assert [s["name"] for s in client.get("/__mock/snapshots").json] == ["demo-1.0_x"]
    client.post("/__mock/snapshots/demo-1.0_x/restore")
    assert count(client) == len(fixture_rows("customers")) + 1

    # and the restored store is what is on disk
    client = ApiClient(file_app().test_client())
    assert count(client) == len(fixture_rows("customers")) + 1


def test_a_damaged_snapshot_file_is_refused_naming_it_and_changes_nothing(file_app, tmp_path):
    client = ApiClient(file_app().test_client())
    client.put("/__mock/snapshots/broken")
    (tmp_path / "db.snapshots" / "broken.json").write_text('{"tables": [1, 2]')
    client.delete("/api/v3/clients/779")
    answer = client.post("/__mock/snapshots/broken/restore")
    assert answer.status_code == 422 and "broken" in answer.json["message"]
    assert client.get("/api/v3/clients/779").status_code == 404
    (tmp_path / "db.snapshots" / "broken.json").write_text(json.dumps({"created_at": "x", "tables": {"t": [1]}}))
    assert client.post("/__mock/snapshots/broken/restore").status_code == 422
    assert client.get("/__mock/snapshots/broken").status_code == 409  # shown or listed: unreadable
    assert client.get("/__mock/snapshots").status_code == 409


def edited(tables, change):
    """A copy of a snapshot's tables, changed by `change` (which changes it in place)."""
    tables = json.loads(json.dumps(tables))
    change(tables)
    return tables


def pop(mapping, key):
    mapping.pop(key)


def text_edit(old, new):
    """An edit of the file's text, as by hand in an editor: its CRC left as it was."""
    return lambda text: text.replace(old, new, 1)


def written_again(change, crc=True):
    """The tables changed and the file written again: with a CRC that matches (made by a tool
    that knows the format), or without one (as snapshots were written before they had one)."""

    def rewrite(text):
        saved = json.loads(text)
        tables = edited(saved["tables"], change)
        if crc:
            return written(Snapshot(saved["name"], saved["created_at"], tables))
        return json.dumps({"name": saved["name"], "created_at": saved["created_at"], "tables": tables})

    return rewrite


EDITS = {  # the file's text -> an edited one; what the refusal must say
    "a name changed": (text_edit("Abas two", "Abas tw0"), "checksum does not match"),
    "reformatted": (lambda text: json.dumps(json.loads(text), indent=2), "not laid out as saved"),
    "a table not of records": (written_again(lambda t: t.update(customers=[1, 2])), "not an object of records"),
    "a record not an object": (
        written_again(lambda t: t["customers"].update({"779": "x"})),
        "customers record 779 is not an object",
    ),
    "an id that is no id": (
        written_again(lambda t: t["customers"].update({"x7": t["customers"]["779"]})),
        "'x7', which is not an id",
    ),
    "a name that is a number": (
        written_again(lambda t: t["customers"]["779"].update(business_name=7)),
        "customers record 779: 'business_name' is 7, not a string",
    ),
    "a field gone": (written_again(lambda t: pop(t["customers"]["779"], "archived")), "has no 'archived'"),
    "a date that is no date": (
        written_again(lambda t: t["ledger"]["1"].update(date="yesterday")),
        "ledger record 1: 'date' is 'yesterday', not a date",
    ),
    "an amount that is not a number": (
        written_again(lambda t: t["ledger"]["1"].update(amount=float("nan"))),
        "'amount' is nan, not a finite number",
    ),
    "a lowered id sequence": (
        written_again(lambda t: t["_sequences"]["1"].update(customers=5)),
        "the id sequence of 'customers' is at 5, below its record",
    ),
    "a lowered id sequence, without a CRC": (
        written_again(lambda t: t["_sequences"]["1"].update(customers=5), crc=False),
        "the id sequence of 'customers' is at 5, below its record",
    ),
    "the id sequences gone": (written_again(lambda t: pop(t, "_sequences")), "is at 0, below its record"),
}


@pytest.mark.parametrize(("edit", "said"), EDITS.values(), ids=EDITS.keys())
def test_a_snapshot_edited_on_disk_is_422_naming_the_problem_and_the_store_is_unchanged(file_app, tmp_path, edit, said):
    client = ApiClient(file_app().test_client())
    assert client.put("/__mock/snapshots/edited").status_code == 201
    file = tmp_path / "db.snapshots" / "edited.json"
    file.write_text(edit(file.read_text(encoding="utf-8")), encoding="utf-8")
    client.delete("/api/v3/clients/779")
    created = client.post("/api/v3/clients", json=NEW).json
    before = client.get("/api/v3/clients").json

    answer = client.post("/__mock/snapshots/edited/restore")
    assert answer.status_code == 422, answer.json
    assert said in answer.json["message"] and "edited" in answer.json["message"]
    assert "the store is unchanged" in answer.json["message"]
    for again in (lambda: client, lambda: ApiClient(file_app().test_client())):  # and after a restart
        again = again()
        assert again.get("/api/v3/clients").json == before
        assert again.get("/api/v3/clients/779").status_code == 404
        assert again.get("/api/v3/clients/summary").status_code == 200
        assert again.get("/api/income").status_code == 200
    assert again.post("/api/v3/clients", json=NEW).json["id"] > created["id"]  # no record overwritten


def test_a_snapshot_saved_carries_the_crc_of_its_tables_and_is_one_json_document(file_app, tmp_path):
    client = ApiClient(file_app().test_client())
    client.put("/__mock/snapshots/s")
    text = (tmp_path / "db.snapshots" / "s.json").read_bytes()
    saved = json.loads(text)
    assert list(saved) == ["name", "created_at", "crc", "tables"]
    tables = text[text.index(b'"tables":') + len(b'"tables":') : -1]
    assert zlib.crc32(tables) == saved["crc"] and json.loads(tables) == saved["tables"]
    assert client.post("/__mock/snapshots/s/restore").status_code == 200


def test_a_snapshot_written_before_snapshots_had_a_crc_still_restores(file_app, tmp_path):
    client = ApiClient(file_app().test_client())
    client.put("/__mock/snapshots/old")
    file = tmp_path / "db.snapshots" / "old.json"
    saved = json.loads(file.read_text())
    del saved["crc"]
    file.write_text(json.dumps(saved))
    client.delete("/api/v3/clients/779")
    assert client.post("/__mock/snapshots/old/restore").status_code == 200
    assert client.get("/api/v3/clients/779").status_code == 200


def test_reads_during_repeated_restores_each_see_one_state_whole(client):
    """Two snapshots whose customers share ids but not names; lists read in threads while
    another thread restores one, then the other: every list is one snapshot's, never a mix."""
    client.post("/__mock/reset")
    for i in range(40):
        client.post("/api/v3/clients", json={**NEW, "business_name": f"A {i}"})
    client.put("/__mock/snapshots/a")
    client.post("/__mock/reset")
    for i in range(60):
        client.post("/api/v3/clients", json={**NEW, "business_name": f"B {i}"})
    client.put("/__mock/snapshots/b")
    states = []
    for name in ("a", "b"):
        client.post(f"/__mock/snapshots/{name}/restore")
        states.append(sorted(c["business_name"] for c in client.get("/api/v3/clients").json))
    stop, seen, mixed = threading.Event(), [0], []

    def read():
        while not stop.is_set():
            answer = client.get("/api/v3/clients")
            names = sorted(c["business_name"] for c in answer.json) if answer.status_code == 200 else answer.json
            seen[0] += 1
            if names not in states:
                mixed.append(names)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)  # threads switch often, as in the served worker (1 ms)
    readers = [threading.Thread(target=read) for _ in range(3)]
    try:
        for reader in readers:
            reader.start()
        for n in range(200):
            assert client.post(f"/__mock/snapshots/{'ab'[n % 2]}/restore").status_code == 200
    finally:
        stop.set()
        for reader in readers:
            reader.join()
        sys.setswitchinterval(interval)
    assert seen[0] > 100
    assert not mixed, f"{len(mixed)} of {seen[0]} reads saw a mix, the first: {mixed[0]}"


def test_a_listing_comes_from_the_index_and_reads_no_snapshot(file_app, tmp_path, monkeypatch):
    """Issue 30, row 12: a listing parsed every snapshot (p50 569 ms for everyone else)."""
    from mockserver.state.snapshots import Snapshots

    client = ApiClient(file_app().test_client())
    for i in range(3):
        client.post("/api/v3/clients", json=NEW)
        assert client.put(f"/__mock/snapshots/s{i}").status_code == 201
    listed = client.get("/__mock/snapshots").json
    assert [s["name"] for s in listed] == ["s0", "s1", "s2"]
    customers = len(fixture_rows("customers"))
    assert [s["records"]["customers"] for s in listed] == [customers + 1, customers + 2, customers + 3]

    reads = []
    real_get = Snapshots._get
    monkeypatch.setattr(Snapshots, "_get", lambda self, name: reads.append(name) or real_get(self, name))
    assert client.get("/__mock/snapshots").json == listed
    assert client.get("/__mock/snapshots/s1").json == listed[1]
    assert reads == []
    # correct after a delete and a save again
    assert client.delete("/__mock/snapshots/s0").status_code == 204
    client.post("/api/v3/clients", json=NEW)
    assert client.put("/__mock/snapshots/s1").status_code == 200
    after = client.get("/__mock/snapshots").json
    assert [(s["name"], s["records"]["customers"]) for s in after] == [("s1", customers + 4), ("s2", customers + 3)]
    assert reads == []

    # after a restart: the index kept on disk, still nothing read
    client = ApiClient(file_app().test_client())
    assert client.get("/__mock/snapshots").json == after
    assert reads == []
    # a file changed behind the server's back is read again, and only that one
    folder = tmp_path / "db.snapshots"
    (folder / "s0.json").write_text((folder / "s2.json").read_text().replace('"name":"s2"', '"name":"s0"'))
    assert [s["name"] for s in client.get("/__mock/snapshots").json] == ["s0", "s1", "s2"]
    assert reads == ["s0"]
    # and an index lost is rebuilt, once
    (folder / ".index").unlink()
    client = ApiClient(file_app().test_client())
    reads.clear()
    assert [s["name"] for s in client.get("/__mock/snapshots").json] == ["s0", "s1", "s2"]
    assert client.get("/__mock/snapshots").status_code == 200
    assert sorted(reads) == ["s0", "s1", "s2"] and (folder / ".index").exists()


def test_many_large_snapshots_are_listed_fast(file_app, tmp_path):
    client = ApiClient(file_app().test_client())
    assert client.put("/__mock/snapshots/big").status_code == 201
    folder = tmp_path / "db.snapshots"
    text = (folder / "big.json").read_text()
    saved = json.loads(text)
    saved["tables"]["padding"] = {str(i): {"note": "x" * 1000} for i in range(2000)}  # 2 MB each
    big = written(Snapshot("big", saved["created_at"], saved["tables"]))
    for i in range(20):
        (folder / f"big{i}.json").write_text(big)
    assert len(client.get("/__mock/snapshots").json) == 21  # the index made once
    import time

    started = time.perf_counter()
    for _ in range(10):
        assert len(client.get("/__mock/snapshots").json) == 21
    assert (time.perf_counter() - started) / 10 < 0.05  # parsing 40 MB took about half a second
