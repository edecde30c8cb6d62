"""POST /__mock/reset and /__mock/snapshots: back to the fixtures, or to a saved state."""

import json

import pytest

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


def test_a_damaged_snapshot_file_is_409_naming_it_and_changes_nothing(file_app, tmp_path):
    client = ApiClient(file_app().test_client())
    client.put("/__mock/snapshots/broken")
    (tmp_path / "db.snapshots" / "broken.json").write_text('{"tables": [1, 2]')
    client.delete("/api/v3/clients/779")
    answer = client.post("/__mock/snapshots/broken/restore")
    assert answer.status_code == 409 and "broken" in answer.json["message"]
    assert client.get("/api/v3/clients/779").status_code == 404
    (tmp_path / "db.snapshots" / "broken.json").write_text(json.dumps({"created_at": "x", "tables": {"t": [1]}}))
    assert client.post("/__mock/snapshots/broken/restore").status_code == 409
    assert client.get("/__mock/snapshots").status_code == 409
