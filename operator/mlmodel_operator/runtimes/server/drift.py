"""Online input drift: PSI of the last ``window`` rows against the training reference.

The reference (reference.json, built by the trainer from the training split) gives each
feature's bins: interior edges for numeric features (bin = bisect_right(edges, x)), known
categories plus a final "other" bin for categorical ones, and the expected proportions.

Each observed row's bin indices go into a ring of the last ``window`` rows, and a running
count per (feature, bin) is kept in step, so observing is O(features) per row, vectorised per
batch. PSI = sum((a - e) * ln(a / e)) with both floored at 1e-4; the drift score is the max
over features. Features absent from the reference are not monitored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

FLOOR = 1e-4


@dataclass(frozen=True)
class _Feature:
    name: str
    column: int
    edges: np.ndarray | None
    categories: dict[str, int] | None
    n_bins: int


class DriftMonitor:
    def __init__(self, *, reference: dict[str, Any], feature_names: list[str], window: int) -> None:
        by_name = {f["name"]: f for f in reference.get("features", [])}
        self.features: list[_Feature] = []
        expected: list[list[float]] = []
        for col, name in enumerate(feature_names):
            ref = by_name.get(name)
            if ref is None:
                continue
            if ref.get("kind") == "categorical":
                cats = {str(c): i for i, c in enumerate(ref["categories"])}
                feat = _Feature(name, col, None, cats, len(cats) + 1)
            else:
                edges = np.asarray(ref["edges"], dtype=np.float64)
                feat = _Feature(name, col, edges, None, len(edges) + 1)
            if len(ref["expected"]) != feat.n_bins:
                raise ValueError(
                    f"reference for {name!r} has {len(ref['expected'])} proportions,"
                    f" expected {feat.n_bins}"
                )
            self.features.append(feat)
            expected.append([float(e) for e in ref["expected"]])
        self.window = window
        self.width = max((f.n_bins for f in self.features), default=1)
        n = len(self.features)
        self._expected = np.full((n, self.width), FLOOR)
        self._mask = np.zeros((n, self.width), dtype=bool)
        for i, exp in enumerate(expected):
            self._expected[i, : len(exp)] = np.maximum(exp, FLOOR)
            self._mask[i, : len(exp)] = True
        self._offsets = np.arange(n, dtype=np.int64) * self.width
        self._counts = np.zeros(n * self.width, dtype=np.int64)
        self._ring = np.zeros((window, n), dtype=np.int64)
        self._valid = np.zeros(window, dtype=bool)
        self._pos = 0
        self.samples = 0

    def _bins(self, x: np.ndarray) -> np.ndarray:
        out = np.empty((x.shape[0], len(self.features)), dtype=np.int64)
        for i, f in enumerate(self.features):
            col = x[:, f.column]
            if f.edges is not None:
                out[:, i] = np.searchsorted(f.edges, col.astype(np.float64), side="right")
            else:
                assert f.categories is not None
                other = f.n_bins - 1
                out[:, i] = [f.categories.get(str(v), other) for v in col]
        return out

    def observe(self, x: np.ndarray) -> None:
        """Add rows (the model input array) to the window, evicting the oldest."""
        if not self.features or x.shape[0] == 0:
            return
        if x.shape[0] > self.window:
            x = x[-self.window :]
        flat = self._bins(x) + self._offsets
        positions = (self._pos + np.arange(flat.shape[0])) % self.window
        valid = self._valid[positions]
        if valid.any():
            old = self._ring[positions[valid]].ravel()
            self._counts -= np.bincount(old, minlength=self._counts.size)
        self._counts += np.bincount(flat.ravel(), minlength=self._counts.size)
        self._ring[positions] = flat
        self._valid[positions] = True
        self._pos = int(positions[-1] + 1) % self.window
        self.samples = min(self.window, self.samples + flat.shape[0])

    def psi(self) -> dict[str, float]:
        """PSI per monitored feature over the current window (0.0 for an empty window)."""
        if self.samples == 0:
            return {f.name: 0.0 for f in self.features}
        actual = np.maximum(
            self._counts.reshape(len(self.features), self.width) / self.samples, FLOOR
        )
        terms = np.where(
            self._mask, (actual - self._expected) * np.log(actual / self._expected), 0.0
        )
        return {f.name: float(v) for f, v in zip(self.features, terms.sum(axis=1), strict=True)}

    @staticmethod
    def score(psi: dict[str, float]) -> float:
        return max(psi.values(), default=0.0)
