"""Online PSI against a reference built by the trainer's own builder."""

from __future__ import annotations

import numpy as np
import pytest

from mlmodel_operator.runtimes import drift_reference
from mlmodel_operator.runtimes.server.drift import DriftMonitor

KINDS = {"x": "numeric", "y": "numeric", "color": "categorical"}


def _data(rng: np.random.Generator, n: int, *, shift: float = 0.0) -> np.ndarray:
    x = np.empty((n, 3), dtype=object)
    x[:, 0] = rng.normal(size=n) + shift
    x[:, 1] = rng.uniform(size=n)
    x[:, 2] = rng.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2])
    return x


def _monitor(window: int) -> DriftMonitor:
    ref = drift_reference.build_reference(
        _data(np.random.default_rng(0), 5000), feature_names=list(KINDS), feature_kinds=KINDS
    )
    return DriftMonitor(reference=ref, feature_names=list(KINDS), window=window)


def test_same_distribution_has_no_drift() -> None:
    mon = _monitor(2000)
    mon.observe(_data(np.random.default_rng(1), 2000))
    psi = mon.psi()
    assert mon.samples == 2000
    assert max(psi.values()) < 0.05


def test_shifted_feature_is_flagged_and_matches_reference_psi() -> None:
    mon = _monitor(1000)
    rng = np.random.default_rng(2)
    for _ in range(10):  # many batches, wrapping the ring several times
        mon.observe(_data(rng, 250, shift=1.5))
    psi = mon.psi()
    assert psi["x"] > 0.25 and psi["y"] < 0.1 and psi["color"] < 0.1
    assert mon.score(psi) == psi["x"]


def test_ring_counts_equal_offline_psi_of_the_last_window() -> None:
    ref = drift_reference.build_reference(
        _data(np.random.default_rng(0), 3000), feature_names=list(KINDS), feature_kinds=KINDS
    )
    mon = DriftMonitor(reference=ref, feature_names=list(KINDS), window=300)
    rng = np.random.default_rng(3)
    batches = [_data(rng, int(n), shift=s) for n, s in [(120, 0.0), (250, 1.0), (90, 2.0)]]
    for b in batches:
        mon.observe(b)
    last = np.concatenate(batches)[-300:]
    for j, feat in enumerate(ref["features"]):
        actual = drift_reference.actual_proportions(feat, list(last[:, j]))
        offline = drift_reference.psi(feat["expected"], actual)
        assert mon.psi()[feat["name"]] == pytest.approx(offline, rel=1e-9)
