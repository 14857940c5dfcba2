"""The promotion gate: minScore, must-beat-serving, first version."""

from __future__ import annotations

import pytest

from mlmodel_operator.api import v1alpha1
from mlmodel_operator.controller import gate


def _eval(
    score: float | None,
    *,
    min_score: float = 0.8,
    beat: bool = True,
    baseline: float | None = None,
    serving: int | None = 1,
    serving_score: float | None = None,
) -> gate.GateVerdict:
    return gate.evaluate(
        policy=v1alpha1.GatePolicy(min_score=min_score, must_beat_serving=beat),
        candidate_version=2,
        candidate_score=score,
        baseline_score=baseline,
        serving_version=serving,
        serving_score=serving_score,
    )


def test_below_min_score_is_rejected() -> None:
    v = _eval(0.79, serving=None)
    assert (v.promote, v.reason) == (False, gate.BELOW_MINIMUM)
    assert "0.79 < minScore 0.8" in v.message


def test_exactly_min_score_passes_first_version() -> None:
    assert _eval(0.8, serving=None).promote


def test_worse_than_baseline_is_rejected() -> None:
    v = _eval(0.85, baseline=0.9, serving_score=0.5)
    assert (v.promote, v.reason) == (False, gate.WORSE_THAN_SERVING)
    assert "serving v1 0.9" in v.message


def test_serving_score_used_when_baseline_missing() -> None:
    assert _eval(0.85, serving_score=0.9).reason == gate.WORSE_THAN_SERVING
    assert _eval(0.95, serving_score=0.9).promote


def test_tie_with_serving_promotes() -> None:
    assert _eval(0.9, baseline=0.9).promote


def test_must_beat_serving_off() -> None:
    assert _eval(0.85, baseline=0.99, beat=False).promote


def test_first_version_ignores_serving_comparison() -> None:
    assert _eval(0.85, baseline=0.99, serving=None).promote


@pytest.mark.parametrize("serving", [None, 1])
def test_missing_score_is_rejected(serving: int | None) -> None:
    assert _eval(None, serving=serving).reason == gate.NO_SCORE
