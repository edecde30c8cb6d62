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
from swagger_ui_bundle import swagger_ui_path

from .resources import CONTROL_SPEC_PATH, SPEC_PATH
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
    texts = {path: path.read_text(encoding="utf-8") for path in (SPEC_PATH, CONTROL_SPEC_PATH)}
    as_json = {path: _for_this_server(s.document) for path, s in ((SPEC_PATH, spec), (CONTROL_SPEC_PATH, control))}

    @app.get("/openapi.yaml")
    def openapi_yaml():
        return Response(texts[SPEC_PATH], mimetype="application/yaml")

    @app.get("/openapi.json")
    def openapi_json():
        return Response(as_json[SPEC_PATH], mimetype="application/json")

    @app.get("/__mock/openapi.yaml")
    def control_yaml():
        return Response(texts[CONTROL_SPEC_PATH], mimetype="application/yaml")

    @app.get("/__mock/openapi.json")
    def control_json():
        return Response(as_json[CONTROL_SPEC_PATH], mimetype="application/json")

    @app.get("/docs")
    @app.get("/docs/")
    def docs():
        return Response(PAGE, mimetype="text/html")

    @app.get("/docs/<path:name>")
    def docs_asset(name: str):
        return send_from_directory(ASSETS, name, max_age=86400)

    return [view.__name__ for view in (openapi_yaml, openapi_json, control_yaml, control_json, docs, docs_asset)]


def _for_this_server(document: dict) -> str:
    servers = [THIS_SERVER] + [s for s in document.get("servers", []) if s.get("url") != THIS_SERVER["url"]]
    return json.dumps({**document, "servers": servers}, ensure_ascii=False)
