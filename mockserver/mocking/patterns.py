"""The path patterns the control plane takes, to filter the journal and to aim faults.

`/api/v3/clients` matches that path and everything under it; a pattern with wildcards
must match the whole path: `*` or `{id}` is one segment, `**` any number of them
(`/api/v3/clients/*/transactions`, `/api/v3/clients/{id}`, `/api/**/summary`).
"""

import functools
import re
from collections.abc import Callable

WILDCARD = re.compile(r"\*\*|\*|\{[^/{}]*\}")


@functools.lru_cache(maxsize=256)
def path_matcher(pattern: str) -> Callable[[str], bool]:
    if not WILDCARD.search(pattern):
        prefix = pattern.rstrip("/")
        return lambda path: path == prefix or path.startswith(prefix + "/") or not prefix
    parts, last = [], 0
    for match in WILDCARD.finditer(pattern):
        parts.append(re.escape(pattern[last : match.start()]))
        parts.append(".*" if match.group() == "**" else "[^/]+")
        last = match.end()
    parts.append(re.escape(pattern[last:]))
    compiled = re.compile("".join(parts) + "/?")
    return lambda path: compiled.fullmatch(path) is not None
