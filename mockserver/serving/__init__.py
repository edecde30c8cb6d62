"""Serving the app: the checks before start, the WSGI server, and a clean stop.

granian (Rust, the default) answers 1.4x waitress's requests/s on this app (see docs/choices.md,
"granian"). On a GIL build of CPython granian always runs the app in a worker process it
spawns, so the worker builds the app itself from the settings this process puts in the
environment (MOCKSERVER_CONFIG); exactly one worker, because the store is in-process and
must have exactly one owner.

A start-up problem is one line and exit status 1. The common ones (a busy port, a store in
use or unwritable) are found here before any server starts (preflight.py); anything the
worker still meets while building the app it reports in one line, and it tells this
process (SIGUSR1) to stop instead of letting granian respawn it into a crash loop.
On SIGINT or SIGTERM the stores are closed, which folds each journal into its file.
"""

import contextlib
import ctypes
import gc
import json
import os
import signal
import sys
from multiprocessing import util
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .preflight import StartupError, check_port, check_store

if TYPE_CHECKING:
    from flask import Flask

    from .front import Front

ENV = "MOCKSERVER_CONFIG"
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
THREADS_ENV = "MOCKSERVER_THREADS"


def front_from_env() -> "Front":
    """granian's factory target: the app with the settings `serve` put in the environment,
    behind the front that reads each body before the app runs (front.py) and answers a GET
    asked again from the app's last answer to it (reuse.py); the access log in batches."""
    from ..resources import CONTROL_SPEC_PATH, SPEC_PATH
    from ..state.sandbox import SANDBOXES
    from ..web import access_log
    from ..web.cors import Cors
    from ..web.spec import load_spec
    from .front import Front, heavy_paths
    from .reuse import Reuse

    # Buffers over 64 KiB (a snapshot line, its parse's scratch, a large answer) mapped and
    # unmapped on their own, as glibc does until the first is freed and it raises that bar:
    # made in its heap, their holes stayed as the store loaded around them. A 100,000-customer
    # store loaded behind its first requests: 480 MB worker RSS, where it was 491 (501
    # untrimmed), the same as that store read whole before the first answer.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, 64 * 1024)
    app = app_from_env()
    config = app.config
    threads = int(os.environ.get(THREADS_ENV, "1"))
    heavy = heavy_paths([*load_spec(SPEC_PATH).operations, *load_spec(CONTROL_SPEC_PATH).operations])
    # The requests without a body run on the event loop's thread, the heavy ones (a report,
    # an import) in the pool: a GET waits for the GIL each time it comes back from I/O, and
    # 5 ms, the default, made a GET's p50 16 ms beside a report; 1 ms made it 7.5.
    sys.setswitchinterval(0.001)
    # The loaded store is most of the heap and lives as long as the process: frozen, a full
    # collection (set off by any request that allocates a lot) no longer walks it, which cut
    # a GET's p99 beside a 10,000-customer report from 113 ms to 74. A big store is loaded
    # behind the first requests (state/storage/early.py), and frozen once it is.
    app.extensions[SANDBOXES].load_behind(_frozen, _load_failed)
    cors = Cors(config["CORS_ORIGINS"]).answer_headers if config["CORS_ORIGINS"] else None
    if config["ACCESS_LOG"]:
        # the lines still waiting are written as the worker exits (see app_from_env)
        util.Finalize(None, access_log.batched(), exitpriority=5)
    reuse = Reuse(app.extensions[SANDBOXES], config["TOKEN"])
    return Front(app, threads, config["MAX_CONTENT_LENGTH"], config["BODY_TIMEOUT"], heavy, cors=cors, reuse=reuse)


def _frozen() -> None:
    gc.collect()
    gc.freeze()
    # What the load let go back to the system (see M_MMAP_THRESHOLD above)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _load_failed(error: BaseException, worker: bool = True) -> None:
    """The store could not be loaded behind the requests (its file changed, the machine ran
    out of memory): one line, and the server stops, as a failed start does."""
    print(f"mockserver: {error}", file=sys.stderr, flush=True)
    _stop(worker)


def _stop(worker: bool = True) -> NoReturn:
    """Exit 1 now; a granian worker first tells its supervisor (SIGUSR1) not to respawn it."""
    if worker:
        os.kill(os.getppid(), signal.SIGUSR1)
    os._exit(1)


def app_from_env() -> "Flask":
    """The WSGI app with the settings `serve` put in the environment."""
    config = json.loads(os.environ.get(ENV, "{}"))
    app = _build(config)
    if app is None:
        _stop()
    # Ctrl-C reaches the whole process group, so the worker would get SIGINT and then the
    # supervisor's SIGTERM; granian's worker can miss its own wake-up between the two and
    # never exit (1 stop in 6 under load). Blocked here, before granian starts its threads
    # (they inherit the mask), SIGINT is left to the supervisor, which stops us with SIGTERM.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    # granian's worker returns from its serve loop on SIGTERM/SIGINT and exits through
    # multiprocessing, which runs these finalizers (atexit handlers it does not).
    util.Finalize(app, _close, args=(app,), exitpriority=10)
    return app


def preflight(config: dict[str, Any], host: str, port: int) -> None:
    """StartupError (or StoreInUse) for what would stop the server from starting."""
    check_port(host, port)
    db = config.get("DB_PATH")
    if db is not None:
        from ..state.files import claim
        from ..state.sandbox import sandbox_folder

        db = Path(db)
        check_store(db, (sandbox_folder(db),) if config.get("ISOLATION") == "token" else ())
        claim(db).close()


def run(config: dict[str, Any], host: str, port: int, threads: int, server: str) -> None:
    """Serves until SIGINT or SIGTERM (after `preflight`)."""
    if server == "waitress":
        _serve_waitress(config, host, port, threads)
    else:
        _serve_granian(config, host, port, threads)


def _serve_waitress(config: dict[str, Any], host: str, port: int, threads: int) -> None:
    import waitress

    app = _build(config)
    if app is None:
        raise SystemExit(1)
    from ..state.sandbox import SANDBOXES

    app.extensions[SANDBOXES].load_behind(lambda: None, lambda error: _load_failed(error, worker=False))
    # waitress stops its loop on SystemExit or KeyboardInterrupt; SIGTERM raises neither, and
    # SIGINT does not either when the server was started in the background by a shell,
    # which starts such jobs with SIGINT ignored (Python then keeps it ignored), as granian
    # does not: both stop the server cleanly, as docs/serving.md says, however it was started.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    try:
        waitress.serve(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="mockserver",
            max_request_header_size=_server_header_limit(config, WAITRESS_HEADERS),
        )
    finally:
        _close(app)


def _serve_granian(config: dict[str, Any], host: str, port: int, threads: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    os.environ[ENV] = json.dumps({k: str(v) if k == "DB_PATH" and v is not None else v for k, v in config.items()})
    os.environ[THREADS_ENV] = str(threads)
    granian = Granian(
        target="mockserver.serving:front_from_env",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        workers=1,
        log_access=False,
        log_level=LogLevels.error,  # errors only: the banner says where we listen
        http1_settings=HTTP1Settings(max_buffer_size=_server_header_limit(config, HTTP1Settings.max_buffer_size)),
        # A worker that dies once it serves (it should not) comes back rather than leaving
        # a dead port; one that cannot start says so and stops us (app_from_env).
        respawn_failed_workers=True,
    )
    failed = []

    def worker_failed(*_: Any) -> None:
        failed.append(True)
        granian.signal_handler_interrupt()

    signal.signal(signal.SIGUSR1, worker_failed)
    try:
        granian.serve()
    except SystemExit as e:  # granian exits 1 when a worker died
        if e.code and not failed:
            raise
    if failed:
        raise SystemExit(1)


# What the servers read of a request's headers before they answer 431 themselves, with no
# body a browser can read: left at their defaults unless --max-header-size is near them, so
# that every request over our limit but under theirs gets the app's JSON 431 (web/headers.py).
WAITRESS_HEADERS = 256 * 1024


def _server_header_limit(config: dict[str, Any], default: int) -> int:
    return max(default, int(config.get("MAX_HEADER_SIZE") or 0) + 64 * 1024)


def _build(config: dict[str, Any]) -> "Flask | None":
    """The app, or None after one line on stderr saying why it cannot start."""
    from ..app import create_app
    from ..state.files import StoreInUse
    from ..state.storage.snapshot import StoreDamaged

    try:
        return create_app(config)
    except (StartupError, StoreInUse, StoreDamaged) as e:
        problem = str(e)
    except OSError as e:
        problem = f"cannot open the store: {e.strerror}" + (f": {e.filename}" if e.filename else "")
    print(f"mockserver: {problem}", file=sys.stderr, flush=True)
    return None


def _close(app: "Flask") -> None:
    from ..state.sandbox import SANDBOXES

    app.extensions[SANDBOXES].close()


def _exit_on_signal(*_: Any) -> None:
    raise SystemExit(0)
