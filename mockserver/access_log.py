"""One line per request in the terminal, with the reason on errors (as Prism prints):

POST /api/v3/clients 422 1.9ms  The given data was invalid. category_id: ...
GET /api/v3/clients/779 404 0.4ms  [Prefer: code=404]  Customer 42 not found
"""

import logging
import sys
import time

from flask import Flask, Response, g, request

log = logging.getLogger("mockserver.access")


def register_access_log(app: Flask) -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    @app.after_request
    def _log(response: Response) -> Response:
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        injected, dropped = g.get("injected"), g.get("dropped", False)
        status = "dropped" if dropped else response.status_code
        line = f"{request.method} {request.full_path.rstrip('?')} {status} {elapsed:.1f}ms"
        if injected:  # so a forced or faulted answer is not mistaken for the handler's
            line += f"  [{injected}]"
        if not dropped and response.status_code >= 400 and response.mimetype == "application/json":
            body = response.get_json(silent=True)
            if isinstance(body, dict) and "message" in body:
                line += f"  {body['message']}"
        log.info(line)
        return response
