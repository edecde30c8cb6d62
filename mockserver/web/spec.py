"""A spec (openapi.yaml, control-plane.yaml), read once and compiled into operations with ready validators.

Validators are compiled at start-up (jsonschema-rs), so checking a request costs
microseconds instead of walking the spec on every call. All of a document's schemas are
compiled in one pass (`validator_map_for`), so the components they share are compiled once:
one compile per schema held the components 173 times over, 58 MB for openapi.yaml against 9.
"""

import contextlib
import functools
import hashlib
import keyword
import marshal
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from ..resources import SPEC_PATH, cache_folder
from ..state.storage.snapshot import replace_file

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 7x faster on this spec
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "path" or "query"
    required: bool
    schema: dict
    types: frozenset[str]  # JSON types the wire string may be read as
    validator: Any
    default: Any = None
    # x-references on a path id: the record it names is looked up before anything else is
    # validated, as Laravel's route-model binding answers 404 before the form request runs.
    references: dict | None = None
    argument: str | None = None  # x-handler-argument: the handler's name for it, where two share one

    @property
    def py_name(self) -> str:
        return self.argument or python_name(self.name)


FORM = "multipart/form-data"


@dataclass(frozen=True)
class Body:
    required: bool
    media_types: tuple[str, ...]
    schema: dict | None  # of the JSON body, or of the form's fields
    validator: Any
    # Form fields that carry a file (a schema with contentMediaType or format binary); the
    # validator sees each as its file name.
    files: frozenset[str] = frozenset()
    # With `x-unknown-fields: ignored`, the fields a body may have; others are dropped with a
    # warning, as Laravel drops what its rules do not name (422 when strict). None: the
    # schema alone decides.
    known: frozenset[str] | None = None

    @property
    def is_form(self) -> bool:
        return FORM in self.media_types and "application/json" not in self.media_types


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # as in the spec, /api/v3/clients/{id}
    parameters: tuple[Parameter, ...]
    body: Body | None
    # status code ("200") -> media type -> validator, for checking our own answers
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    heavy: bool = False  # x-heavy: its cost grows with the store (serving/front.py)

    @functools.cached_property
    def query_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parameters if p.location == "query")

    @functools.cached_property
    def path_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @functools.cached_property
    def query_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location != "path")

    def response_validator(self, status: int, media_type: str):
        media = self.responses.get(str(status)) or self.responses.get(f"{str(status)[0]}XX") or {}
        return media.get(media_type)


def python_name(name: str) -> str:
    """categoryId -> category_id, from -> from_ (connexion's pythonic params)."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    return snake + "_" if keyword.iskeyword(snake) else snake


def load(path: Path = SPEC_PATH) -> dict:
    """The spec's document. Its parse is kept between starts in the user's cache folder, by a
    hash of the file's bytes (so an edit is parsed anew): YAML took 0.1 s of a server's 0.9-s
    start, marshal takes a millisecond. Without a cache folder it can write, it is parsed."""
    text = path.read_bytes()
    kept = cache_folder("specs") / f"{path.stem}-{hashlib.sha256(text).hexdigest()[:32]}-{marshal.version}.marshal"
    with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
        blob = kept.read_bytes()
        if zlib.crc32(blob[4:]).to_bytes(4, "little") == blob[:4]:
            document = marshal.loads(blob[4:])
            if isinstance(document, dict):
                return document
    document = yaml.load(text, Loader=_Loader)
    with contextlib.suppress(OSError, ValueError):
        blob = marshal.dumps(document)
        kept.parent.mkdir(parents=True, exist_ok=True)
        replace_file(kept, lambda f: f.write(zlib.crc32(blob).to_bytes(4, "little") + blob), mode="wb")
    return document


class Spec:
    def __init__(self, document: dict, name: str = "openapi.yaml"):
        self.document = document
        self.name = name  # the file, for messages
        self._components = document.get("components", {})
        self._pending: list[_Validator] = []
        self.operations: list[Operation] = [
            self._operation(path, method, item, op)
            for path, item in document["paths"].items()
            for method, op in item.items()
            if method in HTTP_METHODS
        ]
        self._compile(self._pending)
        del self._pending

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = self._pointer(node["$ref"])
        return node

    def _pointer(self, ref: str) -> Any:
        node: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def validator(self, schema: dict):
        """A validator for one schema on its own, compiled now."""
        # The schema is compiled with the components beside it so that its $refs resolve.
        return jsonschema_rs.validator_for({**schema, "components": self._components}, validate_formats=True)

    def _deferred(self, schema: dict) -> "_Validator":
        pending = _Validator(schema)
        self._pending.append(pending)
        return pending

    def _compile(self, pending: "list[_Validator]") -> None:
        defs = {str(i): v.schema for i, v in enumerate(pending)}
        compiled = jsonschema_rs.validator_map_for(
            {"$defs": defs, "components": self._components}, validate_formats=True
        )
        for i, v in enumerate(pending):
            target = compiled.get(f"#/$defs/{i}")
            assert target is not None  # every key was just compiled
            v.is_valid, v.iter_errors = target.is_valid, target.iter_errors

    def _operation(self, path: str, method: str, item: dict, op: dict) -> Operation:
        params = [self.resolve(p) for p in item.get("parameters", []) + op.get("parameters", [])]
        parameters = tuple(
            Parameter(
                name=p["name"],
                location=p["in"],
                required=p.get("required", False),
                schema=p["schema"],
                types=self.wire_types(p["schema"]),
                validator=self._deferred(p["schema"]),
                default=self.resolve(p["schema"]).get("default"),
                references=p.get("x-references"),
                argument=p.get("x-handler-argument"),
            )
            for p in params
        )
        return Operation(
            operation_id=op["operationId"],
            method=method.upper(),
            path=path,
            parameters=parameters,
            body=self._body(op.get("requestBody")),
            responses={
                status: {
                    media: self._deferred(content["schema"])
                    for media, content in self.resolve(response).get("content", {}).items()
                    if "schema" in content
                }
                for status, response in op.get("responses", {}).items()
            },
            heavy=bool(op.get("x-heavy")),
        )

    def _body(self, request_body: dict | None) -> Body | None:
        if request_body is None:
            return None
        request_body = self.resolve(request_body)
        content = request_body.get("content", {})
        schema = (content.get("application/json") or content.get(FORM) or {}).get("schema")
        resolved = self.resolve(schema) or {}
        properties = resolved.get("properties", {})
        return Body(
            required=request_body.get("required", False),
            media_types=tuple(content),
            schema=schema,
            validator=self._deferred(schema) if schema is not None else None,
            files=frozenset(
                name
                for name, field in properties.items()
                if "contentMediaType" in self.resolve(field) or self.resolve(field).get("format") == "binary"
            ),
            known=frozenset(properties) if resolved.get("x-unknown-fields") == "ignored" else None,
        )

    def wire_types(self, schema: dict) -> frozenset[str]:
        """The JSON types a value sent as text (a query parameter, a form field) may be read as."""
        schema = self.resolve(schema)
        declared = schema.get("type", [])
        types = set([declared] if isinstance(declared, str) else declared)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                types |= self.wire_types(sub)
        return frozenset(types)

    def operation_definition(self, op: Operation) -> dict:
        """The operation as written in the document."""
        return self.document["paths"][op.path][op.method.lower()]

    def property_schema(self, schema: dict | None, name: str) -> dict:
        schema = self.resolve(schema) or {}
        return self.resolve(schema.get("properties", {}).get(name, {}))


class _Validator:
    """One schema's validator, its methods filled in when the whole document is compiled."""

    __slots__ = ("schema", "is_valid", "iter_errors")
    is_valid: Callable[[Any], bool]
    iter_errors: Callable[[Any], Iterator[jsonschema_rs.ValidationError]]

    def __init__(self, schema: dict):
        self.schema = schema


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> Spec:
    """Compiled once per process: every app built from the same file shares it (it is read-only)."""
    return Spec(load(path), path.name)
