"""An app per test on a throwaway store seeded by the same loader production uses (flaskr)."""

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mockserver import create_app
from mockserver.state.sandbox import shared

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": "Bearer test-token"}


def make_app(db_path=None, **config):
    return create_app({"DB_PATH": db_path, "TESTING": True, "VALIDATE_RESPONSES": True, **config})


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def file_app(tmp_path):
    """make(): an app on tmp_path/db.json, as after a restart: the previous one's store is
    closed first (one server per file), and the last one after the test."""
    opened = []

    def make(**config):
        if opened:
            opened[-1].close()
        app = make_app(tmp_path / "db.json", **config)
        opened.append(shared(app).store)
        return app

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def client(app):
    return ApiClient(app.test_client())


@pytest.fixture
def store(app):
    """The app's store, for what no documented endpoint writes or shows."""
    return shared(app).store


@pytest.fixture
def add_entry(store):
    """add_entry(customer_id, kind, amount, date, due_date=None, method=None): put an invoice
    or a payment in the ledger (no documented endpoint writes one)."""

    def add(customer_id, kind, amount, date, due_date=None, method=None, description=""):
        if kind == "payment" and method is None:
            method = "bank"
        fields = {"kind": kind, "amount": amount, "date": date, "due_date": due_date, "method": method}
        return store.insert("ledger", {"customer_id": customer_id, **fields, "description": description or kind})

    return add


@pytest.fixture
def set_now(app):
    """set_now("2023-10-27T13:00:00Z"): the app's clock stands at that until set again
    (as PUT /__mock/clock sets it)."""

    def freeze(moment: str):
        shared(app).clock.set(datetime.fromisoformat(moment).astimezone(UTC))

    return freeze


class ApiClient:
    """The Flask test client with a bearer token on every call unless told otherwise."""

    def __init__(self, raw):
        self.raw = raw

    def open(self, method, path, *, auth=True, **kwargs):
        headers = {**(AUTH if auth else {}), **kwargs.pop("headers", {})}
        return self.raw.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self.open("GET", path, **kw)

    def post(self, path, **kw):
        return self.open("POST", path, **kw)

    def put(self, path, **kw):
        return self.open("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.open("DELETE", path, **kw)


def by_id(items):
    return {item["id"]: item for item in items}


def fixture_rows(name):
    return json.loads((ROOT / "fixtures" / f"{name}.json").read_text())


# A real headless Chromium (Debian's, driven by Playwright; no browser download), for
# tests/test_browser.py and tests/test_dashboard.py. .ci/run installs Chromium and sets
# MOCKSERVER_REQUIRE_BROWSER=1, so there a missing browser fails instead of skipping.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Headless on a machine with no network: no first-run, sync or update traffic to refuse.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("MOCKSERVER_REQUIRE_BROWSER"):
            pytest.fail("Chromium is not installed, and MOCKSERVER_REQUIRE_BROWSER is set")
        pytest.skip("no Chromium (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()
