"""The specs and Swagger UI, served by the server itself, with no token and nothing fetched
from a CDN (the UI's assets come from the swagger-ui-bundle-v2 wheel), so the docs work
on a plane.

`/openapi.yaml` is the file exactly. `/openapi.json` is the same document as JSON with
this server put first in `servers`, as a relative URL, so "Try it out" calls the server
that served the page, on whatever host and port, behind whatever proxy.
"""

import json
from pathlib import Path

from flask import Flask, Response, send_from_directory
from markupsafe import escape
from swagger_ui_bundle import swagger_ui_path

from ..resources import CONTROL_SPEC_PATH, SPEC_PATH
from .spec import Spec

ASSETS = Path(str(swagger_ui_path))
THIS_SERVER = {"url": "/", "description": "this mockserver"}

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>mockserver: Built Accounting and Summit APIs</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      urls: [
        {url: "/openapi.json", name: "Built Accounting and Summit APIs"},
        {url: "/__mock/openapi.json", name: "mockserver control plane (/__mock/)"}
      ],
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      displayRequestDuration: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    });
  </script>
</body>
</html>
"""


def register_docs(app: Flask, spec: Spec, control: Spec) -> list[str]:
    """Returns the endpoints, which the journal leaves out."""
    endpoints = []
    for prefix, path, compiled in (("", SPEC_PATH, spec), ("/__mock", CONTROL_SPEC_PATH, control)):
        bodies = {
            "yaml": (path.read_text(encoding="utf-8"), "application/yaml"),
            "json": (_for_this_server(compiled.document), "application/json"),
        }
        for extension, (body, mimetype) in bodies.items():
            rule = f"{prefix}/openapi.{extension}"
            app.add_url_rule(rule, rule, _fixed(body, mimetype))
            endpoints.append(rule)

    @app.get("/docs")
    @app.get("/docs/")
    def docs():
        return Response(PAGE, mimetype="text/html")

    @app.get("/docs/<path:name>")
    def docs_asset(name: str):
        return send_from_directory(ASSETS, name, max_age=86400)

    return endpoints + [docs.__name__, docs_asset.__name__]


def _fixed(body: str, mimetype: str):
    return lambda: Response(body, mimetype=mimetype)


def _for_this_server(document: dict) -> str:
    servers = [THIS_SERVER] + [s for s in document.get("servers", []) if s.get("url") != THIS_SERVER["url"]]
    return json.dumps({**document, "servers": servers}, ensure_ascii=False)


def _link(url: str) -> str:
    return f'<a href="{escape(url)}">{escape(url)}</a>'


def index_page(about: dict) -> Response:
    """GET / for a person: what the JSON says, with its links clickable."""
    controls = "".join(
        f"<li><code>{escape(op)}</code>: {escape(summary)}</li>" for op, summary in about["controls"].items()
    )
    sandboxes = ", ".join(f"{escape(k)}: {escape(v)}" for k, v in about["sandboxes"].items())
    limits = ", ".join(f"{escape(k)}: {escape(v)}" for k, v in about["limits"].items())
    api = escape(about["docs"].removesuffix("docs"))
    body = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="UTF-8"><title>mockserver</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}}
code,pre{{background:#f4f4f4;padding:0 .2em}}pre{{padding:.5em;overflow-x:auto}}</style></head>
<body>
<h1>mockserver</h1>
<p>{escape(about["about"])}: {escape(about["operations"])} operations. Every API call needs
<code>{escape(about["auth"])}</code> (any token, unless the server was started with one).</p>
<ul>
<li>Docs, with Try it out: {_link(about["docs"])}</li>
<li>Dashboard (journal, snapshots, clock, faults, outbox): {_link(about["dashboard"])}</li>
<li>The API's spec: {_link(about["spec"])}</li>
<li>The control plane's spec: {_link(about["control_plane"])}</li>
<li>Customers as .xlsx (business id <code>{escape(about["business_id"])}</code>): {_link(about["customer_export"])}</li>
</ul>
<pre>curl -H 'Authorization: Bearer demo' {api}api/v3/clients/779</pre>
<h2>Control plane</h2>
<ul>{controls}</ul>
<p>Sandboxes: {sandboxes}. Limits: {limits}. This page as JSON: <code>Accept: application/json</code>.</p>
</body>
</html>
"""
    return Response(body, mimetype="text/html")
