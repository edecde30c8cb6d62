"""Data discovery: before generating, the run asks the target what exists, through its
documented list endpoints, and then steers path ids and reference fields to those ids part
of the time. Random ids nearly always name nothing, so without it every update, report and
statement would stop at its 404 and no validation behind one would be reached; with it a
run goes deep on any backend, empty, seeded with the docs' samples, or large.
"""

import functools
import json
import random
import urllib.error
import urllib.request
from typing import Any

import hypothesis.strategies as st
import schemathesis
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase
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
        for hook in (flatmap_path_parameters, flatmap_body, flatmap_query, map_case, before_add_examples, after_call):
            schemathesis.hook(hook)
        install.done = True  # type: ignore[attr-defined]


# The creates whose answer names a new record: method and path -> the kind of its id.
MADE = {
    ("POST", "/api/v3/clients"): "customers",
    ("POST", "/api/v3/clients/category"): "categories",
    ("POST", "/api/income"): "income",
}


def after_call(ctx, case, response) -> None:
    """The ids steered to, kept to what exists as the run goes: a record a delete removed
    is no longer steered to, and one a create made is. Discovered once, the list went stale
    as the run deleted: the one listed income entry was gone before the phase that updates
    it, whose steered ids then all answered 404 (and with --strict 422 too), so the run
    warned that it "mostly rejected generated data". Not during the stateful phase: a list
    that changes between the steps of one Hypothesis run makes its draws irreproducible,
    and Hypothesis then ended the phase after a dozen scenarios instead of a hundred."""
    meta = case.meta
    if not 200 <= response.status_code < 300 or meta is not None and meta.phase.name == TestPhase.STATEFUL:
        return
    method = case.operation.method.upper()
    if method == "DELETE":
        for name, kind in PATH.items():
            value = (case.path_parameters or {}).get(name)
            gone = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value
            if gone in KNOWN.get(kind, ()):
                KNOWN[kind] = [known for known in KNOWN[kind] if known != gone]
    elif (made_kind := MADE.get((method, case.operation.path))) is not None:
        try:
            made = json.loads(response.content)
        except ValueError:
            return
        if isinstance(made, dict) and _steerable(made.get("id")):
            KNOWN[made_kind] = [*KNOWN.get(made_kind, ()), made["id"]][-MOST:]


def _steerable(drawn: Any) -> bool:
    # A mistyped or out-of-range id is what makes a negative case negative: keep it.
    return type(drawn) is int and 1 <= drawn <= 2**31 - 1


def _steer(values: dict | None, where: dict[str, str], as_text: bool = False, deleting: bool = False):
    if not isinstance(values, dict):
        return st.just(values)
    chosen = {}
    for name, kind in where.items():
        drawn, ids = values.get(name), _known(kind, deleting)
        if not ids or name not in values:
            continue
        if as_text and isinstance(drawn, str) and drawn.isdigit():
            chosen[name] = st.sampled_from([*map(str, ids), drawn])
        elif _steerable(drawn):
            chosen[name] = st.sampled_from([*ids, drawn])  # mostly known, the drawn one kept now and then
    return st.fixed_dictionaries(chosen).map(lambda ids: {**values, **ids}) if chosen else st.just(values)


def _known(kind: str, deleting: bool = False) -> list[int] | None:
    """The ids to steer to; a delete's only every other one. Operations run one after the
    other in each phase, and a delete steered to every listed customer had deleted them all
    before the reports ran: each of their steered ids then answered 404 or, with a body
    that repeats it, 422, and the run warned that they "mostly rejected generated data"."""
    ids = KNOWN.get(kind)
    return ids[1::2] or ids if deleting and ids else ids


def flatmap_path_parameters(ctx, path):
    return _steer(path, PATH, deleting=ctx.operation.method.upper() == "DELETE")


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


# Schemathesis applies the flatmap hooks above to the fuzzing phase's cases only: a coverage
# case reaches no hook but map_case, and an example none but before_add_examples. So in the
# coverage phase every import sent unreadable bytes and every path id was a boundary (1,
# 2147483647) or the spec's example, and the run warned that two operations "mostly
# rejected generated data". There, a positive case is steered here instead, by a choice made
# from the case itself (coverage cases are the same on every run, so are these choices).
STEERED = 0.75  # the share of cases steered; the rest are sent as drawn
# A body field that repeats a query parameter (the legacy report filter's period): the
# server requires the two to agree, as it requires a body id that repeats the path's.
REPEATS_QUERY = {"start_date": "from", "end_date": "to"}
PERIODS = (("from", "to"), ("startdate", "enddate"), ("start_date", "end_date"), ("startDate", "endDate"))


def map_case(ctx, case):
    """A positive coverage case steered as the flatmaps steer a fuzzing one; and in every
    phase, most of the time, a body that repeats the path or the query agrees with it."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return case  # a negative case must stay what makes it negative
    rng = _chooser(case)
    if meta.phase.name == TestPhase.COVERAGE:
        deleting = case.operation.method.upper() == "DELETE"
        _set(case, "path_parameters", _pick(case.path_parameters, PATH, rng, as_text=True, deleting=deleting))
        _set(case, "query", _pick(case.query, QUERY, rng, as_text=True))
        body = _pick(_pick_files(case.body, rng), BODY, rng)
        if _set(case, "body", body) and _has_file(body):
            _settle(case)
    if rng.random() < STEERED:
        _agree(case)
    return case


def before_add_examples(ctx, examples):
    """The docs' sample bodies, sent with the spec's parameter examples: the legacy filter's
    sample names customer 1 and a month while its path example is customer 779 and its query
    examples other days, so every one of its examples was refused. Here they agree."""
    for case in examples:
        _agree(case)


def _chooser(case) -> random.Random:
    body = case.body
    shown = {k: v for k, v in body.items() if not _is_file(v)} if isinstance(body, dict) else body
    seed = f"{case.operation.label} {case.path_parameters!r} {case.query!r} {shown!r}"
    return random.Random(seed if len(seed) < 10_000 else seed[:10_000])


def _set(case, name: str, value: Any) -> bool:
    """Assigns a changed value only: Schemathesis judges anew whatever a hook assigns."""
    if value == getattr(case, name):
        return False
    setattr(case, name, value)
    return True


def _has_file(body: Any) -> bool:
    return isinstance(body, dict) and any(_is_file(value) for value in body.values())


def _settle(case) -> None:
    """Schemathesis cannot validate bytes, so it judges an edited body that holds a file
    invalid, and a steered import would count as a negative case the server wrongly took
    (ST201). The sheet is the generation's own value, as the auth set after generating is:
    taken as the case's starting state, as Schemathesis takes that."""
    settle = getattr(case, "_record_starting_state", None)
    if settle is not None:
        settle()


def _pick(values: Any, where: dict[str, str], rng: random.Random, as_text: bool = False, deleting: bool = False) -> Any:
    """_steer's choice made with `rng`, for a case no strategy draws (a coverage case's
    path parameters are text)."""
    if not isinstance(values, dict):
        return values
    chosen = dict(values)
    for name, kind in where.items():
        drawn, ids = values.get(name), _known(kind, deleting)
        if not ids or name not in values or rng.random() >= STEERED:
            continue
        if as_text and isinstance(drawn, str) and drawn.isdigit():
            chosen[name] = str(rng.choice(ids))
        elif _steerable(drawn):
            chosen[name] = rng.choice(ids)
    return chosen


def _pick_files(body: Any, rng: random.Random) -> Any:
    if not isinstance(body, dict):
        return body
    made = {name: make() for name, make in FILES.items() if _is_file(body.get(name)) and rng.random() < STEERED}
    return {**body, **made}


def _agree(case) -> None:
    """A period runs forwards, in the path, the query and the body; a body field that
    repeats a path parameter takes its value, and a query parameter the body repeats takes
    the body's (the server refuses a body that contradicts either with 422)."""
    path = dict(case.path_parameters or {})
    query = dict(case.query or {})
    body = dict(case.body) if isinstance(case.body, dict) else None
    for values in (path, query, body):
        _forwards(values)
    if body is not None:
        for name, value in path.items():
            value = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value
            if name in body and (
                _steerable(body[name]) and _steerable(value) or _is_date(body[name]) and _is_date(value)
            ):
                body[name] = value
        for field, parameter in REPEATS_QUERY.items():
            if _is_date(body.get(field)) and _is_date(query.get(parameter)):
                query[parameter] = body[field]
        _set(case, "body", body)
    if case.path_parameters is not None:
        _set(case, "path_parameters", path)
    if case.query is not None:
        _set(case, "query", query)


def _forwards(values: dict | None) -> None:
    """`from` after `to` (a report's path, a transactions query, a filter's body) is 422."""
    for start, end in PERIODS:
        first, last = (values or {}).get(start), (values or {}).get(end)
        if values is not None and _is_date(first) and _is_date(last) and str(first) > str(last):
            values[start], values[end] = last, first


def _is_date(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-"
