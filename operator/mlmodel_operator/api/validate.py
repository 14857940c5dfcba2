"""Offline validation of an MLModel manifest: what the API server would say, before applying.

Two passes, both driven by ``v1alpha1`` (nothing is re-coded here):

1. the pydantic models (types, enums, bounds, required and unknown fields); messages are worded
   like the API server's OpenAPI errors so both tools read alike;
2. every class's ``__cel_rules__`` evaluated with cel-python against the *normalised* wire dict,
   i.e. with defaults filled in, as the API server applies OpenAPI defaults before CEL.

Used by ``mlmodel validate`` and by anyone who wants to check a manifest without a cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import celpy
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from mlmodel_operator.api import v1alpha1 as api

# cel-python logs every evaluation error at ERROR level; a refused rule is a result, not a fault.
logging.getLogger("celpy").setLevel(logging.CRITICAL)
logging.getLogger("Evaluator").setLevel(logging.CRITICAL)

_UNION_TAGS = {"int", "float", "str", "bool", "none", "list", "dict"}


@dataclass(frozen=True)
class Problem:
    """One reason a manifest would be refused: where (a wire path) and why."""

    path: str
    """Dotted wire path, e.g. ``spec.monitoring.threshold`` (list items as ``[i]``)."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class CelRuleError(RuntimeError):
    """A rule in ``v1alpha1`` does not compile: a bug in the models, not in the manifest."""


def validate_manifest(doc: Mapping[str, Any]) -> list[Problem]:
    """All problems of one MLModel document (a parsed YAML/JSON mapping); [] when valid."""
    try:
        model = api.MLModel.model_validate(doc)
    except ValidationError as exc:
        return _schema_problems(exc)
    return list(_cel_problems(model, path=""))


def validate_spec(spec: Mapping[str, Any]) -> list[Problem]:
    """Problems of a bare spec (paths start with ``spec``)."""
    try:
        model = api.MLModelSpec.model_validate(spec)
    except ValidationError as exc:
        return [Problem(_join("spec", p.path), p.message) for p in _schema_problems(exc)]
    return list(_cel_problems(model, path="spec"))


# ---- pass 1: the schema (pydantic) ---------------------------------------------------------


def _schema_problems(exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    errors = exc.errors()
    tagged: dict[tuple[int | str, ...], int] = {}
    for err in errors:
        if len(err["loc"]) > 1 and err["loc"][-1] in _UNION_TAGS:
            tagged[err["loc"][:-1]] = tagged.get(err["loc"][:-1], 0) + 1
    for err in errors:
        loc = list(err["loc"])
        if tagged.get(tuple(loc[:-1]), 0) > 1:  # every branch of a scalar union (params) failed
            path = _loc_path(loc[:-1])
            message = "must be a number, string, boolean or null"
        else:
            path = _loc_path(loc)
            message = _message(err)
        if path + message not in seen:
            seen.add(path + message)
            problems.append(Problem(path, message))
    return problems


def _loc_path(loc: list[int | str]) -> str:
    out = ""
    for part in loc:
        out = f"{out}[{part}]" if isinstance(part, int) else _join(out, str(part))
    return out


def _join(prefix: str, rest: str) -> str:
    if not prefix:
        return rest
    if not rest:
        return prefix
    return f"{prefix}{rest}" if rest.startswith("[") else f"{prefix}.{rest}"


_TYPE_NAMES = {
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "string_type": "string",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "list_type": "array",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
}


# pydantic error type -> (the API server's wording, the context key holding the bound)
_BOUNDS: dict[str, tuple[str, str]] = {
    "greater_than_equal": ("should be greater than or equal to {}", "ge"),
    "greater_than": ("should be greater than {}", "gt"),
    "less_than_equal": ("should be less than or equal to {}", "le"),
    "less_than": ("should be less than {}", "lt"),
    "string_too_long": ("must be at most {} characters", "max_length"),
    "string_too_short": ("must be at least {} characters", "min_length"),
    "string_pattern_mismatch": ("should match '{}'", "pattern"),
    "too_long": ("must have at most {} items", "max_length"),
}


def _message(err: ErrorDetails) -> str:
    """A pydantic error in the API server's words (``kubectl apply`` prints the same ideas)."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "missing":
        return "Required value"
    if kind == "extra_forbidden":
        return "unknown field (not in the MLModel schema)"
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", '"').replace(" or ", ", ")
        return f'Unsupported value: "{value}": supported values: {expected}'
    if kind in _TYPE_NAMES:
        return f"must be of type {_TYPE_NAMES[kind]}"
    if kind in _BOUNDS:
        template, key = _BOUNDS[kind]
        return template.format(ctx[key])
    return str(err["msg"])


# ---- pass 2: the CEL rules (cel-python) ----------------------------------------------------


@cache
def _program(rule: str) -> celpy.Runner:
    env = celpy.Environment()
    try:
        return env.program(env.compile(rule))
    except CELParseError as exc:
        raise CelRuleError(f"CEL rule does not compile: {rule!r}: {exc}") from exc


def _cel_problems(model: BaseModel, *, path: str) -> Iterator[Problem]:
    """Evaluate each model's rules on its normalised wire form, depth first like the server."""
    rules = getattr(type(model), "__cel_rules__", ())
    if rules:
        wire = model.model_dump(by_alias=True, exclude_none=True, mode="json")
        activation = {"self": json_to_cel(wire)}
        for rule in rules:
            where = _join(path, (rule.field_path or "").lstrip("."))
            try:
                result = _program(rule.rule).evaluate(activation)
            except CELEvalError as exc:
                yield Problem(where, f"{rule.message} (rule could not be evaluated: {exc.args[0]})")
                continue
            if isinstance(result, CELEvalError):
                yield Problem(
                    where, f"{rule.message} (rule could not be evaluated: {result.args[0]})"
                )
            elif not bool(result):
                yield Problem(where, rule.message)
    for name, field in type(model).model_fields.items():
        wire_name = field.alias or name
        yield from _children(getattr(model, name), path=_join(path, wire_name))


def _children(value: object, *, path: str) -> Iterator[Problem]:
    if isinstance(value, BaseModel):
        yield from _cel_problems(value, path=path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _children(item, path=f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _children(item, path=_join(path, str(key)))
