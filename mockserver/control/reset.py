"""POST /__mock/reset: back to a fresh server, as a test suite wants before each test."""

from ..state.sandbox import current


def reset_server():
    return {
        "message": "Store reset to the fixtures; journal, clock and fault rules cleared.",
        "records": current().reset(),
    }
