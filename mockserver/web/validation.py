"""Requests checked against the spec before any handler runs.

Parameters and form fields arrive as strings; they are read as the types their schema
allows, then validated. Bodies must be the declared media type and well-formed (400),
then valid (422 naming every field and its problems). A body field whose schema carries
`x-references: {table, noun}` must also name a stored record, checked here with the
rest so one 422 names every bad field.
"""

import json
import math
import re
from typing import Any

from flask import Flask, Request, Response, g
from werkzeug.datastructures import FileStorage

from .. import defaults
from ..state.store import Store
from .errors import ApiError, invalid, not_found
from .spec import FORM, Operation, Spec

# Long enough that an oversized id is reported against its maximum, short enough for int().
# A zero fraction is allowed because JSON Schema counts 3600.0 as an integer, so the spec
# does too (Schemathesis sends ?category_id=3600.0 as valid data).
_INTEGER = re.compile(r"^([+-]?\d{1,100})(?:\.0+)?$")
WARNING_HEADER = "X-Mock-Warning"
MAX_WARNINGS = 20  # headers a request gets at most; a body of 10,000 unknown fields gets a count


def validate_request(
    spec: Spec, op: Operation, request: Request, path_args: dict[str, str], store: Store, strict: bool = True
) -> dict[str, Any]:
    """Return the handler's keyword arguments, or raise ApiError. Not `strict`, what the
    spec marks as ignorable (unknown query parameters, body fields beyond a schema with
    `x-unknown-fields: ignored`) is dropped with a warning (`warnings()`), as the Laravel
    backend drops it; `strict`, it is refused."""
    kwargs: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    _read_parameters(spec, op.path_parameters, path_args, kwargs, errors)
    if not errors:
        _require_referenced(op, kwargs, store)
    # request.args parses even an empty query string into a MultiDict: most calls have none
    query = request.args if request.environ.get("QUERY_STRING") else {}
    if unknown := [name for name in query if name not in op.query_names]:
        takes = ", ".join(sorted(op.query_names)) or "none"
        if not strict:
            for name in unknown:
                _warn(f"ignored query parameter {json.dumps(name)}; this operation takes: {takes}")
        elif "422" in op.responses:
            raise invalid(
                {name: [f"is not a query parameter of this operation; it takes: {takes}"] for name in unknown}
            )
        else:
            g.off_contract = True
            raise ApiError(
                400, f"Unknown query parameter {', '.join(map(repr, unknown))}; this operation takes: {takes}."
            )
    _read_parameters(spec, op.query_parameters, query, kwargs, errors)
    if op.body is not None:
        body, body_errors = _read_body(spec, op, request)
        if isinstance(body, dict):
            if op.body.known is not None:
                body = _unknown_fields(op.body.known, body, body_errors, strict)
            body_errors.update(_missing_references(spec, op.body.schema, body, body_errors, store))
        errors.update(body_errors)
        kwargs["body"] = body
    if errors:
        raise invalid(errors)
    return kwargs


def _read_parameters(spec: Spec, parameters, source, kwargs: dict[str, Any], errors: dict[str, list[str]]) -> None:
    for param in parameters:
        raw = source.get(param.name)
        if raw is None:
            if param.required:
                errors[param.name] = ["is required"]
            elif param.default is not None:
                kwargs[param.py_name] = param.default
            continue
        value = _read_wire_value(param.types, raw)
        if not param.validator.is_valid(value):  # a bool is cheaper than an iterator of errors
            errors[param.name] = [_describe(spec, param.schema, e) for e in param.validator.iter_errors(value)]
        else:
            kwargs[param.py_name] = value


def _require_referenced(op: Operation, kwargs: dict[str, Any], store: Store) -> None:
    """404 for a path id that names no record, before the query and body are looked at."""
    for param in op.path_parameters:
        reference, ident = param.references, kwargs.get(param.py_name)
        if reference is None or ident is None:
            continue
        if not store.exists(reference["table"], ident, unless=reference.get("gone-if")):
            raise not_found(reference["noun"], ident)


def _unknown_fields(known: frozenset[str], body: dict, errors: dict[str, list[str]], strict: bool) -> dict:
    unknown = [name for name in body if name not in known]
    if not unknown:
        return body
    if strict:
        for name in unknown:
            errors.setdefault(name, ["is not a field of this request"])
        return body
    for name in unknown:
        _warn(f"ignored body field {json.dumps(name)}")
    return {name: value for name, value in body.items() if name in known}


def _warn(text: str) -> None:
    """A warning for the X-Mock-Warning header, the journal and the log; the first few
    only, however many a request earns, and a count of the rest."""
    kept = g.setdefault("warnings", [])
    if len(kept) < MAX_WARNINGS:
        kept.append(text[:200])
    else:
        g.warnings_left_out = g.get("warnings_left_out", 0) + 1


def warnings() -> list[str]:
    """The request's warnings (in a request context)."""
    kept = g.get("warnings")
    if not kept:
        return []
    left_out = g.get("warnings_left_out", 0)
    return [*kept, f"and {left_out} more ignored"] if left_out else list(kept)


def register_warnings(app: Flask) -> None:
    """Each warning in its own X-Mock-Warning header (JSON-quoted names: no header can be
    broken by what a client sent), and strictness asked for in Prefer said applied."""

    @app.after_request
    def _add_warnings(response: Response) -> Response:
        for text in warnings():
            response.headers.add(WARNING_HEADER, text)
        prefer = g.get("prefer")
        if prefer is not None and prefer.strict and "Preference-Applied" not in response.headers:
            response.headers["Preference-Applied"] = "strict"
        return response


def _read_wire_value(types: frozenset[str], raw: str) -> Any:
    if "integer" in types and (whole := _INTEGER.match(raw)):
        return int(whole.group(1))
    if "number" in types:
        try:
            number = float(raw)
        except ValueError:
            return raw
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in raw else number
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    return raw


def _read_body(spec: Spec, op: Operation, request: Request) -> tuple[Any, dict[str, list[str]]]:
    assert op.body is not None
    if op.body.is_form:
        return _read_form(spec, op, request)
    raw = request.get_data(cache=True)
    if not raw:
        return None, ({"body": ["is required: send a JSON object"]} if op.body.required else {})
    if not _is_json(request.mimetype):
        raise ApiError(415, f"Send the body as application/json (got {request.mimetype or 'no Content-Type'}).")
    body = _parse_json(raw)
    return body, _schema_problems(spec, op.body.schema, op.body.validator, body)


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _parse_json(raw: bytes) -> Any:
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite)
    except UnicodeDecodeError as e:
        raise ApiError(400, f"The request body is not valid UTF-8: {e.reason} at byte {e.start}.") from e
    except RecursionError as e:  # the parser's own limit, far past ours
        raise ApiError(400, TOO_DEEP) from e
    except ValueError as e:
        raise ApiError(400, f"The request body is not valid JSON: {e}") from e
    # Nesting is counted on the value, without recursion: the validator (jsonschema-rs)
    # gives up at 255 levels with an error of its own, and the encoder of the answers too.
    if (raw.count(b"[") + raw.count(b"{") > MAX_DEPTH) and too_deep(body):
        raise ApiError(400, TOO_DEEP)
    return body


MAX_DEPTH = defaults.JSON_MAX_DEPTH
TOO_DEEP = (
    f"The request body is not valid JSON for this server: it nests arrays and objects more than {MAX_DEPTH} "
    "levels deep, this server's limit."
)


def too_deep(value: Any, most: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than `most` levels in `value` (one array is one
    level): level by level, each container met once, so no depth can overflow a stack."""
    level = [value] if isinstance(value, (list, dict)) else []
    for _ in range(most):
        inner: list[Any] = []
        for container in level:
            items = container.values() if isinstance(container, dict) else container
            inner.extend(item for item in items if isinstance(item, (list, dict)))
        if not inner:
            return False
        level = inner
    return bool(level)


def _schema_problems(spec: Spec, schema: dict | None, validator, body: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in validator.iter_errors(body):
        for name, problem in _body_problems(spec, schema, error):
            errors.setdefault(name, []).append(problem)
    return errors


def _read_form(spec: Spec, op: Operation, request: Request) -> tuple[Any, dict[str, list[str]]]:
    """A multipart upload: text fields read as their schema's types, files as FileStorage.
    The schema is checked with each file standing in as its file name."""
    assert op.body is not None
    body = op.body
    if _is_json(request.mimetype):
        return _form_sent_as_json(spec, op, request)
    if request.mimetype != FORM:
        raise ApiError(415, f"Send the body as {FORM} (got {request.mimetype or 'no Content-Type'}).")
    fields: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in request.form.items():  # reading the form enforces MAX_CONTENT_LENGTH (413)
        if name in body.files:
            errors[name] = [f"must be a file, sent as a file part (curl -F '{name}=@<file>'), not as text"]
        else:
            fields[name] = _read_wire_value(spec.wire_types(spec.property_schema(body.schema, name)), raw)
    for name, upload in request.files.items():
        fields.setdefault(name, upload)
    if None in fields or "" in fields:
        errors["body"] = ["has a part without a name (Content-Disposition: form-data; name=...)"]
        fields = {name: value for name, value in fields.items() if name}
    shown = {name: (v.filename or "") if isinstance(v, FileStorage) else v for name, v in fields.items()}
    for name, problems in _schema_problems(spec, body.schema, body.validator, shown).items():
        errors.setdefault(name, problems)
    return fields, errors


def _form_sent_as_json(spec: Spec, op: Operation, request: Request) -> tuple[Any, dict[str, list[str]]]:
    """The doc's import sample posts JSON naming the file; say why that cannot work,
    and check the other fields while at it."""
    assert op.body is not None
    body = _parse_json(request.get_data(cache=True))
    if not isinstance(body, dict):
        return body, {"body": [f"must be {FORM}, with the file as a file part"]}
    errors = {}
    for name in sorted(op.body.files):
        sent = f" ({json.dumps(body[name])})" if name in body else ""
        errors[name] = [
            f"must be an uploaded file{sent}: a JSON body cannot carry one; send the request as {FORM} "
            f"with the file as a file part (curl -F '{name}=@<file>')"
        ]
    fields = {k: v for k, v in body.items() if k not in op.body.files}
    for name, problems in _schema_problems(spec, op.body.schema, op.body.validator, fields).items():
        errors.setdefault(name, problems)
    return body, errors


def _missing_references(spec: Spec, schema: dict | None, body: dict, errors: dict, store: Store) -> dict:
    missing = {}
    for name, value in body.items():
        reference = spec.property_schema(schema, name).get("x-references")
        if reference is None or name in errors or value is None:
            continue
        if store.get(reference["table"], int(value)) is None:  # valid, so an int or a string of digits
            known = ", ".join(str(row["id"]) for row in store.all(reference["table"])[:10])
            missing[name] = [f"no {reference['noun']} {value}; existing ones include {known}"]
    return missing


def _finite(text: str) -> float:
    """1e309 reads as infinity, which JSON cannot write back: refused, not stored."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _body_problems(spec: Spec, schema: dict | None, error) -> list[tuple[str, str]]:
    kind = type(error.kind).__name__
    path = [str(p) for p in error.instance_path]
    if kind == "Required":
        return [(".".join([*path, error.kind.property]), "is required")]
    if kind == "AdditionalProperties":
        return [(".".join([*path, name]), "is not a field of this request") for name in error.kind.unexpected]
    name = ".".join(path) or "body"
    field_schema = spec.property_schema(schema, path[0]) if path else (schema or {})
    return [(name, _describe(spec, field_schema, error))]


def _describe(spec: Spec, schema: dict, error) -> str:
    """A schema may say in `x-error-message` what its values must be, where the validator's
    own words (an anyOf failure, a pattern) would not tell a person."""
    schema = spec.resolve(schema) or {}
    if "x-error-message" in schema:
        return f"{schema['x-error-message']} (got {json.dumps(error.instance)})"
    kind = type(error.kind).__name__
    if kind == "Format":
        return f"must be a valid {error.kind.format} (got {json.dumps(error.instance)})"
    if kind == "Enum":  # the validator's own message names only the first two choices
        choices = ", ".join(map(str, error.kind.options))
        return f"must be one of {choices} (got {json.dumps(error.instance)})"
    return error.message
