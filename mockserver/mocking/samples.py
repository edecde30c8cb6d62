"""Answers the spec itself supplies for an operation: its named examples, or bodies made
from its response schemas. Forced responses (Prefer) and injected faults send these instead
of running the handler.

A made body is checked against the same validator that checks the handlers' answers, and
made again (up to a limit) until it passes, so whatever is sent is valid by the spec.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..formats.encoding import encoded
from ..web.spec import Operation, Spec

ATTEMPTS = 50
WORDS = ["Amin", "Kumasi", "Echis", "Viper", "Accra", "Class", "Summit", "ledger", "invoice", "retainer"]


class NoSample(LookupError):
    pass


@dataclass(frozen=True)
class Sample:
    status: int
    media_type: str | None  # None: the status documents no body (204)
    body: bytes
    example: str | None  # the named example sent, if one was


def statuses(op: Operation) -> list[int]:
    return sorted(int(code) for code in op.responses if code.isdigit())


def examples(spec: Spec, op: Operation, status: int) -> dict[str, tuple[str, Any]]:
    """The status's examples by name: (media type, value). An unnamed `example` is "default"."""
    response = spec.resolve(spec.operation_definition(op)["responses"].get(str(status), {}))
    found: dict[str, tuple[str, Any]] = {}
    for media, content in response.get("content", {}).items():
        for name, example in content.get("examples", {}).items():
            found.setdefault(name, (media, spec.resolve(example)["value"]))
        if "example" in content:
            found.setdefault("default", (media, content["example"]))
    return found


def sample(
    spec: Spec,
    op: Operation,
    status: int,
    *,
    example: str | None = None,
    dynamic: bool = False,
    rng: random.Random | None = None,
    accept: list[str] | None = None,
) -> Sample:
    """The answer for `status`: the named example, else (unless dynamic) the first example,
    else a body made from the schema; random with `dynamic`, the same every time without."""
    response = spec.resolve(spec.operation_definition(op)["responses"][str(status)])
    content = response.get("content", {})
    if not content:
        return Sample(status, None, b"", None)
    named = examples(spec, op, status)
    if example is not None:
        media, value = named[example]
        return Sample(status, media, _encode(value, media), example)
    media = _choose_media(list(content), accept or [])
    if not dynamic:
        for name, (example_media, value) in named.items():
            if example_media == media:
                return Sample(status, media, _encode(value, media), name)
    schema = content[media].get("schema", {})
    maker = _Maker(spec, rng or random.Random(0), dynamic)
    validator = op.response_validator(status, media)
    for _ in range(ATTEMPTS):
        value = maker.value(schema)
        if validator is None or validator.is_valid(value):
            return Sample(status, media, _encode(value, media), None)
    raise NoSample(f"could not make a valid {status} body for {op.operation_id}; give that response an example")


def _choose_media(documented: list[str], accept: list[str]) -> str:
    for wanted in accept:
        if wanted in documented:
            return wanted
    return "application/json" if "application/json" in documented else documented[0]


def _encode(value: Any, media: str) -> bytes:
    if media == "application/json" or media.endswith("+json"):
        return encoded(value)
    return value.encode() if isinstance(value, str) else bytes(value or b"")


class _Maker:
    """Values for a JSON Schema, as far as the specs use it. Static (dynamic=False) picks
    the first choice and the least value everywhere, so the same schema gives the same body."""

    def __init__(self, spec: Spec, rng: random.Random, dynamic: bool):
        self.spec, self.rng, self.dynamic = spec, rng, dynamic

    def pick(self, choices: list) -> Any:
        return self.rng.choice(choices) if self.dynamic else choices[0]

    def chance(self, p: float) -> bool:
        return self.dynamic and self.rng.random() < p

    def value(self, schema: Any, depth: int = 0) -> Any:
        schema = self.spec.resolve(schema) or {}
        if "const" in schema:
            return schema["const"]
        if schema.get("examples") and ("pattern" in schema or not self.dynamic or self.chance(0.3)):
            return self.pick(schema["examples"])
        if "enum" in schema:
            return self.pick(schema["enum"])
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.value(self.pick(schema[key]), depth)
        if "allOf" in schema:
            merged: dict = {}
            for part in schema["allOf"]:
                merged.update(self.spec.resolve(part))
            return self.value(merged, depth)
        kind = self._type(schema)
        make = getattr(self, f"_{kind}", None)
        if make is None:
            return None
        return make(schema, depth)

    def _type(self, schema: dict) -> str:
        declared = schema.get("type")
        if declared is None:
            return "object" if "properties" in schema else "array" if "items" in schema else "string"
        if isinstance(declared, str):
            return declared
        if "null" in declared and (len(declared) == 1 or self.chance(0.2)):
            return "null"
        return self.pick([t for t in declared if t != "null"])

    def _null(self, schema: dict, depth: int) -> None:
        return None

    def _object(self, schema: dict, depth: int) -> dict:
        required = set(schema.get("required", []))
        properties = schema.get("properties", {})
        made = {
            name: self.value(field, depth + 1)
            for name, field in properties.items()
            if name in required or (depth < 3 and (not self.dynamic or self.chance(0.7)))
        }
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not properties and self.chance(0.5):
            made[self.rng.choice(WORDS).lower()] = self.value(extra, depth + 1)
        return made

    def _array(self, schema: dict, depth: int) -> list:
        least = schema.get("minItems", 0)
        most = min(schema.get("maxItems", least + 3), least + 3)
        count = self.rng.randint(least, most) if self.dynamic and depth < 3 else max(least, 1 if depth < 3 else 0)
        return [self.value(schema.get("items", {}), depth + 1) for _ in range(count)]

    def _string(self, schema: dict, depth: int) -> str:
        fmt = schema.get("format")
        if fmt == "date":
            return (date(2024, 11, 1) + timedelta(days=self.rng.randint(-1500, 30) if self.dynamic else 0)).isoformat()
        if fmt == "date-time":
            return self._string({"format": "date"}, depth) + "T16:13:37Z"
        if fmt == "email":
            return f"{self.pick(WORDS).lower()}@example.com"
        if fmt == "binary" or "contentMediaType" in schema:
            return ""
        if "pattern" in schema:
            raise NoSample(f"a string with pattern {schema['pattern']!r} and no examples")
        least, most = schema.get("minLength", 0), schema.get("maxLength", 255)
        text = " ".join(self.rng.sample(WORDS, self.rng.randint(1, 3))) if self.dynamic else "string"
        text = text[:most]
        return text + "x" * (least - len(text)) if len(text) < least else text

    def _integer(self, schema: dict, depth: int) -> int:
        least, most = self._bounds(schema, 1)
        return self.rng.randint(int(least), int(most)) if self.dynamic else int(least)

    def _number(self, schema: dict, depth: int) -> float:
        least, most = self._bounds(schema, 0.01)
        if not self.dynamic:
            return least
        return round(self.rng.uniform(least, most), 2)

    def _boolean(self, schema: dict, depth: int) -> bool:
        return self.rng.random() < 0.5 if self.dynamic else False

    def _bounds(self, schema: dict, step: float) -> tuple[float, float]:
        least = schema.get("minimum", schema["exclusiveMinimum"] + step if "exclusiveMinimum" in schema else 1)
        most = schema.get(
            "maximum", schema["exclusiveMaximum"] - step if "exclusiveMaximum" in schema else least + 10_000
        )
        return least, max(least, most)
