"""The dashboard at /__mock/ui: served offline and without a token, and, in Chromium, live
on a server that needs both the bearer token and the admin token."""

import json
import re
import uuid

import pytest

from mockserver import defaults
from mockserver.dashboard.page import STATIC
from tests.conftest import make_app
from tests.patience import patience
from tests.server_process import ServerProcess

TOKEN = "dashboard-token"
ADMIN = "dashboard-admin"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "X-Mock-Admin": ADMIN}
EXTERNAL = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?\s*(?:https?:)?//""", re.I)


# -- served, without a browser


@pytest.fixture
def admin_client():
    return make_app(ADMIN_TOKEN=ADMIN).test_client()


def test_the_page_is_html_served_without_any_token(admin_client):
    page = admin_client.get("/__mock/ui")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert admin_client.get("/__mock/ui/").data == page.data
    # the control plane itself still needs the admin token
    assert admin_client.get("/__mock/clock", headers={"Authorization": "Bearer t"}).status_code == 403


def test_the_page_loads_only_its_own_assets(admin_client):
    html = admin_client.get("/__mock/ui").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == ["/__mock/ui/dashboard.css", "/__mock/ui/dashboard.js", "/__mock/ui/icon.svg"]
    texts = [html]
    for asset in assets:
        with admin_client.get(asset) as answer:
            assert answer.status_code == 200 and answer.data, asset
            if not asset.endswith(".svg"):  # an SVG names its XML namespace by URL, fetching nothing
                texts.append(answer.get_data(as_text=True))
    for text in texts:
        assert not EXTERNAL.search(text) and "http://" not in text and "https://" not in text


def test_the_page_and_its_assets_may_run_only_their_own_script_and_not_be_framed(admin_client):
    for path in ("/__mock/ui", "/__mock/ui/dashboard.js"):
        with admin_client.get(path) as answer:
            headers = answer.headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "connect-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy and headers["X-Frame-Options"] == "DENY"


def test_assets_do_not_leave_their_folder(admin_client):
    assert admin_client.get("/__mock/ui/../page.py").status_code == 404
    assert admin_client.get("/__mock/ui/%2e%2e/page.py").status_code == 404
    assert admin_client.get("/__mock/ui/missing.js").status_code == 404


def test_the_page_is_not_journaled_and_the_index_links_it(client):
    client.get("/__mock/ui")
    with client.get("/__mock/ui/dashboard.js"):
        pass
    assert client.get("/__mock/requests").json == []
    index = client.get("/", headers={"Accept": "application/json"}).json
    assert index["dashboard"] == "http://localhost/__mock/ui"


def test_the_assets_are_in_the_package_folder():
    assert {p.name for p in STATIC.iterdir()} >= {"index.html", "dashboard.js", "dashboard.css", "icon.svg"}


# -- in Chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("dashboard") / "db.json"
    with ServerProcess("--db", str(db), "--token", TOKEN, "--admin-token", ADMIN, "--quiet") as server:
        yield server


class Dashboard:
    """The page, with every script error and console error it shows."""

    def __init__(self, page, base: str, tokens: dict[str, str] | None = None):
        """`tokens`: in the tab's sessionStorage before the page runs, as after a reload."""
        from playwright.sync_api import expect

        self.page, self.expect, self.errors = page, expect, []
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.set_default_timeout(patience(10) * 1000)
        for key, value in (tokens or {}).items():
            page.add_init_script(f"sessionStorage.setItem({json.dumps(key)}, {json.dumps(value)})")
        page.goto(base + "/__mock/ui")

    def sign_in(self, bearer: str = TOKEN, admin: str = ADMIN) -> None:
        self.page.fill("#bearer-token", bearer)
        self.page.fill("#admin-token", admin)
        self.page.click("#tokens button[type=submit]")

    def see(self, selector: str, text: str) -> None:
        self.expect(self.page.locator(selector)).to_contain_text(text, timeout=patience(10) * 1000)


@pytest.fixture
def dashboard(page, server):
    """Opened with the tokens already given, so that not one call is refused."""
    return Dashboard(page, server.base, {"mockserver.bearer": TOKEN, "mockserver.admin": ADMIN})


@pytest.fixture
def new_dashboard(page, server):
    return Dashboard(page, server.base)


def test_a_request_made_after_the_page_opened_shows_up_in_the_journal(dashboard, server):
    dashboard.see("#clock-now", "Z")  # the panels have loaded
    probe = f"probe-{uuid.uuid4().hex[:8]}"
    status, _ = server.call("GET", f"/api/v3/clients/779?{probe}=1", headers=HEADERS)
    assert status == 200
    dashboard.see("#journal tbody", f"/api/v3/clients/779?{probe}=1")
    row = dashboard.page.locator("#journal tbody tr", has_text=probe)
    assert row.locator("td.code").inner_text() == "200"
    row.click()  # the whole entry, as GET /__mock/requests gives it
    dashboard.see("#journal-detail", '"operation_id": "customers.get_customer"')
    assert dashboard.errors == []


def test_a_journal_emptied_elsewhere_is_shown_anew_though_its_ids_start_again(dashboard, server):
    before = f"before-{uuid.uuid4().hex[:8]}"
    server.call("GET", f"/api/v3/clients/779?{before}=1", headers=HEADERS)
    dashboard.see("#journal tbody", before)
    assert server.call("DELETE", "/__mock/requests", headers=HEADERS)[0] == 204
    after = f"after-{uuid.uuid4().hex[:8]}"
    server.call("GET", f"/api/v3/clients/2319?{after}=1", headers=HEADERS)  # id 1 again
    dashboard.see("#journal tbody", after)
    dashboard.expect(dashboard.page.locator("#journal tbody tr")).to_have_count(1, timeout=patience(10) * 1000)
    assert dashboard.errors == []


def test_a_snapshot_taken_on_the_page_is_listed_by_the_api(dashboard, server):
    name = f"from-the-page-{uuid.uuid4().hex[:6]}"
    dashboard.page.fill("#snapshot-name", name)
    dashboard.page.click("#snapshot-save button[type=submit]")
    dashboard.see("#snapshots-status", f'Saved the store as "{name}"')
    dashboard.see("#snapshots tbody", name)
    status, snapshots = server.call("GET", "/__mock/snapshots", headers=HEADERS)
    assert status == 200 and name in [s["name"] for s in snapshots]
    assert dashboard.errors == []


def test_the_clock_faults_outbox_and_reset_act_through_the_api_without_script_errors(dashboard, server):
    page = dashboard.page
    page.fill("#clock-set-now", "2030-01-02T09:00:00Z")
    page.click("#clock-set button[type=submit]")
    dashboard.see("#clock-now", "2030-01-02T09:00:00.000Z")
    page.fill("#clock-advance-by", "P1D")
    page.click("#clock-advance button[type=submit]")
    dashboard.see("#clock-now", "2030-01-03T09:00:00.000Z")
    assert server.call("GET", "/__mock/clock", headers=HEADERS)[1]["now"] == "2030-01-03T09:00:00.000Z"

    page.select_option("#fault-add select[name=method]", "POST")
    page.fill("#fault-path", "/api/income")
    page.fill("#fault-add input[name=statuses]", "503")
    page.fill("#fault-add input[name=error_rate]", "1")
    page.click("#fault-add button[type=submit]")
    dashboard.see("#faults tbody", "/api/income")
    [rule] = server.call("GET", "/__mock/faults", headers=HEADERS)[1]["rules"]
    assert (rule["method"], rule["path"], rule["statuses"], rule["error_rate"]) == ("POST", "/api/income", [503], 1)
    page.click("#faults-clear")
    dashboard.see("#faults-status", "No fault rules")
    assert server.call("GET", "/__mock/faults", headers=HEADERS)[1]["rules"] == []

    status, _ = server.call("POST", "/api/client/transactions/send/779", body={}, headers=HEADERS)
    assert status == 200
    dashboard.see("#outbox tbody", "Statement of account")  # within a slow refresh

    page.click("#clock-real")
    dashboard.see("#clock-kind", "real time")

    page.once("dialog", lambda dialog: dialog.accept())  # "Reset this sandbox...?"
    page.click("#reset-server")
    dashboard.see("#server-status", "Store reset to the fixtures")
    assert server.call("GET", "/__mock/outbox", headers=HEADERS)[1] == []
    dashboard.expect(page.locator("#outbox tbody tr")).to_have_count(0, timeout=patience(10) * 1000)
    assert dashboard.errors == []


def test_without_the_tokens_the_page_says_which_one_is_missing_and_works_once_given(new_dashboard):
    dashboard = new_dashboard
    banner = dashboard.page.locator("#auth-message")
    dashboard.see("#auth-message", "needs the admin token (403)")
    dashboard.sign_in(bearer="", admin=ADMIN)
    dashboard.see("#auth-message", "refused the bearer token (401)")
    dashboard.sign_in()
    dashboard.expect(banner).to_be_hidden(timeout=patience(10) * 1000)
    dashboard.see("#clock-now", "Z")
    # the browser reports each refused call on the console; nothing else may be there
    assert [e for e in dashboard.errors if "status of 40" not in e] == []


def test_with_a_sandbox_per_token_the_page_shows_the_sandbox_of_its_bearer_token(page, tmp_path):
    with ServerProcess("--db", str(tmp_path / "db.json"), "--isolation", "token", "--quiet") as server:
        dashboard = Dashboard(page, server.base, {"mockserver.bearer": "alice"})
        dashboard.see("#clock-now", "Z")
        for token in ("bob", "alice"):
            status, _ = server.call(
                "GET", f"/api/v3/clients/779?from={token}", headers={"Authorization": f"Bearer {token}"}
            )
            assert status == 200
        dashboard.see("#journal tbody", "from=alice")
        assert "from=bob" not in dashboard.page.locator("#journal tbody").inner_text()
        dashboard.see("#server-facts", "token")
        dashboard.see("#server-facts", f"of at most {defaults.MAX_SANDBOXES}")
        dashboard.see("#snapshots-count", f"0 saved, of at most {defaults.SANDBOX_MAX_SNAPSHOTS}")
        assert dashboard.errors == []
