"""Drift reference: per-feature histograms of the training split, and the PSI statistic.

The trainer builds the reference (``build_reference``) and writes it as reference.json next to
the model; the server bins recent inputs the same way (``actual_proportions``) and compares
them with ``psi``. Numeric bins: interior edges at the 10%..90% quantiles, value x falls in bin
``bisect_right(edges, x)``. Categorical bins: the known categories plus a final "other".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

FLOOR = 1e-4
"""Proportions are floored here so that PSI stays finite for empty bins."""
QUANTILES = tuple(q / 10 for q in range(1, 10))
MAX_CATEGORIES = 100
"""Most frequent categories kept per feature; rarer ones count as "other" (keeps the file small)."""


def _floored(counts: np.ndarray, total: int) -> list[float]:
    props = counts / total if total else np.zeros_like(counts, dtype=float)
    return [max(float(p), FLOOR) for p in props]


def _numeric_feature(name: str, values: np.ndarray) -> dict[str, Any]:
    col = values.astype(float)
    edges = np.unique(np.quantile(col, QUANTILES)) if col.size else np.array([])
    bins = np.searchsorted(edges, col, side="right")
    counts = np.bincount(bins, minlength=edges.size + 1)
    return {
        "name": name,
        "kind": "numeric",
        "edges": [float(e) for e in edges],
        "expected": _floored(counts, col.size),
    }


def _categorical_feature(name: str, values: np.ndarray) -> dict[str, Any]:
    labels, counts = np.unique(values.astype(str), return_counts=True)
    order = sorted(range(labels.size), key=lambda i: (-int(counts[i]), str(labels[i])))
    kept = sorted(str(labels[i]) for i in order[:MAX_CATEGORIES])
    props = actual_proportions({"kind": "categorical", "categories": kept}, list(values))
    return {"name": name, "kind": "categorical", "categories": kept, "expected": props}


def build_reference(
    X: np.ndarray, *, feature_names: list[str], feature_kinds: dict[str, str]
) -> dict[str, Any]:
    """The reference.json document for the training matrix X (columns = feature_names)."""
    if X.ndim != 2 or X.shape[1] != len(feature_names):
        raise ValueError(f"X has shape {X.shape}, expected (rows, {len(feature_names)})")
    features = []
    for i, name in enumerate(feature_names):
        column = X[:, i]
        if feature_kinds.get(name) == "categorical":
            features.append(_categorical_feature(name, column))
        else:
            features.append(_numeric_feature(name, column))
    return {"rows": int(X.shape[0]), "features": features}


def actual_proportions(feature: dict[str, Any], values: Sequence[Any]) -> list[float]:
    """Bin ``values`` like the reference ``feature`` and return floored proportions."""
    if feature["kind"] == "categorical":
        categories: list[str] = list(feature["categories"])
        index = {c: i for i, c in enumerate(categories)}
        bins = np.array([index.get(str(v), len(categories)) for v in values], dtype=int)
        size = len(categories) + 1
    else:
        edges = np.asarray(feature["edges"], dtype=float)
        bins = np.searchsorted(edges, np.asarray(values, dtype=float), side="right")
        size = edges.size + 1
    counts = np.bincount(bins, minlength=size) if bins.size else np.zeros(size)
    return _floored(counts, int(bins.size))


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index: sum((a - e) * ln(a / e)), a and e floored at 1e-4."""
    if len(expected) != len(actual):
        raise ValueError(f"expected has {len(expected)} bins, actual has {len(actual)}")
    total = 0.0
    for e_raw, a_raw in zip(expected, actual, strict=True):
        e, a = max(float(e_raw), FLOOR), max(float(a_raw), FLOOR)
        total += (a - e) * math.log(a / e)
    return total
