"""GET /__mock/ui and its assets (static/): plain HTML, CSS and JS of our own, no build step
and no CDN, so the page works on a plane.

The page holds no data, so it is served without a token, even where the control plane needs
the admin token (web/auth.py lets these paths through): the page asks for the tokens and
sends them as headers on each call, never in a URL (which logs and the journal would keep).
Its Content-Security-Policy lets it run only its own script and talk only to this server,
and no other site may frame it, so a page elsewhere cannot click its buttons for a visitor.
"""

from pathlib import Path

from flask import Flask, Response, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"
UI_PATH = "/__mock/ui"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def is_dashboard(path: str) -> bool:
    """Whether the path is the page or one of its assets (none of them holds data)."""
    return path == UI_PATH or path.startswith(UI_PATH + "/")


def register_dashboard(app: Flask) -> list[str]:
    """Returns the endpoints, which the journal leaves out."""
    page = (STATIC / "index.html").read_text(encoding="utf-8")

    @app.get(UI_PATH)
    @app.get(UI_PATH + "/")
    def dashboard():
        # no-cache: a server upgraded under an open tab serves the new page on reload
        return Response(page, mimetype="text/html", headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    @app.get(UI_PATH + "/<path:name>")
    def dashboard_asset(name: str):
        answer = send_from_directory(STATIC, name, max_age=0)
        answer.headers.update(SECURITY_HEADERS)
        return answer

    return [dashboard.__name__, dashboard_asset.__name__]
