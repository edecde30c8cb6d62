"""GET/PUT/DELETE /__mock/faults: latency and failures on purpose (mockserver/mocking/faults.py)."""

from flask import Response

from ..mocking.faults import Faults, Rule
from ..mocking.patterns import PatternError, check_pattern
from ..state.sandbox import current
from ..web.errors import invalid


def get_faults():
    return _faults().to_json()


def set_faults(body: dict):
    errors = {
        f"rules.{i}.latency_ms": [f"has max {r['latency_ms']['max']} below min {r['latency_ms']['min']}"]
        for i, r in enumerate(body["rules"])
        if "latency_ms" in r and r["latency_ms"].get("max", r["latency_ms"]["min"]) < r["latency_ms"]["min"]
    }
    for i, rule in enumerate(body["rules"]):
        try:
            check_pattern(rule["path"])
        except PatternError as e:
            errors[f"rules.{i}.path"] = [str(e)]
    if errors:
        raise invalid(errors)
    _faults().set([Rule.from_json(rule) for rule in body["rules"]], body.get("seed"))
    return _faults().to_json()


def clear_faults():
    _faults().clear()
    return Response(status=204)


def _faults() -> Faults:
    return current().faults
