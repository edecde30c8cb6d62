"""The spec's links the model's probe walks: a write answered, then the operation a link of
that answer leads to, called with the id the write gave or named. Such a link is walked
with its answer predicted whole, so a stateful pass need not walk it again
(report.walked_by_model)."""

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .compare import record_id


class Walks:
    def __init__(self) -> None:
        from . import link_ends

        self._ends = link_ends()
        self._leads: dict[tuple[str, int], set[str]] = {}  # (operation, id) -> the links that lead there
        self.walked: set[str] = set()

    def lead(self, operation: str, path: str, status: int, answer: Any) -> None:
        """A write answered `status`: each of its links now leads to the ids it gave or named."""
        answer = answer if isinstance(answer, dict) else {}
        ids: set[Any] = {path_id(path)}
        ids.add(record_id(answer.get("income") if isinstance(answer.get("income"), dict) else answer))
        listed = answer.get("ids")
        if isinstance(listed, list):  # an import's
            ids.update(listed)
        for name, target in self._ends.get((operation, str(status)), []):
            for ident in ids:
                if type(ident) is int:
                    self._leads.setdefault((target, ident), set()).add(name)

    def arrive(self, operation: str, path: str, sent: Any) -> None:
        """`operation` called: the links that led to an id it names (in its path, or as `id`
        or a `*_id` in its query or body) are walked."""
        named: dict[str, Any] = dict(parse_qsl(urlsplit(path).query))
        named |= sent if isinstance(sent, dict) else {}
        named_ids = [v for k, v in named.items() if k == "id" or k.endswith("_id")]
        for ident in [path_id(path), *named_ids]:
            if isinstance(ident, str) and ident.isdigit():
                ident = int(ident)
            if type(ident) is int:
                self.walked |= self._leads.get((operation, ident), set())


def path_id(path: str) -> int | None:
    """The last number among a path's segments: the record it names."""
    for part in reversed(urlsplit(path).path.split("/")):
        if part.isdigit():
            return int(part)
    return None
