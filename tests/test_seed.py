"""`mockserver seed`: deterministic demo data on top of the fixtures, served like any data."""

import pytest

from mockserver.state.sandbox import shared
from tests.conftest import ApiClient, fixture_rows, make_app
from tests.server_process import ServerProcess, run_cli


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    db = tmp_path_factory.mktemp("seeded") / "db.json"
    result = run_cli("seed", "--db", str(db), "--customers", "300", "--income", "800", "--seed", "7")
    assert result.returncode == 0, result.stderr
    return db, result


def test_seed_reports_progress_and_what_it_made(seeded):
    _, result = seeded
    assert "mockserver seed: 100%" in result.stderr and "1100/1100" in result.stderr
    assert "the fixtures plus 300 customers with" in result.stdout and "800 income entries (seed 7" in result.stdout


def test_seeded_records_are_served_and_hold_to_the_spec(seeded):
    db, _ = seeded
    app = make_app(db)  # VALIDATE_RESPONSES: every answer below is checked against openapi.yaml
    try:
        client = ApiClient(app.test_client())
        customers = client.get("/api/v3/clients").json
        assert len(customers) == len(fixture_rows("customers")) + 300
        assert any(c["unformated_balance"] != 0 for c in customers if c["id"] > 154186)  # ledgers add up
        assert {c["category"] for c in customers} >= {"Retail", "Wholesale"}
        page = client.get("/api/income?limit=100").json
        assert page["meta"]["total"] <= 800 + len(fixture_rows("summit_income"))
        assert page["meta"]["total"] > 700  # a few are soft-deleted, as in life
        report = client.get("/api/v3/reports/customers/2022-01-01/2024-11-30")
        assert report.status_code == 200
        summary = client.get("/api/v3/clients/summary").json
        assert summary["customer_count"] == len(customers)
    finally:
        shared(app).store.close()


def test_the_same_seed_gives_the_same_store_and_another_seed_does_not(seeded, tmp_path):
    db, _ = seeded
    again, other = tmp_path / "again.json", tmp_path / "other.json"
    for path, seed in ((again, "7"), (other, "8")):
        args = ("seed", "--db", str(path), "--customers", "300", "--income", "800", "--seed", seed, "--quiet")
        assert run_cli(*args).returncode == 0
    assert again.read_bytes() == db.read_bytes()
    assert other.read_bytes() != db.read_bytes()


def test_ten_thousand_customers_are_seeded_with_a_bar_and_served(tmp_path):
    db = str(tmp_path / "db.json")
    result = run_cli("seed", "--db", db, "--customers", "10000", "--income", "1000")
    assert result.returncode == 0, result.stderr
    assert "11000/11000" in result.stderr
    with ServerProcess("--db", db, "--quiet") as server:
        status, summary = server.call("GET", "/api/v3/clients/summary")
        assert status == 200 and summary["customer_count"] == 10000 + len(fixture_rows("customers"))
        status, first = server.call("GET", "/api/v3/clients/154187")
        assert status == 200 and first["business_name"]


def test_seeding_a_store_a_server_holds_is_refused(tmp_path):
    db = str(tmp_path / "db.json")
    with ServerProcess("--db", db, "--quiet"):
        result = run_cli("seed", "--db", db, "--customers", "1")
    assert result.returncode == 1 and "in use by" in result.stderr
