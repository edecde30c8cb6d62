"""The path patterns the control plane takes, to filter the journal and to aim faults.

`/api/v3/clients` matches that path and everything under it; a pattern with wildcards
must match the whole path: `*` or `{id}` is one segment, `**` any number of them, none
included (`/api/v3/clients/*/transactions`, `/api/v3/clients/{id}`, `/api/**/summary`).
A wildcard is a whole segment: `/api/v3/cl*` is refused, not guessed at.

Matched in one pass over the path's segments, whatever the pattern: the pattern is a
little automaton whose states (how many of its segments have been met) are the bits of
one integer, all moved at once by each segment of the path (shift-and). A regular
expression with a `.*` per `**` backtracked: 14 `/**` took 129 s against one path.
"""

import functools
import re
from collections.abc import Callable

from .. import defaults

MAX_LENGTH = defaults.PATTERN_MAX_LENGTH
_PLACEHOLDER = re.compile(r"\{[^/{}]*\}")


class PatternError(ValueError):
    """A pattern this server does not take; its message says why, for a 422."""


def check_pattern(pattern: str) -> None:
    """PatternError for a pattern over MAX_LENGTH or with a wildcard inside a segment."""
    if len(pattern) > MAX_LENGTH:
        raise PatternError(f"is {len(pattern):,} characters long; a pattern may have at most {MAX_LENGTH}")
    for segment in pattern.split("/"):
        wild = "*" in segment or "{" in segment or "}" in segment
        if wild and segment not in ("*", "**") and not _PLACEHOLDER.fullmatch(segment):
            raise PatternError(
                f"has {segment!r}: a wildcard (*, ** or {{name}}) must be a whole segment, as in /api/v3/clients/*"
            )


@functools.lru_cache(maxsize=256)
def path_matcher(pattern: str) -> Callable[[str], bool]:
    check_pattern(pattern)
    if not any(s in ("*", "**") or _PLACEHOLDER.fullmatch(s) for s in pattern.split("/")):
        prefix = pattern.rstrip("/")
        return lambda path: path == prefix or path.startswith(prefix + "/") or not prefix
    return _Automaton(pattern).matches


class _Automaton:
    """Bit i of a state set: the pattern's first i segments are matched. Each segment of the
    path moves every state at once: a literal or a one-segment wildcard to the next bit,
    a `**` keeps its own bit (any number of segments) and is passed over for free (none)."""

    def __init__(self, pattern: str) -> None:
        kinds: list[str] = []
        for segment in _segments(pattern):
            kind = "*" if _PLACEHOLDER.fullmatch(segment) else segment
            if not (kind == "**" and kinds and kinds[-1] == "**"):  # **/** is **
                kinds.append(kind)
        self.literal: dict[str, int] = {}  # a segment's text -> the bits it may move to
        self.one = self.any = 0  # bits reached by any non-empty segment; bits of a **
        for bit, kind in enumerate(kinds, 1):
            if kind == "**":
                self.any |= 1 << bit
            elif kind == "*":
                self.one |= 1 << bit
            else:
                self.literal[kind] = self.literal.get(kind, 0) | 1 << bit
        self.accept = 1 << len(kinds)
        self.start = self._closed(1)

    def _closed(self, states: int) -> int:
        return states | (states << 1) & self.any  # into a ** without a segment; never two in a row

    def matches(self, path: str) -> bool:
        segments = _segments(path)
        states, literal, one, any_, closed = self.start, self.literal, self.one, self.any, self._closed
        for segment in segments:
            moved = literal.get(segment, 0) | (one if segment else 0)
            states = closed((states << 1) & moved | states & any_)
            if not states:
                return False
        return bool(states & self.accept)


def _segments(path: str) -> list[str]:
    segments = path.split("/")
    if len(segments) > 1 and segments[-1] == "":  # a trailing slash is the same path
        segments.pop()
    return segments
