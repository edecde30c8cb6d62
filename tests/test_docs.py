"""The specs and the docs UI, served offline and without a token."""

import json
import re

import yaml

from mockserver.resources import CONTROL_SPEC_PATH, SPEC_PATH


def test_yaml_specs_are_the_files_byte_for_byte(client):
    assert client.get("/openapi.yaml", auth=False).data == SPEC_PATH.read_bytes()
    assert client.get("/__mock/openapi.yaml", auth=False).data == CONTROL_SPEC_PATH.read_bytes()


def test_json_specs_are_the_same_documents_with_this_server_first(client):
    for url, path in (("/openapi.json", SPEC_PATH), ("/__mock/openapi.json", CONTROL_SPEC_PATH)):
        answer = client.get(url, auth=False)
        assert answer.mimetype == "application/json"
        served, written = answer.json, yaml.safe_load(path.read_text())
        assert served["servers"][0] == {"url": "/", "description": "this mockserver"}
        assert served["servers"][1:] == written.get("servers", [])
        assert {k: v for k, v in served.items() if k != "servers"} == json.loads(
            json.dumps({k: v for k, v in written.items() if k != "servers"})
        )


def test_docs_page_loads_only_assets_this_server_has(client):
    page = client.get("/docs", auth=False)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert client.get("/docs/", auth=False).data == page.data
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/docs/") for a in assets), "nothing may come from a CDN"
    for asset in assets:
        with client.get(asset, auth=False) as answer:
            assert answer.status_code == 200 and len(answer.data) > 500, asset
    assert '"/openapi.json"' in html and '"/__mock/openapi.json"' in html


def test_docs_assets_do_not_leave_their_folder(client):
    assert client.get("/docs/../../pyproject.toml", auth=False).status_code == 404
    assert client.get("/docs/%2e%2e/__init__.py", auth=False).status_code == 404


def test_docs_are_not_journaled(client):
    client.get("/docs")
    client.get("/openapi.json")
    assert client.get("/__mock/requests").json == []


def test_the_index_is_a_page_of_links_for_a_browser_and_json_for_clients(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = client.get("/", headers={"Accept": browser})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for link in ("http://localhost/docs", "http://localhost/openapi.yaml", "http://localhost/__mock/openapi.yaml"):
        assert f'<a href="{link}">' in html
    assert "<code>POST /__mock/reset</code>" in html
    for accept in ("application/json", "*/*", None):
        answer = client.get("/", headers={"Accept": accept} if accept else {})
        assert answer.mimetype == "application/json" and answer.get_json()["docs"] == "http://localhost/docs"
