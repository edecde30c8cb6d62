"""Latency and failures on purpose, to see how a frontend copes with a slow or failing API.

The server-wide latency comes from `mockserver serve --latency 50-200`; rules set with
PUT /__mock/faults aim at routes. The first rule whose method and path pattern match a
request applies: its latency replaces the server-wide one, then it may drop the connection
(`drop_rate`) or answer one of its error statuses (`error_rate`). Random draws come from
one generator, seeded on request so that a run of faults can be replayed.
"""

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

from .patterns import path_matcher

DROP = "drop"


@dataclass(frozen=True)
class Rule:
    path: str
    method: str | None = None
    latency_ms: tuple[int, int] | None = None
    error_rate: float = 0.0
    statuses: tuple[int, ...] = ()  # empty: the statuses the operation documents (401 aside)
    drop_rate: float = 0.0

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "Rule":
        latency = body.get("latency_ms")
        return cls(
            path=body["path"],
            method=body.get("method"),
            latency_ms=(latency["min"], latency.get("max", latency["min"])) if latency else None,
            error_rate=body.get("error_rate", 0.0),
            statuses=tuple(body.get("statuses", ())),
            drop_rate=body.get("drop_rate", 0.0),
        )

    def to_json(self) -> dict[str, Any]:
        shown = asdict(self)
        shown["latency_ms"] = _span(self.latency_ms)
        shown["statuses"] = list(self.statuses)
        return shown

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path_matcher(self.path)(path)


class Faults:
    def __init__(self, latency_ms: tuple[int, int] | None = None):
        # A list when it came through the environment (granian's worker reads JSON).
        self.server_latency = (latency_ms[0], latency_ms[1]) if latency_ms else None
        self.rules: tuple[Rule, ...] = ()
        self.seed: int | None = None
        self._rng = random.Random()
        self._lock = threading.Lock()

    @property
    def quiet(self) -> bool:
        """No rule and no server-wide latency: no answer is delayed or replaced."""
        return not self.rules and not self.server_latency

    def set(self, rules: list[Rule], seed: int | None = None) -> None:
        with self._lock:
            self.rules, self.seed = tuple(rules), seed
            self._rng = random.Random(seed)

    def clear(self) -> None:
        self.set([])

    def rule_for(self, method: str, path: str) -> tuple[int, Rule] | None:
        """The first matching rule, numbered from 1 as the client listed them."""
        for number, rule in enumerate(self.rules, 1):
            if rule.matches(method, path):
                return number, rule
        return None

    def delay_ms(self, rule: Rule | None) -> int:
        span = rule.latency_ms if rule is not None and rule.latency_ms else self.server_latency
        if not span:
            return 0
        with self._lock:
            return self._rng.randint(*span)

    def draw(self, rule: Rule, documented: list[int]) -> str | int | None:
        """DROP, an error status, or None (answer normally)."""
        with self._lock:
            if rule.drop_rate and self._rng.random() < rule.drop_rate:
                return DROP
            if rule.error_rate and self._rng.random() < rule.error_rate:
                choices = rule.statuses or tuple(s for s in documented if s >= 400 and s != 401) or (500,)
                return self._rng.choice(choices)
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "server_latency_ms": _span(self.server_latency),
            "seed": self.seed,
            "rules": [rule.to_json() for rule in self.rules],
        }


def _span(latency: tuple[int, int] | None) -> dict[str, int] | None:
    return {"min": latency[0], "max": latency[1]} if latency else None
