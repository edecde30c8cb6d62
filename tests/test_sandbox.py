"""--isolation token: a sandbox per bearer token, bounded and expiring."""

import pytest

import mockserver.state.sandbox
from mockserver.state.sandbox import PerToken
from tests.conftest import fixture_rows, make_app

NEW = {
    "business_name": "Alice's Ltd",
    "business_address": "",
    "business_phone": "",
    "business_email": "",
    "category_id": 1,
}
FIXTURE_COUNT = len(fixture_rows("customers"))


class Caller:
    """One token's view of the server."""

    def __init__(self, app, token):
        self.raw, self.headers = app.test_client(), {"Authorization": f"Bearer {token}"}

    def call(self, method, path, **kwargs):
        return self.raw.open(path, method=method, headers=self.headers, **kwargs)

    def names(self):
        return {c["business_name"] for c in self.call("GET", "/api/v3/clients").json}


@pytest.fixture
def isolated(tmp_path):
    """isolated(**config): an app giving each token a sandbox, on tmp_path/db.json; its
    sandboxes are closed after the test (and before a restart, as a stopped server's are)."""
    apps = []

    def make(**config):
        for app in apps:
            app.extensions[mockserver.state.sandbox.SANDBOXES].close()
        apps.append(make_app(tmp_path / "db.json", ISOLATION="token", **config))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions[mockserver.state.sandbox.SANDBOXES].close()


@pytest.fixture
def fake_time(monkeypatch):
    """now[0] is what the sandboxes take for time.time()."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(mockserver.state.sandbox.time, "time", lambda: now[0])
    return now


def test_data_written_with_one_token_is_invisible_to_another(isolated):
    app = isolated()
    alice, bob = Caller(app, "alice"), Caller(app, "bob")
    made = alice.call("POST", "/api/v3/clients", json=NEW)
    assert made.status_code == 201
    assert "Alice's Ltd" in alice.names()
    assert "Alice's Ltd" not in bob.names() and len(bob.names()) == FIXTURE_COUNT
    assert bob.call("GET", f"/api/v3/clients/{made.json['id']}").status_code == 404
    # each sandbox numbers from the fixtures: bob's first customer takes the same id
    assert bob.call("POST", "/api/v3/clients", json={**NEW, "business_name": "Bob's"}).json["id"] == made.json["id"]


def test_reset_of_one_sandbox_leaves_the_other_alone(isolated):
    app = isolated()
    alice, bob = Caller(app, "alice"), Caller(app, "bob")
    alice.call("POST", "/api/v3/clients", json=NEW)
    bob.call("POST", "/api/v3/clients", json={**NEW, "business_name": "Bob's"})
    assert alice.call("POST", "/__mock/reset").status_code == 200
    assert "Alice's Ltd" not in alice.names()
    assert "Bob's" in bob.names()


def test_the_control_plane_acts_on_the_callers_sandbox(isolated):
    app = isolated()
    alice, bob = Caller(app, "alice"), Caller(app, "bob")
    alice.call("PUT", "/__mock/clock", json={"now": "2030-01-01T00:00:00Z"})
    alice.call(
        "PUT",
        "/__mock/faults",
        json={"rules": [{"method": "GET", "path": "/api/v3/clients", "error_rate": 1, "statuses": [503]}]},
    )
    alice.call("PUT", "/__mock/snapshots/mine")

    assert alice.call("GET", "/api/v3/clients").status_code == 503
    assert bob.call("GET", "/api/v3/clients").status_code == 200
    assert bob.call("GET", "/__mock/clock").json["virtual"] is False
    made = alice.call("POST", "/api/v3/clients", json=NEW).json
    assert made["created_at"].startswith("2030-01-01")
    assert bob.call("GET", "/__mock/snapshots").json == []
    assert [e["request"]["method"] for e in bob.call("GET", "/__mock/requests").json] == ["GET"]
    assert {e["time"][:4] for e in alice.call("GET", "/__mock/requests").json} == {"2030"}


def test_a_sandbox_survives_a_restart_under_a_hashed_name(isolated, tmp_path):
    Caller(isolated(), "alice-secret-token").call("POST", "/api/v3/clients", json=NEW)
    assert "Alice's Ltd" in Caller(isolated(), "alice-secret-token").names()
    files = sorted(p.name for p in (tmp_path / "db.sandboxes").iterdir())
    assert len([f for f in files if f.endswith(".json")]) == 1
    assert not any("alice" in f for f in files)
    assert b"alice-secret-token" not in (tmp_path / "db.sandboxes" / files[0]).read_bytes()


def test_a_new_token_beyond_the_limit_is_503_and_known_ones_still_work(isolated):
    app = isolated(MAX_SANDBOXES=2, SANDBOX_IDLE_SECONDS=3600)
    assert Caller(app, "one").call("GET", "/api/v3/clients").status_code == 200
    assert Caller(app, "two").call("GET", "/api/v3/clients").status_code == 200
    refused = Caller(app, "three").call("GET", "/api/v3/clients")
    assert refused.status_code == 503
    assert "limit of 2 sandboxes (--max-sandboxes)" in refused.json["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3601
    assert Caller(app, "one").call("GET", "/api/v3/clients").status_code == 200


def test_an_idle_sandbox_is_deleted_and_its_token_starts_again_from_the_fixtures(isolated, fake_time, tmp_path):
    app = isolated(SANDBOX_IDLE_SECONDS=600)
    alice = Caller(app, "alice")
    alice.call("POST", "/api/v3/clients", json=NEW)
    alice.call("PUT", "/__mock/snapshots/kept")
    fake_time[0] += 300
    Caller(app, "bob").call("GET", "/api/v3/clients")
    fake_time[0] += 301  # alice idle 601 s, bob 301 s
    Caller(app, "carol").call("GET", "/api/v3/clients")  # a new sandbox: the idle are swept first
    left = sorted(p.name for p in (tmp_path / "db.sandboxes").iterdir())
    assert len(left) == 6 and all(
        name.endswith((".json", ".json.lock", ".json.journal")) for name in left
    )  # bob's, carol's
    assert "Alice's Ltd" not in alice.names()
    assert alice.call("GET", "/__mock/snapshots").json == []


def test_expiry_after_a_restart_goes_by_the_files_last_use(isolated, fake_time, tmp_path):
    Caller(isolated(SANDBOX_IDLE_SECONDS=600), "alice").call("POST", "/api/v3/clients", json=NEW)
    app = isolated(SANDBOX_IDLE_SECONDS=600)
    fake_time[0] = (tmp_path / "db.sandboxes").glob("*.json").__next__().stat().st_mtime + 601
    Caller(app, "bob").call("GET", "/api/v3/clients")
    assert "Alice's Ltd" not in Caller(app, "alice").names()


def test_a_refused_token_makes_no_sandbox(isolated):
    app = isolated(TOKEN="only-this")
    assert Caller(app, "intruder").call("GET", "/api/v3/clients").status_code == 401
    assert Caller(app, "intruder").call("GET", "/nowhere").status_code == 404
    assert app.test_client().get("/").json["sandboxes"]["sandboxes"] == 0
    assert Caller(app, "only-this").call("GET", "/api/v3/clients").status_code == 200
    assert app.test_client().get("/").json["sandboxes"] == {
        "isolation": "token",
        "sandboxes": 1,
        "max_sandboxes": 100,
        "idle_expiry_seconds": 86400.0,
        "quota": {"store_bytes": 16 * 1024**2, "snapshots": 10, "snapshot_bytes": 32 * 1024**2},
    }


def test_in_memory_sandboxes_are_isolated_too():
    app = make_app(None, ISOLATION="token")
    Caller(app, "alice").call("POST", "/api/v3/clients", json=NEW)
    assert "Alice's Ltd" not in Caller(app, "bob").names()
    assert isinstance(app.extensions[mockserver.state.sandbox.SANDBOXES], PerToken)


def test_without_isolation_every_token_shares_one_store(client):
    client.post("/api/v3/clients", json=NEW)
    assert "Alice's Ltd" in {
        c["business_name"] for c in client.get("/api/v3/clients", headers={"Authorization": "Bearer other"}).json
    }


def test_a_sandbox_whose_journal_is_damaged_is_503_naming_repair_and_the_others_go_on(isolated, tmp_path):
    from mockserver.state.storage.repair import repair

    Caller(isolated(), "alice").call("POST", "/api/v3/clients", json=NEW)
    app = isolated()  # the first one stopped cleanly: alice's store is one file
    [store] = (tmp_path / "db.sandboxes").glob("*.json")
    store.with_name(store.name + ".journal").write_bytes(b"not a header\n")
    for _ in range(2):  # and again: the failed open left no lock behind
        refused = Caller(app, "alice").call("GET", "/api/v3/clients")
        assert refused.status_code == 503
        assert "line 1 is not a journal header" in refused.json["message"]
        assert f"mockserver repair --db {store}" in refused.json["message"]
    assert Caller(app, "bob").call("GET", "/api/v3/clients").status_code == 200
    repair(store, "test")
    assert "Alice's Ltd" in Caller(app, "alice").names()
