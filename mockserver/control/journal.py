"""GET/DELETE /__mock/requests: the API requests the server answered (mockserver/mocking/journal.py)."""

from datetime import datetime

from flask import Response

from ..mocking.journal import Journal
from ..state.sandbox import current


def list_requests(
    method: str = "", path: str = "", operation: str = "", status: str = "", since: str = "", limit: int = 100
):
    return _journal().entries(
        method=method,
        path=path,
        operation=operation,
        status=status,
        since=datetime.fromisoformat(since) if since else None,
        limit=limit,
    )


def clear_requests():
    _journal().clear()
    return Response(status=204)


def _journal() -> Journal:
    return current().journal
