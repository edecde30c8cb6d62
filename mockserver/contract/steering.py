"""Data discovery: before generating, the run asks the target what exists, through its
documented list endpoints, and then steers path ids and reference fields to those ids part
of the time. Random ids nearly always name nothing, so without it every update, report and
statement would stop at its 404 and no validation behind one would be reached; with it a
run goes deep on any backend, empty, seeded with the docs' samples, or large.
"""

import functools
import json
import urllib.error
import urllib.request
from typing import Any

import hypothesis.strategies as st
import schemathesis
from schemathesis.transport.serialization import Binary

from ..formats.sheets import xlsx_bytes
from ..schemas.customer_sheet import COLUMNS
from ..web.spec import load_spec

MOST = 50  # ids of each kind to steer to: enough variety, a bounded strategy
# where an id appears -> the kind of record it names
PATH = {"id": "customers", "incomeId": "income"}
BODY = {"category_id": "categories", "categoryId": "income_categories", "clientId": "clients"}
QUERY = {"category_id": "categories", "categoryId": "income_categories"}

KNOWN: dict[str, list[int]] = {}

# An import's sheet, drawn, is random bytes that no backend can read, so an import never
# succeeds and nothing after it is reached. Part of the time it is this sheet instead: the
# documented columns, one customer, no e-mail to collide with one already there.
SHEET_ROW = ("Ama Mensah", "0241234567", None, "Accra", 12.5)  # in COLUMNS' order
FILES = {"customers": lambda: xlsx_bytes("Customers", COLUMNS, [SHEET_ROW])}


def discover(base_url: str, headers: dict[str, str]) -> dict[str, list[int]]:
    """The ids the target lists, by kind; a list it will not give is left empty."""
    customers = _get(base_url, "/api/v3/clients", headers)
    categories = _get(base_url, "/api/v3/clients/clients/categories", headers)
    income = _get(base_url, "/api/income?page=1&limit=100", headers)
    entries = [item.get("income", {}) for item in (income or {}).get("data", []) if isinstance(item, dict)]
    found = {
        "customers": _ids(customers),
        "categories": _ids(categories),
        "income": _ids(entries),
        "income_categories": sorted({e.get("categoryId") for e in entries if isinstance(e.get("categoryId"), int)}),
        "clients": sorted({e.get("clientId") for e in entries if isinstance(e.get("clientId"), int)}),
    }
    return {kind: ids[:MOST] for kind, ids in found.items()}


def _get(base_url: str, path: str, headers: dict[str, str]) -> Any:
    status, answer = get_json(base_url.rstrip("/") + path, headers)
    return answer if status == 200 else None


def get_json(url: str, headers: dict[str, str]) -> tuple[int, Any]:
    """A GET of the target: its status and JSON, or (status, the start of its text) for an
    error answer, or (0, why) when there was no answer."""
    request = urllib.request.Request(url, headers={**headers, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()[:200].decode(errors="replace")
    except (OSError, ValueError) as e:
        return 0, str(e)


def _ids(records: Any) -> list[int]:
    if not isinstance(records, list):
        return []
    return [r["id"] for r in records if isinstance(r, dict) and isinstance(r.get("id"), int)]


def install(known: dict[str, list[int]]) -> None:
    """Steer this process's Schemathesis runs to `known` (hooks registered once)."""
    KNOWN.clear()
    KNOWN.update({kind: ids for kind, ids in known.items() if ids})
    if not getattr(install, "done", False):
        for hook in (flatmap_path_parameters, flatmap_body, flatmap_query):
            schemathesis.hook(hook)
        install.done = True  # type: ignore[attr-defined]


def _steerable(drawn: Any) -> bool:
    # A mistyped or out-of-range id is what makes a negative case negative: keep it.
    return type(drawn) is int and 1 <= drawn <= 2**31 - 1


def _steer(values: dict | None, where: dict[str, str], as_text: bool = False):
    if not isinstance(values, dict):
        return st.just(values)
    chosen = {}
    for name, kind in where.items():
        drawn, ids = values.get(name), KNOWN.get(kind)
        if not ids or name not in values:
            continue
        if as_text and isinstance(drawn, str) and drawn.isdigit():
            chosen[name] = st.sampled_from([*map(str, ids), drawn])
        elif _steerable(drawn):
            chosen[name] = st.sampled_from([*ids, drawn])  # mostly known, the drawn one kept now and then
    return st.fixed_dictionaries(chosen).map(lambda ids: {**values, **ids}) if chosen else st.just(values)


def flatmap_path_parameters(ctx, path):
    return _steer(path, PATH)


def flatmap_body(ctx, body):
    return _steer(body, BODY).flatmap(_readable_files).flatmap(lambda drawn: _documented_part_of_the_time(ctx, drawn))


def _documented_part_of_the_time(ctx, body: Any):
    """The drawn body, or part of the time only its documented fields. A strict backend (the
    docs allow one that refuses unknown fields) refuses most drawn creates otherwise, and the
    links from them, a delete and the get after it, went unwalked in one run in three."""
    known = _documented_fields(ctx.operation.method.upper(), ctx.operation.path)
    if not isinstance(body, dict) or known is None or set(body) <= known:
        return st.just(body)
    return st.sampled_from([body, {name: value for name, value in body.items() if name in known}])


@functools.cache  # asked for every body drawn; the spec does not change during a run
def _documented_fields(method: str, path: str) -> frozenset[str] | None:
    for operation in load_spec().operations:
        if (operation.method, operation.path) == (method, path) and operation.body is not None:
            if operation.body.known is not None:
                return operation.body.known
            properties = (operation.body.schema or {}).get("properties")
            return frozenset(properties) if properties is not None else None
    return None


def _is_file(value: Any) -> bool:
    return isinstance(value, bytes | Binary)  # Schemathesis draws a binary field as either


def _readable_files(body: Any):
    if not isinstance(body, dict):
        return st.just(body)
    chosen = {name: st.sampled_from([make(), body[name]]) for name, make in FILES.items() if _is_file(body.get(name))}
    return st.fixed_dictionaries(chosen).map(lambda files: {**body, **files}) if chosen else st.just(body)


def flatmap_query(ctx, query):
    return _steer(query, QUERY, as_text=True)
