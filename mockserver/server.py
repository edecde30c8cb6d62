"""Running the app on a production WSGI server.

granian (Rust, the default) answers 1.4x waitress's requests/s on this app (see README,
"Choices"). On a GIL build of CPython granian always runs the app in a worker process it
spawns, so the worker builds the app itself from the settings this process puts in the
environment (MOCKSERVER_CONFIG); exactly one worker, because the store is in-process and
must have exactly one owner.
"""

import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

ENV = "MOCKSERVER_CONFIG"


def app_from_env() -> "Flask":
    """granian's factory target: the app with the settings `serve` put in the environment."""
    from .app import create_app  # here, in the worker: the supervising process never needs it

    config = json.loads(os.environ.get(ENV, "{}"))
    return create_app(config)


def run(config: dict[str, Any], host: str, port: int, threads: int, server: str) -> None:
    if server == "waitress":
        import waitress

        from .app import create_app

        waitress.serve(create_app(config), host=host, port=port, threads=threads, ident="mockserver")
        return
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    os.environ[ENV] = json.dumps({k: str(v) if k == "DB_PATH" and v is not None else v for k, v in config.items()})
    Granian(
        target="mockserver.server:app_from_env",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=threads,
        log_access=False,
        # Errors only: the banner says where we listen, and granian warns about any thread
        # count above 2 x cores + 1, which is our measured choice (README, "Choices").
        log_level=LogLevels.error,
        # A worker that dies (it should not) comes back rather than leaving a dead port.
        respawn_failed_workers=True,
    ).serve()
