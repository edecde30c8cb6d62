"""GET/DELETE /__mock/requests: the API requests the server answered (mockserver/mocking/journal.py)."""

from datetime import datetime

from flask import Response

from ..mocking.journal import Journal
from ..mocking.patterns import PatternError, check_pattern
from ..state.sandbox import current
from ..web.errors import invalid


def list_requests(
    method: str = "",
    path: str = "",
    operation: str = "",
    status: str = "",
    since: str = "",
    limit: int = 100,
    after: int = 0,
):
    try:
        check_pattern(path)
    except PatternError as e:
        raise invalid({"path": [str(e)]}) from None
    return _journal().entries(
        method=method,
        path=path,
        operation=operation,
        status=status,
        since=datetime.fromisoformat(since) if since else None,
        limit=limit,
        after=after,
    )


def clear_requests():
    _journal().clear()
    return Response(status=204)


def _journal() -> Journal:
    return current().journal
