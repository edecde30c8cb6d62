"""POST /__mock/reset: back to a fresh server, as a test suite wants before each test."""

from flask import Flask, current_app

from ..clock import CLOCK
from ..faults import FAULTS
from ..journal import JOURNAL
from ..store import STORE


def reset_server():
    return {
        "message": "Store reset to the fixtures; journal, clock and fault rules cleared.",
        "records": reset_everything(current_app),
    }


def reset_everything(app: Flask) -> dict[str, int]:
    """The store to the fixtures, and the journal, clock and faults as a new server has them;
    snapshots are kept (they are what a user saved). Returns the records per table."""
    store = app.extensions[STORE]
    store.reset()
    app.extensions[JOURNAL].clear()
    app.extensions[CLOCK].real()
    app.extensions[FAULTS].clear()
    return store.counts()
