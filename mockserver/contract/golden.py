"""`mockserver contract --seeded`: a target started from the docs' sample records must give
the docs' sample answers back field for field. The expected answers are the examples in
openapi.yaml that copy the docs; the requests are the ones the docs show them for. Only
reads are sent, before anything else in the run writes, so the records are as seeded.

    from mockserver.contract.golden import mismatches
    assert not mismatches("http://localhost:8000", {"Authorization": "Bearer t"})
"""

import json
import shlex
from dataclasses import dataclass
from typing import Any

from ..web.spec import load_spec
from .steering import get_json

WHOLE = "whole"  # the answer is the example
EACH = "each"  # every record of the example is in the answer, found by its id


@dataclass(frozen=True)
class Sample:
    name: str
    path: str  # as the docs send it
    example: tuple[str, str, str]  # where openapi.yaml keeps the docs' answer: path, method, status
    match: str
    # fields the docs show with the real business's figures, which its sample records alone
    # cannot reproduce (a category's customer_count counts customers the docs do not list)
    not_compared: tuple[str, ...] = ()


SAMPLES = (
    Sample("the customer list holds the docs' customers", "/api/v3/clients", ("/api/v3/clients", "get", "200"), EACH),
    Sample(
        "customer 154184 is the customer the docs' create answers",
        "/api/v3/clients/154184",
        ("/api/v3/clients", "post", "201"),
        WHOLE,
    ),
    Sample(
        "customer 154186's transactions are the docs' sample",
        "/api/v3/clients/154186/transactions?from=&to=",
        ("/api/v3/clients/{id}/transactions", "get", "200"),
        WHOLE,
    ),
    Sample(
        "the category list holds the docs' categories",
        "/api/v3/clients/clients/categories",
        ("/api/v3/clients/clients/categories", "get", "200"),
        EACH,
        not_compared=("customer_count",),
    ),
    Sample(
        "the report for 2024-11-01 to 2024-11-11 holds the docs' lines",
        "/api/v3/reports/customers/2024-11-01/2024-11-11",
        ("/api/v3/reports/customers/{from}/{to}", "get", "200"),
        EACH,
    ),
    Sample(
        "the docs' income query answers the docs' page",
        "/api/income?page=1&limit=10&categoryId=1",
        ("/api/income", "get", "200"),
        WHOLE,
    ),
)


@dataclass(frozen=True)
class Mismatch:
    sample: Sample
    curl: str
    differences: list[str]  # each "where: expected ..., got ..."

    def __str__(self) -> str:
        shown = "\n".join(f"    {line}" for line in self.differences[:20])
        more = f"\n    ... and {len(self.differences) - 20} more" if len(self.differences) > 20 else ""
        return f"  {self.sample.name}:\n    {self.curl}\n{shown}{more}"


def mismatches(base_url: str, headers: dict[str, str]) -> list[Mismatch]:
    """Each documented sample the target does not give back field for field."""
    found = []
    for sample in SAMPLES:
        status, answer = get_json(base_url.rstrip("/") + sample.path, headers)
        expected = _example(*sample.example)
        if status != 200:
            differences = [f"status: expected 200, got {status} {_short(answer)}"]
        elif sample.match == WHOLE:
            differences = _diff("", expected, answer, sample.not_compared)
        else:
            differences = _each(expected, answer, sample.not_compared)
        if differences:
            curl = " ".join(["curl", *(f"-H {shlex.quote(f'{k}: {v}')}" for k, v in headers.items())])
            found.append(Mismatch(sample, f"{curl} {shlex.quote(base_url.rstrip('/') + sample.path)}", differences))
    return found


def _example(path: str, method: str, status: str) -> Any:
    spec = load_spec()
    content = spec.resolve(spec.document["paths"][path][method]["responses"][status])["content"]
    return spec.resolve(content["application/json"]["examples"]["docSample"])["value"]


def _each(expected: list, answer: Any, not_compared: tuple[str, ...]) -> list[str]:
    listed = answer if isinstance(answer, list) else None
    if listed is None:
        return [f"answer: expected a list, got {_short(answer)}"]
    by_id = {item.get("id"): item for item in listed if isinstance(item, dict)}
    differences = []
    for record in expected:
        if record["id"] not in by_id:
            differences.append(f"id {record['id']}: expected in the answer, not there")
        else:
            differences += _diff(f"id {record['id']}", record, by_id[record["id"]], not_compared)
    return differences


def _diff(where: str, expected: Any, actual: Any, not_compared: tuple[str, ...]) -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [
            line
            for name in expected
            if name not in not_compared
            for line in (
                _diff(f"{where}.{name}".lstrip("."), expected[name], actual[name], not_compared)
                if name in actual
                else [f"{where}.{name}".lstrip(".") + ": expected, not there"]
            )
        ]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            line
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for line in _diff(f"{where}[{i}]", e, a, ())
        ]
    if not _same(expected, actual):
        return [f"{where or 'answer'}: expected {_short(expected)}, got {_short(actual)}"]
    return []


def _same(expected: Any, actual: Any) -> bool:
    # a number is a number in JSON (100 and 100.0 alike); true is not 1
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (expected, actual))
    return expected == actual if numbers else expected == actual and type(expected) is type(actual)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."
