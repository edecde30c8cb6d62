"""The ceiling: a bare Flask app answering a fixed JSON body, on the same WSGI server with
the same settings as `mockserver serve` (granian, one worker, one thread).

    python bench/bare.py PORT BODY_FILE
"""

import os
import sys
from pathlib import Path

from flask import Flask, Response


def create() -> Flask:
    app = Flask(__name__)
    body = Path(os.environ["BARE_BODY"]).read_bytes()

    @app.route("/<path:anything>", methods=["GET", "POST"])
    def answer(anything: str) -> Response:
        return Response(body, mimetype="application/json")

    return app


if __name__ == "__main__":
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    os.environ["BARE_BODY"] = sys.argv[2]
    sys.path.insert(0, str(Path(__file__).parent))
    Granian(
        target="bare:create",
        factory=True,
        address="127.0.0.1",
        port=int(sys.argv[1]),
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=1,
        log_access=False,
        log_level=LogLevels.error,
    ).serve()
