"""Request bodies straight into the model's NumPy input, and predictions back out as JSON.

Two wire forms reach the same array (columns = the model's feature_names, float64 for
numeric-only models, object when some features are categorical):

- Open Inference Protocol V2: ``{"inputs": [{name, shape, datatype, data}]}`` with either one
  tensor of shape [rows, features] or one tensor per feature, named by the feature;
- plain JSON (``/predict``, KServe V1): ``{"instances": [row, ...]}``, each row a list in
  feature order or a ``{feature: value}`` object.

The common case (rows of numbers) is one ``np.array`` call; only when that fails or gives a
non-numeric dtype does a slow pass walk the rows to name the first bad cell. Every problem is a
``BadRequest`` (or ``PayloadTooLarge``) whose message says what is wrong and where.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from mlmodel_operator.runtimes.server.errors import BadRequest, PayloadTooLarge

V2_DATATYPES = frozenset(
    {
        "BOOL",
        "UINT8",
        "UINT16",
        "UINT32",
        "UINT64",
        "INT8",
        "INT16",
        "INT32",
        "INT64",
        "FP16",
        "FP32",
        "FP64",
        "BYTES",
    }
)
_NUMERIC_KINDS = "fiub"


class Schema:
    """What a request must match: the model's features, their kinds and the row cap."""

    def __init__(self, *, feature_names: list[str], categorical: list[bool], max_rows: int):
        self.feature_names = feature_names
        self.categorical = categorical
        self.max_rows = max_rows
        self.n = len(feature_names)
        self.index = {name: i for i, name in enumerate(feature_names)}
        self.names = frozenset(feature_names)
        self.numeric_only = not any(categorical)

    def describe(self) -> str:
        names = ", ".join(self.feature_names[:8]) + (", ..." if self.n > 8 else "")
        return f"{self.n} features ({names})"


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise BadRequest(f"request body must be a JSON object, got {type(payload).__name__}")
    return payload


def _check_rows(count: int, schema: Schema) -> None:
    if count == 0:
        raise BadRequest("request has no rows")
    if count > schema.max_rows:
        raise PayloadTooLarge(
            f"request has {count} rows; the limit is {schema.max_rows}"
            " (spec.serving.maxRequestRows)"
        )


def _describe(value: object) -> str:
    if value is None:
        return "null (missing value)"
    text = orjson.dumps(value).decode() if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _cell(value: object, *, where: str, feature: str, categorical: bool) -> object:
    """One cell, checked: a finite number for numeric features, a string for categorical ones."""
    if categorical:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise BadRequest(
            f"{where}, feature {feature!r}: expected a category string, got {_describe(value)}"
        )
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    raise BadRequest(
        f"{where}, feature {feature!r}: expected a finite number, got {_describe(value)}"
    )


def _rows_slow(rows: Sequence[object], schema: Schema) -> np.ndarray:
    """Check every cell, naming the first bad one; also builds object arrays for categoricals."""
    out = np.empty((len(rows), schema.n), dtype=np.float64 if schema.numeric_only else object)
    for r, row in enumerate(rows):
        if not isinstance(row, list | tuple):
            raise BadRequest(
                f"row {r} must be a list of {schema.n} values or an object, got {_describe(row)}"
            )
        if len(row) != schema.n:
            raise BadRequest(
                f"row {r} has {len(row)} values; the model expects {schema.describe()}"
            )
        for c, value in enumerate(row):
            out[r, c] = _cell(
                value,
                where=f"row {r}",
                feature=schema.feature_names[c],
                categorical=schema.categorical[c],
            )
    return out


def _object_row(row: dict[str, Any], r: int, schema: Schema) -> list[Any]:
    if row.keys() != schema.names:
        unknown = sorted(set(row) - schema.names)
        missing = [f for f in schema.feature_names if f not in row]
        parts = []
        if unknown:
            parts.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
        if missing:
            parts.append(f"missing feature(s) {', '.join(map(repr, missing))}")
        raise BadRequest(f"row {r}: {'; '.join(parts)}; the model expects {schema.describe()}")
    return [row[f] for f in schema.feature_names]


def rows_to_array(rows: object, schema: Schema) -> np.ndarray:
    """``instances``: rows as lists (feature order) or {feature: value} objects."""
    if not isinstance(rows, list):
        raise BadRequest(f"'instances' must be a list of rows, got {_describe(rows)}")
    _check_rows(len(rows), schema)
    if isinstance(rows[0], dict):
        if not all(isinstance(row, dict) for row in rows):
            raise BadRequest("rows must be all lists or all objects, not a mix")
        rows = [_object_row(row, r, schema) for r, row in enumerate(rows)]
    if schema.numeric_only:
        try:
            arr = np.array(rows)
        except (ValueError, TypeError):
            return _rows_slow(rows, schema)
        if arr.ndim == 2 and arr.shape[1] == schema.n and arr.dtype.kind in _NUMERIC_KINDS:
            arr = arr.astype(np.float64, copy=False)
            if np.isfinite(arr).all():
                return arr
    return _rows_slow(rows, schema)


def _tensor_values(tensor: dict[str, Any], where: str) -> tuple[list[int], list[Any]]:
    shape, datatype, data = tensor.get("shape"), tensor.get("datatype"), tensor.get("data")
    if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise BadRequest(f"{where}: 'shape' must be a list of non-negative integers")
    if datatype not in V2_DATATYPES:
        raise BadRequest(
            f"{where}: unsupported datatype {_describe(datatype)};"
            f" use one of FP32, FP64, INT64, BYTES"
        )
    if not isinstance(data, list):
        raise BadRequest(f"{where}: 'data' must be a list")
    flat = data
    if data and isinstance(data[0], list):
        try:
            flat = np.array(data, dtype=object).ravel().tolist()
        except ValueError:
            raise BadRequest(f"{where}: 'data' is a ragged nested list") from None
    size = math.prod(shape)
    if len(flat) != size:
        raise BadRequest(f"{where}: shape {shape} needs {size} values, 'data' has {len(flat)}")
    return shape, flat


def v2_to_array(payload: dict[str, Any], schema: Schema) -> np.ndarray:
    """V2 ``inputs``: one [rows, features] tensor, or one tensor per feature."""
    inputs = payload.get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(t, dict) for t in inputs):
        raise BadRequest(
            "'inputs' must be a non-empty list of tensors {name, shape, datatype, data}"
        )
    names = [t.get("name") for t in inputs]
    if len(inputs) > 1 or (schema.n == 1 and names[0] in schema.names):
        unknown = [n for n in names if n not in schema.names]
        if unknown:
            raise BadRequest(
                f"unknown input(s) {', '.join(map(repr, unknown))}: with several"
                f" tensors each must be named by a feature; the model expects"
                f" {schema.describe()}"
            )
        missing = [f for f in schema.feature_names if f not in names]
        if missing or len(set(names)) != len(names):
            raise BadRequest(
                f"missing or repeated feature tensor(s) {', '.join(map(repr, missing))};"
                f" send one tensor per feature"
            )
        columns: list[list[Any]] = [[] for _ in range(schema.n)]
        rows = -1
        for tensor, name in zip(inputs, names, strict=True):
            shape, flat = _tensor_values(tensor, f"input {name!r}")
            if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
                raise BadRequest(f"input {name!r}: shape must be [rows] or [rows, 1], got {shape}")
            if rows not in (-1, shape[0]):
                raise BadRequest(f"input {name!r} has {shape[0]} rows, other inputs have {rows}")
            rows = shape[0]
            columns[schema.index[str(name)]] = flat
        _check_rows(rows, schema)
        return rows_to_array([list(r) for r in zip(*columns, strict=True)], schema)
    tensor = inputs[0]
    shape, flat = _tensor_values(tensor, f"input {names[0]!r}")
    if len(shape) == 1 and schema.n == 1:
        shape = [shape[0], 1]
    if len(shape) != 2:
        raise BadRequest(f"input {names[0]!r}: shape must be [rows, features], got {shape}")
    if shape[1] != schema.n:
        raise BadRequest(
            f"input {names[0]!r} has {shape[1]} features per row; the model expects"
            f" {schema.describe()}"
        )
    _check_rows(shape[0], schema)
    if schema.numeric_only:
        arr = np.array(flat)
        if arr.dtype.kind in _NUMERIC_KINDS:
            arr = arr.astype(np.float64, copy=False).reshape(shape)
            if np.isfinite(arr).all():
                return arr
    n = schema.n
    return _rows_slow([flat[i * n : (i + 1) * n] for i in range(shape[0])], schema)


def v2_datatype(predictions: np.ndarray) -> str:
    kind = predictions.dtype.kind
    return "INT64" if kind in "iub" else "FP64" if kind == "f" else "BYTES"
