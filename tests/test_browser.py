"""The docs UI and CORS in a real headless Chromium (Debian's, driven by Playwright; no
browser download). .ci/run installs Chromium and sets MOCKSERVER_REQUIRE_BROWSER=1, so
there a missing browser fails instead of skipping."""

import http.server
import threading

import pytest

from tests.server_process import ServerProcess, free_port

TOKEN = "browser-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "db.json"
    with ServerProcess("--db", str(db), "--token", TOKEN, "--quiet") as server:
        yield server


@pytest.fixture(scope="module")
def other_origin():
    """A page on another port, so another origin: where a frontend's dev server would be."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!DOCTYPE html><title>frontend</title><p>a page on another origin</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_docs_try_it_out_answers_200_from_this_server(page, server):
    page.goto(server.base + "/docs")
    page.locator(".btn.authorize").click()
    page.locator(".modal-ux input").first.fill(TOKEN)
    page.locator(".modal-ux .auth-btn-wrapper .authorize").click()
    page.locator(".modal-ux .btn-done").click()

    operation = page.locator(".opblock-get", has=page.locator('[data-path="/api/v3/clients/{id}"]'))
    operation.locator(".opblock-summary").first.click()
    operation.locator(".try-out__btn").click()
    operation.locator('tr[data-param-name="id"] input').fill("779")
    operation.locator(".execute").click()

    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"  # the server takes only TOKEN, so it was sent
    assert server.base + "/api/v3/clients/779" in operation.locator(".request-url").inner_text()
    assert '"business_name": "Abas two"' in operation.locator(".live-responses-table tbody").inner_text()


FETCH = """async ([api, token]) => {
    const headers = {"Authorization": `Bearer ${token}`, "Content-Type": "application/json"};
    const made = await fetch(`${api}/api/v3/clients`, {method: "POST", headers,
        body: JSON.stringify({business_name: "Made in a browser", business_address: "", business_phone: "",
                              business_email: "browser@example.com", category_id: 1})});
    const id = (await made.json()).id;
    const read = await fetch(`${api}/api/v3/clients/${id}`, {headers});
    const missing = await fetch(`${api}/api/v3/clients/999999`, {headers});
    return {created: made.status, status: read.status, name: (await read.json()).business_name,
            missing: missing.status, message: (await missing.json()).message};
}"""


def test_a_page_on_another_origin_calls_the_api_with_a_bearer_token(page, server, other_origin):
    page.goto(other_origin)
    result = page.evaluate(FETCH, [server.base, TOKEN])
    assert result["created"] == 201 and result["status"] == 200
    assert result["name"] == "Made in a browser"
    # errors are readable across origins too, not an opaque "Failed to fetch"
    assert result["missing"] == 404 and "999999" in result["message"]


def test_an_origin_not_listed_is_refused_by_the_browser(page, other_origin, tmp_path):
    only = ("--cors-origin", "http://localhost:3000")
    with ServerProcess("--db", str(tmp_path / "db.json"), *only, "--quiet") as server:
        page.goto(other_origin)
        outcome = page.evaluate(
            """async ([api, token]) => {
                try { await fetch(`${api}/api/v3/clients/779`, {headers: {"Authorization": `Bearer ${token}`}});
                      return "answered"; }
                catch (e) { return e.name; }
            }""",
            [server.base, TOKEN],
        )
    assert outcome == "TypeError"  # the browser's CORS refusal


# The front answers these before the app runs (serving/front.py), with the app's CORS
# headers (web/cors.py): without them the page saw "TypeError: Failed to fetch" (axios:
# "Network Error") where a 413 or a 408 and its message had come back.
UPLOAD = """async ([api, token, size]) => {
    const form = new FormData();
    form.append("customers", new Blob([new Uint8Array(size)]), "big.xlsx");
    form.append("category_id", "1");
    try {
        const answer = await fetch(`${api}/api/clients-import`,
                                   {method: "POST", headers: {"Authorization": `Bearer ${token}`}, body: form});
        return {status: answer.status, message: (await answer.json()).message};
    } catch (e) { return {status: 0, message: `${e.name}: ${e.message}`}; }
}"""


def test_a_page_on_another_origin_reads_the_413_for_an_oversized_upload(page, other_origin, tmp_path):
    with ServerProcess("--db", str(tmp_path / "db.json"), "--max-body-size", "64KiB", "--quiet") as server:
        page.goto(other_origin)
        result = page.evaluate(UPLOAD, [server.base, TOKEN, 2 * 1024 * 1024])
    assert result["status"] == 413, result
    assert "over this server's limit of 65,536 bytes" in result["message"]
